"""Sessions, login loading, HTTP security headers, body limits and trusted proxies."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import delete, exists, false, func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import conditional, readcache, settings, storage
from tracker.clock import utcnow
from tracker.extensions import db, login_manager, talisman
from tracker.models import EndedSession, Notification, User
from tracker.people import access
from tracker.setting_values import trusted_proxies

# When the session began (a login), last served a request, and last had the
# password typed (a login or the administrators' password step): Unix seconds.
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
PASSWORD_AT = "password_at"  # noqa: S105  (a session key, not a password)
CLOCKS = (SIGNED_IN_AT, SEEN_AT, PASSWORD_AT)
# A random id per login, so that its own "log out" can end it and no other.
SESSION_ID = "sid"


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
        uid, version = int(raw_id), int(raw_version)
    except (ValueError, TypeError):
        return None
    # One statement for the user, whether this session was logged out, the
    # navigation's unread count, the settings' overrides and the data's version
    # (``conditional``): pages need them all.
    session_id = session.get(SESSION_ID)
    ended = (
        exists().where(EndedSession.session_hash == _session_digest(session_id))
        if isinstance(session_id, str)
        else false()  # a session from before ids: "log out everywhere" ends it
    )
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == uid, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    found = db.session.execute(
        select(
            User,
            ended.label("ended"),
            unread.label("unread"),
            *settings.override_columns(),
            *conditional.version_columns(),
        ).where(User.id == uid)
    ).one_or_none()
    if found is None:
        return None
    user = found.User
    if user.session_version != version or not user.is_active or found.ended:
        return None
    readcache.remember(db.session, ("unread", uid), found.unread)
    settings.remember_overrides(db.session, found)
    conditional.remember_version(db.session, found)
    return user


def _session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def end_this_session(now: datetime) -> None:
    """Log out here only: this session's id is refused from now on, the user's others go on.

    Rows of sessions that would have expired by now are removed on the way.
    The caller commits.
    """
    session_id = session.get(SESSION_ID)
    if isinstance(session_id, str):
        db.session.execute(delete(EndedSession).where(EndedSession.ends_at < now))
        signed_in = session.get(SIGNED_IN_AT)
        started = now if not isinstance(signed_in, int) else datetime.fromtimestamp(signed_in, UTC)
        db.session.merge(
            EndedSession(
                session_hash=_session_digest(session_id),
                ends_at=started + current_app.permanent_session_lifetime,
            )
        )
    forget_session()


def forget_session() -> None:
    """Log the browser out: the user and this session's clocks and id leave the cookie."""
    logout_user()
    for key in (*CLOCKS, SESSION_ID):
        session.pop(key, None)


# The device cookie: a random id and nothing else, so a check-in can be told
# apart from another made on the same phone (``events.checkin_checks``).
DEVICE_COOKIE = "tracker_device"
# Browsers keep a cookie at most 400 days.
DEVICE_COOKIE_LIFETIME = timedelta(days=400)
_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{32,64}")


def signed_in_at() -> datetime | None:
    """When the current session's user signed in; None for a session from before it was kept."""
    value = session.get(SIGNED_IN_AT)
    if not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, UTC)


def device_id() -> str | None:
    """This browser's device id: the cookie's, or the one this page is about to set."""
    return g.get("device_id")


def _read_device_cookie() -> None:
    g.device_id = g.new_device_id = None
    value = request.cookies.get(DEVICE_COOKIE, "")
    if _DEVICE_ID.fullmatch(value):
        g.device_id = value
    elif request.endpoint != "static" and not request.path.startswith("/api/"):
        # Set by the pages only: the API answers scripts, which keep no cookies.
        g.device_id = g.new_device_id = secrets.token_urlsafe(32)


def _set_device_cookie(response: Response) -> Response:
    new = g.pop("new_device_id", None)
    if new is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            new,
            max_age=int(DEVICE_COOKIE_LIFETIME.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,
        )
    return response


def start_session(now: datetime) -> None:
    """At login, before ``login_user``: a new CSRF token, and the session's clocks start.

    A CSRF token seen before the login (in a page left open on a shared
    computer) is worth nothing after it.
    """
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    session.permanent = True
    for key in CLOCKS:
        session[key] = int(now.timestamp())
    session[SESSION_ID] = secrets.token_urlsafe(32)


def password_entered(now: datetime) -> None:
    """The signed-in person has just typed their password again."""
    session[PASSWORD_AT] = int(now.timestamp())


def password_entered_within(now: datetime, minutes: int) -> bool:
    """Whether the password was typed (at login or since) at most ``minutes`` ago."""
    entered = session.get(PASSWORD_AT)
    return entered is not None and now.timestamp() - entered <= minutes * 60


def idle_limit(user: User) -> timedelta:
    """How long a session of this user may go without a request; the one place a role sets it."""
    if access.keeps_long_sessions(user):
        return timedelta(hours=current_app.config["TRACKER_SESSION_IDLE_HOURS"])
    return timedelta(hours=current_app.config["TRACKER_SESSION_IDLE_HOURS_PRIVILEGED"])


