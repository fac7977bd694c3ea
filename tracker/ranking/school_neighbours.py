"""The viewer's row on the school board and the rows just above and below it, read
from the points index with the board's page (``school_index.leaderboard``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, literal, not_, select
from sqlalchemy.orm import Session

from tracker.models import Branch, ScoreCount, User
from tracker.ranking.school_rows import (
    Board,
    Viewer,
    extra_columns,
    has_total,
    members_scoring,
    read_all,
    row_columns,
    standing_of,
)
from tracker.ranking.standings import (
    Standing,
    ranked_now,
    shown_rank,
)


def position_of(board: Board, viewer: Viewer) -> int:
    """Where the viewer stands, counting from 1."""
    if viewer.points == 0:
        return board.positive + viewer.zero_before + 1
    return board.higher(viewer.points, viewer.above) + viewer.tied_before + 1


def _seek(board: Board, *where, order, tag: str, counted: bool = False):
    """One row next to the viewer in the index: the nearest meeting ``where`` in ``order``,
    with the members above its score when ``counted`` (its rank)."""
    table = board.table
    above = (
        members_scoring(board.counts, ScoreCount.points > table.points) if counted else literal(0)
    )
    return (
        select(*row_columns(table), *extra_columns(above, tag))
        .join(User, User.id == table.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(*board.key, *where)
        .order_by(*order)
        .limit(1)
        .subquery()
    )


def _without_total(board: Board, user_id: int, points: Decimal, after: bool, tag: str):
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
            *extra_columns(tag=tag),
        )
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(ranked_now(), not_(has_total(table, board.key)))
        .order_by(User.id if after else User.id.desc())
        .limit(1)
    )
    if points == 0:
        query = query.where(User.id > user_id if after else User.id < user_id)
    return query.subquery()


def neighbour_queries(board: Board, viewer: Viewer) -> list:
    """The reads of the viewer's row and of the rows next to it (``_neighbours``)."""
    table, uid, points = board.table, viewer.user_id, viewer.points
    mine = (
        select(*row_columns(table), *extra_columns(tag="me"))
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


def _neighbours(session: Session, board: Board, viewer: Viewer, read: list) -> dict:
    """The viewer's row and the rows just before and after it in the index, by side,
    from the rows ``neighbour_queries`` read.

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
        rows.update({row.tag: row for row in read_all(session, wanted)})
    result = {"me": rows["me"]}
    for side, after in (("above", False), ("below", True)):
        candidates = [
            r for r in (rows.get(f"{side}_tied") or rows.get(side), rows.get(f"z_{side}")) if r
        ]
        if candidates:
            pick = min if after else max
            result[side] = pick(candidates, key=lambda r: (-Decimal(r.points or 0), r.id))
    return result


def standings_around(session: Session, board: Board, viewer: Viewer, read: list) -> list[Standing]:
    """The viewer's standing with the members just above and below, from the rows
    ``neighbour_queries`` read."""
    position = position_of(board, viewer)
    rows = _neighbours(session, board, viewer, read)
    points = viewer.points
    rank = board.higher(points, viewer.above) + 1
    near = [standing_of(rows["me"], position, shown_rank(rank, points), board.total)]
    if "above" in rows:
        above = rows["above"]
        above_points = Decimal(above.points or 0)
        above_rank = rank if above_points == points else board.higher(above_points, above.above) + 1
        near.insert(
            0, standing_of(above, position - 1, shown_rank(above_rank, above_points), board.total)
        )
    if "below" in rows:
        below = rows["below"]
        below_points = Decimal(below.points or 0)
        # Sorted by points: the first with a lower score is ranked at its position.
        below_rank = rank if below_points == points else position + 1
        near.append(
            standing_of(below, position + 1, shown_rank(below_rank, below_points), board.total)
        )
    return near
