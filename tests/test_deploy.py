"""The deployment files in deploy/ and gunicorn.conf.py work as shipped.

nginx (Debian's) checks the site and serves the app through it, gunicorn
loads its configuration and the app, systemd and logrotate accept their
files, and the backup script keeps what it should. Each tool missing on a
developer's machine skips its test with the reason; CI installs them all.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tracker.config import PROJECT_ROOT, configure
from tracker.models import AuditEvent

from .conftest import missing

DEPLOY = PROJECT_ROOT / "deploy"
SITE = DEPLOY / "nginx" / "tracker.conf"
NGINX = "/usr/sbin/nginx"
MIB = 1024 * 1024


def _tool(name: str, path: str | None = None) -> str:
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    if not found:
        missing(f"{name} not installed (Debian: apt install {name})")
    return found


def _run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _replaced(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        # A path renamed in the shipped file must be renamed here too, not silently missed.
        assert old in text, f"{old!r} is no longer in the shipped file"
        text = text.replace(old, new)
    return text


def _certificate(folder: Path) -> tuple[Path, Path]:
    openssl = _tool("openssl")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    made = _run(
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "1", "-subj", "/CN=tracker.example.edu.cn",
        "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return cert, key


def _nginx_prefix(tmp_path: Path, site: str) -> Path:
    """A main nginx.conf of its own around the site, everything under tmp_path."""
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "tracker.conf").write_text(site)
    temp = "\n".join(
        f"  {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would run as nobody, who may not enter the test's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'};\nevents {{ worker_connections 64; }}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n{temp}\n"
        f"  access_log {prefix / 'access.log'};\n  include {prefix / 'tracker.conf'};\n}}\n"
    )
    return prefix


def _site(tmp_path: Path, **more: str) -> str:
    cert, key = _certificate(tmp_path)
    return _replaced(
        SITE.read_text(),
        {
            "/etc/ssl/tracker/fullchain.pem": str(cert),
            "/etc/ssl/tracker/privkey.pem": str(key),
            "/var/log/nginx/tracker.access.log": str(tmp_path / "tracker.access.log"),
            "/var/log/nginx/tracker.error.log": str(tmp_path / "tracker.error.log"),
            "/srv/tracker/static/": f"{PROJECT_ROOT / 'static'}/",
            **more,
        },
    )


def test_nginx_accepts_the_shipped_site_with_tls_and_http2(tmp_path):
    nginx = _tool("nginx", NGINX)
    prefix = _nginx_prefix(tmp_path, _site(tmp_path))
    checked = _run(nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"))
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_takes_the_largest_body_the_app_takes(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_UPLOAD_LIMIT_MB", raising=False)
    # nginx would answer a body the app accepts with its own 413 page, or let through what
    # the app refuses anyway: the two limits are one.
    found = re.search(r"^\s*client_max_body_size (\d+)m;", SITE.read_text(), re.MULTILINE)
    app = Flask(__name__, instance_path=str(tmp_path))
    configure(app)  # the defaults, as a server without settings has them
    assert int(found.group(1)) == math.ceil(app.config["MAX_CONTENT_LENGTH"] / MIB)


def _gunicorn() -> str:
    beside = Path(sys.executable).parent / "gunicorn"
    if beside.exists():
        return str(beside)
    return _tool("gunicorn")


def _environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRACKER_", "GUNICORN_", "WEB_CONCURRENCY", "PROMETHEUS_"))
    }
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        TRACKER_INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="deploy-test-" + "k" * 40,
        TRACKER_PASSWORD_TIME_COST="1",
        TRACKER_PASSWORD_MEMORY_KIB="64",
        **settings,
    )
    return env


@pytest.mark.slow
def test_gunicorn_loads_its_configuration_and_the_app(tmp_path):
    gunicorn = _gunicorn()
    config = str(PROJECT_ROOT / "gunicorn.conf.py")
    env = _environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}")
    # --check-config imports the app and builds it, as a worker would.
    loaded = _run(gunicorn, "-c", config, "--check-config", "tracker:create_app()", env=env)
    assert loaded.returncode == 0, loaded.stderr


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed: the units are checked where systemd is")
    units = tmp_path / "units"
    units.mkdir()
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        # The paths of a real server, pointed at this checkout and its environment.
        text = unit.read_text().replace("/srv/tracker/.venv", sys.prefix)
        # A template (tracker-worker@.service) is checked as an instance of it: verify
        # passes a bare template without reading it.
        name = unit.name.replace("@.", "@1.")
        (units / name).write_text(text.replace("/srv/tracker", str(PROJECT_ROOT)))
    verified = _run(analyze, "verify", *sorted(str(p) for p in units.iterdir()))
    said = [line for line in verified.stderr.splitlines() if "tracker" in line]
    assert verified.returncode == 0 and not said, verified.stderr


def test_logrotate_accepts_its_file(tmp_path):
    logrotate = _tool("logrotate", "/usr/sbin/logrotate")
    # The machine running the tests has no user "tracker".
    text = (DEPLOY / "logrotate" / "tracker").read_text().replace("tracker tracker", "root root")
    config = tmp_path / "tracker"
    config.write_text(text)
    config.chmod(0o644)
    checked = _run(logrotate, "-d", "-s", str(tmp_path / "state"), str(config))
    assert checked.returncode == 0 and "error" not in checked.stderr, checked.stderr


@pytest.mark.slow
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_backup_timer_keeps_new_backups_and_removes_old_ones(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    old, recent, other = (
        folder / n for n in ("tracker-old.tar.gz", "tracker-recent.tar.gz", "notes.txt")
    )
    for path in (old, recent, other):
        path.write_text("x")
    month_ago = time.time() - 30 * 24 * 3600
    for path in (old, other):
        os.utime(path, (month_ago, month_ago))
    env = _environment(
        tmp_path,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        FLASK=str(Path(sys.executable).parent / "flask"),
        BACKUP_DIR=str(folder),
        BACKUP_KEEP_DAYS="14",
    )
    done = _run(str(DEPLOY / "backup.sh"), env=env)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in folder.glob("tracker-2*.tar.gz"))
    assert len(made) == 1 and re.fullmatch(r"tracker-\d{8}T\d{6}Z\.tar\.gz", made[0])
    assert not old.exists() and recent.exists() and other.exists()

    # A failed backup removes nothing, however old the others are.
    os.utime(recent, (month_ago, month_ago))
    failed = _run(str(DEPLOY / "backup.sh"), env={**env, "FLASK": shutil.which("false")})
    assert failed.returncode != 0 and recent.exists()


# Through nginx ---------------------------------------------------------------


def _wait_until_up(port: int, server: subprocess.Popen, what: str) -> None:
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(f"{what} stopped: {server.stderr.read() if server.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not listen on {port}")


def _get(port: int, path: str, headers=None, source: str = "127.0.0.1", method="GET", body=None):
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0)
    )
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def _access_log_lines(path: Path, needle: str) -> list[str]:
    # gunicorn writes the line after it answered: wait for it, a bounded while.
    for _ in range(100):
        lines = path.read_text().splitlines() if path.exists() else []
        if any(needle in line for line in lines):
            return lines
        time.sleep(0.05)
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_app_served_by_gunicorn_behind_the_shipped_nginx_site(app, db, tmp_path):
    nginx = _tool("nginx", NGINX)
    front, back, plain = _free_port(), _free_port(), _free_port()
    site = _site(
        tmp_path,
        **{
            "listen 443 ssl http2;": f"listen 127.0.0.1:{front};",
            "listen [::]:443 ssl http2;": "",
            "listen 80;": f"listen 127.0.0.1:{plain};",
            "listen [::]:80;": "",
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{back};",
        },
    )
    prefix = _nginx_prefix(tmp_path, site)
    access_log = tmp_path / "gunicorn-access.log"
    env = _environment(
        tmp_path,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        GUNICORN_BIND=f"127.0.0.1:{back}",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG=str(access_log),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        TRACKER_TRUSTED_PROXIES="127.0.0.1",
    )
    gunicorn = subprocess.Popen(  # noqa: S603
        [_gunicorn(), "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "tracker:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    proxy = subprocess.Popen(  # noqa: S603
        [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_until_up(front, proxy, "nginx")
        _wait_until_up(back, gunicorn, "gunicorn")
        _check_through_nginx(front, back, plain, access_log, db)
    finally:
        for server in (proxy, gunicorn):
            server.terminate()
        for server in (proxy, gunicorn):
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            if server.stderr:
                server.stderr.close()


def _check_through_nginx(front: int, back: int, plain: int, access_log: Path, db) -> None:
    ready, body = _get(front, "/readyz")
    assert ready.status == 200, body

    page, body = _get(front, "/login", headers={"Accept-Language": "zh-CN"})
    assert page.status == 200 and "登录".encode() in body
    request_id = page.getheader("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, kept by the app
    lines = _access_log_lines(access_log, "GET /login")
    assert any(f"request_id={request_id}" in line for line in lines), lines

    stylesheet = re.search(rb'href="(/static/css/tracker\.css\?v=[0-9a-f]{12})"', body).group(1)
    static, css = _get(front, stylesheet.decode())
    assert static.status == 200 and b"{" in css
    assert static.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    # Straight from disk: gunicorn never saw it.
    assert not any("/static/" in line for line in _access_log_lines(access_log, "GET /login"))

    # A client's own X-Forwarded-For is replaced by nginx with the address it came from.
    response, _ = _get(
        front,
        "/api/v1/tokens",
        method="POST",
        source="127.0.0.5",
        headers={"X-Forwarded-For": "6.6.6.6", "Content-Type": "application/json"},
        body=json.dumps({"student_no": "20260999", "password": "wrong-password-1"}),
    )
    assert response.status == 401
    db.session.rollback()
    seen = db.session.scalars(
        select(AuditEvent.ip_address).where(AuditEvent.action == "auth.token_failed")
    ).all()
    assert seen == ["127.0.0.5"]

    assert _get(front, "/metrics")[0].status == 404  # never through nginx
    metrics, text = _get(back, "/metrics")  # Prometheus asks gunicorn itself
    assert metrics.status == 200
    assert b'tracker_request_duration_seconds_count{endpoint="auth.login",method="GET"}' in text

    redirect, _ = _get(plain, "/login?next=/")
    assert redirect.status == 301
    assert redirect.getheader("Location").startswith("https://")
