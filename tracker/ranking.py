"""Totals, ranks and leaderboards: the one place that adds points up for display.

Standard periods read the stored per-period totals (one row per member, so
the cost does not grow with the number of entries); custom date ranges sum
the ledger. Ties share a rank: 1, 2, 2, 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, case, func, literal, select, union
from sqlalchemy.orm import Session

from .models import (
    AccountStatus,
    Activity,
    ActivityStatus,
    Branch,
    Category,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    Role,
    User,
)
from .periods import STANDARD_KINDS, Period, standard_period

RANKED_ROLES = (Role.MEMBER, Role.COMMITTEE)


@dataclass(frozen=True)
class Scope:
    """Where a leaderboard looks: one branch, one college, or the whole school."""

    kind: str  # "branch", "college" or "school"
    id: int | None = None

    def branch_filter(self, column):
        if self.kind == "branch":
            return column == self.id
        if self.kind == "college":
            return column.in_(select(Branch.id).where(Branch.college_id == self.id))
        return literal(True)


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    student_no: str
    branch_id: int | None
    branch_name: str | None
    points: Decimal
    entries: int


def _earned(period: Period, scope: Scope, category_id: int | None):
    """Points and entries per member earned in the scope during the period."""
    if period.is_standard:
        table = MemberCategoryTotal if category_id else MemberTotal
        query = select(
            table.user_id,
            func.sum(table.points).label("points"),
            func.sum(table.entries).label("entries"),
        ).where(
            table.period_kind == period.kind,
            table.period_start == period.start,
            scope.branch_filter(table.branch_id),
        )
        if category_id:
            query = query.where(table.category_id == category_id)
        return query.group_by(table.user_id)
    query = select(
        LedgerEntry.user_id,
        func.sum(LedgerEntry.points).label("points"),
        func.sum(
            case(
                (LedgerEntry.kind == EntryKind.AWARD, 1),
                (LedgerEntry.kind == EntryKind.REVERSAL, -1),
                else_=0,
            )
        ).label("entries"),
    ).where(
        LedgerEntry.earned_on >= period.start,
        LedgerEntry.earned_on < period.end,
        scope.branch_filter(LedgerEntry.branch_id),
    )
    if category_id:
        query = query.where(LedgerEntry.category_id == category_id)
    return query.group_by(LedgerEntry.user_id)


def _standings(period: Period, scope: Scope, category_id: int | None) -> Select:
    """Every ranked member of the scope with their points and rank, as one query.

    Current members appear even with no points; people who earned points in
    the scope during the period and have since moved appear too.
    """
    earned = _earned(period, scope, category_id).subquery()
    current = select(User.id.label("user_id")).where(
        scope.branch_filter(User.branch_id),
        User.status == AccountStatus.ACTIVE,
        User.role.in_(RANKED_ROLES),
    )
    people = union(current, select(earned.c.user_id)).subquery()
    points = func.coalesce(earned.c.points, 0)
    return (
        select(
            people.c.user_id,
            points.label("points"),
            func.coalesce(earned.c.entries, 0).label("entries"),
            func.rank().over(order_by=points.desc()).label("rank"),
        )
        .select_from(people)
        .outerjoin(earned, earned.c.user_id == people.c.user_id)
    )


def _rows(session: Session, ranked, query) -> list[Standing]:
    rows = session.execute(
        query.add_columns(User.name, User.student_no, User.branch_id, Branch.name)
        .join(User, User.id == ranked.c.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
    )
    return [
        Standing(
            rank=r.rank,
            user_id=r.user_id,
            name=r.name,
            student_no=r.student_no,
            branch_id=r.branch_id,
            branch_name=r[-1],
            points=Decimal(r.points or 0).quantize(Decimal("0.1")),
            entries=int(r.entries or 0),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Leaderboard:
    rows: list[Standing]
    total: int
    page: int
    per_page: int
    me: Standing | None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


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
    """One page of the member leaderboard, plus the viewer's own standing."""
    ranked = _standings(period, scope, category_id).subquery()
    base = select(ranked.c.user_id, ranked.c.points, ranked.c.entries, ranked.c.rank)
    total = session.scalar(select(func.count()).select_from(ranked))
    rows = _rows(
        session,
        ranked,
        base.order_by(ranked.c.rank, User.name, ranked.c.user_id)
        .limit(per_page)
        .offset((page - 1) * per_page),
    )
    me = None
    if viewer_id is not None:
        mine = _rows(session, ranked, base.where(ranked.c.user_id == viewer_id))
        me = mine[0] if mine else None
    return Leaderboard(rows=rows, total=total or 0, page=page, per_page=per_page, me=me)


