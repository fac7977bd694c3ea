"""Totals and ranks: the one place that adds points up for display.

Every number a page, a chart or an export shows comes from a function here
(or from ``statistics``, which sums through ``points_source`` below), with a
``Period`` (week, month, term, academic year, all time, custom range) and a
``Scope`` (branch, college, school, optionally narrowed to the branches a
viewer may read). Standard periods read the stored per-period totals (one
row per member and branch, so the cost does not grow with the number of
entries); custom ranges sum the ledger through an index that covers the
query. Ties share a rank: 1, 2, 2, 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Select, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from tracker import school_standings
from tracker.errors import InvalidInput
from tracker.events import rates
from tracker.models import (
    Branch,
    BranchCategoryTotal,
    BranchTotal,
    College,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    Membership,
    MemberTotal,
    Term,
    User,
)
from tracker.periods import CALENDAR_KINDS, Period, custom_period, standard_period
from tracker.standings import TENTH, Leaderboard, Paged, Standing, ranked_now

PERIOD_KINDS = ("week", "month", "term", "year", "all", "custom")
BRANCH_METRICS = ("total", "per_capita", "participation", "attendance")
# Longest custom range: a leaderboard over more is an "all time" one.
MAX_CUSTOM_DAYS = 3660


@dataclass(frozen=True)
class Scope:
    """Where a leaderboard looks: one branch, one college, or the whole school.

    ``within`` narrows it to the branches a viewer may read (an advisor's).
    """

    kind: str  # "branch", "college" or "school"
    id: int | None = None
    within: frozenset[int] | None = None

    @property
    def narrows(self) -> bool:
        """Whether it is less than the whole school."""
        return self.kind != "school" or self.within is not None

    def branch_filter(self, column):
        if self.kind == "branch":
            condition = column == self.id
        elif self.kind == "college":
            condition = column.in_(select(Branch.id).where(Branch.college_id == self.id))
        else:
            condition = literal(True)
        if self.within is not None:
            condition = and_(condition, column.in_(sorted(self.within)))
        return condition


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
        query = select(Term)
        if term_id is not None:
            term = session.get(Term, term_id)
        else:
            term = session.scalars(
                query.where(Term.first_day <= today, Term.last_day >= today)
            ).first()
        if term is None:
            message = _l("No such term.") if term_id else _l("No term includes today.")
            raise InvalidInput({"term": message})
        return Period("term", term.first_day, term.last_day + timedelta(days=1), term.name)
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
    """Where per-member points of the period come from: the stored totals for standard
    periods, the ledger for custom ranges. Every sum in this module and in
    ``statistics`` reads through it. Sums that need no member (``per_member``
    False) read the branch totals of standard periods: a row per branch."""
    if period.is_standard:
        categories = category_id or per_category
        if per_member:
            table = MemberCategoryTotal if categories else MemberTotal
        else:
            table = BranchCategoryTotal if categories else BranchTotal
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
    entries = case(
        (LedgerEntry.kind == EntryKind.AWARD, 1),
        (LedgerEntry.kind == EntryKind.REVERSAL, -1),
        else_=0,
    )
    where = [
        LedgerEntry.earned_on >= period.start,
        LedgerEntry.earned_on < period.end,
        scope.branch_filter(LedgerEntry.branch_id),
    ]
    if category_id:
        where.append(LedgerEntry.category_id == category_id)
    elif per_category:
        where.append(LedgerEntry.category_id.is_not(None))
    return _Source(
        LedgerEntry.user_id,
        LedgerEntry.branch_id,
        LedgerEntry.category_id,
        LedgerEntry.points,
        entries,
        tuple(where),
    )


def _earned(period: Period, scope: Scope, category_id: int | None, *, by_branch: bool = False):
    """Points and entries per member (and branch) earned in the scope during the period."""
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


def _standings(period: Period, scope: Scope, category_id: int | None) -> Select:
    """Every ranked member of the scope with points, rank, list position and the
    number of rows, as one query.

    Current members appear even with no points; people who earned points in
    the scope during the period and have since moved appear too. For the
    whole school that is nearly everyone, read in one pass over the users; a
    branch or a college gathers its own members from the branch index and
    the members with points, rather than reading every user of the school.
    """
    if scope.narrows:
        # Read twice (the members with points, and their sums): computed once.
        earned = _earned(period, scope, category_id).cte("earned").prefix_with("MATERIALIZED")
        ids = (
            select(User.id.label("id"))
            .where(scope.branch_filter(User.branch_id), ranked_now())
            .union(select(earned.c.user_id))
            .subquery()
        )
        listed = select().select_from(ids).join(User, User.id == ids.c.id)
        listed = listed.outerjoin(earned, earned.c.user_id == User.id)
    else:
        earned = _earned(period, scope, category_id).subquery()
        listed = (
            select()
            .select_from(User)
            .outerjoin(earned, earned.c.user_id == User.id)
            .where(or_(ranked_now(), earned.c.user_id.is_not(None)))
        )
    points = func.coalesce(earned.c.points, 0)
    return listed.add_columns(
        User.id.label("user_id"),
        points.label("points"),
        func.coalesce(earned.c.entries, 0).label("entries"),
        func.rank().over(order_by=points.desc()).label("rank"),
        func.row_number().over(order_by=(points.desc(), User.id)).label("position"),
        func.count().over().label("total"),
        User.name,
        User.student_no,
        User.branch_id,
    )


def _rows(session: Session, ranked, *conditions) -> list[Standing]:
    rows = session.execute(
        select(ranked, Branch.name.label("branch_name"))
        .outerjoin(Branch, Branch.id == ranked.c.branch_id)
        .where(*conditions)
        .order_by(ranked.c.position)
    )
    return [
        Standing(
            rank=r.rank,
            position=r.position,
            user_id=r.user_id,
            name=r.name,
            student_no=r.student_no,
            branch_id=r.branch_id,
            branch_name=r.branch_name,
            points=Decimal(r.points or 0).quantize(TENTH),
            entries=int(r.entries or 0),
            total=int(r.total),
        )
        for r in rows
    ]


def member_leaderboard(
    session: Session,
    period: Period,
    scope: Scope,
    *,
    category_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    viewer_id: int | None = None,
) -> Leaderboard:
    """One page of the member leaderboard, plus the viewer's own standing and neighbours.

    The whole school's, for a standard period, is walked from the points index
    (``school_standings``): ranking every member of the school on each request
    would cost the most on the most read board. Any other is one statement:
    the standings are computed once (a CTE, which both databases materialise
    when it is read twice) and the page, the viewer's row and the rows just
    above and below it are picked from them.
    """
    if period.is_standard and scope.kind == "school" and scope.within is None:
        return school_standings.leaderboard(
            session, period, category_id, page=page, per_page=per_page, viewer_id=viewer_id
        )
    ranked = _standings(period, scope, category_id).cte("ranked").prefix_with("MATERIALIZED")
    first = (page - 1) * per_page + 1
    wanted = [ranked.c.position.between(first, first + per_page - 1)]
    if viewer_id is not None:
        mine = select(ranked.c.position).where(ranked.c.user_id == viewer_id).scalar_subquery()
        wanted.append(ranked.c.position.between(mine - 1, mine + 1))
    picked = _rows(session, ranked, or_(*wanted))
    total = picked[0].total if picked else 0
    if not picked and page > 1:
        total = session.scalar(select(func.count()).select_from(ranked)) or 0
    rows = [r for r in picked if first <= r.position < first + per_page]
    me = next((r for r in picked if r.user_id == viewer_id), None)
    around = [r for r in picked if me and abs(r.position - me.position) <= 1]
    return Leaderboard(rows, total, page, per_page, me, around)


def member_points(session: Session, user_id: int, period: Period) -> Decimal:
    """A member's points in a period, across all branches they were in."""
    src = points_source(period, Scope("school"), None)
    value = session.scalar(select(func.sum(src.points)).where(*src.where, src.user_id == user_id))
    return Decimal(value or 0).quantize(TENTH)


@dataclass(frozen=True)
class MemberSummary:
    points: dict[str, Decimal]
    rank_in_branch: Standing | None
    branch_size: int
    term: Period | None


def member_summary(
    session: Session, user: User, today: date, rank_kind: str = "month"
) -> MemberSummary:
    """A member's points for each standard period and their rank in their branch."""
    periods = {kind: standard_period(kind, today) for kind in CALENDAR_KINDS}
    term = current_term(session, today)
    if term is not None:
        periods["term"] = term
    totals = {kind: member_points(session, user.id, p) for kind, p in periods.items()}
    standing, size = None, 0
    if user.branch_id:
        board = member_leaderboard(
            session,
            periods.get(rank_kind) or standard_period(rank_kind, today),
            Scope("branch", user.branch_id),
            per_page=1,
            viewer_id=user.id,
        )
        standing, size = board.me, board.total
    return MemberSummary(points=totals, rank_in_branch=standing, branch_size=size, term=term)


def current_term(session: Session, today: date) -> Period | None:
    try:
        return resolve_period(session, "term", today)
    except InvalidInput:
        return None


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*: enough for a classmate to recognise, not to copy."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class BranchStanding:
    rank: int
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
        """Share of members with at least one approved entry, in percent."""
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
        .where(
            Membership.start_on < period.end,
            or_(Membership.end_on.is_(None), Membership.end_on > period.start),
            scope.branch_filter(Membership.branch_id),
        )
        .group_by(Membership.branch_id)
    )


