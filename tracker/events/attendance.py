"""Attendance at events: check in, mark present, leave (closing is ``closing``).

One attendance per member and event, and never more attendees than seats,
even when many check in at once: every write is one conditional statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, func, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from tracker import audit, notify
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.events.checkin_checks import CheckinFacts
from tracker.events.codes import code_matches
from tracker.events.planning import ensure_manager
from tracker.models import (
    ATTENDED,
    AccountStatus,
    Attendance,
    AttendanceStatus,
    Event,
    Role,
    User,
)
from tracker.people import access

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


def _seats_taken(event: Event):
    """How many attend the event, as a subquery (aliased: it sits inside writes to the table)."""
    taken = aliased(Attendance)
    return (
        select(func.count())
        .select_from(taken)
        .where(taken.event_id == event.id, taken.status.in_(ATTENDED))
        .scalar_subquery()
    )


def _attendance(session: Session, event: Event, member: User) -> Attendance | None:
    return session.scalars(
        select(Attendance).where(Attendance.event_id == event.id, Attendance.user_id == member.id)
    ).first()


def _insert(
    session: Session,
    event: Event,
    member: User,
    status: AttendanceStatus,
    now: datetime,
    by: User | None,
    seats: int | None,
) -> bool:
    """Insert the member's attendance in one statement, if a seat is left; True if inserted.

    ``INSERT ... SELECT ... WHERE (seats taken) < seats ON CONFLICT DO NOTHING``:
    the count and the insert are one statement, so SQLite (one writer at a
    time) cannot let two check-ins count the same free seat; on PostgreSQL the
    event's row lock (``_lock_open_event``) orders them. A second row for the
    member is not an error but no row: the unique (event, member) answers it.
    """
    columns = Attendance.__table__.c
    row = select(
        literal(event.id, Integer),
        literal(member.id, Integer),
        literal(status, columns.status.type),
        literal(now, columns.recorded_at.type),
        literal(by.id if by else None, Integer),
    ).where(_seats_taken(event) < seats if seats is not None else true())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Attendance.__table__)
        .from_select(["event_id", "user_id", "status", "recorded_at", "recorded_by_id"], row)
        .on_conflict_do_nothing()
        .returning(Attendance.__table__.c.id)
    )
    return session.execute(statement).scalar() is not None


def _attend_after_leave(
    session: Session,
    record: Attendance,
    status: AttendanceStatus,
    now: datetime,
    by: User | None,
    seats: int | None,
) -> bool:
    """The member asked for leave, and came after all: one conditional update, if a seat is left."""
    statement = update(Attendance).where(
        Attendance.id == record.id, Attendance.status.not_in(ATTENDED)
    )
    if seats is not None:
        statement = statement.where(_seats_taken(record.event) < seats)
    changed = session.execute(
        statement.values(
            status=status, recorded_at=now, recorded_by_id=by.id if by else None
        ).execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(record)
    return changed == 1


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

    Capacity and one attendance per member hold under concurrency on both
    databases: each write is one conditional statement (``_insert``,
    ``_attend_after_leave``); whoever finds no free seat is told the event is full.
    """
    _lock_open_event(session, event)
    seats = event.capacity if capacity else None
    record = _attendance(session, event, member)
    if record is None:
        if _insert(session, event, member, status, now, by, seats):
            return CheckIn(_attendance(session, event, member), new=True)
        record = _attendance(session, event, member)  # checked in meanwhile, or full
        if record is None:
            raise Conflict(_l("The event is full."))
    if record.status.attended:
        return CheckIn(record, new=False)
    if _attend_after_leave(session, record, status, now, by, seats):
        return CheckIn(record, new=True)
    if record.status.attended:
        return CheckIn(record, new=False)
    raise Conflict(_l("The event is full."))


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


# Those expected who did not come: no attendance, a leave not approved, a check-in voided.
NOT_ATTENDED = (AttendanceStatus.LEAVE_REQUESTED, AttendanceStatus.VOIDED)


def absentees(session: Session, event: Event) -> list[User]:
    """The members of the event's branches who are absent once it closes (by student number):
    no attendance, a leave not approved or a check-in voided; an approved leave is not absent."""
    records, unmarked = attendance_sheet(session, event)
    absent = unmarked + [r.member for r in records if r.status in NOT_ATTENDED]
    return sorted(absent, key=lambda u: u.student_no)


def statuses_of(
    session: Session, user_id: int, event_ids: list[int]
) -> dict[int, AttendanceStatus]:
    """The member's attendance status at each of the events that has one."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(Attendance.event_id, Attendance.status).where(
            Attendance.user_id == user_id, Attendance.event_id.in_(event_ids)
        )
    )
    return {event_id: status for event_id, status in rows}
