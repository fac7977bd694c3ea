"""A member's own data: the "download my data" button."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app
from flask_login import current_user, login_required

from tracker import audit, storage
from tracker.clock import campus_today
from tracker.extensions import db
from tracker.people import personal_data
from tracker.web.forms import ConfirmForm

bp = Blueprint("personal", __name__, url_prefix="/account")


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
