"""A member's own data: the "download my data" button, and consent to be named."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField

from tracker import audit, storage
from tracker.clock import campus_today
from tracker.extensions import db
from tracker.people import access, accounts, personal_data
from tracker.web.forms import ConfirmForm
from tracker.web.guards import allowed

bp = Blueprint("personal", __name__, url_prefix="/account")


class NameConsentForm(FlaskForm):
    shown = BooleanField(_l("Show my full name to people outside my branch"))


@bp.post("/data")
@login_required
def download():
    """POST, with CSRF: the export is recorded in the audit log."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    data = personal_data.export_zip(db.session, user, storage.of(current_app))
    audit.record(
        db.session, "personal_data.exported", actor=user, subject=user, branch_id=user.branch_id
    )
    db.session.commit()
    name = f"my-data-{user.student_no}-{campus_today().isoformat()}.zip"
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/name-consent")
@allowed(access.is_branch_person)
def name_consent():
    """A member's choice whether people outside their branch see their full name."""
    form = NameConsentForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    changed = accounts.set_name_consent(db.session, user, bool(form.shown.data))
    db.session.commit()
    if not changed:
        flash(_("Nothing changed."), "success")
    elif user.name_public:
        flash(_("People outside your branch now see your full name."), "success")
    else:
        flash(_("People outside your branch now see your name masked."), "success")
    return redirect(url_for("auth.account"))
