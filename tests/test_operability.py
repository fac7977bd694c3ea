"""What a server's operator and its load balancer ask: /healthz, /readyz, /metrics, request
ids, JSON logs, and static files cacheable for a year."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import time
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from prometheus_client import REGISTRY

from tracker import create_app
from tracker.extensions import db as _db
from tracker.ledger import points
from tracker.requestlog import JsonFormatter

from .conftest import BASE_CONFIG, TODAY, missing
from .test_database_away import AWAY


def _app(tmp_path, **config):
    return create_app({**BASE_CONFIG, "UPLOAD_FOLDER": str(tmp_path / "uploads"), **config})


def test_probes_answer_json_and_never_set_a_cookie(client, app):
    # A probe that carries a session cookie still loads no user and gets no cookie back.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "not-a-session")
    for path, status in (("/healthz", 200), ("/readyz", 200)):
        response = client.get(path)
        assert response.status_code == status and response.is_json, path
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/readyz").json == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }
    assert client.post("/healthz").status_code == 405


def test_readyz_fails_while_the_database_is_unreachable_and_recovers(tmp_path):
    folder = tmp_path / "not-yet"
    app = _app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'tracker.db'}")
    client = app.test_client()

    away = client.get("/readyz")
    assert away.status_code == 503
    assert away.json["checks"]["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200  # the process itself is fine

    folder.mkdir()  # the database is back, but empty: not ready to serve
    empty = client.get("/readyz")
    assert empty.status_code == 503
    assert empty.json["checks"] == {"database": "ok", "migrations": "not at head"}

    with app.app_context():
        upgrade()
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_at_once_when_postgresql_is_down(tmp_path):
    response = _app(tmp_path, SQLALCHEMY_DATABASE_URI=AWAY).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [  # noqa: S607
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("redis-server did not start")


def test_readyz_follows_redis_when_the_limits_are_counted_there(app, tmp_path):
    if shutil.which("redis-server") is None:
        missing("redis-server not installed (Debian: apt install redis-server)")
    port = _free_port()
    limited = _app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
    )
    client = limited.test_client()
    assert client.get("/readyz").json["checks"]["redis"] == "unreachable"
    server = _start_redis(port)
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json["checks"]["redis"] == "ok"
    finally:
        server.terminate()
        server.wait(10)
    assert client.get("/readyz").status_code == 503
    with limited.app_context():
        _db.engine.dispose()


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_time_requests_by_endpoint_and_count_committed_ledger_rows(app, client, make, db):
    before = _sample("tracker_request_duration_seconds_count", endpoint="auth.login", method="GET")
    client.get("/login")
    client.get("/no-such-page")
    after = _sample("tracker_request_duration_seconds_count", endpoint="auth.login", method="GET")
    assert after == before + 1
    assert _sample("tracker_responses_total", endpoint="unmatched", status="404") >= 1

    committee = make.committee()
    member = make.member(committee.branch)
    booked = _sample("tracker_ledger_entries_total", kind="adjustment")
    points.adjust_points(db.session, member, committee, Decimal(2), "补记", TODAY)
    db.session.rollback()  # never booked: not counted
    points.adjust_points(db.session, member, committee, Decimal(3), "补记", TODAY)
    db.session.commit()
    assert _sample("tracker_ledger_entries_total", kind="adjustment") == booked + 1

    page = client.get("/metrics")
    assert page.status_code == 200 and page.mimetype == "text/plain"
    assert 'tracker_request_duration_seconds_bucket{endpoint="auth.login"' in page.text
    assert "Set-Cookie" not in page.headers


@pytest.mark.config(TRACKER_TRUSTED_PROXIES="127.0.0.1")
def test_metrics_answer_only_the_configured_addresses(client):
    assert client.get("/metrics").status_code == 200
    outsider = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=outsider).status_code == 404
    # Through the trusted proxy, the client's address counts, not the proxy's.
    forwarded = client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
    assert forwarded.status_code == 404


@pytest.mark.config(TRACKER_TRUSTED_PROXIES="127.0.0.1")
def test_request_id_comes_from_the_trusted_proxy_or_is_made(client):
    given = {"X-Request-ID": "0123456789abcdef0123456789abcdef"}
    assert client.get("/login", headers=given).headers["X-Request-ID"] == given["X-Request-ID"]
    # A client's own header, not through the proxy, is replaced.
    direct = client.get("/login", headers=given, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert re.fullmatch(r"[0-9a-f]{32}", direct.headers["X-Request-ID"])
    assert direct.headers["X-Request-ID"] != given["X-Request-ID"]
    # Something that is no plain token is not believed even from the proxy.
    odd = client.get("/login", headers={"X-Request-ID": "a b\u00e9c<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-ID"])


def test_json_logs_carry_the_request_id(tmp_path):
    level = logging.getLogger("tracker").level
    app = _app(tmp_path, TRACKER_LOG_FORMAT="json", TRACKER_TRUSTED_PROXIES="127.0.0.1")
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    try:
        assert handlers, "TRACKER_LOG_FORMAT=json puts a JSON handler on the root logger"
        lines = []

        @app.after_request
        def note(response):
            record = logging.LogRecord(
                "tracker", logging.WARNING, __file__, 1, "备份 %s", ("好",), None
            )
            lines.append(json.loads(handlers[0].format(record)))
            return response

        headers = {"X-Request-ID": "req-42-abcdef", "X-Forwarded-For": "10.9.8.7"}
        app.test_client().get("/login", headers=headers)
        (line,) = lines
        assert line["message"] == "备份 好" and line["level"] == "WARNING"
        assert line["request_id"] == "req-42-abcdef" and line["path"] == "/login"
        assert line["remote_addr"] == "10.9.8.7"
        assert app.logger.getEffectiveLevel() == logging.INFO
    finally:
        # Loggers outlive the app: the next tests log as they did before.
        for handler in handlers:
            root.removeHandler(handler)
        app.logger.setLevel(level)


def test_static_files_are_linked_by_version_and_cached_for_a_year(client):
    page = client.get("/login").text
    links = re.findall(r'(/(?:bootstrap/)?static/[^"?]+)\?v=([0-9a-f]{12})"', page)
    assert any(path == "/static/css/tracker.css" for path, _ in links)
    assert any(path.startswith("/bootstrap/static/") for path, _ in links)
    for path, version in links:
        served = client.get(f"{path}?v={version}")
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        served.close()
    # Without its version the file may have changed: the browser asks again.
    plain = client.get("/static/css/tracker.css")
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    plain.close()


def test_a_mistyped_metrics_address_stops_the_start(tmp_path):
    # A mistyped address stops the start with the reason, not a request later.
    with pytest.raises(ValueError, match="10.0.0.300"):
        _app(tmp_path, TRACKER_METRICS_ALLOW="10.0.0.300")
