"""Forgot password: a reset link by mail, and the page the link opens."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker import limits, mail
from tracker.errors import InvalidInput
from tracker.extensions import db, limiter
from tracker.people import accounts, password_reset
from tracker.web.auth.forms import ForgotPasswordForm, ResetPasswordForm
from tracker.web.auth.views import bp
from tracker.web.forms import show_errors
from tracker.web.links import external_url


def _address_limit() -> str:
    return current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def forgot_password():
    """The same answer, as fast, whether or not the account exists or has an address."""
    config = current_app.config
    if not mail.configured(config):
        return render_template("auth/forgot.html", form=None)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if limits.reset_mail_allowed(form.student_no.data):
            user = accounts.find_user(db.session, form.student_no.data)
            if password_reset.may_reset(user):
                _mail_link(user)
        flash(
            _(
                "If this student number has an account with an e-mail address, a link to choose "
                "a new password is on its way. It works for %(n)d minutes.",
                n=config["TRACKER_PASSWORD_RESET_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def _mail_link(user) -> None:
    config = current_app.config
    token = password_reset.issue_token(user, config["SECRET_KEY"])
    link = external_url("auth.reset_password", token=token)
    with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Choose a new password")
        body = render_template(
            "auth/reset_mail.txt",
            user=user,
            link=link,
            minutes=config["TRACKER_PASSWORD_RESET_MINUTES"],
        )
    server = mail.server_from(config)
    mail.send_later(server, mail.compose(server, user.email.strip(), subject, body))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def reset_password(token: str):
    config = current_app.config
    user = password_reset.user_for_token(
        db.session, token, config["SECRET_KEY"], config["TRACKER_PASSWORD_RESET_MINUTES"]
    )
    if user is None:
        return render_template("auth/reset.html", form=None), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(db.session, user, user.password_hash, form.password.data)
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Your password was changed. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)
