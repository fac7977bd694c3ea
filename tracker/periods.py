"""Reporting periods: weeks from Monday, months, terms, academic years from 1 September.

Calendar periods (``CALENDAR_KINDS``) are computed from a day alone; a term
(学期) is a stored span of days (``tracker.terms``). All of ``STORED_KINDS``
have stored per-member totals; "custom" ranges do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CALENDAR_KINDS = ("week", "month", "year", "all")
# Kept for the callers that only know calendar periods.
STANDARD_KINDS = CALENDAR_KINDS
# "day" totals are kept per member and per branch (not school-wide) so that a
# custom range reads whole months and the days at its ends (``ranking.source``).
DAY = "day"
STORED_KINDS = ("week", "month", "term", "year", "all", DAY)
ACADEMIC_YEAR_START_MONTH = 9
ALL_TIME_START = date(2000, 1, 1)


def period_start(kind: str, day: date) -> date:
    """The first day of the ``kind`` period that contains ``day``."""
    if kind == DAY:
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":  # calendar quarters: January, April, July, October
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if kind == "year":
        year = day.year if day.month >= ACADEMIC_YEAR_START_MONTH else day.year - 1
        return date(year, ACADEMIC_YEAR_START_MONTH, 1)
    if kind == "all":
        return ALL_TIME_START
    raise ValueError(f"unknown period kind {kind!r}")


def period_end(kind: str, start: date) -> date:
    """The day after the last day of the period beginning on ``start``."""
    if kind == DAY:
        return start + timedelta(days=1)
    if kind == "week":
        return start + timedelta(days=7)
    if kind == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if kind == "quarter":
        month = start.month + 3
        return date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    if kind == "year":
        return start.replace(year=start.year + 1)
    if kind == "all":
        return date(9999, 12, 31)
    raise ValueError(f"unknown period kind {kind!r}")


@dataclass(frozen=True)
class Period:
    """A span of campus days, ``start`` included and ``end`` excluded.

    ``kind`` is one of STORED_KINDS, whose totals are stored, or "custom".
    ``name`` names a term.
    """

    kind: str
    start: date
    end: date
    name: str | None = None

    @property
    def is_standard(self) -> bool:
        return self.kind in STORED_KINDS

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def standard_period(kind: str, today: date) -> Period:
    start = period_start(kind, today)
    return Period(kind, start, period_end(kind, start))


def custom_period(first_day: date, last_day: date) -> Period:
    if last_day < first_day:
        raise ValueError("the period ends before it starts")
    return Period("custom", first_day, last_day + timedelta(days=1))
