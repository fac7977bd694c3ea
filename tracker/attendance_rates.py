"""Attendance rates per member and per branch, for rankings and dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .clock import to_campus
from .event_planning import events_for_branches
from .models import Attendance, AttendanceStatus, Event, Membership


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
