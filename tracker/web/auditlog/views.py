"""The audit log page: administrators see everything, a committee its own branch."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from tracker import audit
from tracker.clock import campus_zone
from tracker.extensions import db
from tracker.limits import MAX_PAGE
from tracker.models import Branch
from tracker.people import access
from tracker.web.auditlog import labels
from tracker.web.filters import query_day, query_id
from tracker.web.guards import allowed

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=campus_zone()) if day else None


def _filters() -> audit.AuditFilter:
    person = request.args.get("person", "").strip()
    action = request.args.get("action", "").strip()
    if len(person) > 64 or len(action) > 48:
        abort(400)
    since, until = query_day(request.args, "from"), query_day(request.args, "to")
    return audit.AuditFilter(
        person=person or None,
        action=action or None,
        branch_id=query_id(request.args, "branch"),
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1)) if until else None,
    )


@bp.get("/")
@allowed(access.may_read_audit_log)
def index():
    page = query_id(request.args, "page", MAX_PAGE) or 1
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
        action_label=labels.action_label,
        details=labels.details,
        branches=db.session.scalars(branches).all(),
        branch_names={b.id: b.name for b in db.session.scalars(select(Branch))},
    )
