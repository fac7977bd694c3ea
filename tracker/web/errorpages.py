"""Error pages in the user's language; bad input never becomes a 500."""

from __future__ import annotations

from flask import Flask, current_app, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from tracker.api.errors import domain_error_response, error_response, is_api_request
from tracker.database import unreachable
from tracker.errors import DomainError
from tracker.extensions import db, login_manager

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see or do this."),
    404: _l("There is nothing here."),
    405: _l("This page cannot be used that way."),
    409: _l("This changed meanwhile; please reload and try again."),
    413: _l("The request is too large."),
    429: _l("Too many attempts."),
    500: _l("Something went wrong on our side. The error was logged."),
    503: _l("The tracker cannot reach its database just now. Please try again in a minute."),
}
# How long a client should wait before asking again while the database is away.
RETRY_AFTER_SECONDS = 30
# When even the error page fails: no template, no database, both languages.
PLAIN_500 = "500: Something went wrong on our side. The error was logged.\n服务器出错，已记录。\n"
PLAIN_503 = (
    "503: The database cannot be reached just now; try again in a minute.\n"
    "暂时无法连接数据库，请稍后再试。\n"
)


def _page(code: int, message) -> tuple[str, int]:
    return render_template("errors/error.html", code=code, message=message), code


def retry_after_minutes(error: RateLimitExceeded) -> int:
    seconds = 60
    if error.limit is not None:
        seconds = error.limit.limit.get_expiry()
    return max(1, -(-seconds // 60))


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if is_api_request():
            return error_response(code, MESSAGES.get(code, error.description))
        return _page(code, MESSAGES.get(code, error.description))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if is_api_request():
            message = _l("Session requests that change data need the X-CSRFToken header.")
            return error_response(400, message, code="csrf")
        return _page(400, _l("The form expired. Go back, reload the page and submit again."))

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        minutes = retry_after_minutes(error)
        message = _l("Too many attempts. Please try again in %(n)d minutes.", n=minutes)
        if error.limit is not None and error.limit.error_message:
            message = error.description  # a limit that says what was too many (uploads)
        if is_api_request():
            response = error_response(429, message)
            response.headers["Retry-After"] = str(minutes * 60)
            return response
        response = render_template("errors/error.html", code=429, message=message), 429
        return response

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # Nothing of a refused request is kept, and the page drawn now (its
        # navigation counts) must not see what it had flushed either.
        db.session.rollback()
        if is_api_request():
            response = domain_error_response(error)
        else:
            response = make_response(_page(error.status, error.message))
        # A service that is away for a while (the evidence store) says when to try again.
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    app.register_error_handler(500, server_error)
    app.register_error_handler(DBAPIError, database_error)


def server_error(error):
    current_app.logger.exception("error on %s", request.path)
    _start_afresh()
    if is_api_request():
        return error_response(500, MESSAGES[500])
    try:
        return _page(500, MESSAGES[500])
    except Exception:
        # The page itself failed (the database is gone): a plain answer, not a second trace.
        current_app.logger.exception("the error page failed on %s", request.path)
        return PLAIN_500, 500, {"Content-Type": "text/plain; charset=utf-8"}


def database_error(error: DBAPIError):
    """503 with Retry-After while the database cannot be reached; any other is a 500.

    Nothing here touches the database: the page is drawn for a visitor, so the
    user is not loaded from it. The pool checks connections before use
    (pool_pre_ping), so the app recovers by itself once the database is back.
    """
    if not unreachable(error):
        return server_error(error)
    current_app.logger.error("database unreachable on %s: %s", request.path, error.orig)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone
        db.session.remove()
    g._login_user = login_manager.anonymous_user()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if is_api_request():
        response = error_response(503, MESSAGES[503])
        response.headers.update(headers)
        return response
    try:
        return (*_page(503, MESSAGES[503]), headers)
    except Exception:  # noqa: BLE001 - the page needs nothing the database holds
        current_app.logger.exception("the 503 page failed on %s", request.path)
        return PLAIN_503, 503, {"Content-Type": "text/plain; charset=utf-8", **headers}


def _start_afresh() -> None:
    """Roll back the failed transaction before the page asks the database anything.

    On PostgreSQL a failed statement aborts the transaction: loading the user
    or the language for the page from it would fail again. If even the
    rollback fails, the page is drawn for a visitor, loading nothing.
    """
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.exception("rollback failed on %s", request.path)
        g._login_user = login_manager.anonymous_user()
