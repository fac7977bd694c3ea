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

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import Session

from tracker.models import Branch, SchoolCategoryTotal, SchoolTotal, ScoreCount, User
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
    counts: tuple  # the period's (and category's) score counts
    positive: int  # totals above zero
    negative: int  # totals below zero
    total: int  # everyone listed

    @property
    def zero(self) -> int:
        return self.total - self.positive - self.negative

    def higher(self, points: Decimal, above: int) -> int:
        """How many listed members have more than ``points``, from ``above``: how many
        totals other than zero have more. Below zero, every member at zero (with a
        total of zero or none) is higher too."""
        return above if points >= 0 else above + self.zero


@dataclass(frozen=True)
class _Viewer:
    """The viewer's place on the list, read with the board's counts."""

    user_id: int
    points: Decimal
    # Members above their score (positive points; see ``_Board.higher``), and
    # members at their score before them (a nonzero score).
    above: int
    tied_before: int
    # At zero points: members of the zero part before them (``_zero_before``).
    zero_before: int = 0


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


def _members_scoring(counts, *where):
    """How many members have a score meeting ``where``: a sum over the score counts."""
    return (
        select(func.coalesce(func.sum(ScoreCount.members), 0))
        .where(*counts, *where)
        .scalar_subquery()
    )


def _board(
    session: Session, period: Period, category_id: int | None, viewer_id: int | None
) -> tuple[_Board, _Viewer | None]:
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
        _members_scoring(counts, ScoreCount.points > 0).label("positive"),
        _members_scoring(counts, ScoreCount.points < 0).label("negative"),
        _count(User, ranked_now()).label("ranked"),
        # People not ranked now (left, deactivated) who earned points here.
        _count_not_ranked(table, key).label("others"),
    ]
    if viewer_id is not None:
        points = select(table.points).where(*key, table.user_id == viewer_id).scalar_subquery()
        columns += [
            select(ranked_now()).where(User.id == viewer_id).scalar_subquery().label("v_ranked"),
            exists().where(*key, table.user_id == viewer_id).label("v_stored"),
            points.label("v_points"),
            _members_scoring(counts, ScoreCount.points > points).label("v_above"),
            _count(table, *key, table.points == points, table.user_id < viewer_id).label("v_tied"),
            # Counted only for a viewer at zero (both databases read a CASE lazily):
            # it walks the members before them.
            case(
                (func.coalesce(points, 0) == 0, _zero_before(table, key, viewer_id)), else_=0
            ).label("v_zero"),
        ]
    found = session.execute(select(*columns)).one()
    board = _Board(
        table,
        tuple(key),
        counts,
        int(found.positive),
        int(found.negative),
        found.ranked + found.others,
    )
    if viewer_id is None or not (found.v_ranked or found.v_stored):
        return board, None
    viewer = _Viewer(
        viewer_id,
        Decimal(found.v_points or 0),
        int(found.v_above or 0),
        int(found.v_tied or 0),
        int(found.v_zero or 0),
    )
    return board, viewer


def _columns(table):
    return (
        User.id,
        table.points,
        table.entries,
        User.name,
        User.student_no,
        User.name_public,
        User.branch_id,
        Branch.name.label("branch_name"),
    )


