"""Settings: defaults here, then ``instance/config.py``, then environment variables.

Every setting a campus may change is listed in ``SETTINGS`` with the
environment variable that sets it, so the README and the loader cannot drift.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Evidence files one activity may have (tracker.activities.evidence); the request cap follows.
MAX_EVIDENCE_FILES = 5

# Where the command line's links point when TRACKER_BASE_URL is empty: ``make run``.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"

CHARTJS_URL = "https://cdn.jsdelivr.net/npm/chart.js@4.5.1/dist/chart.umd.min.js"
CHARTJS_INTEGRITY = "sha384-jb8JQMbMoBUzgWatfe6COACi2ljcDdZQ2OxczGA3bGNeWe+6DChMTBJemed7ZnvJ"


def vendored_chartjs(instance_path: str | Path) -> Path:
    """Where ``flask vendor-chartjs`` keeps the campus's own copy of Chart.js: with the
    data, not the code, so an upgrade of the tracker keeps it."""
    return Path(instance_path) / "vendor" / "chart.umd.min.js"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# How much of a member leaderboard members see (``ranking.visibility``): everyone;
# the upper half only; their own rank with N above and below; their own rank only.
BOARD_MODES = ("full", "upper_half", "neighbours", "own")


def board_mode(value: str) -> str:
    value = value.strip().lower()
    if value not in BOARD_MODES:
        raise ValueError(f"one of {', '.join(BOARD_MODES)}")
    return value


def trusted_proxies(value: int | str | list[str] | tuple[str, ...]) -> int | tuple[str, ...]:
    """TRACKER_TRUSTED_PROXIES: a number of proxy hops, or the proxies' addresses or networks.

    0 or empty trusts none. A wrong address stops the start, not a request.
    """
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = value.strip()
        if value.isascii() and value.isdigit():
            return int(value)
        value = value.split(",")
    found = tuple(part.strip() for part in value if part.strip())
    for part in found:
        ipaddress.ip_network(part, strict=False)
    return found


# 三会一课 and the other required meetings (``tracker.events.kinds``), in the
# order pages list them; "other" is any event that is none of them.
MEETING_KINDS = (
    "congress",  # 支部党员大会
    "committee",  # 支委会
    "group",  # 党小组会
    "lecture",  # 党课
    "theme_day",  # 主题党日
    "life_meeting",  # 组织生活会
    "appraisal",  # 民主评议党员
)
FREQUENCY_PERIODS = ("month", "quarter", "term", "year")
# The 支部工作条例's defaults; a school that wants two 党课 a term sets lecture=2/term.
DEFAULT_MEETING_FREQUENCIES = (
    "congress=1/quarter, committee=1/month, group=1/month, theme_day=1/month, "
    "lecture=1/quarter, life_meeting=1/year, appraisal=1/year"
)


def meeting_frequencies(value: str | dict) -> dict[str, tuple[int, str]]:
    """TRACKER_MEETING_FREQUENCIES: ``kind=count/period`` pairs separated by commas.

    Kinds left out keep their default; ``kind=0/year`` requires none. A wrong
    entry stops the start, not a request.
    """
    if isinstance(value, dict):
        return value
    rules: dict[str, tuple[int, str]] = {}
    for text in (DEFAULT_MEETING_FREQUENCIES, value):
        for part in filter(None, (p.strip() for p in text.split(","))):
            kind, _, rule = part.partition("=")
            count, _, period = rule.partition("/")
            kind, period, count = kind.strip(), period.strip(), count.strip()
            if kind not in MEETING_KINDS or period not in FREQUENCY_PERIODS:
                raise ValueError(f"TRACKER_MEETING_FREQUENCIES: cannot read {part!r}")
            if not (count.isascii() and count.isdigit()) or int(count) > 31:
                raise ValueError(f"TRACKER_MEETING_FREQUENCIES: cannot read {part!r}")
            rules[kind] = (int(count), period)
    return rules


@dataclass(frozen=True)
class Setting:
    key: str
    env: str
    default: Any
    parse: Callable[[str], Any] = str
    help: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        "DATABASE_URL",
        None,
        str,
        "Database URL; default is SQLite in the instance folder. "
        "PostgreSQL: postgresql+psycopg://user@host/dbname",
    ),
    Setting(
        "SECRET_KEY",
        "SECRET_KEY",
        None,
        str,
        "Signs sessions and CSRF tokens; if unset, generated once into "
        "instance/secret_key and reused",
    ),
    Setting(
        "TRACKER_TIMEZONE",
        "TRACKER_TIMEZONE",
        "Asia/Shanghai",
        str,
        "Time zone in which days, weeks and times are shown",
    ),
    Setting(
        "TRACKER_BACKDATE_DAYS",
        "TRACKER_BACKDATE_DAYS",
        14,
        int,
        "How many days back an activity may be logged, and an event may start",
    ),
    Setting(
        "TRACKER_EVENT_CLOSES_PER_DAY",
        "TRACKER_EVENT_CLOSES_PER_DAY",
        3,
        int,
        "How many events one branch may close on one day",
    ),
    Setting(
        "TRACKER_UPLOAD_LIMIT_MB",
        "TRACKER_UPLOAD_LIMIT_MB",
        5,
        int,
        "Largest evidence file, in megabytes",
    ),
    Setting(
        "TRACKER_UPLOAD_LIMIT_PER_MINUTE",
        "TRACKER_UPLOAD_LIMIT_PER_MINUTE",
        20,
        int,
        "Evidence files one member may upload per minute (web and API together)",
    ),
    Setting(
        "TRACKER_STORAGE_URL",
        "TRACKER_STORAGE_URL",
        "",
        str,
        "Where evidence files are kept: empty for the instance folder's uploads/, or "
        "s3://bucket/prefix for an S3-compatible object store (MinIO, Ceph, a campus OSS)",
    ),
    Setting(
        "TRACKER_S3_ENDPOINT_URL",
        "TRACKER_S3_ENDPOINT_URL",
        "",
        str,
        "The object store's address, such as https://oss.example.edu.cn; empty: AWS",
    ),
    Setting("TRACKER_S3_REGION", "TRACKER_S3_REGION", "us-east-1", str, "Its region"),
    Setting(
        "TRACKER_S3_ACCESS_KEY_ID",
        "TRACKER_S3_ACCESS_KEY_ID",
        "",
        str,
        "The access key; empty: boto3's own (AWS_ACCESS_KEY_ID, ~/.aws)",
    ),
    Setting("TRACKER_S3_SECRET_ACCESS_KEY", "TRACKER_S3_SECRET_ACCESS_KEY", "", str, "Its secret"),
    Setting(
        "TRACKER_S3_ADDRESSING_STYLE",
        "TRACKER_S3_ADDRESSING_STYLE",
        "auto",
        str,
        "path (bucket in the path: MinIO, Ceph) or virtual (bucket in the host name: "
        "Aliyun OSS and most campus clouds); auto lets boto3 choose",
    ),
    Setting(
        "TRACKER_STORAGE_SIGNED_URL_SECONDS",
        "TRACKER_STORAGE_SIGNED_URL_SECONDS",
        0,
        int,
        "0: evidence is served through the app; more: after the access check the browser "
        "is sent to a signed address of the object store valid this many seconds",
    ),
    Setting(
        "TRACKER_BACKUP_KEY_FILE",
        "TRACKER_BACKUP_KEY_FILE",
        None,
        str,
        "File holding the key that signs backups; default instance/backup_key, created "
        "once. Keep a copy away from the backups: a restore checks the signature with it",
    ),
    Setting(
        "TRACKER_CHARTJS_URL",
        "TRACKER_CHARTJS_URL",
        CHARTJS_URL,
        str,
        "Where pages load Chart.js from (a CDN or a campus mirror)",
    ),
    Setting(
        "TRACKER_CHARTJS_INTEGRITY",
        "TRACKER_CHARTJS_INTEGRITY",
        CHARTJS_INTEGRITY,
        str,
        "Subresource-integrity hash of that file; empty to omit",
    ),
    Setting(
        "TRACKER_SHOW_FULL_NAMES",
        "TRACKER_SHOW_FULL_NAMES",
        False,
        _bool,
        "Whether members see each other's full names on leaderboards",
    ),
    *(
        Setting(
            f"TRACKER_BOARD_{scope.upper()}",
            f"TRACKER_BOARD_{scope.upper()}",
            "full",
            board_mode,
            f"What members see of a {scope} member leaderboard: full, upper_half, "
            "neighbours or own",
        )
        for scope in ("branch", "college", "school")
    ),
    Setting(
        "TRACKER_BOARD_NEIGHBOURS",
        "TRACKER_BOARD_NEIGHBOURS",
        5,
        int,
        "In the neighbours mode, how many members above and below their own a member sees",
    ),
    Setting(
        "TRACKER_BRANCH_PRIOR_MEMBERS",
        "TRACKER_BRANCH_PRIOR_MEMBERS",
        5,
        int,
        "The branch board's adjusted points per member counts each branch as if it had this "
        "many more members earning the college's mean (see the README)",
    ),
    Setting(
        "TRACKER_INACTIVE_DAYS",
        "TRACKER_INACTIVE_DAYS",
        30,
        int,
        "Days without an approved activity after which the committee dashboard lists a "
        "member as inactive",
    ),
    Setting(
        "TRACKER_ACTIVATION_DAYS",
        "TRACKER_ACTIVATION_DAYS",
        14,
        int,
        "How long an account activation link stays valid, in days",
    ),
    Setting(
        "TRACKER_IMPORT_MAX_ROWS",
        "TRACKER_IMPORT_MAX_ROWS",
        10_000,
        int,
        "The most rows one member import file may have (the web page and import-members)",
    ),
    Setting(
        "TRACKER_BASE_URL",
        "TRACKER_BASE_URL",
        "",
        str,
        "The address members open the site at (http://192.168.1.20:5000 to try it on a phone); "
        "QR codes, mailed links and activation links are built with it. Empty: the address of "
        "the request (the command line: http://127.0.0.1:5000)",
    ),
    Setting(
        "TRACKER_MAIL_SERVER",
        "TRACKER_MAIL_SERVER",
        "",
        str,
        "The campus SMTP server that sends password-reset links; empty: no mail, and the login "
        "page tells members to ask for a reset instead",
    ),
    Setting("TRACKER_MAIL_PORT", "TRACKER_MAIL_PORT", 25, int, "Port of the SMTP server"),
    Setting(
        "TRACKER_MAIL_USERNAME",
        "TRACKER_MAIL_USERNAME",
        "",
        str,
        "User name on the SMTP server; empty: no login",
    ),
    Setting("TRACKER_MAIL_PASSWORD", "TRACKER_MAIL_PASSWORD", "", str, "Its password"),
    Setting(
        "TRACKER_MAIL_USE_TLS",
        "TRACKER_MAIL_USE_TLS",
        False,
        _bool,
        "TLS from the start (SMTPS, usually port 465)",
    ),
    Setting(
        "TRACKER_MAIL_STARTTLS",
        "TRACKER_MAIL_STARTTLS",
        False,
        _bool,
        "STARTTLS after connecting (usually port 587)",
    ),
    Setting(
        "TRACKER_MAIL_SENDER",
        "TRACKER_MAIL_SENDER",
        "",
        str,
        "The From address of the mails, such as 学习积分 <tracker@example.edu.cn>; default: the "
        "user name",
    ),
    Setting(
        "TRACKER_PASSWORD_RESET_MINUTES",
        "TRACKER_PASSWORD_RESET_MINUTES",
        60,
        int,
        "How many minutes a mailed password-reset link works",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "TRACKER_RATELIMIT_STORAGE_URI",
        "memory://",
        str,
        "Where login attempts and uploads are counted; redis://127.0.0.1:6379 when "
        "several workers serve the app",
    ),
    Setting(
        "TRACKER_LOGIN_LIMIT_PAIR",
        "TRACKER_LOGIN_LIMIT_PAIR",
        "5 per 5 minutes",
        str,
        "Failed logins (login form and API together) allowed for one student number from one "
        "address; then that address is refused for that account until the window passes",
    ),
    Setting(
        "TRACKER_LOGIN_LIMIT_ADDRESS",
        "TRACKER_LOGIN_LIMIT_ADDRESS",
        "20 per 10 minutes",
        str,
        "Failed logins (login form and API together) allowed from one address, any accounts",
    ),
    Setting(
        "TRACKER_LOGIN_DELAY_AFTER",
        "TRACKER_LOGIN_DELAY_AFTER",
        10,
        int,
        "Failed logins for one student number, from every address within a day, after which "
        "each further failure makes the next attempt wait 2, 4, 8 ... seconds",
    ),
    Setting(
        "TRACKER_LOGIN_DELAY_MAX_SECONDS",
        "TRACKER_LOGIN_DELAY_MAX_SECONDS",
        900,
        int,
        "The longest such wait, in seconds",
    ),
    Setting(
        "TRACKER_API_TOKEN_DAYS",
        "TRACKER_API_TOKEN_DAYS",
        90,
        int,
        "How many days a personal access token for the API stays valid",
    ),
    Setting(
        "TRACKER_SESSION_IDLE_HOURS",
        "TRACKER_SESSION_IDLE_HOURS",
        72,
        int,
        "Hours without a request after which a member's session ends",
    ),
    Setting(
        "TRACKER_SESSION_IDLE_HOURS_PRIVILEGED",
        "TRACKER_SESSION_IDLE_HOURS_PRIVILEGED",
        4,
        int,
        "Hours without a request after which the session of a committee member, an advisor or "
        "an administrator ends",
    ),
    Setting(
        "TRACKER_SESSION_DAYS",
        "TRACKER_SESSION_DAYS",
        7,
        int,
        "Days after logging in at which every session ends, however busy",
    ),
    Setting(
        "TRACKER_SUDO_MINUTES",
        "TRACKER_SUDO_MINUTES",
        10,
        int,
        "Minutes for which an administrator's password, once entered, allows changing roles, "
        "importing members, resetting passwords and changing settings",
    ),
    Setting(
        "TRACKER_TEMP_PASSWORD_HOURS",
        "TRACKER_TEMP_PASSWORD_HOURS",
        24,
        int,
        "How many hours the temporary password of an administrator's reset works",
    ),
    Setting("TRACKER_PASSWORD_TIME_COST", "TRACKER_PASSWORD_TIME_COST", 3, int, "Argon2id passes"),
    Setting(
        "TRACKER_PASSWORD_MEMORY_KIB",
        "TRACKER_PASSWORD_MEMORY_KIB",
        65536,
        int,
        "Argon2id memory per hash, in KiB (64 MiB meets OWASP ASVS 5.0)",
    ),
    Setting(
        "TRACKER_HTTPS",
        "TRACKER_HTTPS",
        False,
        _bool,
        "Served over HTTPS: HSTS, and cookies only over HTTPS",
    ),
    Setting(
        "TRACKER_WORKERS",
        "TRACKER_WORKERS",
        None,
        int,
        "How many worker processes serve the app; default: WEB_CONCURRENCY or gunicorn's -w",
    ),
    Setting(
        "TRACKER_LOG_FORMAT",
        "TRACKER_LOG_FORMAT",
        "text",
        lambda value: value.strip().lower(),
        "text, or json for one JSON object a line (time, level, message, request id)",
    ),
    Setting(
        "TRACKER_METRICS_ALLOW",
        "TRACKER_METRICS_ALLOW",
        "127.0.0.1, ::1",
        str,
        "Addresses or networks, separated by commas, that may read /metrics; loopback by default",
    ),
    Setting(
        "TRACKER_MEETING_FREQUENCIES",
        "TRACKER_MEETING_FREQUENCIES",
        DEFAULT_MEETING_FREQUENCIES,
        meeting_frequencies,
        "How often each branch must hold each meeting kind, as kind=count/period "
        "(periods: month, quarter, term, year); kinds left out keep the default",
    ),
    Setting(
        "TRACKER_COMPLIANCE_REMIND_DAYS",
        "TRACKER_COMPLIANCE_REMIND_DAYS",
        7,
        int,
        "Days before a required meeting falls overdue that its branch's committee is reminded",
    ),
    Setting(
        "TRACKER_TRUSTED_PROXIES",
        "TRACKER_TRUSTED_PROXIES",
        0,
        trusted_proxies,
        "Reverse proxies whose X-Forwarded-For and -Proto are believed: a number of hops, "
        "or their addresses separated by commas; none by default",
    ),
)


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
    for key, value in derived_defaults(app.config, instance).items():
        if key not in given:
            app.config[key] = value
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'tracker.db'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(instance)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TRACKER_TIMEZONE"]
