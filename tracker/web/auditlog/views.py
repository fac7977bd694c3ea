"""The audit log page: administrators see everything, a committee its own branch."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from tracker import audit
from tracker.clock import campus_zone
from tracker.extensions import db
from tracker.models import Branch
from tracker.people import access
from tracker.web.guards import allowed

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=campus_zone()) if day else None


def _filters() -> audit.AuditFilter:
    person = request.args.get("person", "").strip()
    action = request.args.get("action", "").strip()
    if len(person) > 64 or len(action) > 48:
        abort(400)
    raw_branch = request.args.get("branch", "").strip()
    if raw_branch and not raw_branch.isdigit():
        abort(400)
    since, until = _day("from"), _day("to")
    return audit.AuditFilter(
        person=person or None,
        action=action or None,
        branch_id=int(raw_branch) if raw_branch else None,
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1)) if until else None,
    )


@bp.get("/")
@allowed(access.may_read_audit_log)
def index():
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(400)
    filters = _filters()
    scope = access.readable_branch_ids(db.session, current_user)
    if scope is not None and filters.branch_id is not None and filters.branch_id not in scope:
        abort(404)
    found = db.paginate(audit.events(filters, scope), page=page, per_page=50, error_out=False)
    branches = select(Branch).order_by(Branch.name)
    if scope is not None:
        branches = branches.where(Branch.id.in_(scope))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "auditlog/index.html",
        page=found,
        args=args,
        actions=audit.known_actions(db.session),
        branches=db.session.scalars(branches).all(),
        branch_names={b.id: b.name for b in db.session.scalars(select(Branch))},
    )
