"""Who may see whose records. Views look objects up through these rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AdvisorScope, Branch, Role, User


def advisor_branch_ids(session: Session, advisor: User) -> set[int]:
    """Branches an advisor may read: those named, and all of the colleges named."""
    named = select(AdvisorScope.branch_id).where(
        AdvisorScope.user_id == advisor.id, AdvisorScope.branch_id.is_not(None)
    )
    by_college = (
        select(Branch.id)
        .join(AdvisorScope, AdvisorScope.college_id == Branch.college_id)
        .where(AdvisorScope.user_id == advisor.id)
    )
    return set(session.scalars(named.union(by_college)))


def readable_branch_ids(session: Session, viewer: User) -> set[int] | None:
    """Branches whose records the viewer may read; None means every branch."""
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.ADVISOR:
        return advisor_branch_ids(session, viewer)
    if viewer.role == Role.COMMITTEE and viewer.branch_id:
        return {viewer.branch_id}
    return set()


def can_read_records(session: Session, viewer: User, owner_id: int, branch_id: int) -> bool:
    """Whether the viewer may see a member's entry, evidence or ledger row."""
    if viewer.id == owner_id:
        return True
    branches = readable_branch_ids(session, viewer)
    return branches is None or branch_id in branches


def can_read_activity(session: Session, viewer: User, activity) -> bool:
    """Whether the viewer may see an entry: as for any record, or as a mentee it names.

    A mentee sees the session (to confirm or dispute it), not the mentor's
    other records.
    """
    if can_read_records(session, viewer, activity.user_id, activity.branch_id):
        return True
    return any(link.mentee_id == viewer.id for link in activity.mentees)


def can_read_leaderboard(session: Session, viewer: User, kind: str, scope_id: int | None) -> bool:
    """Whether the viewer may see the member leaderboard of a branch, college or the school.

    Members and committee see their own branch, their own college and the
    school (names masked by the caller unless full names are allowed);
    advisors the branches they may read, and a college only when they may
    read all of it; admins everything.
    """
    readable = readable_branch_ids(session, viewer)
    if readable is None:
        return True
    ranked = viewer.role in (Role.MEMBER, Role.COMMITTEE) and viewer.branch is not None
    if kind == "branch":
        return scope_id in readable or (ranked and scope_id == viewer.branch_id)
    if kind == "college":
        if ranked and viewer.branch.college_id == scope_id:
            return True
        branches = set(session.scalars(select(Branch.id).where(Branch.college_id == scope_id)))
        return bool(branches) and branches <= readable
    return ranked
