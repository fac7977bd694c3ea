"""Attendance at events: check in, mark present, leave, close.

Closing an event books one approved activity per attendee through
``points.approve_activity``; the activity carries the event's id, so neither a
second close nor two people checking one member in can book twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import audit, notify
from tracker.clock import to_campus
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.events.checkin_checks import CheckinFacts
from tracker.events.codes import code_matches
from tracker.events.planning import ensure_manager
from tracker.ledger import points
from tracker.models import (
    ATTENDED,
    AccountStatus,
    Activity,
    Attendance,
    AttendanceStatus,
    Event,
    Role,
    User,
)
from tracker.people import access
from tracker.people.accounts import branch_on

MAX_REASON = 500


def _open_events(session: Session, now: datetime):
    return session.scalars(
        select(Event).where(
            Event.closed_at.is_(None),
            Event.checkin_opens_at <= now,
            Event.checkin_closes_at >= now,
        )
    )


def event_for_code(session: Session, member: User, code: str, now: datetime) -> Event:
    """The open event of the member's branch whose current code this is."""
    matching = [e for e in _open_events(session, now) if code_matches(e, code, now)]
    for event in matching:
        if member.branch_id in event.branch_ids:
            return event
    if matching:
        raise Forbidden(_l("This code belongs to an event of another branch."))
    raise InvalidInput({"code": _l("Wrong or expired code.")})


# --- attendance ------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    attendance: Attendance
    new: bool


def _lock_open_event(session: Session, event: Event) -> None:
    """Hold the event's row, and refuse if it was closed meanwhile.

    Serialises check-ins of one event on PostgreSQL, so capacity holds, and
    orders them against closing: nobody checks in to an event whose points
    were just booked.
    """
    closed_at = session.execute(
        select(Event.closed_at).where(Event.id == event.id).with_for_update()
    ).scalar_one()
    if closed_at is not None:
        raise Conflict(_l("This event is closed."))


def _attended_count(session: Session, event: Event) -> int:
    return session.scalar(
        select(func.count()).where(Attendance.event_id == event.id, Attendance.status.in_(ATTENDED))
    )


def _record(
    session: Session,
    event: Event,
    member: User,
    status: AttendanceStatus,
    now: datetime,
    by: User | None,
    *,
    capacity: bool,
) -> CheckIn:
    """Record the member as attending; a repeat changes nothing and says so.

    Two requests for one member at once insert one row: the second insert
    hits the unique (event, member) constraint inside a savepoint and is
    answered as a repeat.
    """
    _lock_open_event(session, event)
    existing = session.scalars(
        select(Attendance).where(Attendance.event_id == event.id, Attendance.user_id == member.id)
    ).first()
    if existing is not None and existing.status.attended:
        return CheckIn(existing, new=False)
    if (
        capacity
        and event.capacity is not None
        and _attended_count(session, event) >= event.capacity
    ):
        raise Conflict(_l("The event is full."))
    if existing is not None:  # had asked for leave, came after all
        existing.status, existing.recorded_at = status, now
        existing.recorded_by_id = by.id if by else None
        return CheckIn(existing, new=True)
    attendance = Attendance(
        event_id=event.id,
        user_id=member.id,
        status=status,
        recorded_at=now,
        recorded_by_id=by.id if by else None,
    )
    try:
        with session.begin_nested():
            session.add(attendance)
    except IntegrityError:
        kept = session.scalars(
            select(Attendance).where(
                Attendance.event_id == event.id, Attendance.user_id == member.id
            )
        ).one()
        return CheckIn(kept, new=False)
    return CheckIn(attendance, new=True)


def check_in(
    session: Session,
    member: User,
    event: Event,
    code: str,
    now: datetime,
    facts: CheckinFacts | None = None,
) -> CheckIn:
    """The member checks in with the event's code during its window; the caller commits.

    ``facts`` (the door, device and session of the request) are kept on a new
    check-in for ``checkin_checks`` to judge. A scan-only event, or an
    attendance the committee voided, is not checked in by a code.
    """
    if not access.may_attend_event(member, event):
        raise Forbidden(_l("This event is for another branch."))
    if event.closed_at is not None:
        raise Conflict(_l("This event is closed."))
    if event.scan_only:
        raise Conflict(
            _l(
                "This event checks members in by scanning: open “My check-in code” "
                "and show it to the committee."
            )
        )
    if now < event.checkin_opens_at:
        raise Conflict(_l("Check-in has not opened yet."))
    if now > event.checkin_closes_at:
        raise Conflict(_l("Check-in has closed."))
    if not code_matches(event, code, now):
        others = [e for e in _open_events(session, now) if e.id != event.id]
        if any(code_matches(e, code, now) for e in others):
            raise InvalidInput({"code": _l("This code belongs to another event.")})
        raise InvalidInput({"code": _l("Wrong or expired code.")})
    earlier = attendance_of(session, event, member.id)
    if earlier is not None and earlier.status == AttendanceStatus.VOIDED:
        raise Conflict(_l("The committee voided your check-in; please speak to them."))
    result = _record(session, event, member, AttendanceStatus.CHECKED_IN, now, None, capacity=True)
    if result.new and facts is not None:
        facts.record_on(result.attendance, now)
    return result


