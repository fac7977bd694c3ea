"""The school-wide member leaderboard, walked from the points index.

Ranking every member of the school on each request (a window over some
20,000 rows) costs hundreds of milliseconds on SQLite and tens on
PostgreSQL. The school-wide totals (``SchoolTotal``, ``SchoolCategoryTotal``)
are indexed by (points, member), so a page is read by walking that index from
the top, a rank is one count of the totals above it, and the viewer's
neighbours are the next activities of the index: the cost follows the page asked
for, not the size of the school.

The list is the one ``ranking._standings`` gives for the school, in the same
order (points, highest first, then the member's id) with the same ranks (1,
2, 2, 4, and none from zero points down: ``standings.shown_rank``); a test
compares the two position by position. Its members are
everyone with a total in the period, and every member ranked now (see
``standings.ranked_now``) without one, at zero points. In order, it has three
parts:

1. totals above zero, from the points index;
2. zero points: totals of zero, and ranked members without a total;
3. totals below zero (adjustments).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from tracker.models import Branch, SchoolCategoryTotal, SchoolTotal, User
from tracker.periods import Period
from tracker.ranking.standings import (
    TENTH,
    Leaderboard,
    Standing,
    not_ranked_now,
    ranked_now,
    shown_rank,
)

ZERO = Decimal(0)


@dataclass(frozen=True)
class _Board:
    table: type
    key: tuple
    positive: int  # totals above zero
    negative: int  # totals below zero
    stored: int  # members with a total for the period
    total: int  # everyone listed

    @property
    def zero(self) -> int:
        return self.total - self.positive - self.negative

    @property
    def without_total(self) -> int:
        return self.total - self.stored


def _count(table, *where):
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


def _has_total(table, key):
    return exists().where(*key, table.user_id == User.id)


def _count_not_ranked(table, key, *where):
    """How many people not ranked now (left, deactivated, advisors) have a total here."""
    inactive, other_roles = (
        _count(User, part, *where, _has_total(table, key)) for part in not_ranked_now()
    )
    return inactive + other_roles


def _board(session: Session, period: Period, category_id: int | None) -> _Board:
    table = SchoolCategoryTotal if category_id else SchoolTotal
    key = [table.period_kind == period.kind, table.period_start == period.start]
    if category_id:
        key.append(table.category_id == category_id)
    # One pass over the period's totals for the three counts of them.
    positive, negative, stored, ranked, others = session.execute(
        select(
            func.count().filter(table.points > 0),
            func.count().filter(table.points < 0),
            func.count(),
            _count(User, ranked_now()),
            # People not ranked now (left, deactivated) who earned points here.
            _count_not_ranked(table, key),
        )
        .select_from(table)
        .where(*key)
    ).one()
    return _Board(table, tuple(key), positive, negative, stored, ranked + others)


def _columns(table):
    return (
        User.id,
        table.points,
        table.entries,
        User.name,
        User.student_no,
        User.branch_id,
        Branch.name,
    )


def _signed(session: Session, board: _Board, above_zero: bool, skip: int, limit: int):
    """Rows of the part above (or below) zero, from the points index."""
    table = board.table
    return session.execute(
        select(*_columns(table))
        .join(User, User.id == table.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(*board.key, table.points > 0 if above_zero else table.points < 0)
        .order_by(table.points.desc(), table.user_id)
        .offset(skip)
        .limit(limit)
    ).all()


def _zero(session: Session, board: _Board, skip: int, limit: int):
    """Rows of the part at zero points: totals of zero, and ranked members without one."""
    table = board.table
    return session.execute(
        select(*_columns(table))
        .select_from(User)
        .outerjoin(table, and_(table.user_id == User.id, *board.key))
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(
            or_(table.user_id.is_(None), table.points == 0),
            or_(ranked_now(), table.user_id.is_not(None)),
        )
        .order_by(User.id)
        .offset(skip)
        .limit(limit)
    ).all()


def _higher(session: Session, board: _Board, points: Decimal) -> int:
    """How many listed members have more points than ``points``."""
    table = board.table
    stored = session.scalar(select(_count(table, *board.key, table.points > points)))
    # Below zero, everyone listed without a total (at zero points) is higher too.
    return stored + (board.without_total if points < 0 else 0)


def _ranked(session: Session, board: _Board, rows, first: int) -> list[Standing]:
    """Standings for consecutive rows of the list, the first at position ``first``."""
    standings: list[Standing] = []
    for position, (user_id, points, entries, name, student_no, branch_id, branch) in enumerate(
        rows, start=first
    ):
        points = Decimal(points or 0).quantize(TENTH)
        if not standings:
            # The top of the list needs no count, nor does a list without a rank.
            rank = 1 if position == 1 or points <= 0 else _higher(session, board, points) + 1
        elif points == standings[-1].points:
            rank = standings[-1].rank
        else:
            # Sorted by points: the first with a lower score is ranked at its position.
            rank = position
        standings.append(
            Standing(
                rank=shown_rank(rank, points),
                position=position,
                user_id=user_id,
                name=name,
                student_no=student_no,
                branch_id=branch_id,
                branch_name=branch,
                points=points,
                entries=int(entries or 0),
                total=board.total,
            )
        )
    return standings


def _slice(session: Session, board: _Board, first: int, last: int) -> list[Standing]:
    """The members at list positions ``first`` to ``last`` (from 1), ranked."""
    first, last = max(first, 1), min(last, board.total)
    zero_from = board.positive + 1
    negative_from = board.positive + board.zero + 1
    parts = (  # first position of each part, its last, and how to read it
        (1, board.positive, lambda skip, n: _signed(session, board, True, skip, n)),
        (zero_from, negative_from - 1, lambda skip, n: _zero(session, board, skip, n)),
        (negative_from, board.total, lambda skip, n: _signed(session, board, False, skip, n)),
    )
    rows = []
    for start, end, read in parts:
        low, high = max(first, start), min(last, end)
        if low <= high:
            rows.extend(read(low - start, high - low + 1))
    return _ranked(session, board, rows, first)


def _points_of(session: Session, board: _Board, user_id: int) -> Decimal | None:
    """A member's points in the list, or None when they are not on it."""
    table = board.table
    found = session.execute(
        select(ranked_now().label("ranked"), table.user_id, table.points)
        .select_from(User)
        .outerjoin(table, and_(table.user_id == User.id, *board.key))
        .where(User.id == user_id)
    ).one_or_none()
    if found is None or not (found.ranked or found.user_id is not None):
        return None
    return Decimal(found.points or 0)


