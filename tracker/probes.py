"""/healthz, /readyz and /metrics, answered before Flask sees the request.

``/healthz``: the process serves (nothing else is asked). ``/readyz``: the
database answers and its schema is at the code's migration head, and Redis
answers where the app counts on it; 200 or 503, with the state of each part
in JSON. A load balancer sends traffic only to a server that is ready.

They sit in front of the Flask app, inside the trusted-proxy layer (so
/metrics sees the client's address): no session is read, no cookie set, no
rate limit counted, no user loaded, whatever the request carries. A probe
answers even when the database is away and every page answers 503.
"""

from __future__ import annotations

import json
from functools import cache
from urllib.parse import urlsplit

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from tracker import metrics
from tracker.config import PROJECT_ROOT

OK, UNREACHABLE, BEHIND = "ok", "unreachable", "not at head"
PATHS = ("/healthz", "/readyz", "/metrics")
REDIS_SCHEMES = ("redis", "rediss", "unix")
REDIS_TIMEOUT_SECONDS = 2


@cache
def code_heads() -> frozenset[str]:
    """The migration heads this version of the code brings (migrations/versions)."""
    return frozenset(ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads())


def schema_state(engine: Engine) -> str:
    """OK, UNREACHABLE, or BEHIND (the database's revision is not the code's head)."""
    try:
        with engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return UNREACHABLE
    return OK if current == code_heads() else BEHIND


def redis_urls(config) -> list[str]:
    """The Redis servers the app counts on: the job queue's (TRACKER_REDIS_URL) and the rate
    limits' storage when it is Redis; each once."""
    found = [config.get("TRACKER_REDIS_URL") or "", config.get("RATELIMIT_STORAGE_URI") or ""]
    return list(dict.fromkeys(url for url in found if urlsplit(url).scheme in REDIS_SCHEMES))


def redis_state(url: str) -> str:
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError):
        return UNREACHABLE
    finally:
        client.close()
    return OK


def readiness(app: Flask) -> tuple[bool, dict[str, str]]:
    from tracker.extensions import db

    with app.app_context():
        state = schema_state(db.engine)
    checks = {
        "database": OK if state != UNREACHABLE else UNREACHABLE,
        "migrations": state if state != UNREACHABLE else "unknown",
    }
    for index, url in enumerate(redis_urls(app.config)):
        checks["redis" if index == 0 else f"redis{index + 1}"] = redis_state(url)
    ready = checks["database"] == OK and checks["migrations"] == OK
    ready = ready and all(v == OK for k, v in checks.items() if k.startswith("redis"))
    return ready, checks


def _json(status: int, body: dict) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


class Probes:
    """WSGI middleware answering PATHS; every other request goes on to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.metrics_from = metrics.allowed_networks(app.config["TRACKER_METRICS_ALLOW"])

    def answer(self, path: str, environ) -> Response:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return Response(status=405, headers={"Allow": "GET, HEAD"})
        if path == "/healthz":
            return _json(200, {"status": "ok"})
        if path == "/readyz":
            ready, checks = readiness(self.app)
            return _json(
                200 if ready else 503,
                {"status": "ready" if ready else "unavailable", "checks": checks},
            )
        if not metrics.may_read(environ.get("REMOTE_ADDR"), self.metrics_from):
            return Response("Not Found\n", status=404, mimetype="text/plain")
        body, content_type = metrics.exposition()
        body += metrics.queue_length(self.app.config)
        return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path not in PATHS:
            return self.wsgi_app(environ, start_response)
        return self.answer(path, environ)(environ, start_response)


def init_app(app: Flask) -> None:
    """Before tracker.security wraps the app in the trusted-proxy layer."""
    app.wsgi_app = Probes(app, app.wsgi_app)