def mark_present(
    session: Session, manager: User, event: Event, member: User, now: datetime
) -> CheckIn:
    """The committee records a late arrival (capacity does not stop the committee)."""
    ensure_manager(manager, event)
    if member.branch_id not in event.branch_ids:
        raise Forbidden(_l("This member is not in the event's branches."))
    result = _record(session, event, member, AttendanceStatus.PRESENT, now, manager, capacity=False)
    if result.new:
        audit.record(session, "event.marked_present", actor=manager, subject=member, target=event)
    return result


def request_leave(
    session: Session, member: User, event: Event, reason: str, now: datetime
) -> Attendance:
    """The member asks for leave (请假) before the event starts."""
    if not access.may_attend_event(member, event):
        raise Forbidden(_l("This event is for another branch."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _l("Please give a reason.")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": _l("At most %(n)d characters.", n=MAX_REASON)})
    if event.closed_at is not None or now >= event.starts_at:
        raise Conflict(_l("Leave can only be asked for before the event starts."))
    existing = session.scalars(
        select(Attendance).where(Attendance.event_id == event.id, Attendance.user_id == member.id)
    ).first()
    if existing is not None and existing.status.attended:
        raise Conflict(_l("You have already checked in."))
    if existing is None:
        existing = Attendance(event_id=event.id, user_id=member.id)
        session.add(existing)
    existing.status = AttendanceStatus.LEAVE_REQUESTED
    existing.leave_reason = reason
    existing.recorded_at = now
    session.flush()
    return existing


def approve_leave(session: Session, manager: User, attendance: Attendance, now: datetime) -> None:
    """The committee approves a leave request; the member is told."""
    event = attendance.event
    ensure_manager(manager, event)
    changed = session.execute(
        update(Attendance)
        .where(
            Attendance.id == attendance.id,
            Attendance.status == AttendanceStatus.LEAVE_REQUESTED,
        )
        .values(status=AttendanceStatus.ON_LEAVE, recorded_by_id=manager.id, recorded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(_l("This leave request was already handled."))
    session.refresh(attendance)
    audit.record(
        session, "event.leave_approved", actor=manager, subject=attendance.member, target=event
    )
    notify.notify(
        session, attendance.user_id, "leave_approved", event_id=event.id, title=event.title
    )


def close_event(session: Session, manager: User, event: Event, now: datetime) -> int:
    """Close the event and book each attendee's points once; returns how many were booked.

    The close is a conditional update, so of two committee members closing at
    once only one books; each booking is an entry linked to the event, which
    the unique (event, member) constraint and the ledger's one award per
    entry keep single. The caller commits.
    """
    ensure_manager(manager, event)
    if now < event.starts_at:
        raise Conflict(_l("An event can be closed once it has started."))
    closed = session.execute(
        update(Event)
        .where(Event.id == event.id, Event.closed_at.is_(None))
        .values(closed_at=now, closed_by_id=manager.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise Conflict(_l("This event is already closed."))
    session.refresh(event)
    day = to_campus(event.starts_at).date()
    attendees = session.scalars(
        select(Attendance)
        .where(Attendance.event_id == event.id, Attendance.status.in_(ATTENDED))
        .order_by(Attendance.id)
    ).all()
    booked = 0
    for attendance in attendees:
        branch_id = branch_on(session, attendance.user_id, day)
        if branch_id is None:
            continue
        activity = Activity(
            user_id=attendance.user_id,
            branch_id=branch_id,
            category_id=event.category_id,
            occurred_on=day,
            quantity=Decimal(1),
            title=event.title,
            location=event.place or None,
            event_id=event.id,
            submitted_at=now,
            updated_at=now,
        )
        session.add(activity)
        session.flush()
        entry = points.approve_activity(session, activity, None, now, fixed_points=event.points)
        notify.notify(
            session,
            attendance.user_id,
            "event_points",
            event_id=event.id,
            title=event.title,
            points=entry.points,
        )
        booked += 1
    audit.record(session, "event.closed", actor=manager, target=event, booked=booked)
    return booked


# --- reading ---------------------------------------------------------------


def attendance_of(session: Session, event: Event, user_id: int) -> Attendance | None:
    return session.scalars(
        select(Attendance).where(Attendance.event_id == event.id, Attendance.user_id == user_id)
    ).first()


def attendance_sheet(session: Session, event: Event) -> tuple[list[Attendance], list[User]]:
    """What the committee sees: every attendance record, and who has none yet."""
    records = list(
        session.scalars(
            select(Attendance).where(Attendance.event_id == event.id).order_by(Attendance.id)
        )
    )
    marked = {r.user_id for r in records}
    everyone = session.scalars(
        select(User)
        .where(
            User.branch_id.in_(event.branch_ids),
            User.role.in_((Role.MEMBER, Role.COMMITTEE)),
            User.status == AccountStatus.ACTIVE,
        )
        .order_by(User.student_no)
    )
    return records, [u for u in everyone if u.id not in marked]
