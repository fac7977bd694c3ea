"""A request id on every answer, and logs as one JSON object a line (TRACKER_LOG_FORMAT=json).

The id comes from the trusted proxy's X-Request-ID (nginx's $request_id,
deploy/nginx/tracker.conf), so nginx's log, gunicorn's access log and the
app's lines name the same request; without a trusted proxy, or when the
header is not a plain token, the app makes one. A client's own header is
never believed: it could make one request look like another in the logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, has_request_context, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
# Set by tracker.security.TrustedProxies when it believed the forwarded headers.
PROXIED = "tracker.proxied"
_KEY = "tracker.request_id"
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id() -> str | None:
    """This request's id (made on first use); None outside a request."""
    if not has_request_context():
        return None
    environ = request.environ
    if _KEY not in environ:
        given = request.headers.get(HEADER, "")
        trusted = environ.get(PROXIED) and _TOKEN.fullmatch(given)
        environ[_KEY] = given if trusted else uuid.uuid4().hex
    return environ[_KEY]


def _echo(response):
    response.headers[HEADER] = request_id()
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, and the request's id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry.update(
                request_id=request_id(),
                method=request.method,
                path=request.path,
                remote_addr=request.remote_addr,
            )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _log_json(app: Flask) -> None:
    # On the root logger, so the libraries' lines (SQLAlchemy, the rate limiter) are JSON too;
    # gunicorn's own loggers do not pass their lines up to it.
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    app.logger.removeHandler(default_handler)
    # The app's notes (such as the audit chain's head at each backup) are INFO.
    if app.logger.level == logging.NOTSET or app.logger.level > logging.INFO:
        app.logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    app.after_request(_echo)
    if app.config["TRACKER_LOG_FORMAT"] == "json":
        _log_json(app)
