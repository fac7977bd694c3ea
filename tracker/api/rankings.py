"""Leaderboards and branch statistics through the API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker import conditional
from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.board_schemas import BRANCH_LEADERBOARD, BRANCH_STATS, LEADERBOARD
from tracker.api.errors import BadRequest
from tracker.api.schemas import DAY, ID, PAGING
from tracker.api.spec import Param
from tracker.api.validation import query_args
from tracker.clock import campus_today
from tracker.errors import InvalidInput, NotFound
from tracker.extensions import db
from tracker.models import Branch, Category, Term, User
from tracker.people.scope import resolve_scope
from tracker.periods import Period
from tracker.ranking import statistics
from tracker.ranking.branches import BRANCH_METRICS, BranchStanding, branch_board
from tracker.ranking.source import PERIOD_KINDS, resolve_period
from tracker.ranking.standings import Standing
from tracker.ranking.visibility import BoardView, display_names, visible_member_board

PERIOD_PARAMS = (
    Param(
        "period",
        {"type": "string", "enum": list(PERIOD_KINDS), "default": "month"},
        "week, month, term (the current one, or term_id), academic year (from 1 September), "
        "all time, or custom (from and to) — the same periods as the leaderboard pages",
    ),
    Param("term_id", ID, "With period=term: this term rather than the current one"),
    Param("from", DAY, "First day of a custom period"),
    Param("to", DAY, "Last day of a custom period"),
)


def _period(args: dict[str, Any]) -> Period:
    """The period the query names, resolved as the leaderboard pages resolve it.

    A malformed custom range is 400; period=term when no term includes today is
    422 (the request is well-formed, the campus has no current term); an
    unknown term_id is 404.
    """
    kind = args["period"]
    if kind == "custom":
        errors = {n: _l("Please fill this in.") for n in ("from", "to") if not args.get(n)}
        if errors:
            raise BadRequest(errors)
    term_id = args.get("term_id") if kind == "term" else None
    if term_id is not None and db.session.get(Term, term_id) is None:
        raise NotFound()
    try:
        return resolve_period(
            db.session,
            kind,
            campus_today(),
            term_id=term_id,
            first_day=args.get("from"),
            last_day=args.get("to"),
        )
    except InvalidInput as error:
        if kind == "custom":
            raise BadRequest(error.errors) from None
        raise


def _period_body(period: Period) -> dict[str, str]:
    return {
        "kind": period.kind,
        "first_day": serialize.day(period.start),
        "last_day": serialize.day(period.last_day),
    }


def _category_id(key: str | None) -> int | None:
    if not key:
        return None
    found = db.session.scalar(select(Category.id).where(Category.key == key))
    if found is None:
        raise BadRequest({"category": _l("No such category.")})
    return found


def _scope(user: User, kind: str, scope_id: int | None):
    """The scope asked for, narrowed to what the caller may read: the leaderboard pages' rule."""
    branch_id = scope_id if kind == "branch" else None
    college_id = scope_id if kind == "college" else None
    scope, _branch, _college, readable = resolve_scope(
        db.session, user, kind, branch_id, college_id
    )
    return scope, readable


def _standing(row: Standing, names: dict[int, str]) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "member": {"id": row.user_id, "name": names[row.user_id]},
        "branch": {"id": row.branch_id, "name": row.branch_name} if row.branch_id else None,
        "points": serialize.number(row.points),
        "entries": row.entries,
    }


@api.route(
    "/leaderboard/members",
    "GET",
    summary="Member leaderboard",
    description="Members of a branch, a college or the school; ties share a rank. A member "
    "with no points in the period has `rank` null and is not counted in `ranked`. "
    "`me` is the caller's own standing, on any page. Members see their own branch, "
    "college and the school, advisors what they are assigned. `visibility` says how much of "
    "the board the caller sees: members see what the administrator chose for the scope "
    "(the whole board, its upper half, their neighbours or only `me`); a committee member "
    "sees their own branch's board whole, advisors and administrators every board they read.",
    tag="Rankings",
    query=(
        Param(
            "scope",
            {"type": "string", "enum": ["branch", "college", "school"], "default": "branch"},
            "Where to rank",
        ),
        Param("scope_id", ID, "The branch or college; default: the caller's own"),
        *PERIOD_PARAMS,
        Param("category", {"type": "string", "maxLength": 32}, "Only this category's points"),
        *PAGING,
    ),
    responses={200: ("A page of the leaderboard", LEADERBOARD)},
    errors=(404, 422),
)
def member_leaderboard():
    args = query_args(api.operation_for("api.member_leaderboard"))
    user = caller()
    scope, readable = _scope(user, args["scope"], args.get("scope_id"))
    period = _period(args)
    if same := conditional.unchanged(user, scope, period):
        return same
    board, view = visible_member_board(
        db.session,
        user,
        period,
        scope,
        category_id=_category_id(args.get("category")),
        page=args["page"],
        per_page=args["per_page"],
    )
    # Names are shown exactly as on the leaderboard page.
    names = display_names(db.session, user, (*board.rows, *board.around_me), readable)
    return serialize.page(
        [_standing(row, names) for row in board.rows],
        board.page,
        board.per_page,
        board.total,
        me=_standing(board.me, names) if board.me else None,
        ranked=board.ranked,
        period=_period_body(period),
        scope={"kind": scope.kind, "id": scope.id},
        visibility=_visibility(view),
    )


