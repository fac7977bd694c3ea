"""``flask doctor``: is this installation ready to serve? Each check says what to fix."""

from __future__ import annotations

import re
import shutil
import subprocess  # noqa: S404  (pg_dump --version, with an argument list)
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker import pdfdocs, probes, storage
from tracker.cli.failures import CommandFailed
from tracker.extensions import db
from tracker.limits import worker_count

# Keys that appear in tutorials and examples: whoever has read them can sign a session.
WELL_KNOWN_KEYS = {"dev", "development", "secret", "secret-key", "changeme", "change-me", "test"}
SHORTEST_KEY = 32

# (fine, what was found or what to do)
Finding = tuple[bool, str]


def secret_key() -> Iterator[Finding]:
    key = str(current_app.config.get("SECRET_KEY") or "")
    if key.lower() in WELL_KNOWN_KEYS or len(key) < SHORTEST_KEY:
        yield (
            False,
            _(
                "SECRET_KEY is short or a well-known value: anyone could sign a session. Remove it "
                "(a random key is then made once in the instance folder) or set %(num)d random "
                "characters or more.",
                num=SHORTEST_KEY,
            ),
        )
    else:
        yield True, _("SECRET_KEY is set and long enough.")


def https() -> Iterator[Finding]:
    config = current_app.config
    base_url = config.get("TRACKER_BASE_URL") or ""
    if not config.get("TRACKER_HTTPS"):
        yield (
            False,
            _(
                "TRACKER_HTTPS is off: set it to true once the site is served over HTTPS, so "
                "cookies travel over HTTPS only."
            ),
        )
    elif not config.get("TRACKER_TRUSTED_PROXIES"):
        yield (
            False,
            _(
                "TRACKER_TRUSTED_PROXIES is empty: behind nginx, every request seems to come from "
                "the proxy. Set it to 127.0.0.1 (or the proxy's address)."
            ),
        )
    else:
        yield True, _("HTTPS is on, and the proxy's forwarded headers are believed.")
    if not base_url:
        yield (
            False,
            _(
                "TRACKER_BASE_URL is empty: set it to the https:// address members open, so QR "
                "codes and mailed links point there."
            ),
        )
    elif not base_url.startswith("https://"):
        yield (
            False,
            _(
                "TRACKER_BASE_URL is %(value)s: set it to the https:// address members open, so "
                "QR codes and mailed links point there.",
                value=base_url,
            ),
        )
    else:
        yield True, _("TRACKER_BASE_URL is %(value)s.", value=base_url)


def database() -> Iterator[Finding]:
    state = probes.schema_state(db.engine)
    if state == probes.UNREACHABLE:
        yield (
            False,
            _("The database cannot be reached: check DATABASE_URL and that the server is running."),
        )
    elif state == probes.BEHIND:
        yield (
            False,
            _(
                "The database is not at this version's schema: run "
                "`flask --app tracker db upgrade`."
            ),
        )
    else:
        yield True, _("The database answers and its schema is up to date.")


def rate_limits() -> Iterator[Finding]:
    storage = current_app.config["RATELIMIT_STORAGE_URI"]
    workers = worker_count(current_app.config["TRACKER_WORKERS"])
    if storage.startswith("memory://") and workers > 1:
        yield (
            False,
            _(
                "Failed logins are counted in memory with %(num)d workers, each on its own: set "
                "TRACKER_REDIS_URL (or TRACKER_RATELIMIT_STORAGE_URI) to a Redis URL.",
                num=workers,
            ),
        )
    elif storage.startswith("memory://"):
        yield (
            True,
            _("Failed logins are counted in memory: serve with one worker, or use Redis for more."),
        )
    for url in probes.redis_urls(current_app.config):
        if probes.redis_state(url) == probes.OK:
            yield True, _("Redis answers at %(url)s.", url=_without_password(url))
        else:
            yield (
                False,
                _(
                    "Redis does not answer at %(url)s: start it, or correct "
                    "TRACKER_REDIS_URL or TRACKER_RATELIMIT_STORAGE_URI.",
                    url=_without_password(url),
                ),
            )


