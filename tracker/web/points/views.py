"""Points from other systems of record: upload a report, preview it, book it all or
nothing; reconcile it with what members logged; the administrators' list of sources."""

from __future__ import annotations

import json
import re
import secrets
from datetime import date, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from tracker import storage
from tracker.clock import campus_today
from tracker.errors import InvalidInput
from tracker.extensions import db
from tracker.external import importing, reconciliation, reports, sources
from tracker.i18n import UNIT_LABELS, category_name, format_points
from tracker.jobs import builtin, runner
from tracker.limits import bounded_day
from tracker.models import Branch, Category, ExternalSource, Unit
from tracker.people import access
from tracker.periods import Period, period_end, period_start
from tracker.spreadsheets import MAX_FILE_BYTES, FileRefused
from tracker.web.filters import query_id
from tracker.web.forms import ConfirmForm, show_errors
from tracker.web.guards import allowed
from tracker.web.points.forms import SourceChangeForm, SourceForm, UploadForm

bp = Blueprint("points", __name__, url_prefix="/points")
STAGED = re.compile(r"^[0-9a-f]{32}$")
COLUMN_FIELDS = {"value": "value_column", "student_no": "student_no_column", "name": "name_column"}


def _store():
    # In the shared store, not this server's folder: any app server may take the confirmation.
    return storage.of(current_app)


def _upload_form() -> UploadForm:
    form = UploadForm()
    form.source.choices = [
        SelectChoice(s.key, category_name(s.category)) for s in sources.list_sources(db.session)
    ]
    if request.method == "GET":
        form.day.data = campus_today()
    return form


def _confirmed_params(raw: str) -> dict:
    """The preview's choices as the confirming form carries them back, or 400."""
    try:
        params = json.loads(raw)
    except ValueError:
        abort(400)
    if not isinstance(params, dict):
        abort(400)
    columns, day = params.get("columns"), params.get("day")
    fine = (
        isinstance(columns, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())
        and isinstance(params.get("source"), str)
        and isinstance(params.get("period"), str)
        and isinstance(day, str)
        and bounded_day(day) is not None
    )
    if not fine:
        abort(400)
    return params


def _run(data: bytes, params: dict, dry_run: bool) -> reports.PointsReport:
    source = sources.source_by_key(db.session, params["source"])
    if source is None:
        abort(404)
    return importing.import_points(
        db.session,
        data,
        source=source,
        period=reports.covered(params["period"], bounded_day(params["day"])),
        actor=current_user._get_current_object(),
        branch_id=access.points_import_branch(current_user),
        today=campus_today(),
        dry_run=dry_run,
        chosen=params["columns"],
        baseline=params.get("baseline") is True,
    )


