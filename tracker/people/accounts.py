"""Accounts and branch membership: creation, registration, passwords, moves."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from tracker import audit
from tracker.clock import utcnow
from tracker.errors import Forbidden, InvalidInput
from tracker.models import (
    AccountStatus,
    AdvisorScope,
    Branch,
    College,
    Membership,
    Role,
    Stage,
    User,
)
from tracker.models.org import new_invite_code
from tracker.people import access, tokens
from tracker.people.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    is_common,
    verify_password,
)

STUDENT_NO = re.compile(r"^[A-Za-z0-9_-]{3,32}$")


def find_user(session: Session, student_no: str) -> User | None:
    return session.scalars(
        select(User).where(User.student_no == (student_no or "").strip())
    ).first()


def branch_on(session: Session, user_id: int, day: date) -> int | None:
    """The branch the member belonged to on ``day``."""
    return session.scalars(
        select(Membership.branch_id)
        .where(
            Membership.user_id == user_id,
            Membership.start_on <= day,
            (Membership.end_on.is_(None)) | (Membership.end_on > day),
        )
        .order_by(Membership.start_on.desc())
        .limit(1)
    ).first()


def check_password_rules(
    password: str,
    student_no: str,
    field: str = "password",
    *,
    name: str | None = None,
    current_hash: str | None = None,
) -> None:
    """Refuse a password that is easy to guess, with the reason on ``field``.

    Too short or too long; one of the most common passwords; made of the
    student number or the name; or, given ``current_hash``, the password
    the account has now. Every door that sets a password asks here.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput({field: _l("At least %(n)d characters.", n=MIN_LENGTH)})
    if len(password) > MAX_LENGTH:
        raise InvalidInput({field: _l("At most %(n)d characters.", n=MAX_LENGTH)})
    if is_common(password):
        raise InvalidInput(
            {field: _l("This password is too common; choose one that is harder to guess.")}
        )
    if _made_of_personal_words(password, student_no, name):
        raise InvalidInput(
            {field: _l("The password cannot be made of your student number or name.")}
        )
    if current_hash and verify_password(current_hash, password):
        raise InvalidInput({field: _l("Choose a password other than your current password.")})


