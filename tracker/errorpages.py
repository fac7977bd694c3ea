"""Error pages in the user's language; bad input never becomes a 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import DomainError

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see or do this."),
    404: _l("There is nothing here."),
    405: _l("This page cannot be used that way."),
    409: _l("This changed meanwhile; please reload and try again."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts."),
    500: _l("Something went wrong on our side. The error was logged."),
}


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
        return _page(code, MESSAGES.get(code, error.description))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _page(400, _l("The form expired. Go back, reload the page and submit again."))

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        minutes = retry_after_minutes(error)
        message = _l("Too many attempts. Please try again in %(n)d minutes.", n=minutes)
        response = render_template("errors/error.html", code=429, message=message), 429
        return response

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return _page(error.status, error.message)

    @app.errorhandler(500)
    def server_error(error):
        app.logger.exception("error on %s", request.path)
        return _page(500, MESSAGES[500])
