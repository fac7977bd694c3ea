"""The school-wide member leaderboard, walked from the points index.

Ranking every member of the school on each request (a window over some
20,000 rows) costs hundreds of milliseconds on SQLite and tens on
PostgreSQL. The school-wide totals (``SchoolTotal``, ``SchoolCategoryTotal``)
are indexed by (points, member), so a page is read by walking that index from
the top, a rank is one count of the totals above it, and the viewer's
neighbours are the next activities of the index: the cost follows the page asked
for, not the size of the school.

A rank is one plus the members above a score: a sum over the distinct
scores above it in the score counts (``ScoreCount``, a histogram kept with
the totals), not a count over every member above. The counts, the viewer's
points and their position are one statement; the page one more; the
viewer's neighbours one (two for a viewer at zero points).

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

from decimal import Decimal

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from tracker.models import Branch, SchoolCategoryTotal, SchoolTotal, ScoreCount, User
from tracker.periods import Period
from tracker.ranking.school_neighbours import neighbour_queries, standings_around
from tracker.ranking.school_rows import (
    Board,
    Viewer,
    count_not_ranked,
    count_of,
    extra_columns,
    members_scoring,
    read_all,
    row_columns,
    standing_of,
    zero_before,
)
from tracker.ranking.standings import (
    TENTH,
    Leaderboard,
    Standing,
    ranked_now,
    shown_rank,
)


def _board(
    session: Session, period: Period, category_id: int | None, viewer_id: int | None
) -> tuple[Board, Viewer | None]:
    """The board's counts and, when the viewer is listed, where they stand: one statement."""
    table = SchoolCategoryTotal if category_id else SchoolTotal
    key = [table.period_kind == period.kind, table.period_start == period.start]
    if category_id:
        key.append(table.category_id == category_id)
    counts = (
        ScoreCount.period_kind == period.kind,
        ScoreCount.period_start == period.start,
        ScoreCount.category_id == (category_id or 0),
    )
    columns = [
        members_scoring(counts, ScoreCount.points > 0).label("positive"),
        members_scoring(counts, ScoreCount.points < 0).label("negative"),
        count_of(User, ranked_now()).label("ranked"),
        # People not ranked now (left, deactivated) who earned points here.
        count_not_ranked(table, key).label("others"),
    ]
    if viewer_id is not None:
        points = select(table.points).where(*key, table.user_id == viewer_id).scalar_subquery()
        columns += [
            select(ranked_now()).where(User.id == viewer_id).scalar_subquery().label("v_ranked"),
            exists().where(*key, table.user_id == viewer_id).label("v_stored"),
            points.label("v_points"),
            members_scoring(counts, ScoreCount.points > points).label("v_above"),
            count_of(table, *key, table.points == points, table.user_id < viewer_id).label(
                "v_tied"
            ),
            # Counted only for a viewer at zero (both databases read a CASE lazily):
            # it walks the members before them.
            case(
                (func.coalesce(points, 0) == 0, zero_before(table, key, viewer_id)), else_=0
            ).label("v_zero"),
        ]
    found = session.execute(select(*columns)).one()
    board = Board(
        table,
        tuple(key),
        counts,
        int(found.positive),
        int(found.negative),
        found.ranked + found.others,
    )
    if viewer_id is None or not (found.v_ranked or found.v_stored):
        return board, None
    viewer = Viewer(
        viewer_id,
        Decimal(found.v_points or 0),
        int(found.v_above or 0),
        int(found.v_tied or 0),
        int(found.v_zero or 0),
    )
    return board, viewer


def _signed(board: Board, above_zero: bool, skip: int, limit: int):
    """Rows of the part above (or below) zero, from the points index."""
    table = board.table
    return (
        select(*row_columns(table))
        .join(User, User.id == table.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(*board.key, table.points > 0 if above_zero else table.points < 0)
        .order_by(table.points.desc(), table.user_id)
        .offset(skip)
        .limit(limit)
    )


def _zero(board: Board, skip: int, limit: int):
    """Rows of the part at zero points: totals of zero, and ranked members without one."""
    table = board.table
    return (
        select(*row_columns(table))
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
    )


def _higher(session: Session, board: Board, points: Decimal) -> int:
    """How many listed members have more points than ``points``."""
    above = session.scalar(select(members_scoring(board.counts, ScoreCount.points > points)))
    return board.higher(points, above)


def _ranked(session: Session, board: Board, rows, first: int) -> list[Standing]:
    """Standings for consecutive rows of the list, the first at position ``first``."""
    standings: list[Standing] = []
    for position, row in enumerate(rows, start=first):
        points = Decimal(row[1] or 0).quantize(TENTH)
        if not standings:
            # The top of the list needs no count, nor does a list without a rank.
            rank = 1 if position == 1 or points <= 0 else _higher(session, board, points) + 1
        elif points == standings[-1].points:
            rank = standings[-1].rank
        else:
            # Sorted by points: the first with a lower score is ranked at its position.
            rank = position
        standings.append(standing_of(row, position, shown_rank(rank, points), board.total))
    return standings


def _slice_queries(board: Board, first: int, last: int) -> list:
    """The reads of the members at list positions ``first`` to ``last`` (from 1)."""
    first, last = max(first, 1), min(last, board.total)
    zero_from = board.positive + 1
    negative_from = board.positive + board.zero + 1
    parts = (  # first position of each part, its last, and how to read it
        (1, board.positive, lambda skip, n: _signed(board, True, skip, n)),
        (zero_from, negative_from - 1, lambda skip, n: _zero(board, skip, n)),
        (negative_from, board.total, lambda skip, n: _signed(board, False, skip, n)),
    )
    queries = []
    for number, (start, end, read) in enumerate(parts):
        low, high = max(first, start), min(last, end)
        if low <= high:
            part = read(low - start, high - low + 1).add_columns(*extra_columns(part=number))
            queries.append(part.subquery())
    return queries


def _in_order(rows) -> list:
    """Rows of a slice in the list's order: by part, then points (none for members
    without a total: at zero) and member."""
    return sorted(rows, key=lambda r: (r.part, -(r[1] or 0), r[0]))


def _slice(session: Session, board: Board, first: int, last: int) -> list[Standing]:
    """The members at list positions ``first`` to ``last`` (from 1), ranked."""
    rows = read_all(session, _slice_queries(board, first, last))
    return _ranked(session, board, _in_order(rows), max(first, 1))


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
    board, viewer = _board(session, period, category_id, viewer_id)
    first = (page - 1) * per_page + 1
    # The page and the viewer's neighbours in one statement.
    queries = _slice_queries(board, first, first + per_page - 1)
    if viewer is not None:
        queries += neighbour_queries(board, viewer)
    read = read_all(session, queries)
    page_rows = _in_order([r for r in read if r.tag == "page"])
    rows = _ranked(session, board, page_rows, max(first, 1))
    near = (
        standings_around(session, board, viewer, [r for r in read if r.tag != "page"])
        if viewer is not None
        else []
    )
    me = next((r for r in near if r.user_id == viewer_id), None)
    if me is not None and around > 1:
        # A wider window (a neighbours-only board) is a slice of the walk, as a page is.
        near = _slice(session, board, max(1, me.position - around), me.position + around)
    return Leaderboard(rows, board.total, page, per_page, me, near, board.positive)
