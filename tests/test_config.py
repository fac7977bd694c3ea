"""Settings as the app starts with them: defaults, files, environment, and what it refuses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
import pytest
from flask import Flask

from tracker import create_app
from tracker.config import FORM_MEMORY, derived_defaults
from tracker.limits import worker_count

from .conftest import BASE_CONFIG

MB = 1024 * 1024


@pytest.fixture
def plain_env(monkeypatch):
    """No worker counts or gunicorn arguments from the machine running the tests."""
    for name in ("TRACKER_WORKERS", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.argv", ["pytest"])


def test_the_default_configuration_limits_bodies_and_sessions(plain_env):
    app = create_app()
    # Five evidence files of 5 MB and the rest of the form; Flask's own default is no limit.
    assert app.config["MAX_CONTENT_LENGTH"] == 5 * 5 * MB + FORM_MEMORY
    assert app.config["MAX_FORM_MEMORY_SIZE"] == FORM_MEMORY == MB
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.permanent_session_lifetime != Flask.default_config["PERMANENT_SESSION_LIFETIME"]


def test_every_derived_default_is_applied_over_flasks_own(plain_env):
    app = create_app()
    expected = derived_defaults(app.config, Path(app.instance_path))
    flasks_own = {key for key in expected if key in Flask.default_config}
    assert {
        "MAX_CONTENT_LENGTH",
        "MAX_FORM_MEMORY_SIZE",
        "PERMANENT_SESSION_LIFETIME",
    } <= flasks_own
    for key, value in expected.items():
        assert app.config[key] == value, key


def test_login_limits_are_on_in_an_app_created_after_one_without(plain_env):
    from tracker.extensions import limiter

    create_app({"RATELIMIT_ENABLED": False})
    create_app()
    assert limiter.enabled


@pytest.mark.parametrize("megabytes", [1, 20])
def test_the_request_limit_follows_the_upload_limit(plain_env, monkeypatch, megabytes):
    monkeypatch.setenv("TRACKER_UPLOAD_LIMIT_MB", str(megabytes))
    assert create_app().config["MAX_CONTENT_LENGTH"] == 5 * megabytes * MB + FORM_MEMORY


def test_the_instance_file_and_the_caller_still_win(plain_env, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("MAX_CONTENT_LENGTH = 1234\nMAX_FORM_MEMORY_SIZE = None\n")
    app = create_app({"PERMANENT_SESSION_LIFETIME": timedelta(hours=2)})
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["MAX_FORM_MEMORY_SIZE"] is None
    assert app.permanent_session_lifetime == timedelta(hours=2)


def test_https_marks_cookies_secure_without_trusting_a_proxy(plain_env, monkeypatch):
    monkeypatch.setenv("TRACKER_HTTPS", "true")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TRACKER_TRUSTED_PROXIES"] == 0


# Rate limits counted in memory are per worker -------------------------------

PRODUCTION = {"SECRET_KEY": "k", "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.mark.parametrize(
    ("configured", "environ", "argv", "count"),
    [
        (None, {}, ["pytest"], 1),
        (3, {}, ["pytest"], 3),
        (None, {"WEB_CONCURRENCY": "4"}, ["pytest"], 4),
        (None, {"GUNICORN_CMD_ARGS": "--bind 0:8000 --workers=5"}, ["pytest"], 5),
        (None, {}, ["/srv/.venv/bin/gunicorn", "-w", "4", "tracker:create_app()"], 4),
        (None, {}, ["/srv/.venv/bin/gunicorn", "-w2", "tracker:create_app()"], 2),
        (None, {}, ["/srv/.venv/bin/gunicorn", "--workers", "6", "app"], 6),
        (None, {}, ["/srv/other", "-w", "4"], 1),
        (1, {"WEB_CONCURRENCY": "4"}, ["pytest"], 1),
    ],
)
def test_worker_count_reads_the_settings_and_gunicorns_arguments(configured, environ, argv, count):
    assert worker_count(configured, environ, argv) == count


def test_several_workers_with_limits_in_memory_refuse_to_start(plain_env, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with pytest.raises(RuntimeError, match="TRACKER_REDIS_URL"):
        create_app(PRODUCTION)


def test_gunicorns_command_line_counts_as_several_workers(plain_env, monkeypatch):
    monkeypatch.setattr("sys.argv", ["/srv/.venv/bin/gunicorn", "-w", "4", "tracker:create_app()"])
    with pytest.raises(RuntimeError, match="4 workers"):
        create_app(PRODUCTION)


def test_several_workers_start_with_shared_limits_or_one_worker(plain_env, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert create_app({**PRODUCTION, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"})
    monkeypatch.setenv("TRACKER_WORKERS", "1")
    assert create_app(PRODUCTION)


def test_tests_debugging_and_commands_are_not_refused(plain_env, monkeypatch, caplog):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert create_app({**PRODUCTION, "DEBUG": True})
    # `flask --app tracker db upgrade` on a host that exports WEB_CONCURRENCY: a warning.
    with click.Context(click.Command("upgrade")):
        assert create_app(PRODUCTION)
    assert "count failed logins in memory" in caplog.text