def _signed(board: _Board, above_zero: bool, skip: int, limit: int):
    """Rows of the part above (or below) zero, from the points index."""
    table = board.table
    return (
        select(*_columns(table))
        .join(User, User.id == table.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(*board.key, table.points > 0 if above_zero else table.points < 0)
        .order_by(table.points.desc(), table.user_id)
        .offset(skip)
        .limit(limit)
    )


def _zero(board: _Board, skip: int, limit: int):
    """Rows of the part at zero points: totals of zero, and ranked members without one."""
    table = board.table
    return (
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
    )


def _higher(session: Session, board: _Board, points: Decimal) -> int:
    """How many listed members have more points than ``points``."""
    above = session.scalar(select(_members_scoring(board.counts, ScoreCount.points > points)))
    return board.higher(points, above)


def _ranked(session: Session, board: _Board, rows, first: int) -> list[Standing]:
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
        standings.append(_standing(row, position, shown_rank(rank, points), board.total))
    return standings


def _extra(above=None, tag: str = "page", part: int = 0) -> tuple:
    """The columns every row read here has after ``_columns``: the members above its
    score (for a neighbour's rank), what it was read for, and its part of the list."""
    above = literal(0) if above is None else above
    return above.label("above"), literal(tag).label("tag"), literal(part).label("part")


def _slice_queries(board: _Board, first: int, last: int) -> list:
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
            part = read(low - start, high - low + 1).add_columns(*_extra(part=number))
            queries.append(part.subquery())
    return queries


def _union(session: Session, queries: list) -> list:
    """The rows of several reads, in one statement."""
    if not queries:
        return []
    return session.execute(union_all(*(select(*q.c) for q in queries))).all()


def _in_order(rows) -> list:
    """Rows of a slice in the list's order: by part, then points (none for members
    without a total: at zero) and member."""
    return sorted(rows, key=lambda r: (r.part, -(r[1] or 0), r[0]))


def _slice(session: Session, board: _Board, first: int, last: int) -> list[Standing]:
    """The members at list positions ``first`` to ``last`` (from 1), ranked."""
    rows = _union(session, _slice_queries(board, first, last))
    return _ranked(session, board, _in_order(rows), max(first, 1))


def _zero_before(table, key, user_id: int):
    """How many of the zero part come before a member at zero points (in id order)."""
    # The ranked members before them, less those with points, plus the people
    # not ranked now whose total is listed. Totals before them less the zero
    # ones: two index ranges, where points != 0 would read each total's row.
    return (
        _count(User, ranked_now(), User.id < user_id)
        - (
            _count(table, *key, table.user_id < user_id)
            - _count(table, *key, table.points == 0, table.user_id < user_id)
        )
        + _count_not_ranked(table, key, User.id < user_id)
    )


def _position(board: _Board, viewer: _Viewer) -> int:
    """Where the viewer stands, counting from 1."""
    if viewer.points == 0:
        return board.positive + viewer.zero_before + 1
    return board.higher(viewer.points, viewer.above) + viewer.tied_before + 1


def _seek(board: _Board, *where, order, tag: str, counted: bool = False):
    """One row next to the viewer in the index: the nearest meeting ``where`` in ``order``,
    with the members above its score when ``counted`` (its rank)."""
    table = board.table
    above = (
        _members_scoring(board.counts, ScoreCount.points > table.points) if counted else literal(0)
    )
    return (
        select(*_columns(table), *_extra(above, tag))
        .join(User, User.id == table.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(*board.key, *where)
        .order_by(*order)
        .limit(1)
        .subquery()
    )


def _without_total(board: _Board, user_id: int, points: Decimal, after: bool, tag: str):
    """The nearest ranked member without a total (at zero points) before or after."""
    table = board.table
    query = (
        select(
            User.id,
            literal(0).label("points"),
            literal(0).label("entries"),
            User.name,
            User.student_no,
            User.name_public,
            User.branch_id,
            Branch.name.label("branch_name"),
            *_extra(tag=tag),
        )
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(ranked_now(), not_(_has_total(table, board.key)))
        .order_by(User.id if after else User.id.desc())
        .limit(1)
    )
    if points == 0:
        query = query.where(User.id > user_id if after else User.id < user_id)
    return query.subquery()


def _neighbour_queries(board: _Board, viewer: _Viewer) -> list:
    """The reads of the viewer's row and of the rows next to it (``_neighbours``)."""
    table, uid, points = board.table, viewer.user_id, viewer.points
    mine = (
        select(*_columns(table), *_extra(tag="me"))
        .select_from(User)
        .outerjoin(table, and_(table.user_id == User.id, *board.key))
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(User.id == uid)
        .subquery()
    )
    # At zero the nearest members without a total are always wanted: read at once.
    at_zero = (
        (
            _without_total(board, uid, points, after=False, tag="z_above"),
            _without_total(board, uid, points, after=True, tag="z_below"),
        )
        if points == 0
        else ()
    )
    return [
        # Before those without a total: a union's columns take their types from
        # its first read (points in tenths).
        mine,
        _seek(
            board,
            table.points == points,
            table.user_id < uid,
            order=(table.user_id.desc(),),
            tag="above_tied",
        ),
        _seek(
            board,
            table.points > points,
            order=(table.points, table.user_id.desc()),
            tag="above",
            counted=True,
        ),
        _seek(
            board,
            table.points == points,
            table.user_id > uid,
            order=(table.user_id,),
            tag="below_tied",
        ),
        _seek(
            board,
            table.points < points,
            order=(table.points.desc(), table.user_id),
            tag="below",
        ),
        *at_zero,
    ]


def _neighbours(session: Session, board: _Board, viewer: _Viewer, read: list) -> dict:
    """The viewer's row and the rows just before and after it in the index, by side,
    from the rows ``_neighbour_queries`` read.

    Lists are ordered by (points descending, id): a neighbour is the nearest
    total with equal points, else the nearest other score, or a ranked member
    without a total (at zero points), whichever comes nearer. Away from zero,
    those without a total are looked for only when they can be nearer (looking
    walks the members): in a second statement, once the nearest totals are known.
    """
    uid, points = viewer.user_id, viewer.points
    rows = {row.tag: row for row in read}
    above = rows.get("above_tied") or rows.get("above")
    below = rows.get("below_tied") or rows.get("below")
    wanted = []
    if points < 0 and not (above is not None and above.points < 0):
        wanted.append(_without_total(board, uid, points, after=False, tag="z_above"))
    if points > 0 and not (below is not None and below.points > 0):
        wanted.append(_without_total(board, uid, points, after=True, tag="z_below"))
    if wanted:
        rows.update({row.tag: row for row in _union(session, wanted)})
    result = {"me": rows["me"]}
    for side, after in (("above", False), ("below", True)):
        candidates = [
            r for r in (rows.get(f"{side}_tied") or rows.get(side), rows.get(f"z_{side}")) if r
        ]
        if candidates:
            pick = min if after else max
            result[side] = pick(candidates, key=lambda r: (-Decimal(r.points or 0), r.id))
    return result


def _standing(row, position: int, rank: int | None, total: int) -> Standing:
    user_id, points, entries, name, student_no, name_public, branch_id, branch = row[:8]
    return Standing(
        rank=rank,
        position=position,
        user_id=user_id,
        name=name,
        student_no=student_no,
        branch_id=branch_id,
        branch_name=branch,
        points=Decimal(points or 0).quantize(TENTH),
        entries=int(entries or 0),
        total=total,
        name_public=bool(name_public),
    )


def _around(session: Session, board: _Board, viewer: _Viewer, read: list) -> list[Standing]:
    """The viewer's standing with the members just above and below, from the rows
    ``_neighbour_queries`` read."""
    position = _position(board, viewer)
    rows = _neighbours(session, board, viewer, read)
    points = viewer.points
    rank = board.higher(points, viewer.above) + 1
    near = [_standing(rows["me"], position, shown_rank(rank, points), board.total)]
    if "above" in rows:
        above = rows["above"]
        above_points = Decimal(above.points or 0)
        above_rank = rank if above_points == points else board.higher(above_points, above.above) + 1
        near.insert(
            0, _standing(above, position - 1, shown_rank(above_rank, above_points), board.total)
        )
    if "below" in rows:
        below = rows["below"]
        below_points = Decimal(below.points or 0)
        # Sorted by points: the first with a lower score is ranked at its position.
        below_rank = rank if below_points == points else position + 1
        near.append(
            _standing(below, position + 1, shown_rank(below_rank, below_points), board.total)
        )
    return near


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
        queries += _neighbour_queries(board, viewer)
    read = _union(session, queries)
    page_rows = _in_order([r for r in read if r.tag == "page"])
    rows = _ranked(session, board, page_rows, max(first, 1))
    near = (
        _around(session, board, viewer, [r for r in read if r.tag != "page"])
        if viewer is not None
        else []
    )
    me = next((r for r in near if r.user_id == viewer_id), None)
    if me is not None and around > 1:
        # A wider window (a neighbours-only board) is a slice of the walk, as a page is.
        near = _slice(session, board, max(1, me.position - around), me.position + around)
    return Leaderboard(rows, board.total, page, per_page, me, near, board.positive)
