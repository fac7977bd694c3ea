"""Where points come from: the scope and period of a question, and the stored totals or
the ledger that answer it.

Standard periods read the stored per-period totals (one row per member and branch, so the
cost does not grow with the number of entries); custom ranges sum the monthly, weekly and
daily totals that tile them. Every sum in
``ranking`` reads through ``points_source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, null, select, union_all
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput
from tracker.ledger import terms
from tracker.models import (
    BranchCategoryTotal,
    BranchTotal,
    MemberCategoryTotal,
    MemberTotal,
    Term,
)
from tracker.people.scope import Scope
from tracker.periods import (
    CALENDAR_KINDS,
    DAY,
    Period,
    custom_period,
    period_end,
    period_start,
    standard_period,
)
from tracker.ranking.standings import TENTH

PERIOD_KINDS = ("week", "month", "term", "year", "all", "custom")


# Without a current term a board opens on the last this-many days.
RECENT_DAYS = 30


def default_period(session: Session, today: date) -> Period:
    """The period a board, a dashboard and a member's rank open on: the current term,
    else the last ``RECENT_DAYS`` days. Not this month: on its first days every
    total is zero, and a ranking of zeros says nothing."""
    return terms.current_term(session, today) or custom_period(
        today - timedelta(days=RECENT_DAYS - 1), today
    )


# Longest custom range: a leaderboard over more is an "all time" one.
MAX_CUSTOM_DAYS = 3660


def resolve_period(
    session: Session,
    kind: str,
    today: date,
    *,
    term_id: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Period:
    """The period a request names: a calendar period containing ``today``, the
    current term (or the term ``term_id``), or a custom range of days."""
    if kind in CALENDAR_KINDS:
        return standard_period(kind, today)
    if kind == "term":
        term = session.get(Term, term_id) if term_id is not None else terms.term_on(session, today)
        if term is None:
            message = _l("No such term.") if term_id else _l("No term includes today.")
            raise InvalidInput({"term": message})
        return terms.term_period(term)
    if kind == "custom":
        if first_day is None or last_day is None:
            raise InvalidInput({"from": _l("Give the first and the last day of the range.")})
        if last_day < first_day:
            raise InvalidInput({"to": _l("The range ends before it starts.")})
        if (last_day - first_day).days > MAX_CUSTOM_DAYS:
            raise InvalidInput({"to": _l("A custom range covers at most ten years.")})
        return custom_period(first_day, last_day)
    raise InvalidInput({"period": _l("Unknown period.")})


@dataclass(frozen=True)
class _Source:
    """Where per-member points for a period come from, as columns and conditions."""

    user_id: object
    branch_id: object
    category_id: object
    points: object
    entries: object
    where: tuple


def points_source(
    period: Period,
    scope: Scope,
    category_id: int | None,
    per_category: bool = False,
    per_member: bool = True,
):
    """Where per-member points of the period come from: the stored totals of the period
    for standard periods, of its months and end days for custom ranges. Every sum in
    this module and in ``statistics`` reads through it. Sums that need no member
    (``per_member`` False) read the branch totals: a row per branch and day or month."""
    if period.is_standard:
        table = _totals_table(bool(category_id or per_category), per_member)
        where = [
            table.period_kind == period.kind,
            table.period_start == period.start,
            scope.branch_filter(table.branch_id),
        ]
        if category_id:
            where.append(table.category_id == category_id)
        return _Source(
            getattr(table, "user_id", None),
            table.branch_id,
            getattr(table, "category_id", None),
            table.points,
            table.entries,
            tuple(where),
        )
    return _range_source(period, scope, category_id, per_category, per_member)


def _totals_table(per_category: bool, per_member: bool):
    """The stored totals a sum reads: per member or per branch, per category or not."""
    if per_member:
        return MemberCategoryTotal if per_category else MemberTotal
    return BranchCategoryTotal if per_category else BranchTotal


def _spans(period: Period) -> list[tuple[str, date, date]]:
    """A custom range as stored totals: (kind, first start, end) of the whole months
    inside it, and around them of the whole weeks and then single days, which cover it
    exactly with the fewest rows (most members have a total in most months and weeks,
    few on a given day): Friday 4 September to 2 December 2026 is three days, three
    weeks, three days, October and November, and two days."""
    first_month = period_start("month", period.start)
    if first_month < period.start:
        first_month = period_end("month", first_month)
    months_end = period_start("month", period.end)
    if first_month >= months_end:
        return _weeks_and_days(period.start, period.end)
    return [
        *_weeks_and_days(period.start, first_month),
        ("month", first_month, months_end),
        *_weeks_and_days(months_end, period.end),
    ]


def _weeks_and_days(first: date, end: date) -> list[tuple[str, date, date]]:
    """Days ``first`` to ``end`` (excluded): the whole weeks inside, days around them."""
    monday = first + timedelta(days=-first.weekday() % 7)
    weeks_end = monday + timedelta(days=7 * max(0, (end - monday).days // 7))
    spans = [(DAY, first, end)]
    if monday < weeks_end:
        spans = [(DAY, first, monday), ("week", monday, weeks_end), (DAY, weeks_end, end)]
    return [span for span in spans if span[1] < span[2]]


def _range_source(
    period: Period, scope: Scope, category_id: int | None, per_category: bool, per_member: bool
) -> _Source:
    """A custom range from the stored totals: whole months, whole weeks and single days
    (``_spans``), so its cost follows the members and the length of the range, never
    the number of entries."""
    categories = category_id or per_category
    table = _totals_table(bool(categories), per_member)
    columns = [
        getattr(table, "user_id", null()).label("user_id"),
        table.branch_id.label("branch_id"),
        getattr(table, "category_id", null()).label("category_id"),
        table.points.label("points"),
        table.entries.label("entries"),
    ]
    parts = []
    for kind, first, end in _spans(period):
        part = select(*columns).where(
            table.period_kind == kind,
            table.period_start >= first,
            table.period_start < end,
            scope.branch_filter(table.branch_id),
        )
        if category_id:
            part = part.where(table.category_id == category_id)
        parts.append(part)
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("in_range")
    return _Source(
        rows.c.user_id if per_member else None,
        rows.c.branch_id,
        rows.c.category_id if categories else None,
        rows.c.points,
        rows.c.entries,
        (),
    )


def earned_points(
    period: Period, scope: Scope, category_id: int | None, *, by_branch: bool = False
):
    """Points and activities per member (and branch) earned in the scope during the period."""
    src = points_source(period, scope, category_id)
    keys = [src.user_id.label("user_id")]
    if by_branch:
        keys.append(src.branch_id.label("branch_id"))
    return (
        select(
            *keys,
            func.sum(src.points).label("points"),
            func.sum(src.entries).label("entries"),
        )
        .where(*src.where)
        .group_by(*keys)
    )


def tenths(value) -> Decimal:
    """A sum read back from the database: Decimal when typed, raw tenths otherwise."""
    if isinstance(value, Decimal):
        return value.quantize(TENTH)
    return (Decimal(int(value or 0)) / 10).quantize(TENTH)
