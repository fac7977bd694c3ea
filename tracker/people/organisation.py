"""What an administrator does to people: profiles, status, roles, branch moves and scopes.

Each function checks its input, changes the objects, records an audit event
and leaves the commit to the caller, so a view or a command can refuse the
whole change by rolling back.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from types import EllipsisType

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from tracker import audit
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
from tracker.people import access, accounts
from tracker.people.passwords import hash_password


def clean_name(name: str | None, field: str = "name", limit: int = 100) -> str:
    name = (name or "").strip()
    if not name or len(name) > limit:
        raise InvalidInput({field: _l("A name of 1 to %(n)d characters is required.", n=limit)})
    return name


def ensure_admin(actor: User | None) -> None:
    # None is the command line, run by whoever runs the server.
    if not access.may_administer(actor):
        raise Forbidden(_l("Only an administrator can do that."))


def user_search(query: str | None) -> Select:
    """Accounts whose name or student number contains ``query``, by student number."""
    statement = select(User).order_by(User.student_no)
    query = (query or "").strip()
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(User.name.ilike(pattern, escape="\\"), User.student_no.ilike(pattern, escape="\\"))
        )
    return statement


def edit_profile(
    session: Session,
    user: User,
    *,
    name: str,
    email: str | None,
    stage: Stage | None,
    actor: User | None,
    today: date,
    stage_since: date | None | EllipsisType = ...,
) -> None:
    """Change an account's name, e-mail, stage and the day it entered the stage (admins only).

    ``stage_since`` left out (``...``) keeps the day while the stage stays,
    and clears it when the stage changes: the old day was the old stage's.
    A day after ``today`` is refused (InvalidInput on ``stage_since``).
    """
    ensure_admin(actor)
    if isinstance(stage_since, date) and stage_since > today:
        raise InvalidInput({"stage_since": _l("The date cannot be in the future.")})
    name = clean_name(name, limit=64)
    changes = {}
    if name != user.name:
        changes["name"] = (user.name, name)
        user.name = name
    email = (email or "").strip() or None
    if email != user.email:
        changes["email"] = (user.email, email)
        user.email = email
    if stage_since is ...:
        stage_since = user.stage_since if stage == user.stage else None
    if stage != user.stage:
        changes["stage"] = (user.stage, stage)
        user.stage = stage
    if stage_since != user.stage_since:
        changes["stage_since"] = (user.stage_since, stage_since)
        user.stage_since = stage_since
    if changes:
        audit.record(
            session,
            "user.edited",
            actor=actor,
            subject=user,
            branch_id=user.branch_id,
            # Which fields, not their values: names and e-mails stay out of a
            # log that nobody may rewrite, so that anonymising can erase them.
            fields=",".join(sorted(changes)),
            stage=f"{changes['stage'][0]} → {changes['stage'][1]}" if "stage" in changes else None,
        )


def deactivate(session: Session, user: User, actor: User) -> None:
    """Deactivate an account and end every session it has, at once."""
    ensure_admin(actor)
    if user.id == actor.id:
        raise Forbidden(_l("You cannot deactivate your own account."))
    if user.status == AccountStatus.DEACTIVATED:
        return
    user.status = AccountStatus.DEACTIVATED
    accounts.end_sessions(user)
    audit.record(session, "user.deactivated", actor=actor, subject=user, branch_id=user.branch_id)


def reactivate(session: Session, user: User, actor: User) -> None:
    ensure_admin(actor)
    if user.status == AccountStatus.ACTIVE:
        return
    if user.branch_id and user.branch.archived_at is not None:
        raise InvalidInput({"branch_id": _l("Move the member to a current branch first.")})
    user.status = AccountStatus.ACTIVE
    audit.record(session, "user.reactivated", actor=actor, subject=user, branch_id=user.branch_id)


def reset_password(
    session: Session, user: User, actor: User, *, now: datetime, lifetime_hours: int
) -> str:
    """Give the account a temporary password, shown once to the admin.

    The user must choose a new one before using any page or the API; the
    temporary password stops working after ``lifetime_hours``. Every existing
    session of theirs ends and every API token is revoked.
    """
    ensure_admin(actor)
    temporary = "-".join(secrets.token_hex(3) for _ in range(3))
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.temporary_password_expires_at = now + timedelta(hours=lifetime_hours)
    accounts.end_sessions(user)
    audit.record(
        session, "user.password_reset", actor=actor, subject=user, branch_id=user.branch_id
    )
    return temporary


def active_branch(session: Session, branch_id: int | None, field: str = "branch_id") -> Branch:
    """The branch with this id, refused when unknown or archived."""
    branch = session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise InvalidInput({field: _l("Choose a branch.")})
    if branch.archived_at is not None:
        raise InvalidInput({field: _l("This branch is archived.")})
    return branch


def _current_membership(session: Session, user: User) -> Membership | None:
    return session.scalars(
        select(Membership)
        .where(Membership.user_id == user.id, Membership.end_on.is_(None))
        .order_by(Membership.start_on.desc())
    ).first()


def _latest_start(session: Session, user: User) -> date | None:
    return session.scalar(
        select(func.max(Membership.start_on)).where(Membership.user_id == user.id)
    )


def move_member(
    session: Session, user: User, branch: Branch, from_day: date, actor: User | None, today: date
) -> None:
    """Move a member to ``branch`` from ``from_day`` on.

    The current membership ends the day before; a new one begins. Ledger
    rows keep the branch they were booked to, so the old branch's history
    and totals do not change.
    """
    ensure_admin(actor)
    if not access.is_branch_person(user):
        raise InvalidInput({"branch_id": _l("Only members and committee members have a branch.")})
    if branch.archived_at is not None:
        raise InvalidInput({"branch_id": _l("This branch is archived.")})
    if branch.id == user.branch_id:
        raise InvalidInput({"branch_id": _l("The member is in this branch already.")})
    if from_day > today:
        raise InvalidInput({"from_day": _l("The move cannot start in the future.")})
    latest = _latest_start(session, user)
    if latest is not None and from_day <= latest:
        raise InvalidInput(
            {"from_day": _l("The move must start after %(day)s.", day=latest.isoformat())}
        )
    _end_membership(session, user, from_day)
    before = user.branch_id
    session.add(Membership(user_id=user.id, branch_id=branch.id, start_on=from_day))
    user.branch_id = branch.id
    audit.record(
        session,
        "user.moved",
        actor=actor,
        subject=user,
        branch_id=branch.id,
        from_branch=before,
        to_branch=branch.id,
        from_day=from_day.isoformat(),
    )


def _end_membership(session: Session, user: User, day: date) -> None:
    current = _current_membership(session, user)
    if current is not None:
        if day <= current.start_on:
            raise InvalidInput(
                {"from_day": _l("The move must start after %(day)s.", day=current.start_on)}
            )
        current.end_on = day


def set_role(
    session: Session,
    user: User,
    role: Role,
    actor: User | None,
    today: date,
    branch: Branch | None = None,
) -> None:
    """Change an account's role.

    Members and committee members belong to a branch (``branch`` is needed
    when the account has none); advisors and admins belong to none, so
    their membership ends today. Leaving the advisor role drops its scopes.
    """
    ensure_admin(actor)
    if actor is not None and user.id == actor.id and role != Role.ADMIN:
        raise Forbidden(_l("You cannot take the administrator role from yourself."))
    before = user.role
    if role in access.BRANCH_ROLES:
        if user.branch_id is None:
            if branch is None:
                raise InvalidInput(
                    {"branch_id": _l("Members and committee members need a branch.")}
                )
            if branch.archived_at is not None:
                raise InvalidInput({"branch_id": _l("This branch is archived.")})
            latest = _latest_start(session, user)
            if latest is not None and latest >= today:
                raise InvalidInput({"branch_id": _l("Try again tomorrow.")})
            session.add(Membership(user_id=user.id, branch_id=branch.id, start_on=today))
            user.branch_id = branch.id
    elif user.branch_id is not None:
        _end_membership(session, user, today)
        user.branch_id = None
    if role != Role.ADVISOR:
        user.advisor_scopes.clear()
    user.role = role
    accounts.end_sessions(user)  # what the old role could see must not linger in a session
    audit.record(
        session,
        "user.role_changed",
        actor=actor,
        subject=user,
        branch_id=user.branch_id,
        before=str(before),
        after=str(role),
    )


def add_scope(
    session: Session,
    advisor: User,
    actor: User,
    *,
    branch: Branch | None = None,
    college: College | None = None,
) -> None:
    ensure_admin(actor)
    if (branch is None) == (college is None):
        raise InvalidInput({"target": _l("Choose one branch or one college.")})
    existing = select(AdvisorScope.id).where(AdvisorScope.user_id == advisor.id)
    existing = existing.where(
        AdvisorScope.branch_id == branch.id if branch else AdvisorScope.college_id == college.id
    )
    if session.scalar(existing):
        raise InvalidInput({"target": _l("The advisor has this scope already.")})
    accounts.add_advisor_scope(session, advisor, branch=branch, college=college, actor=actor)


def remove_scope(session: Session, scope: AdvisorScope, actor: User) -> None:
    ensure_admin(actor)
    advisor = session.get(User, scope.user_id)
    session.delete(scope)
    audit.record(
        session,
        "advisor.scope_removed",
        actor=actor,
        subject=advisor,
        branch_id=scope.branch_id,
        college=scope.college_id,
    )
