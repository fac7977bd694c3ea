"""Events and attendance: create, check in, mark, leave, close, attendance rates.

Closing an event books one approved entry per attendee through
``points.approve_entry``; the entry carries the event's id, so neither a
second close nor two people checking one member in can book twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, notify, points
from .accounts import branch_on
from .clock import to_campus
from .errors import Conflict, Forbidden, InvalidInput
from .event_codes import code_matches
from .models import (
    ATTENDED,
    AccountStatus,
    Activity,
    Attendance,
    AttendanceStatus,
    Branch,
    Category,
    Event,
    Role,
    Unit,
    User,
    event_branch,
)
from .models.events import new_event_secret
from .models.types import TENTH
from .permissions import readable_branch_ids

MAX_TITLE = 120
MAX_PLACE = 200
MAX_REASON = 500
MAX_CAPACITY = 10_000
MAX_POINTS = Decimal(20)


@dataclass
class EventInput:
    title: str
    category: Category | None
    place: str
    starts_at: datetime | None
    ends_at: datetime | None
    opens_before: int = 30  # minutes before the start that check-in opens
    closes_after: int = 30  # minutes after the start that check-in closes
    points: Decimal | None = None
    capacity: int | None = None
    mandatory: bool = False
    rotating: bool = False
    branch_ids: list[int] | None = None


def can_manage(user: User, event: Event) -> bool:
    """The committee of one of the event's branches, or an admin."""
    if not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.COMMITTEE and user.branch_id in event.branch_ids


def ensure_manager(user: User, event: Event) -> None:
    if not can_manage(user, event):
        raise Forbidden(_l("Only the committee of the event's branch can do this."))


