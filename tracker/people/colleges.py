"""What an administrator does to colleges and branches: create, rename, archive, count, rotate."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import AccountStatus, Branch, College, User
from tracker.models.org import new_invite_code

# One guard and one name rule for every change an administrator makes: organisation keeps them.
from tracker.people.organisation import clean_name, ensure_admin


def create_college(session: Session, name: str, actor: User) -> College:
    ensure_admin(actor)
    name = clean_name(name)
    if session.scalar(select(College.id).where(College.name == name)):
        raise InvalidInput({"name": _l("A college with this name exists.")})
    college = College(name=name)
    session.add(college)
    session.flush()
    audit.record(session, "college.created", actor=actor, target=college, name=name)
    return college


def rename_college(session: Session, college: College, name: str, actor: User) -> None:
    ensure_admin(actor)
    name = clean_name(name)
    clash = session.scalar(select(College.id).where(College.name == name, College.id != college.id))
    if clash:
        raise InvalidInput({"name": _l("A college with this name exists.")})
    before, college.name = college.name, name
    audit.record(session, "college.renamed", actor=actor, target=college, before=before, after=name)


def archive_college(session: Session, college: College, actor: User, now: datetime) -> None:
    """Archive a college whose branches are all archived already."""
    ensure_admin(actor)
    if any(b.archived_at is None for b in college.branches):
        raise InvalidInput({"college": _l("Archive the college's branches first.")})
    college.archived_at = now
    audit.record(session, "college.archived", actor=actor, target=college, name=college.name)


def create_branch(session: Session, college: College, name: str, actor: User) -> Branch:
    ensure_admin(actor)
    if college.archived_at is not None:
        raise InvalidInput({"college_id": _l("This college is archived.")})
    name = clean_name(name)
    _refuse_branch_name_clash(session, college.id, name, None)
    branch = Branch(college_id=college.id, name=name)
    session.add(branch)
    session.flush()
    audit.record(
        session, "branch.created", actor=actor, branch_id=branch.id, target=branch, name=name
    )
    return branch


def _refuse_branch_name_clash(
    session: Session, college_id: int, name: str, branch_id: int | None
) -> None:
    query = select(Branch.id).where(Branch.college_id == college_id, Branch.name == name)
    if branch_id is not None:
        query = query.where(Branch.id != branch_id)
    if session.scalar(query):
        raise InvalidInput({"name": _l("This college already has a branch with this name.")})


def rename_branch(session: Session, branch: Branch, name: str, actor: User) -> None:
    ensure_admin(actor)
    name = clean_name(name)
    _refuse_branch_name_clash(session, branch.college_id, name, branch.id)
    before, branch.name = branch.name, name
    audit.record(
        session,
        "branch.renamed",
        actor=actor,
        branch_id=branch.id,
        target=branch,
        before=before,
        after=name,
    )


def current_member_count(session: Session, branch_id: int) -> int:
    return (
        session.scalar(
            select(func.count(User.id)).where(
                User.branch_id == branch_id, User.status != AccountStatus.DEACTIVATED
            )
        )
        or 0
    )


def current_member_counts(session: Session) -> dict[int, int]:
    """Branch id → current (not deactivated) members, for every branch with any."""
    rows = session.execute(
        select(User.branch_id, func.count(User.id))
        .where(User.branch_id.is_not(None), User.status != AccountStatus.DEACTIVATED)
        .group_by(User.branch_id)
    )
    return dict(rows.all())


def archive_branch(session: Session, branch: Branch, actor: User, now: datetime) -> None:
    """Archive a branch without members: it keeps its ledger and history but
    drops out of current rankings, choices and self-registration."""
    ensure_admin(actor)
    if branch.archived_at is not None:
        raise InvalidInput({"branch": _l("This branch is archived already.")})
    if current_member_count(session, branch.id):
        raise InvalidInput(
            {"branch": _l("Move or deactivate the branch's members before archiving it.")}
        )
    branch.archived_at = now
    audit.record(
        session,
        "branch.archived",
        actor=actor,
        branch_id=branch.id,
        target=branch,
        name=branch.name,
    )


def rotate_branch_code(session: Session, branch: Branch, actor: User) -> str:
    ensure_admin(actor)
    if branch.archived_at is not None:
        raise InvalidInput({"branch": _l("This branch is archived.")})
    branch.invite_code = new_invite_code()
    audit.record(session, "branch.invite_rotated", actor=actor, branch_id=branch.id, target=branch)
    return branch.invite_code
