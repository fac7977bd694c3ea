"""Settings: defaults here, then ``instance/config.py``, then environment variables.

Every setting a campus may change is listed in ``SETTINGS`` with the
environment variable that sets it, so the README and the loader cannot drift.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config

from tracker.setting_table import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Evidence files one activity may have (tracker.activities.evidence); the request cap follows.
MAX_EVIDENCE_FILES = 5

# Where the command line's links point when TRACKER_BASE_URL is empty: ``make run``.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def vendored_chartjs(instance_path: str | Path) -> Path:
    """Where ``flask vendor-chartjs`` keeps the campus's own copy of Chart.js: with the
    data, not the code, so an upgrade of the tracker keeps it."""
    return Path(instance_path) / "vendor" / "chart.umd.min.js"


def load_secret_key(instance_path: Path) -> str:
    """Return the instance's secret key, creating it once.

    A key generated anew at each start would log everyone out on every
    restart, so it is written to the instance folder and reused.
    """
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def instance_path_from_env() -> Path:
    return Path(os.environ.get("TRACKER_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


# What a request may carry besides its evidence files: every other field of a form.
FORM_MEMORY = 1024 * 1024


def derived_defaults(config, instance: Path) -> dict[str, Any]:
    """Settings of Flask and its extensions that the tracker sets, some from its own.

    Flask already holds several of these keys (MAX_CONTENT_LENGTH is None,
    PERMANENT_SESSION_LIFETIME 31 days), so they are assigned, not
    ``setdefault``: only ``instance/config.py`` or the caller's overrides win.
    """
    upload = config["TRACKER_UPLOAD_LIMIT_MB"] * 1024 * 1024
    return {
        "UPLOAD_FOLDER": str(instance / "uploads"),
        # A form carries several evidence files, each checked against the limit
        # on its own so the message names the file; the request cap stops abuse.
        "MAX_CONTENT_LENGTH": upload * MAX_EVIDENCE_FILES + FORM_MEMORY,
        # Form fields and JSON bodies (tracker.security caps bodies without files at this).
        "MAX_FORM_MEMORY_SIZE": FORM_MEMORY,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Behind an HTTPS proxy the app may not see the scheme (no proxy trusted).
        "SESSION_COOKIE_SECURE": bool(config["TRACKER_HTTPS"]),
        "REMEMBER_COOKIE_SECURE": bool(config["TRACKER_HTTPS"]),
        # The absolute lifetime of a session (tracker.security also ends idle ones).
        "PERMANENT_SESSION_LIFETIME": timedelta(days=config["TRACKER_SESSION_DAYS"]),
        # Flask-Limiter keeps the last app's value on its one object unless told.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
    }


def configure(app, overrides: dict[str, Any] | None = None) -> None:
    """Fill ``app.config``: defaults < instance/config.py < environment < overrides."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    for setting in SETTINGS:
        app.config[setting.key] = setting.default
    from_file = Config(str(instance))
    from_file.from_pyfile(str(instance / "config.py"), silent=True)
    app.config.update(from_file)
    for setting in SETTINGS:
        if setting.env in os.environ:
            app.config[setting.key] = setting.parse(os.environ[setting.env])
    app.config.update(overrides or {})

    given = set(from_file) | set(overrides or {})
    stated = given | {s.key for s in SETTINGS if s.env in os.environ}
    # One Redis setting serves the queue and the limits; a separate limits store still wins.
    if "RATELIMIT_STORAGE_URI" not in stated and app.config.get("TRACKER_REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["TRACKER_REDIS_URL"]
    for key, value in derived_defaults(app.config, instance).items():
        if key not in given:
            app.config[key] = value
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'tracker.db'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(instance)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TRACKER_TIMEZONE"]
