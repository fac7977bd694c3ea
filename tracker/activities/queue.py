"""Which activities wait for review: listed and counted the same way on every page.

The review queue, the count on a committee member's home page and the one on
the branch dashboard used to be three queries with two definitions (one left
out the member's own activities, the others did not), so a committee member
with an activity of their own was told of work the queue could not let them do.
Every page now lists or counts with the functions below.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import Session

from tracker.activities.flags import Flag
from tracker.ledger import terms
from tracker.ledger.estimates import in_force
from tracker.models import (
    Activity,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    Event,
    PointRule,
    User,
)
from tracker.people import access

# Why an event attendance waits for a second person (``closing.needs_second_person``).
OWN_ATTENDANCE, MARKED_BY_HAND = "own", "by_hand"


def awaiting_review(branch_id: int) -> Select:
    """Every pending activity of the branch, oldest first: all that waits for its committee."""
    return (
        select(Activity)
        .where(Activity.branch_id == branch_id, Activity.status == ActivityStatus.PENDING)
        .order_by(Activity.submitted_at, Activity.id)
    )


def review_queue(reviewer: User) -> Select:
    """The activities ``reviewer`` can act on, oldest first: pending activities of their branch,
    not their own.

    A committee member never reviews their own activity (``access.may_review``),
    nor confirms an event attendance they marked or whose event they closed
    (``access.may_confirm_attendance``); another member of the committee does.
    Listing or counting it would promise work the reviewer cannot do, so the
    queue and every count that leads to it leave it out. Someone who sits on
    no committee has an empty queue.
    """
    if not access.sits_on_a_committee(reviewer):
        return awaiting_review(reviewer.branch_id or 0).where(false())
    own_hand = exists().where(
        Attendance.event_id == Activity.event_id,
        Attendance.user_id == Activity.user_id,
        Event.id == Attendance.event_id,
        or_(Attendance.recorded_by_id == reviewer.id, Event.closed_by_id == reviewer.id),
    )
    return awaiting_review(reviewer.branch_id).where(Activity.user_id != reviewer.id, ~own_hand)


def attendance_to_confirm(session: Session, activities: list[Activity]) -> dict[int, list[str]]:
    """For the pending event attendances among ``activities``: why each waits for a second
    person (``OWN_ATTENDANCE`` of the organiser or the closer, ``MARKED_BY_HAND``)."""
    ids = [a.id for a in activities if a.event_id is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(
            Activity.id,
            Activity.user_id,
            Attendance.status,
            Event.created_by_id,
            Event.closed_by_id,
        )
        .join(
            Attendance,
            (Attendance.event_id == Activity.event_id) & (Attendance.user_id == Activity.user_id),
        )
        .join(Event, Event.id == Activity.event_id)
        .where(Activity.id.in_(ids), Activity.status == ActivityStatus.PENDING)
    )
    reasons: dict[int, list[str]] = {}
    for activity_id, user_id, status, organiser_id, closer_id in rows:
        why = reasons.setdefault(activity_id, [])
        if user_id in (organiser_id, closer_id):
            why.append(OWN_ATTENDANCE)
        if status == AttendanceStatus.PRESENT:
            why.append(MARKED_BY_HAND)
    return reasons


def bulk_holds(
    session: Session,
    activities: list[Activity],
    flags: dict[int, list[Flag]],
    rules: dict[int, list[PointRule]],
) -> dict[int, str]:
    """Why each of ``activities`` that bulk approval cannot take needs a decision of its own.

    A disputed session needs a reason, one with warnings a reading of them;
    without a point rule on its day, or on a day of a closed term, approving
    it is refused anyway. Offering these for bulk approval would only skip
    them (``flags`` is ``flags.review_flags`` of the same activities, ``rules``
    ``estimates.rule_versions`` of their categories).
    """
    holds: dict[int, str] = {}
    for activity in activities:
        if activity.disputed:
            holds[activity.id] = _l(
                "A mentee disputed this session: approve it on its own, with a reason."
            )
        elif flags.get(activity.id):
            holds[activity.id] = _l("It has warnings: approve it on its own, after reading them.")
        elif in_force(rules, activity.category_id, activity.occurred_on) is None:
            holds[activity.id] = _l("No point rule applies on that day.")
        elif (term := terms.closed_term_on(session, activity.occurred_on)) is not None:
            holds[activity.id] = terms.closed_message(term)
    return holds


def attendance_waiting(event_id: int) -> Select:
    """The event's attendances that wait for a second person, as pending activities."""
    return (
        select(Activity)
        .where(Activity.event_id == event_id, Activity.status == ActivityStatus.PENDING)
        .order_by(Activity.id)
    )


def pending_count(session: Session, reviewer: User) -> int:
    """How many activities are in the reviewer's queue (``review_queue``)."""
    return _count(session, review_queue(reviewer))


def branch_pending_count(session: Session, branch_id: int) -> int:
    """How many activities of the branch wait for review, whoever will review them.

    For those who read a branch without reviewing it (advisors, administrators,
    the branch's statistics): the committee members' own activities wait too.
    """
    return _count(session, awaiting_review(branch_id))


def waiting_shown_to(session: Session, viewer: User, branch_id: int) -> int:
    """The number of activities waiting for review that a page shows ``viewer`` for a branch:
    their queue if they sit on its committee, else every pending activity of the branch."""
    if access.is_committee_of(viewer, branch_id):
        return pending_count(session, viewer)
    return branch_pending_count(session, branch_id)


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