def _position(session: Session, board: _Board, user_id: int, points: Decimal) -> int:
    """Where a listed member with ``points`` stands, counting from 1."""
    table = board.table
    if points != 0:
        tied_before = session.scalar(
            select(_count(table, *board.key, table.points == points, table.user_id < user_id))
        )
        return _higher(session, board, points) + tied_before + 1
    # Zero points: the ranked members before them, less those with points,
    # plus the people not ranked now whose total is listed.
    ranked_before, nonzero_before, others_before = session.execute(
        select(
            _count(User, ranked_now(), User.id < user_id),
            # Totals before them less the zero ones: two index ranges, where
            # points != 0 would read each total's row.
            _count(table, *board.key, table.user_id < user_id)
            - _count(table, *board.key, table.points == 0, table.user_id < user_id),
            _count_not_ranked(table, board.key, User.id < user_id),
        )
    ).one()
    return board.positive + ranked_before - nonzero_before + others_before + 1


def _neighbour(session: Session, board: _Board, user_id: int, points: Decimal, after: bool):
    """The id of the member just before (or after) a listed member, or None.

    Lists are ordered by (points descending, id): the neighbour is the nearest
    total in the index, or a ranked member without a total (at zero points),
    whichever comes nearer.
    """
    table = board.table
    # Two seeks rather than one OR, which neither database reads as one range:
    # the nearest member with equal points, else the nearest other score.
    tied = table.user_id > user_id if after else table.user_id < user_id
    stored = session.execute(
        select(table.points, table.user_id)
        .where(*board.key, table.points == points, tied)
        .order_by(table.user_id if after else table.user_id.desc())
        .limit(1)
    ).one_or_none()
    if stored is None:
        stored = session.execute(
            select(table.points, table.user_id)
            .where(*board.key, table.points < points if after else table.points > points)
            .order_by(
                *(
                    (table.points.desc(), table.user_id)
                    if after
                    else (table.points, table.user_id.desc())
                )
            )
            .limit(1)
        ).one_or_none()
    candidates = [(Decimal(stored.points), stored.user_id)] if stored else []
    # Members without a total sit at zero points, ordered by id among the zero
    # totals; they can be nearer only when the nearest total is not on the far
    # side of zero (looking for them walks the members, so it is skipped then).
    beyond = stored is not None and (stored.points > 0 if after else stored.points < 0)
    if not beyond and ((after and points >= 0) or (not after and points <= 0)):
        without = (
            select(User.id)
            .where(ranked_now(), not_(_has_total(table, board.key)))
            .order_by(User.id if after else User.id.desc())
            .limit(1)
        )
        if points == 0:
            without = without.where(User.id > user_id if after else User.id < user_id)
        found = session.scalar(without)
        if found is not None:
            candidates.append((ZERO, found))
    if not candidates:
        return None
    pick = min if after else max
    return pick(candidates, key=lambda candidate: (-candidate[0], candidate[1]))[1]


def _rows_of(session: Session, board: _Board, user_ids: list[int]) -> dict[int, tuple]:
    table = board.table
    rows = session.execute(
        select(*_columns(table))
        .select_from(User)
        .outerjoin(table, and_(table.user_id == User.id, *board.key))
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(User.id.in_(user_ids))
    ).all()
    return {row[0]: row for row in rows}


def _around(session: Session, board: _Board, user_id: int) -> list[Standing]:
    """A listed member's standing with the members just above and below, or []."""
    points = _points_of(session, board, user_id)
    if points is None:
        return []
    position = _position(session, board, user_id, points)
    above = _neighbour(session, board, user_id, points, after=False)
    below = _neighbour(session, board, user_id, points, after=True)
    ids = [i for i in (above, user_id, below) if i is not None]
    rows = _rows_of(session, board, ids)
    first = position - 1 if above is not None else position
    return _ranked(session, board, [rows[i] for i in ids], first)


def leaderboard(
    session: Session,
    period: Period,
    category_id: int | None,
    *,
    page: int,
    per_page: int,
    viewer_id: int | None,
    around: int = 1,
) -> Leaderboard:
    """One page of the whole school's member leaderboard for a standard period,
    with the viewer's own standing and the ``around`` members above and below."""
    board = _board(session, period, category_id)
    first = (page - 1) * per_page + 1
    rows = _slice(session, board, first, first + per_page - 1)
    near = _around(session, board, viewer_id) if viewer_id is not None else []
    me = next((r for r in near if r.user_id == viewer_id), None)
    if me is not None and around > 1:
        # A wider window (a neighbours-only board) is a slice of the walk, as a page is.
        near = _slice(session, board, max(1, me.position - around), me.position + around)
    return Leaderboard(rows, board.total, page, per_page, me, near, board.positive)