def default_points(session: Session, category: Category, starts_at: datetime, ends_at: datetime):
    """What the category's rule gives for attending the whole event."""
    day = to_campus(starts_at).date()
    rule = points.rule_for(session, category.id, day)
    if rule is None:
        return None
    minutes = Decimal(int((ends_at - starts_at).total_seconds() // 60))
    quantity = {Unit.MINUTES: minutes, Unit.HOURS: (minutes / 60).quantize(TENTH)}.get(
        category.unit, Decimal(1)
    )
    return points.points_for_quantity(rule, quantity)


def _check_event(session: Session, organiser: User, data: EventInput) -> tuple[list[Branch], dict]:
    errors: dict[str, object] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _l("Please give a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _l("At most %(n)d characters.", n=MAX_TITLE)
    if len((data.place or "").strip()) > MAX_PLACE:
        errors["place"] = _l("At most %(n)d characters.", n=MAX_PLACE)
    if data.category is None or data.category.retired_at is not None:
        errors["category"] = _l("Please choose a category.")
    if data.starts_at is None:
        errors["starts_at"] = _l("Please give the start.")
    elif data.ends_at is None or data.ends_at <= data.starts_at:
        errors["ends_at"] = _l("The end must come after the start.")
    elif data.ends_at - data.starts_at > timedelta(days=1):
        errors["ends_at"] = _l("An event lasts at most one day.")
    if not 0 <= data.opens_before <= 24 * 60:
        errors["opens_before"] = _l("Between %(min)s and %(max)s.", min=0, max=24 * 60)
    if not 1 <= data.closes_after <= 24 * 60:
        errors["closes_after"] = _l("Between %(min)s and %(max)s.", min=1, max=24 * 60)
    if data.capacity is not None and not 1 <= data.capacity <= MAX_CAPACITY:
        errors["capacity"] = _l("Between %(min)s and %(max)s.", min=1, max=MAX_CAPACITY)
    if data.points is not None and not (
        0 <= data.points <= MAX_POINTS and data.points == data.points.quantize(TENTH)
    ):
        errors["points"] = _l("Between 0 and %(max)s, with at most one decimal.", max=MAX_POINTS)
    if organiser.role == Role.ADMIN:
        wanted = set(data.branch_ids or [])
        branches = list(
            session.scalars(
                select(Branch).where(Branch.id.in_(wanted), Branch.archived_at.is_(None))
            )
        )
        if not wanted or len(branches) != len(wanted):
            errors["branch_ids"] = _l("Choose at least one branch.")
    elif organiser.role == Role.COMMITTEE and organiser.is_active and organiser.branch_id:
        branches = [session.get(Branch, organiser.branch_id)]
    else:
        raise Forbidden(_l("Only the branch committee can create events."))
    return branches, errors


def create_event(session: Session, organiser: User, data: EventInput, now: datetime) -> Event:
    """Create an event and tell every member of its branches; the caller commits."""
    branches, errors = _check_event(session, organiser, data)
    if not errors and data.points is None:
        data.points = default_points(session, data.category, data.starts_at, data.ends_at)
        if data.points is None:
            errors["starts_at"] = _l("No point rule applies on that day.")
    if errors:
        raise InvalidInput(errors)
    event = Event(
        title=data.title.strip(),
        category_id=data.category.id,
        place=(data.place or "").strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        checkin_opens_at=data.starts_at - timedelta(minutes=data.opens_before),
        checkin_closes_at=data.starts_at + timedelta(minutes=data.closes_after),
        points=data.points,
        capacity=data.capacity,
        mandatory=data.mandatory,
        rotating=data.rotating,
        created_by_id=organiser.id,
        created_at=now,
        branches=branches,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        "event.created",
        actor=organiser,
        branch_id=branches[0].id if len(branches) == 1 else None,
        target=event,
    )
    members = session.scalars(
        select(User.id).where(
            User.branch_id.in_([b.id for b in branches]),
            User.status == AccountStatus.ACTIVE,
            User.id != organiser.id,
        )
    )
    for member_id in members:
        notify.notify(
            session,
            member_id,
            "event_created",
            event_id=event.id,
            title=event.title,
            when=event.starts_at,
        )
    return event


def rotate_code(session: Session, manager: User, event: Event) -> None:
    """A new secret: every code shown so far stops working."""
    ensure_manager(manager, event)
    event.secret = new_event_secret()
    audit.record(session, "event.code_rotated", actor=manager, target=event)


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


def check_in(session: Session, member: User, event: Event, code: str, now: datetime) -> CheckIn:
    """The member checks in with the event's code during its window; the caller commits."""
    if member.branch_id not in event.branch_ids or not member.logs_activities:
        raise Forbidden(_l("This event is for another branch."))
    if event.closed_at is not None:
        raise Conflict(_l("This event is closed."))
    if now < event.checkin_opens_at:
        raise Conflict(_l("Check-in has not opened yet."))
    if now > event.checkin_closes_at:
        raise Conflict(_l("Check-in has closed."))
    if not code_matches(event, code, now):
        others = [e for e in _open_events(session, now) if e.id != event.id]
        if any(code_matches(e, code, now) for e in others):
            raise InvalidInput({"code": _l("This code belongs to another event.")})
        raise InvalidInput({"code": _l("Wrong or expired code.")})
    return _record(session, event, member, AttendanceStatus.CHECKED_IN, now, None, capacity=True)


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
    if member.branch_id not in event.branch_ids:
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
        entry = points.approve_entry(session, activity, None, now, fixed_points=event.points)
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


def remind_upcoming(session: Session, now: datetime, within: timedelta) -> int:
    """Tell members of events starting within ``within`` (once per event); returns events told."""
    due = session.scalars(
        select(Event).where(
            Event.closed_at.is_(None),
            Event.reminded_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + within,
        )
    ).all()
    for event in due:
        event.reminded_at = now
        members = session.scalars(
            select(User.id).where(
                User.branch_id.in_(event.branch_ids), User.status == AccountStatus.ACTIVE
            )
        )
        for member_id in members:
            notify.notify(
                session,
                member_id,
                "event_soon",
                event_id=event.id,
                title=event.title,
                when=event.starts_at,
                opens=event.checkin_opens_at,
            )
    return len(due)


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


def visible_branch_ids(session: Session, user: User) -> set[int] | None:
    """Branches whose events the user sees: a member's or committee's own, else what they read.

    None means every branch (an admin).
    """
    if user.role in (Role.MEMBER, Role.COMMITTEE):
        return {user.branch_id} if user.branch_id else set()
    return readable_branch_ids(session, user)


def can_see(session: Session, user: User, event: Event) -> bool:
    visible = visible_branch_ids(session, user)
    return visible is None or bool(event.branch_ids & visible)


def events_for_branches(branch_ids: set[int] | None):
    """A query of events for any of the branches (None: every event)."""
    query = select(Event)
    if branch_ids is not None:
        query = query.where(
            Event.id.in_(
                select(event_branch.c.event_id).where(event_branch.c.branch_id.in_(branch_ids))
            )
        )
    return query


def upcoming_events(session: Session, branch_id: int, now: datetime, limit: int = 5) -> list[Event]:
    """Events of the branch that have not ended, soonest first."""
    return list(
        session.scalars(
            events_for_branches({branch_id})
            .where(Event.ends_at >= now, Event.closed_at.is_(None))
            .order_by(Event.starts_at)
            .limit(limit)
        )
    )
