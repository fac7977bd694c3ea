"""What a member leaderboard shows a viewer: which rows (the mode an administrator
chose for the scope) and which names (full, or masked as 张*三), as ``access`` decides.

Every page, export and API response of a member board asks here, so none of
them can show members more than the mode allows (in particular, never the
bottom of a board the administrator chose to cut at the median).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import User
from tracker.people import access
from tracker.people.names import mask_name
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking.members import member_leaderboard
from tracker.ranking.standings import Leaderboard
from tracker.settings import setting


@dataclass(frozen=True)
class BoardView:
    # "full", "upper_half", "neighbours" or "own" (``config.BOARD_MODES``).
    mode: str
    # In the neighbours mode, how many members above and below the viewer's own rank.
    neighbours: int
    # The setting for the scope, which a committee, advisor or admin sees past.
    configured: str

    @property
    def around(self) -> int:
        """How many members above and below the viewer's own row to read."""
        return self.neighbours if self.mode == "neighbours" else 1


def board_view(viewer: User, scope: Scope) -> BoardView:
    """The part of a member leaderboard of ``scope`` this viewer sees."""
    configured = setting(f"TRACKER_BOARD_{scope.kind.upper()}")
    whole = access.sees_whole_board(viewer, scope.kind, scope.id)
    return BoardView(
        mode="full" if whole else configured,
        neighbours=setting("TRACKER_BOARD_NEIGHBOURS"),
        configured=configured,
    )


def visible_member_board(
    session: Session,
    viewer: User,
    period: Period,
    scope: Scope,
    *,
    category_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[Leaderboard, BoardView]:
    """The member leaderboard as ``viewer`` may see it, and the view applied: the
    page, the export and the API show exactly this, never more."""
    view = board_view(viewer, scope)
    board = member_leaderboard(
        session,
        period,
        scope,
        category_id=category_id,
        page=page,
        per_page=per_page,
        viewer_id=viewer.id,
        around=view.around,
    )
    return shown_board(board, view), view


def shown_board(board: Leaderboard, view: BoardView) -> Leaderboard:
    """The board cut to what ``view`` shows: the rows listed, their count (for the pager)
    and the window around the viewer. The viewer's own standing always stays."""
    me = board.me
    if view.mode == "upper_half":
        # The median of those ranked: nobody below it is listed, by name or otherwise.
        cut = (board.ranked + 1) // 2

        def above(row) -> bool:
            return row.rank is not None and row.rank <= cut

        return dataclasses.replace(
            board,
            rows=[r for r in board.rows if above(r)],
            total=min(board.total, cut),
            around_me=[r for r in board.around_me if above(r) or (me and r.user_id == me.user_id)],
        )
    if view.mode == "neighbours":
        # Unranked neighbours are the bottom of the board: a member without points
        # sees only their own row.
        near = [r for r in board.around_me if r.rank is not None] if me and me.rank else []
        return dataclasses.replace(
            board, rows=near, total=len(near), page=1, around_me=near or ([me] if me else [])
        )
    if view.mode == "own":
        return dataclasses.replace(board, rows=[], total=0, page=1, around_me=[me] if me else [])
    return board


def display_names(session: Session, viewer: User, rows, readable) -> dict[int, str]:
    """{member id: the name this viewer sees} for leaderboard rows: full or 张*三."""
    show_all = setting("TRACKER_SHOW_FULL_NAMES")
    rows = list(rows)
    # Standings carry the member's consent; other rows (an export's) are looked up.
    others = {
        row.user_id
        for row in rows
        if row.branch_id != viewer.branch_id and not hasattr(row, "name_public")
    }
    consented = {row.user_id for row in rows if getattr(row, "name_public", False)}
    if others:
        consented |= set(
            session.scalars(select(User.id).where(User.id.in_(others), User.name_public))
        )
    return {
        row.user_id: row.name
        if row.user_id == viewer.id
        or access.sees_full_name(
            viewer, row.branch_id, show_all, readable, row.user_id in consented
        )
        else mask_name(row.name)
        for row in rows
    }
