"""Leaderboards."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import ranking
from ..clock import campus_today
from ..extensions import db
from ..models import Branch, Role
from ..periods import STANDARD_KINDS, standard_period
from ..permissions import readable_branch_ids
from ..settings import setting

bp = Blueprint("rankings", __name__, url_prefix="/leaderboard")


def _branch_choices() -> list[Branch]:
    readable = readable_branch_ids(db.session, current_user)
    query = select(Branch).where(Branch.archived_at.is_(None)).order_by(Branch.name)
    if readable is not None:
        readable = readable | ({current_user.branch_id} if current_user.branch_id else set())
        query = query.where(Branch.id.in_(readable))
    return list(db.session.scalars(query))


@bp.get("/")
@login_required
def members():
    kind = request.args.get("period", "month")
    if kind not in STANDARD_KINDS:
        abort(400)
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(400)
    branches = _branch_choices()
    if not branches:
        abort(403)
    branch_id = request.args.get("branch", type=int) or current_user.branch_id or branches[0].id
    branch = next((b for b in branches if b.id == branch_id), None)
    if branch is None:
        abort(404)
    board = ranking.member_leaderboard(
        db.session,
        standard_period(kind, campus_today()),
        ranking.Scope("branch", branch.id),
        page=page,
        viewer_id=current_user.id,
    )
    full_names = setting("TRACKER_SHOW_FULL_NAMES") or current_user.role != Role.MEMBER
    return render_template(
        "rankings/members.html",
        board=board,
        branch=branch,
        branches=branches,
        kind=kind,
        kinds=STANDARD_KINDS,
        full_names=full_names,
        mask=ranking.mask_name,
    )