def _visibility(view: BoardView) -> dict[str, Any]:
    return {
        "mode": view.mode,
        "neighbours": view.neighbours if view.mode == "neighbours" else None,
        "configured": view.configured,
    }


@api.route(
    "/branches/<int:branch_id>/stats",
    "GET",
    summary="A branch's points, participation and pending reviews",
    tag="Rankings",
    query=PERIOD_PARAMS,
    responses={200: ("The branch's numbers for the period", BRANCH_STATS)},
    errors=(404, 422),
)
def branch_stats(branch_id: int):
    args = query_args(api.operation_for("api.branch_stats"))
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        raise NotFound()
    resolve_scope(db.session, caller(), "branch", branch.id, None)
    period = _period(args)
    stats = statistics.branch_stats(db.session, branch, period)
    standing = stats.standing
    keys = dict(db.session.execute(select(Category.id, Category.key)).all())
    return {
        "branch": serialize.branch(branch),
        "period": _period_body(period),
        "members": standing.members,
        "participants": standing.active_members,
        # The leaderboard shows a percentage; the API gives the share, 0 to 1.
        "participation": float(standing.participation / 100),
        "points": serialize.number(standing.points),
        "per_capita": serialize.number(standing.per_capita),
        "entries": stats.entries,
        "pending": stats.pending,
        "categories": [
            {"category": keys[cid], "points": serialize.number(pts), "entries": n}
            for cid, pts, n in stats.by_category
        ],
    }


@api.route(
    "/leaderboard/branches",
    "GET",
    summary="Branch leaderboard",
    description="Branches of one college, or of the whole school, ranked by total points, "
    "points per member or participation; ties share a rank. `participation` is the share "
    "of members with at least one approved activity, from 0 to 1 (the web page shows it as a "
    "percentage). Members and committee members read their own college and the school; "
    "advisors only the branches assigned to them; admins every branch — as on the "
    "leaderboard page.",
    tag="Rankings",
    query=(
        Param("college_id", ID, "Only this college's branches; default: the whole school"),
        *PERIOD_PARAMS,
        Param("category", {"type": "string", "maxLength": 32}, "Only this category's points"),
        Param(
            "metric",
            {"type": "string", "enum": list(BRANCH_METRICS), "default": "total"},
            "Rank by total points, points per member, adjusted points per member (pulled "
            "towards the college's mean, see `adjusted_per_capita`), participation or "
            "attendance",
        ),
        *PAGING,
    ),
    responses={200: ("A page of the branch leaderboard", BRANCH_LEADERBOARD)},
    errors=(404, 422),
)
def branch_leaderboard():
    args = query_args(api.operation_for("api.branch_leaderboard"))
    user = caller()
    college_id = args.get("college_id")
    # The page's own rules: an unknown college, or one the caller may not read, is 404.
    scope, _, college, _ = resolve_scope(
        db.session, user, "college" if college_id else "school", None, college_id
    )
    period = _period(args)
    if same := conditional.unchanged(user, scope, period):
        return same
    board = branch_board(
        db.session,
        period,
        scope,
        category_id=_category_id(args.get("category")),
        sort=args["metric"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return serialize.page(
        [_branch_standing(row) for row in board.rows],
        board.page,
        board.per_page,
        board.total,
        period=_period_body(period),
        ranked=board.ranked,
        metric=args["metric"],
        college={"id": college.id, "name": college.name} if college else None,
    )


def _branch_standing(row: BranchStanding) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "branch": {"id": row.branch_id, "name": row.branch_name},
        "college": row.college_name,
        "members": row.members,
        "points": serialize.number(row.points),
        "per_capita": serialize.number(row.per_capita),
        "adjusted_per_capita": serialize.number(row.adjusted),
        # The page shows a percentage; the API gives the share, 0 to 1.
        "participation": float(row.participation / 100),
    }
