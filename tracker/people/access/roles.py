"""Who someone is; reading records; reviewing and points; administration."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import AdvisorScope, Attendance, Branch, Event, Role, User

# People who belong to a branch: they log activities, are ranked and check in.
BRANCH_ROLES = (Role.MEMBER, Role.COMMITTEE)


# Who someone is --------------------------------------------------------------


def is_branch_person(user: User) -> bool:
    """A member or committee member: logs activities, is ranked, checks in."""
    return user.role in BRANCH_ROLES


def logs_activities(user: User) -> bool:
    """Logs activities and checks in to events: a member or committee member of a branch."""
    return is_branch_person(user) and user.branch_id is not None


def is_admin(user: User) -> bool:
    return user.is_active and user.role == Role.ADMIN


def is_committee_of(user: User, branch_id: int | None) -> bool:
    """An active committee member of that branch."""
    return (
        user.is_active
        and user.role == Role.COMMITTEE
        and branch_id is not None
        and user.branch_id == branch_id
    )


def sits_on_a_committee(user: User) -> bool:
    """Has a branch committee's pages: the review queue, the branch page and dashboard."""
    return is_committee_of(user, user.branch_id)


def keeps_long_sessions(user: User) -> bool:
    """A member may stay signed in while idle for days; the committee, advisors and
    administrators act on other people's records, so an unattended session of theirs
    ends after a few hours (``tracker.security.idle_limit`` turns this into hours)."""
    return user.role == Role.MEMBER


# Reading records --------------------------------------------------------------


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
    """Branches whose members' records the viewer may read; None means every branch."""
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.ADVISOR:
        return advisor_branch_ids(session, viewer)
    if viewer.role == Role.COMMITTEE and viewer.branch_id:
        return {viewer.branch_id}
    return set()


def can_read_records(session: Session, viewer: User, owner_id: int, branch_id: int) -> bool:
    """Whether the viewer may see a member's activity, evidence or ledger row."""
    if viewer.id == owner_id:
        return True
    branches = readable_branch_ids(session, viewer)
    return branches is None or branch_id in branches


def can_read_activity(session: Session, viewer: User, activity) -> bool:
    """Whether the viewer may see an activity: as for any record, or as a mentee it names.

    A mentee sees the session (to confirm or dispute it), not the mentor's
    other records. The page and the API both ask this.
    """
    if can_read_records(session, viewer, activity.user_id, activity.branch_id):
        return True
    return may_answer_session(viewer, activity)


def may_change_activity(viewer: User, activity) -> bool:
    """Edit, withdraw or add evidence: only the member who logged it."""
    return activity.user_id == viewer.id


def may_answer_session(viewer: User, activity) -> bool:
    """Confirm or dispute a 1+N session: only a mentee it names."""
    return any(link.mentee_id == viewer.id for link in activity.mentees)


def may_answer_pairing(viewer: User, pairing) -> bool:
    """Accept or decline being someone's mentee: only the student asked."""
    return pairing.mentee_id == viewer.id


def own_records_only(viewer: User) -> bool:
    """Whether lists and exports of activities hold only the viewer's own (a member's)."""
    return viewer.role == Role.MEMBER


def may_export_activities(viewer: User, scope_kind: str) -> bool:
    """Activity records as a file: a committee member only branch by branch (their own)."""
    return viewer.role != Role.COMMITTEE or scope_kind == "branch"


def may_read_audit_log(viewer: User) -> bool:
    return is_admin(viewer) or sits_on_a_committee(viewer)


def audit_branch_id(viewer: User) -> int | None:
    """The one branch whose audit events the viewer reads; None for an administrator."""
    return None if is_admin(viewer) else viewer.branch_id


# Reviewing and points -------------------------------------------------------


def may_review(reviewer: User, activity) -> bool:
    """The committee of the activity's branch, never for their own activity."""
    return is_committee_of(reviewer, activity.branch_id) and reviewer.id != activity.user_id


def may_see_review_flags(viewer: User, activity) -> bool:
    """Flags on an activity (the same photo elsewhere, a photo's date): for those who review
    it. Never for its member: a flag is a question for the committee, not a verdict."""
    return may_review(viewer, activity)


def may_adjust_points(actor: User, member: User) -> bool:
    """The committee of the member's branch may book an adjustment, never to themselves."""
    return is_committee_of(actor, member.branch_id) and actor.id != member.id


def may_adjust_any_points(actor: User) -> bool:
    """An administrator adjusts any member's points (with a reason, audited)."""
    return is_admin(actor)


def may_book_in_closed_terms(actor: User | None) -> bool:
    """Only an administrator's adjustment books on the days of a closed term."""
    return actor is not None and is_admin(actor)


def is_advisor_of(session: Session, user: User, branch_ids: set[int]) -> bool:
    """An active advisor whose scope holds one of the branches."""
    return (
        user.is_active
        and user.role == Role.ADVISOR
        and bool(branch_ids & advisor_branch_ids(session, user))
    )


def attendance_hands(session: Session, activity) -> tuple[int | None, int | None]:
    """Who marked the event attendance behind the activity, and who closed the event."""
    row = session.execute(
        select(Attendance.recorded_by_id, Event.closed_by_id)
        .join(Event, Event.id == Attendance.event_id)
        .where(Attendance.event_id == activity.event_id, Attendance.user_id == activity.user_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else (None, None)


def may_confirm_attendance(session: Session, reviewer: User, activity) -> bool:
    """Confirm an event attendance that waits for a second person (one's own, or marked by hand).

    Another committee member of the member's branch, an advisor whose scope
    holds it, or an administrator; never the member, nor whoever marked the
    attendance or closed the event: nobody's attendance is booked by one hand.
    """
    if reviewer.id in (activity.user_id, *attendance_hands(session, activity)):
        return False
    if is_admin(reviewer) or is_committee_of(reviewer, activity.branch_id):
        return True
    return is_advisor_of(session, reviewer, {activity.branch_id})


def may_manage_branch(actor: User, branch_id: int | None) -> bool:
    """Confirm registrations, rotate the invitation code: the branch's committee."""
    return is_committee_of(actor, branch_id)


def may_manage_groups(actor: User, branch_id: int | None) -> bool:
    """Forms the branch's 党小组 and places its members: its committee."""
    return is_committee_of(actor, branch_id)


def may_set_committee_post(actor: User | None, branch_id: int | None) -> bool:
    """Name a member's committee post (书记, 组织委员 ...): the branch's committee, an admin."""
    return branch_id is not None and (may_administer(actor) or is_committee_of(actor, branch_id))


# Administration -------------------------------------------------------------


def may_administer(actor: User | None) -> bool:
    """Colleges, branches, accounts, rules, terms, settings. None is the command line."""
    return actor is None or is_admin(actor)