def _expired(now: float) -> bool:
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if signed_in is None or seen is None:
        return True  # a session from before these clocks existed
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    return now - signed_in > lifetime or now - seen > idle_limit(current_user).total_seconds()


def end_expired_session() -> None:
    """Before each request: a session idle too long, or older than its lifetime, ends.

    The cookie's own expiry cannot do it: a permanent session's cookie is
    signed again on every request, so it measures idle time only, and the
    browser keeps whatever it is told.
    """
    if "_user_id" not in session or not current_user.is_authenticated:
        return
    now = utcnow().timestamp()
    if _expired(now):
        forget_session()
        flash(_("Your login has expired. Please log in again."), "info")
        return
    session[SEEN_AT] = int(now)


def content_security_policy(
    chartjs_url: str, image_origin: str | None = None
) -> dict[str, list[str] | str]:
    scripts = ["'self'"]
    parts = urlsplit(chartjs_url)
    if parts.scheme and parts.netloc:
        # The one file, not its whole host: a CDN serves anyone's scripts.
        # ";" and "," would end the source expression; CSP ignores the query.
        path = quote(parts.path, safe="/:@!$&'()*+=~%-._")
        scripts.append(f"{parts.scheme}://{parts.netloc}{path}")
    return {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self'",
        # With signed evidence addresses, thumbnails come from the object store.
        "img-src": ["'self'", "data:", *([image_origin] if image_origin else [])],
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def _signed_evidence_origin(app) -> str | None:
    if app.config["TRACKER_STORAGE_SIGNED_URL_SECONDS"] <= 0:
        return None
    return storage.of(app).signed_origin()


def refuse_nul_bytes() -> None:
    """A NUL byte in a form or query is never legitimate, and PostgreSQL refuses to store one.

    The API checks its JSON bodies against its schemas and answers in JSON itself.
    """
    if request.path.startswith("/api/"):
        return
    for _key, values in (*request.args.lists(), *request.form.lists()):
        if any("\x00" in value for value in values):
            abort(400)


def refuse_large_bodies() -> None:
    """413 before anything reads the body: files may fill MAX_CONTENT_LENGTH, the rest less.

    Registered first, ahead of CSRF and rate limits. A body without a length
    (chunked) is cut at the same limit while it is read.
    """
    config = current_app.config
    limit = config["MAX_CONTENT_LENGTH"]
    if request.mimetype != "multipart/form-data":
        limit = config["MAX_FORM_MEMORY_SIZE"]
    if limit is None:
        return
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


STATIC_ENDPOINTS = {"static", "bootstrap.static"}


def no_store_when_signed_in(response):
    """A signed-in page, an export or an API answer is never kept by a browser or a proxy.

    Static files keep their own rules, and so do the public pages a visitor
    sees. The user is not loaded here: a request that never asked for it
    (or whose database session failed) is judged by its session cookie.
    """
    if request.endpoint in STATIC_ENDPOINTS:
        return response
    user = g.get("_login_user")
    signed_in = "_user_id" in session or (user is not None and user.is_authenticated)
    private = signed_in or request.path.startswith("/api/") or request.blueprint == "exports"
    if private and not response.cache_control.no_store:
        response.headers["Cache-Control"] = "no-store"
    return response


class TrustedProxies:
    """Werkzeug's ProxyFix for requests that came through a trusted proxy, and for no other.

    X-Forwarded-For and -Proto are believed. With a number of hops, that many
    values (counted from the right) are believed on every request: the app
    must be reachable only through the proxies. With addresses, the values
    are believed only when the peer is one of them, and then one hop.
    """

    def __init__(self, wsgi_app, trusted: int | tuple[str, ...]):
        self.direct = wsgi_app
        self.networks = ()
        hops = trusted
        if isinstance(trusted, tuple):
            self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in trusted)
            hops = 1
        # Not X-Forwarded-Host: nginx passes a client's on, and links are built from the host.
        self.proxied = ProxyFix(wsgi_app, x_for=hops, x_proto=hops)

    def through_a_proxy(self, environ) -> bool:
        if not self.networks:
            return True
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.through_a_proxy(environ):
            # tracker.requestlog believes the proxy's request id too.
            environ["tracker.proxied"] = True
            return self.proxied(environ, start_response)
        return self.direct(environ, start_response)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_large_bodies)
    app.before_request(refuse_nul_bytes)
    app.before_request(end_expired_session)
    app.before_request(_read_device_cookie)
    app.after_request(_set_device_cookie)
    app.after_request(no_store_when_signed_in)
    trusted = trusted_proxies(app.config["TRACKER_TRUSTED_PROXIES"])
    if trusted:
        app.wsgi_app = TrustedProxies(app.wsgi_app, trusted)
    elif app.config["TRACKER_HTTPS"]:
        app.logger.warning(
            "TRACKER_HTTPS is set but TRACKER_TRUSTED_PROXIES is not: X-Forwarded-* headers "
            "are ignored, so every request seems to come from the proxy's address."
        )
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
        content_security_policy=content_security_policy(
            app.config["TRACKER_CHARTJS_URL"], _signed_evidence_origin(app)
        ),
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "microphone": "()"},
    )
