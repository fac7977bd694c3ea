"""三会一课 compliance: a branch's grid, and branches × kinds for advisors and admins."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker import audit, spreadsheets
from tracker.clock import campus_today, utcnow
from tracker.events import compliance, kinds
from tracker.extensions import db
from tracker.limits import MAX_ID, bounded_day, bounded_int
from tracker.models import Branch, College
from tracker.people import access
from tracker.web.guards import allowed

bp = Blueprint("compliance", __name__, url_prefix="/compliance")

STATE_LABELS = {
    compliance.State.HELD: _l("Held"),
    compliance.State.DUE: _l("Due"),
    compliance.State.OVERDUE: _l("Overdue"),
    compliance.State.NO_QUORUM: _l("Held without quorum"),
    compliance.State.NOT_REQUIRED: _l("Not required"),
}
PERIOD_LABELS = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "term": _l("Term"),
    "year": _l("Academic year"),
}


@bp.app_context_processor
def grid_words():
    """The words of a compliance grid, for the branch dashboard's include too."""
    return {
        "compliance_states": STATE_LABELS,
        "compliance_kinds": kinds.SHORT_LABELS,
        "compliance_periods": PERIOD_LABELS,
    }


@dataclass
class Query:
    period: str
    on: object
    college: College | None
    only_short: bool


def _query() -> Query:
    period = request.args.get("period", "term")
    if period not in compliance.PERIOD_KINDS:
        period = "term"
    on = bounded_day(request.args.get("on", "")) or campus_today()
    college_id = bounded_int(request.args.get("college", ""), 1, MAX_ID)
    college = db.session.get(College, college_id) if college_id else None
    return Query(period, on, college, request.args.get("short") == "1")


def _college_grid(query: Query) -> compliance.Grid:
    readable = access.readable_branch_ids(db.session, current_user)
    branches = compliance.branches_for(
        db.session, readable, query.college.id if query.college else None
    )
    grid = compliance.compliance_grid(db.session, branches, query.period, query.on, utcnow())
    if query.only_short:
        grid.rows = [r for r in grid.rows if any(c.state in SHORT for c in r.cells)]
    return grid


SHORT = (compliance.State.OVERDUE, compliance.State.NO_QUORUM, compliance.State.DUE)


def _colleges() -> list[College]:
    readable = access.readable_branch_ids(db.session, current_user)
    query = select(College).where(College.archived_at.is_(None)).order_by(College.name)
    if readable is not None:
        query = query.where(
            College.id.in_(select(Branch.college_id).where(Branch.id.in_(readable)))
        )
    return list(db.session.scalars(query))


@bp.get("/")
@allowed(access.may_read_college_compliance)
def index():
    query = _query()
    return render_template(
        "compliance/index.html",
        grid=_college_grid(query),
        query=query,
        colleges=_colleges(),
        periods=compliance.PERIOD_KINDS,
    )


@bp.get("/export.<fmt>")
@allowed(access.may_read_college_compliance)
def export(fmt: str):
    if fmt not in spreadsheets.FORMATS:
        abort(404)
    query = _query()
    grid = _college_grid(query)
    header = [
        _("College"),
        _("Branch"),
        *(f"{kinds.SHORT_LABELS[r.kind]}" for r in grid.rules),
    ]
    rows = [
        [
            row.branch.college.name,
            row.branch.name,
            *(f"{STATE_LABELS[c.state]} {c.held}/{c.required}" for c in row.cells),
        ]
        for row in grid.rows
    ]
    audit.record(
        db.session,
        "export",
        actor=current_user,
        what="compliance",
        format=fmt,
        period=query.period,
        start=grid.period.start.isoformat(),
        rows=len(rows),
    )
    db.session.commit()
    sheet = _("Required meetings")
    days = f"{grid.period.start.isoformat()}_{grid.period.last_day.isoformat()}"
    title = f"{sheet} · {grid.period.start.isoformat()} – {grid.period.last_day.isoformat()}"
    body = spreadsheets.render(fmt, sheet, header, rows, title=title)
    return Response(
        body,
        mimetype=spreadsheets.FORMATS[fmt],
        headers={
            "Content-Disposition": spreadsheets.attachment(
                f"{sheet}-{days}.{fmt}", f"compliance-{days}.{fmt}"
            )
        },
    )


@bp.get("/branch/<int:branch_id>")
@login_required
def branch(branch_id: int):
    found = db.session.get(Branch, branch_id)
    if found is None or not access.may_read_compliance(db.session, current_user, branch_id):
        abort(404)
    query = _query()
    grid = compliance.compliance_grid(db.session, [found], query.period, query.on, utcnow())
    return render_template(
        "compliance/branch.html",
        branch=found,
        grid=grid,
        query=query,
        periods=compliance.PERIOD_KINDS,
    )
