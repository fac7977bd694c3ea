"""Who may see whose records. Views look objects up through these rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import AdvisorScope, Branch, Role, User


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
