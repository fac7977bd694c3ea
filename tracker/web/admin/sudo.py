"""The password step: the most sensitive administration asks for the password again.

Changing roles and advisor scopes, creating an account, resetting a password,
importing members and changing settings are what a stolen or unattended admin
session would be used for. Each needs the password typed within the last
``TRACKER_SUDO_MINUTES`` (a login counts: the password was just typed).
Otherwise the admin is sent to type it, then back to the page to do it again.
Restoring a backup is a command for whoever runs the server, not a page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import audit, limits, security
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.people.passwords import verify_password
from tracker.web.admin.forms import PasswordStepForm
from tracker.web.admin.views import bp


def _admin_page(target: str | None) -> str:
    """``target`` when it is a page of the administration, else the administration's index."""
    if target and target.startswith("/admin/") and "\\" not in target:
        return target
    return url_for("admin.index")


def _referring_page() -> str | None:
    parts = urlsplit(request.referrer or "")
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _fresh() -> bool:
    return security.password_entered_within(utcnow(), current_app.config["TRACKER_SUDO_MINUTES"])


def password_step(view: Callable) -> Callable:
    """A change (POST) goes through only if the admin typed their password a few minutes ago."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method == "POST" and not _fresh():
            flash(_("Enter your password again, then repeat what you were doing."), "warning")
            back = _admin_page(_referring_page())
            return redirect(url_for("admin.confirm_password", next=back))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/confirm-password", methods=["GET", "POST"])
def confirm_password():
    form = PasswordStepForm()
    admin = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            limits.refuse_when_spent(admin.student_no)
        except limits.TooManyAttempts as refused:
            form.password.errors.append(str(refused.message))
            page = render_template("admin/confirm_password.html", form=form)
            return page, 429, {"Retry-After": str(refused.retry_after)}
        if verify_password(admin.password_hash, form.password.data):
            security.password_entered(utcnow())
            return redirect(_admin_page(request.args.get("next")))
        # Someone at an unattended session may be guessing: counted like a failed login.
        limits.count_failure(admin.student_no)
        audit.record(db.session, "auth.password_step_failed", actor=admin, subject=admin)
        db.session.commit()
        form.password.errors.append(_("This is not your password."))
    return render_template("admin/confirm_password.html", form=form)
