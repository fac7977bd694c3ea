"""A branch's term report (学期工作报告): a page showing it, and its .docx and .xlsx files."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from tracker import audit, spreadsheets, term_report_files
from tracker.clock import campus_today, utcnow
from tracker.extensions import db
from tracker.ledger import terms
from tracker.models import Branch, Term
from tracker.people import access
from tracker.ranking.term_report import term_report
from tracker.web.filters import query_id

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _branch_or_404(branch_id: int) -> Branch:
    branch = db.session.get(Branch, branch_id)
    if branch is None or not access.may_export_term_report(db.session, current_user, branch_id):
        abort(404)
    return branch


def _term(choices: list[Term]) -> Term | None:
    """The term the query names, else the one of today, else the latest begun, else the first."""
    term_id = query_id(request.args, "term")
    if term_id is not None:
        term = db.session.get(Term, term_id)
        if term is None:
            abort(404)
        return term
    today = campus_today()
    begun = [t for t in choices if t.first_day <= today]
    return (
        terms.term_on(db.session, today)
        or (begun[-1] if begun else None)
        or next(iter(choices), None)
    )


@bp.get("/branches/<int:branch_id>")
@login_required
def term(branch_id: int):
    branch = _branch_or_404(branch_id)
    choices = terms.list_terms(db.session)
    chosen = _term(choices)
    built = None
    if chosen is not None:
        found = term_report(db.session, branch, chosen, campus_today(), utcnow())
        built = term_report_files.document(found, campus_today())
    return render_template(
        "reports/term.html", branch=branch, terms=choices, chosen=chosen, report=built
    )


@bp.get("/branches/<int:branch_id>/term.<fmt>")
@login_required
def download(branch_id: int, fmt: str):
    branch = _branch_or_404(branch_id)
    if fmt not in term_report_files.FORMATS:
        abort(404)
    chosen = _term(terms.list_terms(db.session))
    if chosen is None:
        abort(404)
    found = term_report(db.session, branch, chosen, campus_today(), utcnow())
    body = term_report_files.render(found, fmt, campus_today())
    audit.record(
        db.session,
        "export",
        actor=current_user,
        branch_id=branch.id,
        what="term_report",
        format=fmt,
        term=chosen.name,
        start=chosen.first_day.isoformat(),
    )
    db.session.commit()
    name, fallback = term_report_files.file_names(found, fmt)
    return Response(
        body,
        mimetype=term_report_files.FORMATS[fmt],
        headers={"Content-Disposition": spreadsheets.attachment(name, fallback)},
    )