def member_points(session: Session, user_id: int, period: Period) -> Decimal:
    """A member's points in a period, across all branches they were in."""
    if period.is_standard:
        value = session.scalar(
            select(func.sum(MemberTotal.points)).where(
                MemberTotal.user_id == user_id,
                MemberTotal.period_kind == period.kind,
                MemberTotal.period_start == period.start,
            )
        )
    else:
        value = session.scalar(
            select(func.sum(LedgerEntry.points)).where(
                LedgerEntry.user_id == user_id,
                LedgerEntry.earned_on >= period.start,
                LedgerEntry.earned_on < period.end,
            )
        )
    return Decimal(value or 0).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class MemberSummary:
    points: dict[str, Decimal]
    rank_in_branch: Standing | None
    branch_size: int


def member_summary(
    session: Session, user: User, today: date, rank_kind: str = "month"
) -> MemberSummary:
    """A member's points for each standard period and their rank in their branch."""
    totals = {
        kind: member_points(session, user.id, standard_period(kind, today))
        for kind in STANDARD_KINDS
    }
    standing, size = None, 0
    if user.branch_id:
        board = member_leaderboard(
            session,
            standard_period(rank_kind, today),
            Scope("branch", user.branch_id),
            per_page=1,
            viewer_id=user.id,
        )
        standing, size = board.me, board.total
    return MemberSummary(points=totals, rank_in_branch=standing, branch_size=size)


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*: enough for a classmate to recognise, not to copy."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class BranchStats:
    members: int
    participants: int
    points: Decimal
    entries: int
    pending: int
    # (category id, points, entries) for every category with points or entries.
    by_category: list[tuple[int, Decimal, int]]

    @property
    def per_capita(self) -> Decimal:
        if not self.members:
            return Decimal(0)
        return (self.points / self.members).quantize(Decimal("0.1"))

    @property
    def participation(self) -> Decimal:
        """The share of current members with at least one approved entry, 0 to 1."""
        if not self.members:
            return Decimal(0)
        return (Decimal(self.participants) / self.members).quantize(Decimal("0.001"))


def branch_stats(session: Session, branch_id: int, period: Period) -> BranchStats:
    """A branch's points, entries and participation in a period.

    Built from the member standings, so the numbers always agree with the
    leaderboard; points earned there by members who have since moved count
    for the branch, while ``members`` counts the current members.
    """
    scope = Scope("branch", branch_id)
    everyone = member_leaderboard(session, period, scope, per_page=1_000_000).rows
    current = [row for row in everyone if row.branch_id == branch_id]
    by_category = []
    for category in session.scalars(select(Category).order_by(Category.sort_order, Category.id)):
        rows = member_leaderboard(
            session, period, scope, category_id=category.id, per_page=1_000_000
        ).rows
        earned = sum((row.points for row in rows), Decimal(0))
        entries = sum(row.entries for row in rows)
        if earned or entries:
            by_category.append((category.id, earned, entries))
    pending = session.scalar(
        select(func.count()).where(
            Activity.branch_id == branch_id, Activity.status == ActivityStatus.PENDING
        )
    )
    return BranchStats(
        members=len(current),
        participants=sum(1 for row in current if row.entries > 0),
        points=sum((row.points for row in everyone), Decimal(0)),
        entries=sum(row.entries for row in everyone),
        pending=pending or 0,
        by_category=by_category,
    )
