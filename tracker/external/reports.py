"""What an import of outside points covers (a day, a week, a month or a running
total up to a day) and what it found: each row's booking and each problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from tracker.errors import InvalidInput
from tracker.limits import FIRST_DAY, LAST_DAY
from tracker.models.external import PERIOD_KINDS
from tracker.periods import period_end, period_start


@dataclass(frozen=True)
class Covered:
    """What a report covers: ``kind`` (day, week, month or cumulative) from
    ``start`` to ``end`` (both included; a cumulative report's are its "as of" day)."""

    kind: str
    start: date
    end: date


def covered(kind: str, day: date) -> Covered:
    """The day, week or month containing ``day``, or everything up to ``day``."""
    if kind not in PERIOD_KINDS:
        raise InvalidInput({"period": _l("Unknown period.")})
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            {
                "day": _l(
                    "A day from %(first)s to %(last)s, please.",
                    first=FIRST_DAY.isoformat(),
                    last=LAST_DAY.isoformat(),
                )
            }
        )
    if kind in ("week", "month"):
        start = period_start(kind, day)
        return Covered(kind, start, period_end(kind, start) - timedelta(days=1))
    return Covered(kind, day, day)


@dataclass(frozen=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it
    message: object


@dataclass
class Booking:
    """One matched row: the number reported, what earlier imports booked, the difference."""

    row: int
    user_id: int
    student_no: str
    name: str
    branch_id: int
    value: Decimal
    previous: Decimal
    difference: Decimal
    points: Decimal
    flagged: bool = False
    starting: bool = False  # a baseline's first total of the member: counted, not booked


@dataclass
class PointsReport:
    source_key: str
    covered: Covered
    rows: list[Booking] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    applied: bool = False
    import_id: int | None = None
    baseline: bool = False  # totals recorded as the starting point, nothing booked

    @property
    def points(self) -> Decimal:
        return sum((b.points for b in self.rows if not b.flagged), Decimal(0))

    @property
    def to_book(self) -> list[Booking]:
        return [b for b in self.rows if b.points and not b.flagged]

    @property
    def flagged(self) -> list[Booking]:
        return [b for b in self.rows if b.flagged]
