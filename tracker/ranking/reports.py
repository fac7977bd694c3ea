"""What exports contain: activity records and the period report of a branch.

The numbers come from ``ranking`` (the one place that adds points up); this
module only gathers them into rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.ledger.points import awarded_points
from tracker.models import Activity, ActivityStatus, Branch, Category, User
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking import statistics
from tracker.ranking.branches import BranchStanding, branch_leaderboard
from tracker.ranking.standings import Standing

MAX_EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class ActivityRecord:
    activity: Activity
    member_name: str
    student_no: str
    branch_name: str
    category: Category
    points: Decimal | None


def activity_records(
    session: Session,
    period: Period,
    scope: Scope,
    *,
    category_id: int | None = None,
    status: ActivityStatus | None = None,
    user_id: int | None = None,
) -> list[ActivityRecord]:
    """Activities of the scope whose day falls in the period, newest first, with the
    points each was awarded (None when none stand)."""
    query = (
        select(Activity, User.name, User.student_no, Branch.name, Category)
        .join(User, User.id == Activity.user_id)
        .join(Branch, Branch.id == Activity.branch_id)
        .join(Category, Category.id == Activity.category_id)
        .where(
            Activity.occurred_on >= period.start,
            Activity.occurred_on < period.end,
            scope.branch_filter(Activity.branch_id),
        )
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        .limit(MAX_EXPORT_ROWS)
    )
    if category_id:
        query = query.where(Activity.category_id == category_id)
    if status is not None:
        query = query.where(Activity.status == status)
    if user_id is not None:
        query = query.where(Activity.user_id == user_id)
    rows = session.execute(query).all()
    awarded = awarded_points(session, [r[0].id for r in rows])
    return [
        ActivityRecord(a, name, no, branch, category, awarded.get(a.id))
        for a, name, no, branch, category in rows
    ]


@dataclass(frozen=True)
class ReportLine:
    standing: Standing
    by_category: dict[int, Decimal]
    last_approved_on: date | None


@dataclass(frozen=True)
class BranchReport:
    """The numbers a committee puts in its review: the branch's standing among all
    branches of its college, and every member's points per category."""

    branch: Branch
    period: Period
    standing: BranchStanding | None
    categories: list[Category]
    lines: list[ReportLine]
    # Branches on the college's board, which ``standing.rank`` is out of.
    college_branches: int = 0


def branch_report(session: Session, branch: Branch, period: Period) -> BranchReport:
    scope = Scope("branch", branch.id)
    college = branch_leaderboard(session, period, Scope("college", branch.college_id))
    standing = next((s for s in college if s.branch_id == branch.id), None)
    by_category = statistics.member_category_points(session, period, scope)
    roster = statistics.branch_roster(session, branch.id, period)
    categories = list(session.scalars(select(Category).order_by(Category.sort_order)))
    lines = [
        ReportLine(
            row.standing,
            {c.id: by_category.get((row.standing.user_id, c.id), Decimal(0)) for c in categories},
            row.last_approved_on,
        )
        for row in roster
    ]
    return BranchReport(branch, period, standing, categories, lines, len(college))
