"""Sessions, login loading and HTTP security headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.extensions import db, login_manager, talisman
from tracker.models import User


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return has_request_context() and request.is_secure


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # The cookie holds "id:session_version"; a bumped version (logout
    # everywhere, new password, deactivation) makes every older cookie void.
    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
        version = int(raw_version)
    except (ValueError, TypeError):
        return None
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user


def content_security_policy(chartjs_url: str) -> dict[str, list[str] | str]:
    scripts = ["'self'"]
    parts = urlsplit(chartjs_url)
    if parts.scheme and parts.netloc:
        scripts.append(f"{parts.scheme}://{parts.netloc}")
    return {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self'",
        "img-src": ["'self'", "data:"],
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def refuse_nul_bytes() -> None:
    """A NUL byte in a form or query is never legitimate, and PostgreSQL refuses to store one.

    The API checks its JSON bodies against its schemas and answers in JSON itself.
    """
    if request.path.startswith("/api/"):
        return
    for _key, values in (*request.args.lists(), *request.form.lists()):
        if any("\x00" in value for value in values):
            abort(400)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.before_request(refuse_nul_bytes)
    if app.config["TRACKER_HTTPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    talisman.init_app(
        app,
        force_https=False,
        session_cookie_secure=False,
        strict_transport_security=app.config["TRACKER_HTTPS"],
        frame_options="DENY",
        content_security_policy=content_security_policy(app.config["TRACKER_CHARTJS_URL"]),
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "microphone": "()"},
    )
