"""What each dashboard shows, gathered from ``ranking`` for a page and its charts.

The page's tables and the chart endpoint's JSON are built by the same
function, so a chart and the table under it always show the same numbers.
The chart endpoints pass ``charts_only=True``, which leaves out the parts
no chart draws (rosters, top members, recent activities), and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import readcache
from tracker.activities import queue
from tracker.i18n import category_name
from tracker.ledger.terms import current_term
from tracker.models import AccountStatus, Activity, Branch, User
from tracker.people.scope import Scope
from tracker.periods import Period, standard_period
from tracker.ranking import statistics
from tracker.ranking.branches import BranchStanding, branch_leaderboard
from tracker.ranking.members import MemberSummary, member_leaderboard, member_summary
from tracker.ranking.standings import Standing

DayLabel = Callable[[date], str]
TREND_WEEKS = 12
TOP_MEMBERS = 10
# Beyond this many lines a chart is unreadable; the table lists every branch.
TREND_BRANCHES = 8


def _number(value: Decimal) -> float:
    return float(value)


def iso_day(day: date) -> str:
    return day.isoformat()


def line_chart(
    trend: statistics.Trend, names: dict, kind: str = "line", day_label: DayLabel = iso_day
) -> dict:
    """A weekly trend as a chart; ``day_label`` writes a week's Monday as the page
    writes days, so the chart and the table under it read alike."""
    return {
        "type": kind,
        "labels": [day_label(monday) for monday in trend.weeks],
        "datasets": [
            {"label": names.get(key, ""), "data": [_number(v) for v in values]}
            for key, values in trend.series.items()
        ],
    }


def bar_chart(labels: list[str], datasets: dict[str, list], kind: str = "bar") -> dict:
    return {
        "type": kind,
        "labels": labels,
        "datasets": [
            {"label": label, "data": [_number(v) for v in values]}
            for label, values in datasets.items()
        ],
    }


def _category_names(session: Session) -> dict[int, str]:
    return {c.id: category_name(c) for c in readcache.categories(session).values()}


@dataclass(frozen=True)
class MemberDashboard:
    summary: MemberSummary | None
    trend: statistics.Trend
    categories: list[statistics.CategoryPoints]
    category_period: Period
    recent: list[Activity]
    names: dict[int, str]

    def charts(self, labels: dict[str, str], day_label: DayLabel = iso_day) -> dict:
        return {
            "trend": line_chart(self.trend, {None: labels["points"]}, day_label=day_label),
            "categories": bar_chart(
                [self.names[c.category_id] for c in self.categories],
                {labels["points"]: [c.points for c in self.categories]},
                "doughnut",
            ),
        }


def member_dashboard(
    session: Session, user: User, today: date, *, charts_only: bool = False
) -> MemberDashboard:
    """A member's points this week / month / term, rank in branch, weekly trend,
    points by category (this term, else this academic year) and recent activities."""
    summary = None if charts_only else member_summary(session, user, today)
    everywhere = Scope("school")
    period = current_term(session, today) or standard_period("year", today)
    recent = []
    if not charts_only:
        recent = session.scalars(
            select(Activity)
            .where(Activity.user_id == user.id)
            .order_by(Activity.submitted_at.desc())
            .limit(8)
        ).all()
    return MemberDashboard(
        summary=summary,
        trend=statistics.weekly_trend(
            session, today, everywhere, weeks=TREND_WEEKS, user_id=user.id
        ),
        categories=statistics.points_by_category(session, period, everywhere, user_id=user.id),
        category_period=period,
        recent=list(recent),
        names=_category_names(session),
    )


def committee_waiting(session: Session, committee: User) -> tuple[int, int]:
    """Activities in the committee member's review queue, and registrations to confirm."""
    registrations = session.scalar(
        select(func.count()).where(
            User.branch_id == committee.branch_id, User.status == AccountStatus.PENDING
        )
    )
    return queue.pending_count(session, committee), registrations or 0


@dataclass(frozen=True)
class CommitteeDashboard:
    branch: Branch
    period: Period
    pending: int
    trend: statistics.Trend
    roster: list[statistics.RosterRow]
    inactive: list[statistics.RosterRow]
    inactive_days: int
    names: dict[int, str]

    def charts(self, labels: dict[str, str], day_label: DayLabel = iso_day) -> dict:
        return {"trend_by_category": line_chart(self.trend, self.names, "bar", day_label)}


def committee_dashboard(
    session: Session,
    viewer: User,
    branch: Branch,
    period: Period,
    today: date,
    inactive_days: int,
    *,
    charts_only: bool = False,
) -> CommitteeDashboard:
    """The branch committee's view: activities waiting for review (for a committee member,
    their queue; see ``queue.waiting_shown_to``), weekly trend by category, every
    member's points in the period with their last approved activity, and who has gone
    quiet for ``inactive_days`` days."""
    pending, roster = 0, []
    if not charts_only:
        pending = queue.waiting_shown_to(session, viewer, branch.id)
        roster = statistics.branch_roster(session, branch.id, period)
    return CommitteeDashboard(
        branch=branch,
        period=period,
        pending=pending,
        trend=statistics.weekly_trend(
            session, today, Scope("branch", branch.id), weeks=TREND_WEEKS, split="category"
        ),
        roster=roster,
        inactive=statistics.inactive_members(roster, branch.id, today, inactive_days),
        inactive_days=inactive_days,
        names=_category_names(session),
    )


@dataclass(frozen=True)
class AdvisorDashboard:
    period: Period
    branches: list[BranchStanding]
    trend: statistics.Trend
    categories: list[statistics.CategoryPoints]
    # Ranked members only: someone with no points is nobody's "top".
    top: list[Standing]
    names: dict[int, str]

    @property
    def branch_names(self) -> dict[int, str]:
        return {b.branch_id: b.branch_name for b in self.branches}

    def charts(self, labels: dict[str, str], day_label: DayLabel = iso_day) -> dict:
        names = [b.branch_name for b in self.branches]
        branch_names = self.branch_names
        return {
            "branches": bar_chart(names, {labels["total"]: [b.points for b in self.branches]}),
            # Its own chart: per-member points are a scale apart from totals.
            "per_capita": bar_chart(
                names, {labels["per_capita"]: [b.per_capita for b in self.branches]}
            ),
            "participation": bar_chart(
                names, {labels["participation"]: [b.participation for b in self.branches]}
            ),
            "trend": line_chart(self.trend, branch_names, day_label=day_label),
            "categories": bar_chart(
                [self.names[c.category_id] for c in self.categories],
                {labels["points"]: [c.points for c in self.categories]},
                "doughnut",
            ),
        }


def advisor_dashboard(
    session: Session,
    period: Period,
    scope: Scope,
    today: date,
    category_id: int | None = None,
    *,
    charts_only: bool = False,
) -> AdvisorDashboard:
    """Branches side by side (total, per-capita, participation), weekly trends of
    the leading branches, the category mix and the top members of the scope."""
    branches = branch_leaderboard(session, period, scope, category_id=category_id)
    leading = [b.branch_id for b in branches[:TREND_BRANCHES]]
    return AdvisorDashboard(
        period=period,
        branches=branches,
        trend=statistics.weekly_trend(
            session, today, scope, weeks=TREND_WEEKS, split="branch", only=leading
        ),
        categories=statistics.points_by_category(session, period, scope),
        top=[]
        if charts_only
        else [
            row
            for row in member_leaderboard(
                session, period, scope, category_id=category_id, per_page=TOP_MEMBERS
            ).rows
            if row.rank is not None
        ],
        names=_category_names(session),
    )
