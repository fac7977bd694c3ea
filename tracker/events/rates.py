"""Attendance rates per member and per branch, for rankings and dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from tracker.clock import campus_zone, to_campus
from tracker.events.planning import events_for_branches
from tracker.models import ATTENDED, Attendance, AttendanceStatus, Event, Membership, event_branch

if TYPE_CHECKING:
    from tracker.people.scope import Scope
    from tracker.periods import Period


@dataclass(frozen=True)
class Rate:
    attended: int
    expected: int

    @property
    def rate(self) -> Decimal | None:
        """Share of expected attendances that happened, 0 to 1; None if none were expected."""
        if not self.expected:
            return None
        return (Decimal(self.attended) / self.expected).quantize(Decimal("0.001"))


def attendance_rates(session: Session, branch_id: int, start: date, end: date) -> dict[int, Rate]:
    """Per member of the branch: closed must-attend events in [start, end) they attended.

    A member is expected at each must-attend event (三会一课) of their branch
    held while they were a member of it, unless the committee approved their
    leave; optional events do not lower anyone's rate. The branch's own
    rate is ``branch_rate`` over these same numbers.
    """
    events = session.scalars(
        events_for_branches({branch_id}).where(Event.closed_at.is_not(None), Event.mandatory)
    ).all()
    days = {e.id: to_campus(e.starts_at).date() for e in events}
    events = [e for e in events if start <= days[e.id] < end]
    memberships = session.scalars(select(Membership).where(Membership.branch_id == branch_id)).all()
    marks = {
        (a.event_id, a.user_id): a.status
        for a in session.scalars(
            select(Attendance).where(Attendance.event_id.in_([e.id for e in events]))
        )
    }
    attended: dict[int, int] = {}
    expected: dict[int, int] = {}
    for membership in memberships:
        uid = membership.user_id
        attended.setdefault(uid, 0)
        expected.setdefault(uid, 0)
        for event in events:
            day = days[event.id]
            if day < membership.start_on or (membership.end_on and day >= membership.end_on):
                continue
            status = marks.get((event.id, uid))
            if status == AttendanceStatus.ON_LEAVE:
                continue
            expected[uid] += 1
            if status is not None and status.attended:
                attended[uid] += 1
    return {uid: Rate(attended[uid], expected[uid]) for uid in attended}


def branch_rate(session: Session, branch_id: int, start: date, end: date) -> Rate:
    """The branch's attendance rate: all its members' attendances over all expected."""
    rates = attendance_rates(session, branch_id, start, end).values()
    return Rate(sum(r.attended for r in rates), sum(r.expected for r in rates))


class _CampusDay(FunctionElement):
    """The campus date of a UTC timestamp: (column, zone name, SQLite offset)."""

    type = Date()
    inherit_cache = True


@compiles(_CampusDay, "postgresql")
def _campus_day_postgresql(element, compiler, **kw):
    column, zone, _offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({column} AT TIME ZONE {zone}) AS DATE)"


@compiles(_CampusDay)
def _campus_day_sqlite(element, compiler, **kw):
    column, _zone, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({column}, {offset})"


def campus_day(column) -> ColumnElement[date]:
    """The campus date of a UTC timestamp column, computed by the database.

    PostgreSQL converts with the zone's rules; SQLite knows no zones, so it
    adds the zone's offset now (exact for a zone without daylight saving
    time, such as the campus's; SQLite serves development and tests).
    """
    zone = campus_zone()
    offset = int(datetime.now(zone).utcoffset().total_seconds())
    return _CampusDay(column, literal(zone.key), literal(f"{offset:+d} seconds"))


def branch_rates_query(period: Period, scope: Scope) -> Select:
    """One row per branch of the scope with must-attend events in the period:
    ``branch_id``, ``attended`` and ``expected``, counted as ``attendance_rates``
    counts them (closed must-attend events, members of the branch on the
    event's day, approved leave not expected). Branches without such events
    have no row, so their rate reads as none rather than 0%.
    """
    day = campus_day(Event.starts_at)
    return (
        select(
            event_branch.c.branch_id.label("branch_id"),
            func.sum(case((Attendance.status.in_(ATTENDED), 1), else_=0)).label("attended"),
            func.count().label("expected"),
        )
        .select_from(Event)
        .join(event_branch, event_branch.c.event_id == Event.id)
        .join(
            Membership,
            and_(
                Membership.branch_id == event_branch.c.branch_id,
                Membership.start_on <= day,
                or_(Membership.end_on.is_(None), Membership.end_on > day),
            ),
        )
        .outerjoin(
            Attendance,
            and_(Attendance.event_id == Event.id, Attendance.user_id == Membership.user_id),
        )
        .where(
            Event.mandatory,
            Event.closed_at.is_not(None),
            day >= period.start,
            day < period.end,
            or_(Attendance.status.is_(None), Attendance.status != AttendanceStatus.ON_LEAVE),
            scope.branch_filter(event_branch.c.branch_id),
        )
        .group_by(event_branch.c.branch_id)
    )


def branch_rates(session: Session, period: Period, scope: Scope) -> dict[int, Rate]:
    """Every branch of the scope with must-attend events in the period: its rate."""
    return {
        row.branch_id: Rate(int(row.attended), int(row.expected))
        for row in session.execute(branch_rates_query(period, scope))
    }
