"""The member leaderboard of a branch, a college or the school, and a member's own points
and rank. Ties share a rank: 1, 2, 2, 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from tracker.ledger import terms
from tracker.models import Branch, MemberTotal, User
from tracker.people.scope import Scope
from tracker.periods import CALENDAR_KINDS, Period, standard_period
from tracker.ranking import school_index
from tracker.ranking.source import default_period, earned_points, points_source
from tracker.ranking.standings import (
    TENTH,
    Leaderboard,
    Standing,
    ranked_count,
    ranked_now,
    shown_rank,
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
        earned = earned_points(period, scope, category_id).cte("earned").prefix_with("MATERIALIZED")
        ids = (
            select(User.id.label("id"))
            .where(scope.branch_filter(User.branch_id), ranked_now())
            .union(select(earned.c.user_id))
            .subquery()
        )
        listed = select().select_from(ids).join(User, User.id == ids.c.id)
        listed = listed.outerjoin(earned, earned.c.user_id == User.id)
    else:
        earned = earned_points(period, scope, category_id).subquery()
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
        shown_rank(func.rank().over(order_by=points.desc()), points).label("rank"),
        func.row_number().over(order_by=(points.desc(), User.id)).label("position"),
        func.count().over().label("total"),
        ranked_count(points).label("ranked"),
        User.name,
        User.student_no,
        User.name_public,
        User.branch_id,
    )


def _rows(session: Session, ranked, *conditions) -> tuple[list[Standing], int]:
    """The standings that meet ``conditions``, and how many of the list have a rank."""
    rows = session.execute(
        select(ranked, Branch.name.label("branch_name"))
        .outerjoin(Branch, Branch.id == ranked.c.branch_id)
        .where(*conditions)
        .order_by(ranked.c.position)
    ).all()
    standings = [
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
            name_public=bool(r.name_public),
        )
        for r in rows
    ]
    return standings, int(rows[0].ranked) if rows else 0


def member_leaderboard(
    session: Session,
    period: Period,
    scope: Scope,
    *,
    category_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    viewer_id: int | None = None,
    around: int = 1,
) -> Leaderboard:
    """One page of the member leaderboard, plus the viewer's own standing and the
    ``around`` members above and below it.

    The whole school's, for a standard period, is walked from the points index
    (``school_index``): ranking every member of the school on each request
    would cost the most on the most read board. Any other is one statement:
    the standings are computed once (a CTE, which both databases materialise
    when it is read twice) and the page, the viewer's row and the rows just
    above and below it are picked from them.
    """
    if period.is_standard and scope.kind == "school" and scope.within is None:
        return school_index.leaderboard(
            session,
            period,
            category_id,
            page=page,
            per_page=per_page,
            viewer_id=viewer_id,
            around=around,
        )
    ranked = _standings(period, scope, category_id).cte("ranked").prefix_with("MATERIALIZED")
    first = (page - 1) * per_page + 1
    wanted = [ranked.c.position.between(first, first + per_page - 1)]
    if viewer_id is not None:
        mine = select(ranked.c.position).where(ranked.c.user_id == viewer_id).scalar_subquery()
        wanted.append(ranked.c.position.between(mine - around, mine + around))
    picked, ranked_members = _rows(session, ranked, or_(*wanted))
    total = picked[0].total if picked else 0
    if not picked and page > 1:
        total, ranked_members = session.execute(
            select(func.count(), func.count().filter(ranked.c.rank.is_not(None))).select_from(
                ranked
            )
        ).one()
    rows = [r for r in picked if first <= r.position < first + per_page]
    me = next((r for r in picked if r.user_id == viewer_id), None)
    near = [r for r in picked if me and abs(r.position - me.position) <= around]
    return Leaderboard(rows, total, page, per_page, me, near, ranked_members)


def member_points(session: Session, user_id: int, period: Period) -> Decimal:
    """A member's points in a period, across all branches they were in."""
    src = points_source(period, Scope("school"), None)
    value = session.scalar(select(func.sum(src.points)).where(*src.where, src.user_id == user_id))
    return Decimal(value or 0).quantize(TENTH)


def points_by_period(
    session: Session, user_id: int, periods: dict[str, Period]
) -> dict[str, Decimal]:
    """A member's points in each of several standard periods, across all branches they
    were in, as ``member_points`` gives them: one statement for them all."""
    wanted = or_(
        *(
            and_(MemberTotal.period_kind == p.kind, MemberTotal.period_start == p.start)
            for p in periods.values()
        )
    )
    found = {
        (kind, start): value
        for kind, start, value in session.execute(
            select(MemberTotal.period_kind, MemberTotal.period_start, func.sum(MemberTotal.points))
            .where(MemberTotal.user_id == user_id, wanted)
            .group_by(MemberTotal.period_kind, MemberTotal.period_start)
        )
    }
    return {
        name: Decimal(found.get((p.kind, p.start)) or 0).quantize(TENTH)
        for name, p in periods.items()
    }


@dataclass(frozen=True)
class MemberSummary:
    points: dict[str, Decimal]
    rank_in_branch: Standing | None
    # How many of the branch are ranked in ``rank_period`` (the "of N").
    branch_size: int
    term: Period | None
    rank_period: Period | None = None


def member_summary(
    session: Session, user: User, today: date, rank_period: Period | None = None
) -> MemberSummary:
    """A member's points for each standard period and their standing in their branch
    in ``rank_period`` (by default the boards' default, ``source.default_period``)."""
    periods = {kind: standard_period(kind, today) for kind in CALENDAR_KINDS}
    term = terms.current_term(session, today)
    if term is not None:
        periods["term"] = term
    totals = points_by_period(session, user.id, periods)
    rank_period = rank_period or default_period(session, today)
    standing, size = None, 0
    if user.branch_id:
        board = member_leaderboard(
            session,
            rank_period,
            Scope("branch", user.branch_id),
            per_page=1,
            viewer_id=user.id,
        )
        standing, size = board.me, board.ranked
    return MemberSummary(
        points=totals, rank_in_branch=standing, branch_size=size, term=term, rank_period=rank_period
    )
