"""The branch leaderboard: total points, points per member, participation and attendance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Select, case, cast, func, or_, select
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput
from tracker.events import rates
from tracker.models import (
    Branch,
    BranchCategoryTotal,
    BranchTotal,
    College,
    Membership,
)
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking.source import earned_points, tenths
from tracker.ranking.standings import TENTH, Paged, ranked_count, shown_rank
from tracker.settings import setting

BRANCH_METRICS = ("total", "per_capita", "adjusted", "participation", "attendance")


@dataclass(frozen=True)
class BranchStanding:
    rank: int | None  # None: nothing to rank by in the period (``shown_rank``)
    branch_id: int
    branch_name: str
    college_name: str
    points: Decimal
    members: int
    active_members: int
    # Expected and actual attendances at closed must-attend events in the period.
    attended: int = 0
    expected: int = 0
    position: int = 0  # in the list, from 1
    # Points per member pulled towards the college's mean (``adjusted_per_capita``).
    adjusted: Decimal = Decimal(0)

    @property
    def attendance(self) -> Decimal | None:
        """Attendance rate at must-attend events, in percent; None when none were held."""
        if not self.expected:
            return None
        return (Decimal(100) * self.attended / self.expected).quantize(TENTH)

    @property
    def per_capita(self) -> Decimal:
        return (self.points / self.members).quantize(TENTH) if self.members else Decimal(0)

    @property
    def participation(self) -> Decimal:
        """Share of members with at least one approved activity, in percent."""
        if not self.members:
            return Decimal(0)
        return (Decimal(100) * self.active_members / self.members).quantize(TENTH)


def _members_during(period: Period, scope: Scope):
    """Members per branch during the period, from the dated memberships.

    Everyone whose membership overlaps the period counts, so a member who
    joined mid-term counts in the branch they joined and in the one they left,
    and one who has since become an advisor (which ends the membership) counts
    for the days they were a member. Read from the index alone.
    """
    return (
        select(
            Membership.branch_id.label("branch_id"),
            func.count(func.distinct(Membership.user_id)).label("members"),
        )
        .where(*member_during(period), scope.branch_filter(Membership.branch_id))
        .group_by(Membership.branch_id)
    )


def member_during(period: Period) -> tuple:
    """The conditions on ``Membership`` of a membership overlapping the period: whom a
    branch counts as its members for the period (the "members" of the branch board)."""
    return (
        Membership.start_on < period.end,
        or_(Membership.end_on.is_(None), Membership.end_on > period.start),
    )


def _per_branch(period: Period, scope: Scope, category_id: int | None):
    """Points and members with activities per branch: the stored branch totals for
    standard periods, the members' sums for custom ranges."""
    if period.is_standard:
        table = BranchCategoryTotal if category_id else BranchTotal
        query = select(
            table.branch_id,
            table.points.label("points"),
            table.active_members.label("active"),
        ).where(
            table.period_kind == period.kind,
            table.period_start == period.start,
            scope.branch_filter(table.branch_id),
        )
        return query.where(table.category_id == category_id) if category_id else query
    earned = earned_points(period, scope, category_id, by_branch=True).subquery()
    return select(
        earned.c.branch_id,
        func.sum(earned.c.points).label("points"),
        func.sum(case((earned.c.entries > 0, 1), else_=0)).label("active"),
    ).group_by(earned.c.branch_id)


def _branch_numbers(period: Period, scope: Scope, category_id: int | None):
    """Every unarchived branch of the scope with its numbers and its college's sums
    (over the college's branches listed), as a subquery."""
    per_branch = _per_branch(period, scope, category_id).subquery()
    members = _members_during(period, scope).subquery()
    attendance = rates.branch_rates_query(period, scope).subquery()
    points = func.coalesce(per_branch.c.points, 0)
    headcount = func.coalesce(members.c.members, 0)
    college = {"partition_by": Branch.college_id}
    return (
        select(
            Branch.id,
            Branch.name,
            College.name.label("college_name"),
            points.label("points"),
            headcount.label("members"),
            func.coalesce(per_branch.c.active, 0).label("active"),
            func.coalesce(attendance.c.attended, 0).label("attended"),
            func.coalesce(attendance.c.expected, 0).label("expected"),
            func.sum(points).over(**college).label("college_points"),
            func.sum(headcount).over(**college).label("college_members"),
        )
        .join(College, College.id == Branch.college_id)
        .outerjoin(per_branch, per_branch.c.branch_id == Branch.id)
        .outerjoin(members, members.c.branch_id == Branch.id)
        .outerjoin(attendance, attendance.c.branch_id == Branch.id)
        .where(Branch.archived_at.is_(None), scope.branch_filter(Branch.id))
        .subquery()
    )


def adjusted_per_capita(points, members, college_points, college_members, k):
    """Points per member pulled towards the college's mean, as if each branch had ``k``
    more members earning the college's average (an empirical-Bayes shrinkage):

        (points + k · college mean) / (members + k),  college mean = college points / members

    A 5-member branch with one busy member no longer outranks a 30-member branch that
    is steadily active; a large branch's figure barely moves. Numbers or SQL columns.
    """
    if isinstance(points, (int, float, Decimal)):
        mean = Decimal(college_points) / college_members if college_members else Decimal(0)
        if members + k == 0:
            return Decimal(0)
        return ((Decimal(points) + k * mean) / (members + k)).quantize(TENTH)
    mean = func.coalesce(cast(college_points, Float) / func.nullif(college_members, 0), 0)
    return (cast(points, Float) + k * mean) / func.nullif(members + k, 0)


