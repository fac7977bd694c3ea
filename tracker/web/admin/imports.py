"""Bulk import of members: upload, preview (a dry run), then import all or nothing."""

from __future__ import annotations

import re
import secrets

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker import spreadsheets, storage
from tracker.clock import campus_today, utcnow
from tracker.extensions import db
from tracker.i18n import current_locale_name
from tracker.people import importing, member_rows
from tracker.spreadsheets import to_csv
from tracker.web.admin.forms import ImportForm
from tracker.web.admin.sudo import password_step
from tracker.web.admin.views import bp
from tracker.web.forms import ConfirmForm
from tracker.web.links import external_url

STAGED = re.compile(r"^[0-9a-f]{32}$")


def _staged(token: str) -> str:
    """Where a previewed file waits for its confirmation: in the shared store, not this
    server's folder, since another app server may take the confirmation."""
    return f"member-import-{token}.upload"


def _run(data: bytes, dry_run: bool) -> importing.ImportReport:
    return importing.import_members(
        db.session,
        data,
        actor=current_user._get_current_object(),
        today=campus_today(),
        now=utcnow(),
        activation_days=current_app.config["TRACKER_ACTIVATION_DAYS"],
        dry_run=dry_run,
    )


def _preview(form, report=None, staged=None, refused=None, status=200):
    return render_template(
        "admin/import.html",
        form=form,
        report=report,
        staged=staged,
        refused=refused,
        confirm_form=ConfirmForm(),
        max_rows=member_rows.max_rows(),
        role_words=", ".join(member_rows.ROLE_WORDS),
        stage_words=", ".join([*member_rows.STAGE_WORDS, member_rows.NO_STAGE]),
    ), status


@bp.get("/import/template.<fmt>")
def import_template(fmt: str):
    """An empty member file with the header in the user's language, ready to fill in."""
    if fmt not in spreadsheets.FORMATS:
        abort(404)
    chinese = current_locale_name() == "zh_CN"
    header = member_rows.CHINESE_HEADER if chinese else member_rows.COLUMNS
    body = spreadsheets.render(fmt, _("Members to import"), header, [])
    fallback = f"members-import-template.{fmt}"
    name = f"成员导入模板.{fmt}" if chinese else fallback
    return Response(
        body,
        mimetype=spreadsheets.FORMATS[fmt],
        headers={"Content-Disposition": spreadsheets.attachment(name, fallback)},
    )


@bp.get("/import")
def import_members():
    return _preview(ImportForm())


@bp.post("/import")
@password_step
def preview_import():
    form = ImportForm()
    if not form.validate_on_submit():
        return _preview(form, status=422)
    data = form.file.data.read(spreadsheets.MAX_FILE_BYTES + 1)
    try:
        report = _run(data, dry_run=True)
    except spreadsheets.FileRefused as refused:
        return _preview(form, refused=refused.message, status=422)
    staged = None
    if not report.problems:
        # The confirmed import reads the very file that was previewed.
        staged = secrets.token_hex(16)
        storage.of(current_app).put(_staged(staged), data)
    return _preview(form, report, staged, status=422 if report.problems else 200)


@bp.post("/import/confirm")
@password_step
def confirm_import():
    staged = request.form.get("staged", "")
    if not ConfirmForm().validate_on_submit() or not STAGED.match(staged):
        abort(400)
    store, name = storage.of(current_app), _staged(staged)
    try:
        data = store.get(name)
    except FileNotFoundError:
        abort(404)
    try:
        report = _run(data, dry_run=False)
    except spreadsheets.FileRefused as refused:
        return _preview(ImportForm(), refused=refused.message, status=422)
    if not report.applied:
        store.delete(name)
        return _preview(ImportForm(), report, status=409)
    db.session.commit()
    store.delete(name)
    links = [(user, external_url("auth.activate", token=token)) for user, token in report.links]
    if request.form.get("output") == "csv":
        return _links_csv(links)
    return render_template("admin/activation_links.html", links=links, report=report)


def _links_csv(links) -> Response:
    data = to_csv(
        ["student_no", "name", "activation_link"],
        ([user.student_no, user.name, link] for user, link in links),
    )
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="activation-links.csv"'},
    )
