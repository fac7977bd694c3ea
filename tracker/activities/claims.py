"""What an activity claims: a day in its category and, when it has a start, hours.

One real thing earns points once. An event the member attended (checked in
or marked present) claims its day in its category and its hours; an
activity claims its day in its category and, when it has a start time and
a unit of time, its hours. ``checks`` refuses a new activity whose claim
meets one already made; ``flags`` warns the reviewer where a second claim
could not be refused when it was logged (the member checked in afterwards,
one of two activities has no time, two requests crossed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import to_campus
from tracker.models import (
    ATTENDED,
    Activity,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    Category,
    Event,
    Unit,
)

# Units whose quantity is a duration: only these give an activity its hours.
TIMED_UNITS = (Unit.MINUTES, Unit.HOURS)
# Activities that hold their claim: waiting for review or approved.
LIVE = (ActivityStatus.PENDING, ActivityStatus.APPROVED)


@dataclass(frozen=True)
class Claim:
    """A day in a category, and the hours from ``start`` to ``end`` (naive campus time) if known."""

    day: date
    category_id: int
    start: datetime | None = None
    end: datetime | None = None

    @property
    def timed(self) -> bool:
        return self.start is not None and self.end is not None

    def overlaps(self, other: Claim) -> bool:
        """Both have hours, and they share some."""
        return self.timed and other.timed and self.start < other.end and other.start < self.end

    def same_day_untimed(self, other: Claim) -> bool:
        """The same day and category, and one of the two has no hours to tell them apart."""
        return (
            self.day == other.day
            and self.category_id == other.category_id
            and not (self.timed and other.timed)
        )

    def meets_event(self, attended: Claim) -> bool:
        """Hours the event already claims, or (without hours) the event's day in its category."""
        if self.timed:
            return self.overlaps(attended)
        return self.day == attended.day and self.category_id == attended.category_id


def claim_of(
    category: Category, day: date, start_time: time | None, quantity: Decimal | None
) -> Claim:
    """The claim of an activity of ``category`` (logged or about to be)."""
    if start_time is None or quantity is None or category.unit not in TIMED_UNITS:
        return Claim(day, category.id)
    minutes = quantity * 60 if category.unit == Unit.HOURS else quantity
    start = datetime.combine(day, start_time)
    return Claim(day, category.id, start, start + timedelta(minutes=int(minutes)))


def activity_claim(activity: Activity) -> Claim:
    return claim_of(activity.category, activity.occurred_on, activity.start_time, activity.quantity)


@dataclass(frozen=True)
class Attended:
    """An event a member attended, and what that claims."""

    event: Event
    status: AttendanceStatus
    claim: Claim


def _campus(moment: datetime) -> datetime:
    return to_campus(moment).replace(tzinfo=None)


def attended_events(
    session: Session, user_ids: Iterable[int], days: Iterable[date]
) -> dict[int, list[Attended]]:
    """The events each member attended (checked in or marked present) on any of ``days``."""
    ids, wanted = set(user_ids), set(days)
    if not ids or not wanted:
        return {}
    # A day on campus lies within a day of the same UTC date, whatever the zone.
    earliest = datetime.combine(min(wanted) - timedelta(days=1), time(), UTC)
    latest = datetime.combine(max(wanted) + timedelta(days=2), time(), UTC)
    rows = session.execute(
        select(Attendance.user_id, Attendance.status, Event)
        .join(Event, Event.id == Attendance.event_id)
        .where(
            Attendance.user_id.in_(ids),
            Attendance.status.in_(ATTENDED),
            Event.starts_at >= earliest,
            Event.starts_at < latest,
        )
        .order_by(Event.starts_at, Event.id)
    )
    found: dict[int, list[Attended]] = defaultdict(list)
    for user_id, status, event in rows:
        start, end = _campus(event.starts_at), _campus(event.ends_at)
        if start.date() in wanted:
            claim = Claim(start.date(), event.category_id, start, end)
            found[user_id].append(Attended(event, status, claim))
    return found


def live_activities(
    session: Session, user_ids: Iterable[int], days: Iterable[date]
) -> dict[int, list[Activity]]:
    """Each member's activities that hold their claim on any of ``days``."""
    ids, wanted = set(user_ids), set(days)
    if not ids or not wanted:
        return {}
    found: dict[int, list[Activity]] = defaultdict(list)
    for activity in session.scalars(
        select(Activity)
        .where(
            Activity.user_id.in_(ids),
            Activity.occurred_on.in_(wanted),
            Activity.status.in_(LIVE),
        )
        .order_by(Activity.occurred_on, Activity.id)
    ):
        found[activity.user_id].append(activity)
    return found