def _branch_standings(period: Period, scope: Scope, category_id: int | None, sort: str) -> Select:
    """Every unarchived branch of the scope with its numbers, its rank by
    ``sort`` and its position in the list, as one query."""
    if sort not in BRANCH_METRICS:
        raise InvalidInput({"sort": _l("Unknown order.")})
    b = _branch_numbers(period, scope, category_id)
    k = setting("TRACKER_BRANCH_PRIOR_MEMBERS")
    adjusted = adjusted_per_capita(
        b.c.points, b.c.members, b.c.college_points, b.c.college_members, k
    )
    metric = {
        "total": cast(b.c.points, Float),
        "per_capita": cast(b.c.points, Float) / func.nullif(b.c.members, 0),
        "adjusted": adjusted,
        "participation": cast(b.c.active, Float) / func.nullif(b.c.members, 0),
        "attendance": cast(b.c.attended, Float) / func.nullif(b.c.expected, 0),
    }[sort]
    missing = -1 if sort == "attendance" else 0
    order = func.coalesce(metric, missing).desc()
    # What earns a rank: points, members taking part, or must-attend events held
    # (an attendance of 0% at held events is a rate, ranked last).
    earned = {"participation": b.c.active, "attendance": b.c.expected}.get(sort, b.c.points)
    return select(
        shown_rank(func.rank().over(order_by=order), earned).label("rank"),
        ranked_count(earned).label("ranked"),
        func.row_number()
        .over(order_by=(order, b.c.college_name, b.c.name, b.c.id))
        .label("position"),
        func.count().over().label("total"),
        b.c.id,
        b.c.name,
        b.c.college_name,
        b.c.points,
        b.c.members,
        b.c.active,
        b.c.attended,
        b.c.expected,
        b.c.college_points,
        b.c.college_members,
    )


def _branch_rows(session: Session, ranked, *conditions) -> tuple[list[BranchStanding], int, int]:
    """The branches that meet ``conditions``, how many are listed and how many have a rank."""
    rows = session.execute(select(ranked).where(*conditions).order_by(ranked.c.position)).all()
    k = setting("TRACKER_BRANCH_PRIOR_MEMBERS")
    standings = [
        BranchStanding(
            rank=r.rank,
            branch_id=r.id,
            branch_name=r.name,
            college_name=r.college_name,
            points=tenths(r.points),
            members=int(r.members),
            active_members=int(r.active),
            attended=int(r.attended),
            expected=int(r.expected),
            position=r.position,
            adjusted=adjusted_per_capita(
                tenths(r.points),
                int(r.members),
                tenths(r.college_points),
                int(r.college_members or 0),
                k,
            ),
        )
        for r in rows
    ]
    return standings, rows[0].total if rows else 0, int(rows[0].ranked) if rows else 0


def branch_leaderboard(
    session: Session,
    period: Period,
    scope: Scope,
    *,
    category_id: int | None = None,
    sort: str = "total",
) -> list[BranchStanding]:
    """Every unarchived branch of the scope: total, per-capita, participation and
    attendance rate at must-attend events, ranked by ``sort`` (one of BRANCH_METRICS),
    ties sharing a rank. Sorting by attendance puts branches without must-attend
    events last: they have no rate, which is not a rate of 0."""
    ranked = _branch_standings(period, scope, category_id, sort).subquery()
    return _branch_rows(session, ranked)[0]


@dataclass(frozen=True)
class BranchBoard(Paged):
    """One page of a branch leaderboard, and the viewer's own branch when it is
    on another page."""

    rows: list[BranchStanding]
    page: int
    per_page: int
    total: int
    mine: BranchStanding | None
    ranked: int = 0


def branch_board(
    session: Session,
    period: Period,
    scope: Scope,
    *,
    category_id: int | None = None,
    sort: str = "total",
    page: int = 1,
    per_page: int = 50,
    my_branch_id: int | None = None,
) -> BranchBoard:
    """Page ``page`` of ``branch_leaderboard`` and the viewer's branch: ranked
    in the database, which hands back only the rows shown."""
    ranked = _branch_standings(period, scope, category_id, sort).subquery()
    page = max(page, 1)
    first = (page - 1) * per_page + 1
    rows, total, ranked_branches = _branch_rows(
        session,
        ranked,
        or_(ranked.c.position.between(first, first + per_page - 1), ranked.c.id == my_branch_id),
    )
    if not rows and page > 1:
        total, ranked_branches = session.execute(
            select(func.count(), func.count().filter(ranked.c.rank.is_not(None))).select_from(
                ranked
            )
        ).one()
    on_page = [r for r in rows if first <= r.position < first + per_page]
    mine = next((r for r in rows if r.branch_id == my_branch_id and r not in on_page), None)
    return BranchBoard(on_page, page, per_page, total, mine, ranked_branches)
