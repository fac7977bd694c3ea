"""Closing an event: one activity per attendee, booked once, never by one hand.

Closing an event makes one activity per attendee, linked to the event, so
neither a second close nor two people checking one member in can book twice.
Nobody's attendance is booked by their own hand: an attendance checked in
with the code is approved at close, the closer the ledger row's actor
(``event_awards.book_event_attendance``); the organiser's or the closer's own
attendance, and any marked by hand, waits in the review queue for a second
person (``access.may_confirm_attendance``). A branch closes a few events a day
at most, and nothing is booked on a day of a closed term.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from tracker import audit, notify
from tracker.clock import campus_zone, to_campus
from tracker.errors import Conflict
from tracker.events.planning import ensure_manager
from tracker.ledger import terms
from tracker.ledger.event_awards import book_event_attendance
from tracker.models import (
    ATTENDED,
    Activity,
    Attendance,
    AttendanceStatus,
    Branch,
    Event,
    User,
    event_branch,
)
from tracker.people.accounts import branch_on
from tracker.settings import setting


@dataclass(frozen=True)
class Closing:
    booked: int  # approved at close, the closer the actor
    waiting: int  # wait in the review queue for a second person


def needs_second_person(event: Event, attendance: Attendance, closer: User) -> bool:
    """The organiser's or the closer's own attendance, or one marked by hand."""
    return (
        attendance.user_id in (event.created_by_id, closer.id)
        or attendance.status == AttendanceStatus.PRESENT
    )


def _campus_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(to_campus(now).date(), time(0), campus_zone())
    return start, start + timedelta(days=1)


def _close(session: Session, manager: User, event: Event, now: datetime) -> None:
    """Mark the event closed, once, if each of its branches has closes left today.

    One conditional update: of two committee members closing at once only one
    closes, and a branch closes at most ``TRACKER_EVENT_CLOSES_PER_DAY``
    events a campus day (the branches' rows are held first on PostgreSQL, so
    two closes of one branch count one after the other).
    """
    limit = setting("TRACKER_EVENT_CLOSES_PER_DAY", session)
    start, end = _campus_day_bounds(now)
    branch_ids = sorted(event.branch_ids)
    session.execute(
        select(Branch.id).where(Branch.id.in_(branch_ids)).order_by(Branch.id).with_for_update()
    )
    other = aliased(Event)
    spent = (
        select(event_branch.c.branch_id)
        .join(other, other.id == event_branch.c.event_id)
        .where(
            event_branch.c.branch_id.in_(branch_ids),
            other.closed_at >= start,
            other.closed_at < end,
        )
        .group_by(event_branch.c.branch_id)
        .having(func.count() >= limit)
    )
    closed = session.execute(
        update(Event)
        .where(Event.id == event.id, Event.closed_at.is_(None), ~spent.exists())
        .values(closed_at=now, closed_by_id=manager.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed == 1:
        session.refresh(event)
        return
    session.refresh(event)
    if event.closed_at is not None:
        raise Conflict(_l("This event is already closed."))
    spent_ids = list(session.scalars(spent))
    full = session.scalars(select(Branch).where(Branch.id.in_(spent_ids))).first()
    raise Conflict(
        _l(
            "%(branch)s has already closed %(n)d events today; close the others tomorrow.",
            branch=full.name if full else "",
            n=limit,
        )
    )


def close_event(session: Session, manager: User, event: Event, now: datetime) -> Closing:
    """Close the event and make one activity per attendee; returns how many were booked
    and how many wait for a second person.

    An attendance checked in with the code is approved at once, the closer
    recorded as the ledger row's actor. The organiser's or the closer's own
    attendance, and any marked by hand, stays a pending activity linked to
    the event, which someone who neither marked nor closed it must confirm
    (``access.may_confirm_attendance``; the review queue shows it). Refused: a
    day of a closed term, a second close, more closes a day than the setting
    allows. Each booking is single (unique (event, member) activity, one
    award per activity). The caller commits.
    """
    ensure_manager(manager, event)
    if now < event.starts_at:
        raise Conflict(_l("An event can be closed once it has started."))
    day = to_campus(event.starts_at).date()
    terms.ensure_open(session, day)
    _close(session, manager, event, now)
    attendees = session.scalars(
        select(Attendance)
        .where(Attendance.event_id == event.id, Attendance.status.in_(ATTENDED))
        .order_by(Attendance.id)
    ).all()
    booked = waiting = 0
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
        if needs_second_person(event, attendance, manager):
            waiting += 1
            continue
        entry = book_event_attendance(session, activity, manager, now, event.points)
        notify.notify(
            session,
            attendance.user_id,
            "event_points",
            event_id=event.id,
            title=event.title,
            points=entry.points,
        )
        booked += 1
    audit.record(
        session, "event.closed", actor=manager, target=event, booked=booked, waiting=waiting
    )
    return Closing(booked, waiting)