def _letters_and_digits(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _made_of_personal_words(password: str, student_no: str, name: str | None) -> bool:
    """Whether the password is the student number or the name, perhaps with a little added.

    The words are taken out of the password (case, spaces and punctuation
    aside); when some were there and what is left is short or common, the
    password is refused. "violet-2026000778-harbour" keeps enough to pass.
    """
    words = {student_no, name or "", *(part for part in (name or "").split() if len(part) >= 3)}
    original = _letters_and_digits(password)
    rest = original
    for word in sorted({_letters_and_digits(w) for w in words}, key=len, reverse=True):
        if len(word) >= 2:
            rest = rest.replace(word, "")
    return rest != original and (len(rest) < MIN_LENGTH or is_common(rest))


def create_user(
    session: Session,
    *,
    student_no: str,
    name: str,
    role: Role,
    branch: Branch | None = None,
    password: str | None = None,
    email: str | None = None,
    stage: Stage | None = None,
    status: AccountStatus = AccountStatus.ACTIVE,
    joined_on: date,
    actor: User | None = None,
) -> User:
    """Create an account; members and committee get a membership from ``joined_on``."""
    student_no = (student_no or "").strip()
    name = (name or "").strip()
    if not STUDENT_NO.match(student_no):
        raise InvalidInput({"student_no": _l("3 to 32 letters, digits, '-' or '_'.")})
    if not name or len(name) > 64:
        raise InvalidInput({"name": _l("A name of 1 to 64 characters is required.")})
    if find_user(session, student_no):
        raise InvalidInput({"student_no": _l("This student number is already registered.")})
    if role in (Role.MEMBER, Role.COMMITTEE) and branch is None:
        raise InvalidInput({"branch": _l("Members and committee members need a branch.")})
    if branch is not None and branch.archived_at is not None:
        raise InvalidInput({"branch": _l("This branch is archived.")})
    user = User(
        student_no=student_no,
        name=name,
        role=role,
        email=email or None,
        stage=stage,
        status=status,
        branch_id=branch.id if branch and role in (Role.MEMBER, Role.COMMITTEE) else None,
    )
    if password is not None:
        check_password_rules(password, student_no, name=name)
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    if user.branch_id:
        session.add(Membership(user_id=user.id, branch_id=user.branch_id, start_on=joined_on))
    audit.record(
        session, "user.created", actor=actor, subject=user, branch_id=user.branch_id, role=str(role)
    )
    return user


def set_password(session: Session, user: User, password: str, *, actor: User | None) -> None:
    """Set a new password, end every session the user has and revoke their API tokens."""
    check_password_rules(password, user.student_no, name=user.name, current_hash=user.password_hash)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.temporary_password_expires_at = None
    end_sessions(user)
    audit.record(
        session, "user.password_changed", actor=actor, subject=user, branch_id=user.branch_id
    )


def end_sessions(user: User) -> None:
    """End every login of this user, on every device, and revoke every API token they have.

    Every remedy passes here (logout, a new password, an administrator's
    reset, deactivation, a role change), so none leaves a token working;
    a revoked token stays revoked when the account is reactivated.
    """
    user.session_version += 1
    session = object_session(user)
    if session is not None:
        tokens.revoke_all(session, user, utcnow())


def temporary_password_expired(user: User, now: datetime) -> bool:
    """Whether the account holds a temporary password (an administrator's reset) past its life."""
    expires_at = user.temporary_password_expires_at
    return user.must_change_password and expires_at is not None and expires_at <= now


def add_advisor_scope(
    session: Session,
    advisor: User,
    *,
    branch: Branch | None = None,
    college: College | None = None,
    actor: User | None = None,
) -> None:
    if advisor.role != Role.ADVISOR:
        raise InvalidInput({"role": _l("Only advisors have scopes.")})
    scope = AdvisorScope(
        user_id=advisor.id,
        branch_id=branch.id if branch else None,
        college_id=college.id if college else None,
    )
    session.add(scope)
    audit.record(
        session,
        "advisor.scope_added",
        actor=actor,
        subject=advisor,
        branch_id=branch.id if branch else None,
        college=college.name if college else None,
    )


def branch_for_code(session: Session, code: str) -> Branch | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return session.scalars(
        select(Branch).where(Branch.invite_code == code, Branch.archived_at.is_(None))
    ).first()


def register(
    session: Session,
    *,
    code: str,
    student_no: str,
    name: str,
    password: str,
    email: str | None,
    today: date,
) -> User:
    """Self-registration with a branch invitation code; waits for the committee."""
    branch = branch_for_code(session, code)
    if branch is None:
        raise InvalidInput({"invite_code": _l("This invitation code is not valid.")})
    return create_user(
        session,
        student_no=student_no,
        name=name,
        role=Role.MEMBER,
        branch=branch,
        password=password,
        email=email,
        status=AccountStatus.PENDING,
        joined_on=today,
    )


def _ensure_committee_of(actor: User, branch_id: int | None) -> None:
    if not access.may_manage_branch(actor, branch_id):
        raise Forbidden(_l("Only the committee of this branch can do that."))


def confirm_registration(session: Session, user: User, actor: User) -> None:
    _ensure_committee_of(actor, user.branch_id)
    if user.status != AccountStatus.PENDING:
        raise InvalidInput({"user": _l("This registration was already handled.")})
    user.status = AccountStatus.ACTIVE
    audit.record(
        session, "registration.confirmed", actor=actor, subject=user, branch_id=user.branch_id
    )


def decline_registration(session: Session, user: User, actor: User) -> None:
    _ensure_committee_of(actor, user.branch_id)
    if user.status != AccountStatus.PENDING:
        raise InvalidInput({"user": _l("This registration was already handled.")})
    user.status = AccountStatus.DEACTIVATED
    end_sessions(user)
    audit.record(
        session, "registration.declined", actor=actor, subject=user, branch_id=user.branch_id
    )


def rotate_invite_code(session: Session, branch: Branch, actor: User) -> str:
    _ensure_committee_of(actor, branch.id)
    old = branch.invite_code
    branch.invite_code = new_invite_code()
    audit.record(
        session,
        "branch.invite_rotated",
        actor=actor,
        branch_id=branch.id,
        target=branch,
        previous=old[:2] + "…",
    )
    return branch.invite_code


def set_name_consent(session: Session, user: User, shown: bool) -> bool:
    """The member's choice whether their full name may appear outside their branch.

    Returns whether it changed. Audited by ids only: the row says who chose what,
    not the name.
    """
    if user.name_public == shown:
        return False
    user.name_public = shown
    audit.record(
        session,
        "name_consent.given" if shown else "name_consent.withdrawn",
        actor=user,
        subject=user,
        branch_id=user.branch_id,
    )
    session.flush()
    return True
