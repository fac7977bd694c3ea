"""Events: creating, managing, attending, their minutes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tracker.models import User
from tracker.people.access.roles import (
    is_admin,
    is_advisor_of,
    is_branch_person,
    logs_activities,
    readable_branch_ids,
    sits_on_a_committee,
)

# Events ---------------------------------------------------------------------


def may_create_events(user: User) -> bool:
    return is_admin(user) or sits_on_a_committee(user)


def may_choose_event_branches(user: User) -> bool:
    """An administrator names the branches of an event; a committee's are its own."""
    return is_admin(user)


def may_manage_event(user: User, event) -> bool:
    """Attendance, codes, closing: the committee of one of the event's branches, or an admin."""
    if is_admin(user):
        return True
    return sits_on_a_committee(user) and user.branch_id in event.branch_ids


def may_void_attendance(user: User, attendance) -> bool:
    """Void a check-in: those who manage the event, never for their own attendance."""
    return may_manage_event(user, attendance.event) and user.id != attendance.user_id


def may_confirm_event_attendance(session: Session, user: User, event) -> bool:
    """See and answer an event's attendances that wait for a second person: the committee of
    one of its branches, an advisor whose scope holds one, or an admin.

    Which of them each may confirm is ``may_confirm_attendance``.
    """
    return may_manage_event(user, event) or is_advisor_of(session, user, event.branch_ids)


def may_see_event(session: Session, user: User, event) -> bool:
    visible = event_branch_ids(session, user)
    return visible is None or bool(event.branch_ids & visible)


def may_write_minutes(user: User, event) -> bool:
    """Write and lock an event's minutes (会议记录): those who manage the event."""
    return may_manage_event(user, event)


def may_read_minutes(session: Session, user: User, event) -> bool:
    """An event's minutes: members of its branches, their advisors, those who manage it."""
    return (
        may_manage_event(user, event)
        or may_attend_event(user, event)
        or is_advisor_of(session, user, event.branch_ids)
    )


def may_attend_event(user: User, event) -> bool:
    """Check in, ask for leave: a member or committee member of one of the event's branches."""
    return logs_activities(user) and user.branch_id in event.branch_ids


def event_branch_ids(session: Session, user: User) -> set[int] | None:
    """Branches whose events the user sees: a member's or committee's own, else what they read.

    None means every branch (an admin).
    """
    if is_branch_person(user):
        return {user.branch_id} if user.branch_id else set()
    return readable_branch_ids(session, user)