def _without_password(url: str) -> str:
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


def uploads() -> Iterator[Finding]:
    store = storage.of(current_app)
    try:
        # A write, a read and a delete: a read-only key or a full disk fails here,
        # not at a member's upload.
        storage.probe(store)
    except storage.StorageUnavailable:
        yield (
            False,
            _(
                "The evidence store (%(store)s) cannot be written: for a folder, let the "
                "app's user own it; for S3, check the TRACKER_S3_* settings and the key's "
                "rights on the bucket.",
                store=store.describe(),
            ),
        )
        return
    yield True, _("The evidence store (%(store)s) can be written.", store=store.describe())


def _major(said: str) -> int | None:
    """15 from "pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)"."""
    found = re.search(r"\)\s*(\d+)", said)
    return int(found.group(1)) if found else None


def pg_dump() -> Iterator[Finding]:
    if db.engine.dialect.name != "postgresql":
        return
    tool = shutil.which("pg_dump")
    if tool is None:
        yield (
            False,
            _(
                "pg_dump was not found, so backups cannot be made: install the PostgreSQL client "
                "tools of the server's version."
            ),
        )
        return
    said = subprocess.run(  # noqa: S603
        [tool, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    client = _major(said)
    try:
        with db.engine.connect() as connection:
            server = int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    except SQLAlchemyError:
        return  # the database check says so already
    if client is None or client < server:
        yield (
            False,
            _(
                "pg_dump is version %(client)s and the server %(server)s: pg_dump cannot dump a "
                "newer server. Install the client tools of version %(server)s.",
                client=client or "?",
                server=server,
            ),
        )
    else:
        yield True, _("pg_dump %(client)s can back up this server.", client=client)


def backup_key() -> Iterator[Finding]:
    configured = current_app.config.get("TRACKER_BACKUP_KEY_FILE")
    path = Path(configured or Path(current_app.instance_path) / "backup_key")
    if path.exists():
        yield (
            True,
            _("The backup key is at %(path)s; keep a copy away from the backups.", path=path),
        )
    else:
        yield (
            False,
            _(
                "There is no backup key at %(path)s yet: take a backup (it makes the key), then "
                "keep a copy of the key away from the backups.",
                path=path,
            ),
        )


def pdf_font() -> Iterator[Finding]:
    configured = current_app.config.get("TRACKER_PDF_FONT") or ""
    font = pdfdocs.find_font(configured)
    if font is not None:
        yield True, _("PDFs are printed in the font %(path)s.", path=font.path)
    elif configured:
        yield (
            False,
            _(
                "TRACKER_PDF_FONT is %(path)s, which is no font file with Chinese characters: "
                "correct it, or leave it empty and install the Debian package %(package)s.",
                path=configured,
                package=pdfdocs.FONT_PACKAGE,
            ),
        )
    else:
        yield (
            False,
            _(
                "No Chinese font was found, so sign-in sheets and certificates cannot be printed "
                "as PDF: install the Debian package %(package)s (apt-get install %(package)s).",
                package=pdfdocs.FONT_PACKAGE,
            ),
        )


def debug() -> Iterator[Finding]:
    if current_app.debug:
        yield False, _("Debug mode is on: it shows code to visitors. Unset FLASK_DEBUG.")


CHECKS: tuple[Callable[[], Iterator[Finding]], ...] = (
    secret_key,
    https,
    database,
    rate_limits,
    uploads,
    pg_dump,
    backup_key,
    pdf_font,
    debug,
)


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check the configuration for serving, and say what to fix; exit non-zero if anything."""
    problems = 0
    for check in CHECKS:
        for fine, message in check():
            click.echo(("✓ " if fine else "✗ ") + message)
            problems += not fine
    if problems:
        raise CommandFailed(ngettext("%(num)d thing to fix.", "%(num)d things to fix.", problems))
    click.echo(_("Everything checked is in order."))