def _page(form, report=None, staged=None, params=None, refused=None, status=200):
    return render_template(
        "points/import.html",
        form=form,
        report=report,
        staged=staged,
        params=json.dumps(params or {}, ensure_ascii=False),
        refused=refused,
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/import")
@allowed(access.may_import_points)
def upload():
    return _page(_upload_form())


@bp.post("/import")
@allowed(access.may_import_points)
def preview():
    form = _upload_form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    data = form.file.data.read(MAX_FILE_BYTES + 1)
    columns = {k: (getattr(form, f).data or "").strip() for k, f in COLUMN_FIELDS.items()}
    params = {
        "source": form.source.data,
        "period": form.period.data,
        "day": form.day.data.isoformat(),
        "columns": {k: v for k, v in columns.items() if v},
        "baseline": bool(form.baseline.data),
    }
    try:
        report = _run(data, params, dry_run=True)
    except FileRefused as refused:
        return _page(form, refused=refused.message, status=422)
    except InvalidInput as error:
        show_errors(form, error)
        return _page(form, status=422)
    staged = None
    if not report.problems:
        # Accepting books the very file that was previewed.
        staged = secrets.token_hex(16)
        _store().put(builtin.staged_name(staged), data)
    return _page(form, report, staged, params, status=422 if report.problems else 200)


def _book_in_background(app, name: str, params: dict):
    """A large report is booked by the worker; its page shows how far it got."""
    if sources.source_by_key(db.session, params["source"]) is None:
        abort(404)
    job = runner.submit(
        db.session,
        builtin.IMPORT_POINTS,
        current_user._get_current_object(),
        {
            **params,
            "staged": name,
            "branch_id": access.points_import_branch(current_user),
            "today": campus_today().isoformat(),
            "locale": str(get_locale()),
        },
    )
    db.session.commit()
    runner.start(app, job)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/import/confirm")
@allowed(access.may_import_points)
def confirm():
    staged = request.form.get("staged", "")
    if not ConfirmForm().validate_on_submit() or not STAGED.match(staged):
        abort(400)
    name = builtin.staged_name(staged)
    try:
        data = _store().get(name)
    except FileNotFoundError:
        abort(404)
    params = _confirmed_params(request.form.get("params", ""))
    app = current_app._get_current_object()
    if runner.redis_url(app):
        return _book_in_background(app, name, params)
    try:
        report = _run(data, params, dry_run=False)
    except (FileRefused, InvalidInput) as refused:
        _store().delete(name)
        return _page(_upload_form(), refused=refused.message, status=409)
    if not report.applied:
        _store().delete(name)
        return _page(_upload_form(), report, status=409)
    db.session.commit()
    _store().delete(name)
    flash(
        _(
            "Booked %(points)s points for %(n)d rows; %(flagged)d flagged.",
            points=format_points(report.points),
            n=len(report.to_book),
            flagged=len(report.flagged),
        ),
        "success",
    )
    return redirect(url_for(".reconcile", source=report.source_key, day=params["day"]))


def _reconcile_period(kind: str, day: date) -> Period:
    start = period_start(kind, day)
    return Period(kind, start, period_end(kind, start))


@bp.get("/reconcile")
@login_required
def reconcile():
    branch_id = query_id(request.args, "branch") or current_user.branch_id
    if not access.may_reconcile_points(current_user, branch_id):
        abort(403)
    branch = db.session.get(Branch, branch_id) if branch_id else None
    choices = sources.list_sources(db.session)
    source = sources.source_by_key(db.session, request.args.get("source") or "xuexi")
    kind = request.args.get("period") or "week"
    day = bounded_day(request.args.get("day", "")) if request.args.get("day") else None
    if kind not in ("week", "month") or (request.args.get("day") and day is None):
        abort(400)
    if source is None:
        abort(404)
    period = _reconcile_period(kind, day or campus_today())
    lines = reconciliation.reconciliation(db.session, source, branch.id, period) if branch else []
    branches = (
        db.session.scalars(select(Branch).where(Branch.archived_at.is_(None)).order_by(Branch.name))
        if access.is_admin(current_user)
        else []
    )
    return render_template(
        "points/reconcile.html",
        lines=lines,
        source=source,
        sources=choices,
        branch=branch,
        branches=list(branches),
        period=period,
        last_day=period.end - timedelta(days=1),
        kind=kind,
        units=UNIT_LABELS,
    )


@bp.get("/mine")
@login_required
def mine():
    return render_template(
        "points/mine.html", imported=reconciliation.imported_for(db.session, current_user.id)
    )


def _with_categories(form):
    """The form with the categories members log as the matching choices."""
    logged = db.session.scalars(
        select(Category)
        .where(Category.external.is_(False), Category.retired_at.is_(None))
        .order_by(Category.sort_order)
    )
    form.matching_category_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(c.id, category_name(c)) for c in logged
    ]
    return form


def _source_form() -> SourceForm:
    form = _with_categories(SourceForm())
    form.unit.choices = [SelectChoice(u.value, UNIT_LABELS[u]) for u in Unit]
    return form


def _saved(form, save, message: str):
    """Save a source through ``save(matching category)`` once the form is valid: a redirect
    to the list when it commits, else the status the form page answers with."""
    if not form.validate_on_submit():
        return 422 if request.method == "POST" else 200
    try:
        save(db.session.get(Category, form.matching_category_id.data or 0))
    except InvalidInput as error:
        db.session.rollback()
        show_errors(form, error)
        return 422
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".source_list"))


@bp.route("/sources", methods=["GET", "POST"])
@allowed(access.may_define_points_sources)
def source_list():
    form = _source_form()
    saved = _saved(
        form,
        lambda matching: sources.add_source(
            db.session,
            key=form.key.data,
            name_zh=form.name_zh.data,
            name_en=form.name_en.data,
            unit=Unit(form.unit.data),
            points_per_unit=form.points_per_unit.data,
            matching_category=matching,
            actor=current_user,
        ),
        _("Source added."),
    )
    if not isinstance(saved, int):
        return saved
    return render_template(
        "points/sources.html",
        form=form,
        sources=sources.list_sources(db.session),
        units=UNIT_LABELS,
    ), saved


@bp.route("/sources/<int:source_id>", methods=["GET", "POST"])
@allowed(access.may_define_points_sources)
def source_change(source_id: int):
    source = db.get_or_404(ExternalSource, source_id)
    form = _with_categories(
        SourceChangeForm(
            obj=source,
            name_zh=source.category.name_zh,
            name_en=source.category.name_en,
            matching_category_id=source.matching_category_id or 0,
        )
    )
    saved = _saved(
        form,
        lambda matching: sources.change_source(
            db.session,
            source,
            name_zh=form.name_zh.data,
            name_en=form.name_en.data,
            points_per_unit=form.points_per_unit.data,
            matching_category=matching,
            actor=current_user,
        ),
        _("Source saved; the next imports count at its new rate."),
    )
    if not isinstance(saved, int):
        return saved
    return render_template(
        "points/source_change.html", form=form, source=source, units=UNIT_LABELS
    ), saved