def _per_branch(period: Period, scope: Scope, category_id: int | None):
    """Points and members with entries per branch: the stored branch totals for
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
    earned = _earned(period, scope, category_id, by_branch=True).subquery()
    return select(
        earned.c.branch_id,
        func.sum(earned.c.points).label("points"),
        func.sum(case((earned.c.entries > 0, 1), else_=0)).label("active"),
    ).group_by(earned.c.branch_id)


def _branch_standings(period: Period, scope: Scope, category_id: int | None, sort: str) -> Select:
    """Every unarchived branch of the scope with its numbers, its rank by
    ``sort`` and its position in the list, as one query."""
    if sort not in BRANCH_METRICS:
        raise InvalidInput({"sort": _l("Unknown order.")})
    per_branch = _per_branch(period, scope, category_id).subquery()
    members = _members_during(period, scope).subquery()
    attendance = rates.branch_rates_query(period, scope).subquery()
    points = func.coalesce(per_branch.c.points, 0)
    headcount = func.coalesce(members.c.members, 0)
    active = func.coalesce(per_branch.c.active, 0)
    attended = func.coalesce(attendance.c.attended, 0)
    expected = func.coalesce(attendance.c.expected, 0)
    metric = {
        "total": cast(points, Float),
        "per_capita": cast(points, Float) / func.nullif(headcount, 0),
        "participation": cast(active, Float) / func.nullif(headcount, 0),
        "attendance": cast(attended, Float) / func.nullif(expected, 0),
    }[sort]
    missing = -1 if sort == "attendance" else 0
    order = func.coalesce(metric, missing).desc()
    return (
        select(
            func.rank().over(order_by=order).label("rank"),
            func.row_number()
            .over(order_by=(order, College.name, Branch.name, Branch.id))
            .label("position"),
            func.count().over().label("total"),
            Branch.id,
            Branch.name,
            College.name.label("college_name"),
            points.label("points"),
            headcount.label("members"),
            active.label("active"),
            attended.label("attended"),
            expected.label("expected"),
        )
        .join(College, College.id == Branch.college_id)
        .outerjoin(per_branch, per_branch.c.branch_id == Branch.id)
        .outerjoin(members, members.c.branch_id == Branch.id)
        .outerjoin(attendance, attendance.c.branch_id == Branch.id)
        .where(Branch.archived_at.is_(None), scope.branch_filter(Branch.id))
    )


def _branch_rows(session: Session, ranked, *conditions) -> tuple[list[BranchStanding], int]:
    """The ranked branches that meet ``conditions``, and how many are ranked in all."""
    rows = session.execute(select(ranked).where(*conditions).order_by(ranked.c.position)).all()
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
        )
        for r in rows
    ]
    return standings, rows[0].total if rows else 0


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
    rows, total = _branch_rows(
        session,
        ranked,
        or_(ranked.c.position.between(first, first + per_page - 1), ranked.c.id == my_branch_id),
    )
    if not rows and page > 1:
        total = session.scalar(select(func.count()).select_from(ranked)) or 0
    on_page = [r for r in rows if first <= r.position < first + per_page]
    mine = next((r for r in rows if r.branch_id == my_branch_id and r not in on_page), None)
    return BranchBoard(on_page, page, per_page, total, mine)


def tenths(value) -> Decimal:
    """A sum read back from the database: Decimal when typed, raw tenths otherwise."""
    if isinstance(value, Decimal):
        return value.quantize(TENTH)
    return (Decimal(int(value or 0)) / 10).quantize(TENTH)
