"""Statistics for dashboards and reports: weekly trends, category mix, rosters.

They sum through ``points_source`` (stored totals for standard periods,
the ledger for custom ranges) and take ranks from ``member_leaderboard``,
so a number here is always the number the leaderboards show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.activities import queue
from tracker.models import (
    Activity,
    ActivityStatus,
    Branch,
    BranchCategoryTotal,
    BranchTotal,
    Category,
    MemberCategoryTotal,
    MemberTotal,
    User,
)
from tracker.people.scope import Scope
from tracker.periods import Period, period_start
from tracker.ranking.branches import BranchStanding, branch_leaderboard
from tracker.ranking.members import member_leaderboard
from tracker.ranking.source import points_source, tenths
from tracker.ranking.standings import Standing


@dataclass(frozen=True)
class Trend:
    """Weekly points: ``weeks`` are the Mondays, ``series`` maps a key (a category or
    branch id, or None for the total) to one value a week."""

    weeks: list[date]
    series: dict[int | None, list[Decimal]]


def weekly_trend(
    session: Session,
    today: date,
    scope: Scope,
    *,
    weeks: int = 12,
    user_id: int | None = None,
    split: str | None = None,
    only: list[int] | None = None,
) -> Trend:
    """Points per week for the last ``weeks`` weeks, in total or split by
    "category" or "branch" (``only`` those ids); read from the stored weekly totals."""
    last = period_start("week", today)
    mondays = [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    # Without a member, the branch totals hold the same sums in fewer rows.
    if user_id is None:
        table = BranchCategoryTotal if split == "category" else BranchTotal
    else:
        table = MemberCategoryTotal if split == "category" else MemberTotal
    keys = [table.period_start]
    if split == "category":
        keys.append(table.category_id)
    elif split == "branch":
        keys.append(table.branch_id)
    query = (
        select(*keys, func.sum(table.points))
        .where(
            table.period_kind == "week",
            # Equalities, not a range: each week is one index lookup.
            table.period_start.in_(mondays),
            scope.branch_filter(table.branch_id),
        )
        .group_by(*keys)
    )
    if user_id is not None:
        query = query.where(table.user_id == user_id)
    if only is not None and split:
        query = query.where(keys[1].in_(only))
    elif split == "category":
        # Naming every category lets the index (kind, start, category, branch)
        # seek each week x category straight to the branch, instead of reading
        # every member's row of the week: the cost stays flat as activities grow.
        query = query.where(table.category_id.in_(select(Category.id).scalar_subquery()))
    index = {monday: i for i, monday in enumerate(mondays)}
    series: dict[int | None, list[Decimal]] = {}
    for row in session.execute(query):
        key = row[1] if split else None
        values = series.setdefault(key, [Decimal(0)] * weeks)
        values[index[row[0]]] = tenths(row[-1])
    return Trend(mondays, series)


@dataclass(frozen=True)
class CategoryPoints:
    category_id: int
    key: str
    name_zh: str
    name_en: str
    points: Decimal


def points_by_category(
    session: Session, period: Period, scope: Scope, *, user_id: int | None = None
) -> list[CategoryPoints]:
    """Points per category in the period (adjustments without a category left out)."""
    src = points_source(period, scope, None, per_category=True, per_member=user_id is not None)
    query = (
        select(
            Category.id,
            Category.key,
            Category.name_zh,
            Category.name_en,
            func.sum(src.points).label("points"),
        )
        .join(Category, Category.id == src.category_id)
        .where(*src.where)
        .group_by(Category.id, Category.key, Category.name_zh, Category.name_en)
        .order_by(Category.sort_order)
    )
    if user_id is not None:
        query = query.where(src.user_id == user_id)
    return [
        CategoryPoints(r[0], r[1], r[2], r[3], tenths(r.points)) for r in session.execute(query)
    ]


@dataclass(frozen=True)
class RosterRow:
    standing: Standing
    last_approved_on: date | None

    def inactive_since(self, today: date, days: int) -> bool:
        return self.last_approved_on is None or self.last_approved_on <= today - timedelta(days)


def branch_roster(session: Session, branch_id: int, period: Period) -> list[RosterRow]:
    """Every member of a branch with their points in the period and the day of their
    last approved activity that has not been revoked."""
    board = member_leaderboard(session, period, Scope("branch", branch_id), per_page=100_000)
    # One index walk per member (user_id, occurred_on), newest first, stopping
    # at the first approved activity; a revoked activity is no longer "approved".
    last_day = (
        select(Activity.occurred_on)
        .where(Activity.user_id == User.id, Activity.status == ActivityStatus.APPROVED)
        .order_by(Activity.occurred_on.desc())
        .limit(1)
        .scalar_subquery()
    )
    last = dict(
        session.execute(
            select(User.id, last_day).where(User.id.in_([r.user_id for r in board.rows]))
        ).all()
    )
    return [RosterRow(row, last.get(row.user_id)) for row in board.rows]


def inactive_members(
    roster: list[RosterRow], branch_id: int, today: date, days: int
) -> list[RosterRow]:
    """Current members of the branch (from its roster) with no approved activity in
    the last ``days`` days, longest quiet first."""
    quiet = [
        row
        for row in roster
        if row.standing.branch_id == branch_id and row.inactive_since(today, days)
    ]
    return sorted(quiet, key=lambda r: (r.last_approved_on or date.min, r.standing.name))


def member_category_points(
    session: Session, period: Period, scope: Scope
) -> dict[tuple[int, int], Decimal]:
    """Points per (member, category) earned in the scope during the period."""
    src = points_source(period, scope, None, per_category=True)
    rows = session.execute(
        select(src.user_id, src.category_id, func.sum(src.points))
        .where(*src.where)
        .group_by(src.user_id, src.category_id)
    )
    return {(user_id, category_id): tenths(p) for user_id, category_id, p in rows}


def empty_standing(branch: Branch) -> BranchStanding:
    """The row of a branch no board lists (archived, or without members in the period):
    unranked, with nothing."""
    return BranchStanding(
        rank=None,
        branch_id=branch.id,
        branch_name=branch.name,
        college_name=branch.college.name,
        points=Decimal(0),
        members=0,
        active_members=0,
    )


@dataclass(frozen=True)
class BranchStats:
    """A branch's numbers for a period, as the branch leaderboard counts them."""

    standing: BranchStanding
    entries: int
    pending: int
    # (category id, points, activities) for every category with points or activities.
    by_category: list[tuple[int, Decimal, int]]


def branch_stats(session: Session, branch: Branch, period: Period) -> BranchStats:
    """Points, members, per-capita and participation from ``branch_leaderboard``
    (so the numbers always agree with it), plus activities per category and how many of the
    branch's activities wait for review (``queue.branch_pending_count``)."""
    scope = Scope("branch", branch.id)
    found = branch_leaderboard(session, period, scope)
    standing = found[0] if found else empty_standing(branch)
    src = points_source(period, scope, None, per_category=True)
    by_category = [
        (category_id, tenths(points), int(entries or 0))
        for category_id, points, entries in session.execute(
            select(src.category_id, func.sum(src.points), func.sum(src.entries))
            .where(*src.where)
            .group_by(src.category_id)
            .order_by(src.category_id)
        )
        if points or entries
    ]
    whole = points_source(period, scope, None)
    entries = session.scalar(select(func.sum(whole.entries)).where(*whole.where))
    pending = queue.branch_pending_count(session, branch.id)
    return BranchStats(standing, int(entries or 0), pending, by_category)
