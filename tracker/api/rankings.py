"""Leaderboards and branch statistics through the API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import ranking, statistics
from ..clock import campus_today
from ..errors import Forbidden
from ..extensions import db
from ..models import Branch, Category, College, Role, User
from ..periods import Period, custom_period, standard_period
from ..permissions import can_read_leaderboard
from ..settings import setting
from . import serialize
from .blueprint import api, caller
from .errors import BadRequest, NotFound
from .schemas import BRANCH_STATS, DAY, ID, LEADERBOARD, PAGING
from .spec import Param
from .validation import query_args

PERIOD_KINDS = ["week", "month", "year", "all", "custom"]
PERIOD_PARAMS = (
    Param(
        "period",
        {"type": "string", "enum": PERIOD_KINDS, "default": "month"},
        "week, month, academic year (from 1 September), all time, or custom (from and to)",
    ),
    Param("from", DAY, "First day of a custom period"),
    Param("to", DAY, "Last day of a custom period"),
)


def _period(args: dict[str, Any]) -> Period:
    kind = args["period"]
    if kind != "custom":
        return standard_period(kind, campus_today())
    errors = {n: _l("Please fill this in.") for n in ("from", "to") if not args.get(n)}
    if errors:
        raise BadRequest(errors)
    if args["to"] < args["from"]:
        raise BadRequest({"to": _l("The end is before the start.")})
    return custom_period(args["from"], args["to"])


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


def _scope(user: User, kind: str, scope_id: int | None) -> ranking.Scope:
    if kind == "school":
        scope = ranking.Scope("school")
    else:
        if scope_id is None and user.branch is not None:
            scope_id = user.branch_id if kind == "branch" else user.branch.college_id
        if scope_id is None:
            raise BadRequest({"scope_id": _l("Please fill this in.")})
        model = Branch if kind == "branch" else College
        if db.session.get(model, scope_id) is None:
            raise NotFound()
        scope = ranking.Scope(kind, scope_id)
    if not can_read_leaderboard(db.session, user, scope.kind, scope.id):
        raise Forbidden(_l("You do not have permission to see or do this."))
    return scope


def _standing(row: ranking.Standing, user: User) -> dict[str, Any]:
    # As on the leaderboard page: members see others' names masked unless the
    # campus allows full names; a committee member sees their own branch in full.
    full = (
        setting("TRACKER_SHOW_FULL_NAMES")
        or user.role in (Role.ADMIN, Role.ADVISOR)
        or row.user_id == user.id
        or (user.role == Role.COMMITTEE and row.branch_id == user.branch_id)
    )
    return {
        "rank": row.rank,
        "member": {"id": row.user_id, "name": row.name if full else ranking.mask_name(row.name)},
        "branch": {"id": row.branch_id, "name": row.branch_name} if row.branch_id else None,
        "points": serialize.number(row.points),
        "entries": row.entries,
    }


@api.route(
    "/leaderboard/members",
    "GET",
    summary="Member leaderboard",
    description="Ranked members of a branch, a college or the school; ties share a rank. "
    "`me` is the caller's own standing, on any page. Members see their own branch, "
    "college and the school, advisors what they are assigned.",
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
    errors=(404,),
)
def member_leaderboard():
    args = query_args(api.operation_for("api.member_leaderboard"))
    user = caller()
    scope = _scope(user, args["scope"], args.get("scope_id"))
    period = _period(args)
    board = ranking.member_leaderboard(
        db.session,
        period,
        scope,
        category_id=_category_id(args.get("category")),
        page=args["page"],
        per_page=args["per_page"],
        viewer_id=user.id,
    )
    return serialize.page(
        [_standing(row, user) for row in board.rows],
        board.page,
        board.per_page,
        board.total,
        me=_standing(board.me, user) if board.me else None,
        period=_period_body(period),
        scope={"kind": scope.kind, "id": scope.id},
    )


@api.route(
    "/branches/<int:branch_id>/stats",
    "GET",
    summary="A branch's points, participation and pending reviews",
    tag="Rankings",
    query=PERIOD_PARAMS,
    responses={200: ("The branch's numbers for the period", BRANCH_STATS)},
)
def branch_stats(branch_id: int):
    args = query_args(api.operation_for("api.branch_stats"))
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        raise NotFound()
    if not can_read_leaderboard(db.session, caller(), "branch", branch.id):
        raise Forbidden(_l("You do not have permission to see or do this."))
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
        "participation": float(standing.participation) / 100,
        "points": serialize.number(standing.points),
        "per_capita": serialize.number(standing.per_capita),
        "entries": stats.entries,
        "pending": stats.pending,
        "categories": [
            {"category": keys[cid], "points": serialize.number(pts), "entries": n}
            for cid, pts, n in stats.by_category
        ],
    }
