"""Leaderboards: members and branches, for any period, scope and category."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker import conditional
from tracker.clock import campus_today
from tracker.extensions import db
from tracker.ranking.branches import branch_board
from tracker.ranking.visibility import display_names, visible_member_board
from tracker.settings import setting
from tracker.web.filters import filter_choices, parse_filters

bp = Blueprint("rankings", __name__, url_prefix="/leaderboard")
# A school has hundreds of branches: a page of them reads well on a phone and
# renders quickly; the viewer's own branch is shown under any page.
BRANCHES_PER_PAGE = 50


def _filters(board: str, **defaults):
    # Each board remembers the viewer's last period.
    return parse_filters(
        db.session, current_user, request.args, campus_today(), remember=board, **defaults
    )


def _status(filters) -> int:
    """400 when the page shows its form's errors (with the default period's board)."""
    return 400 if filters.errors else 200


def _past_the_end(board, filters):
    """A redirect to the last page when the page asked for is beyond it (an old
    link, members or branches gone since), else None."""
    if board.page <= board.pages:
        return None
    return redirect(url_for(request.endpoint, page=board.pages, **filters.args()))


@bp.get("/")
@login_required
def members():
    filters = _filters("members")
    # The viewer itself, not the request proxy: read once per row.
    viewer = current_user._get_current_object()
    if not filters.errors and (same := conditional.unchanged(viewer, filters.args(), filters.page)):
        return same
    board, view = visible_member_board(
        db.session,
        viewer,
        filters.period,
        filters.scope,
        category_id=filters.category_id,
        page=filters.page,
    )
    if last := _past_the_end(board, filters):
        return last
    names = display_names(db.session, viewer, (*board.rows, *board.around_me), filters.readable)
    return render_template(
        "rankings/members.html",
        board=board,
        filters=filters,
        choices=filter_choices(db.session, viewer, filters.readable),
        names=names,
        me_id=viewer.id,
        view=view,
    ), _status(filters)


@bp.get("/branches")
@login_required
def branches():
    filters = _filters("branches", default_scope="school")
    viewer = current_user._get_current_object()
    if not filters.errors and (same := conditional.unchanged(viewer, filters.args(), filters.page)):
        return same
    board = branch_board(
        db.session,
        filters.period,
        filters.scope,
        category_id=filters.category_id,
        sort=filters.sort,
        page=filters.page,
        per_page=BRANCHES_PER_PAGE,
        my_branch_id=current_user.branch_id,
    )
    if last := _past_the_end(board, filters):
        return last
    return render_template(
        "rankings/branches.html",
        board=board,
        prior_members=setting("TRACKER_BRANCH_PRIOR_MEMBERS"),
        my_branch_id=current_user.branch_id,
        filters=filters,
        choices=filter_choices(db.session, current_user, filters.readable),
    ), _status(filters)
