"""JSON errors for the API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from tracker.errors import DomainError, InvalidInput

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    428: "precondition_required",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class BadRequest(InvalidInput):
    """Malformed parameters or body: the client must fix its request."""

    status = 400


Unprocessable = InvalidInput


class Unauthorized(DomainError):
    status = 401

    def __init__(self, message=None):
        super().__init__(message or _l("Send a valid token: Authorization: Bearer <token>."))


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, message, fields: dict | None = None, code: str | None = None):
    """The API's error body with ``status``; messages are translated on the way out."""
    body = {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": str(message),
            "fields": {name: str(text) for name, text in (fields or {}).items()},
        }
    }
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    return response


def domain_error_response(error: DomainError):
    fields = getattr(error, "errors", None)
    if fields is None and error.field:
        fields = {error.field: error.message}
    return error_response(error.status, error.message, fields)
