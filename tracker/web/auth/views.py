"""Logging in and out, registration with an invitation code, account settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker import audit, limits, mail, security
from tracker.clock import campus_today, utcnow
from tracker.errors import Forbidden, InvalidInput
from tracker.extensions import db, limiter
from tracker.people import access, accounts, activation, tokens
from tracker.people.authentication import REFUSALS, Authentication, Outcome, authenticate
from tracker.people.passwords import verify_password
from tracker.ranking import milestones
from tracker.web.auth.forms import (
    ActivateForm,
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    RegisterForm,
)
from tracker.web.confirm import ask_first
from tracker.web.forms import ConfirmForm, show_errors

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboards.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            limits.refuse_when_spent(form.student_no.data)
        except limits.TooManyAttempts as refused:
            form.form_errors.append(str(refused.message))
            headers = {"Retry-After": str(refused.retry_after)}
            return _login_page(form), 429, headers
        result = authenticate(db.session, form.student_no.data, form.password.data, utcnow())
        if result.succeeded:
            return _log_in(result)
        if result.failed:
            limits.count_failure(form.student_no.data)
            audit.record(
                db.session,
                "auth.login_failed",
                actor=None,
                subject=result.user,
                typed=audit.pseudonym(form.student_no.data.strip()[:32]),
            )
            db.session.commit()
        form.form_errors.append(
            str(REFUSALS.get(result.outcome, _("Wrong student number or password.")))
        )
    return _login_page(form)


def _login_page(form: LoginForm) -> str:
    return render_template(
        "auth/login.html", form=form, reset_by_mail=mail.configured(current_app.config)
    )


def _log_in(result: Authentication):
    user = result.user
    audit.record(db.session, "auth.login", actor=user, subject=user, branch_id=user.branch_id)
    db.session.commit()
    security.start_session(utcnow())
    login_user(user)
    if result.outcome is Outcome.MUST_CHANGE_PASSWORD:
        flash(_("Please choose a new password."), "warning")
        return redirect(url_for("auth.change_password"))
    return redirect(_safe_next(request.args.get("next")) or url_for("dashboards.home"))


# Pages a user who must choose a new password may still reach.
PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "auth.language", "static"}


@bp.before_app_request
def _new_password_first():
    """After an admin's reset, nothing but choosing a new password is possible."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_ALLOWED
    ):
        if request.blueprint == "api":
            raise Forbidden(tokens.PASSWORD_CHANGE_FIRST)
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"], methods=["POST"])
def activate(token: str):
    """Where a new account chooses its first password, with its one-time link."""
    found = activation.valid_token(db.session, token, utcnow())
    if found is None:
        return render_template("auth/activate.html", form=None), 404
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            activation.activate(db.session, token, form.password.data, utcnow())
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Your account is ready. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/activate.html", form=form, user=found.user)


@bp.post("/logout")
@login_required
def logout():
    """Ends this session only; the account page's "log out everywhere" ends the others."""
    user = current_user._get_current_object()
    audit.record(db.session, "auth.logout", actor=user, subject=user, branch_id=user.branch_id)
    security.end_this_session(utcnow())
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    """For a phone lost or a computer left signed in: every session ends, every API token too."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    audit.record(
        db.session, "auth.logout_everywhere", actor=user, subject=user, branch_id=user.branch_id
    )
    db.session.commit()
    security.forget_session()
    flash(_("You are logged out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if accounts.temporary_password_expired(user, utcnow()):
        logout_user()
        flash(str(REFUSALS[Outcome.TEMPORARY_PASSWORD_EXPIRED]), "danger")
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append(_("This is not your current password."))
        else:
            try:
                accounts.set_password(db.session, user, form.password.data, actor=user)
            except InvalidInput as error:
                db.session.rollback()
                show_errors(form, error)
            else:
                db.session.commit()
                # Every other session has ended; this one carries on.
                login_user(user)
                flash(_("Your password was changed. Other devices were logged out."), "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = LanguageForm(locale=current_user.locale or current_app.config["BABEL_DEFAULT_LOCALE"])
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=form,
        progress=milestones.member_progress(db.session, current_user.id, campus_today())
        if access.logs_activities(current_user)
        else [],
        tokens=tokens.tokens_of(db.session, current_user),
        now=utcnow(),
        revoke_form=ConfirmForm(),
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    found = next((t for t in tokens.tokens_of(db.session, current_user) if t.id == token_id), None)
    if found is None:
        abort(404)
    asked = ask_first(
        _(
            "Scripts using the token “%(name)s” are refused from now on. This cannot be undone.",
            name=found.name,
        ),
        cancel=url_for("auth.account"),
    )
    if asked is not None:
        return asked
    if not tokens.revoke_token(db.session, current_user, token_id, utcnow()):
        abort(404)
    db.session.commit()
    flash(_("The token was revoked; scripts using it are refused from now on."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
        session["locale"] = form.locale.data
    return redirect(_safe_next(request.form.get("next")) or url_for("dashboards.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"], methods=["POST"])
def register():
    form = RegisterForm(invite_code=request.args.get("code", ""))
    if form.validate_on_submit():
        try:
            accounts.register(
                db.session,
                code=form.invite_code.data,
                student_no=form.student_no.data,
                name=form.name.data,
                password=form.password.data,
                email=form.email.data,
                today=campus_today(),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("Thank you. You can log in once your branch committee confirms you."), "success"
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


from tracker.web.auth import reset  # noqa: E402,F401  (routes join this blueprint)
