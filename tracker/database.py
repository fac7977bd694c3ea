"""SQLite made safe for a threaded or multi-process server.

SQLite allows one writer at a time. A request that reads, then writes, asks
to upgrade its lock while another writer holds it, and SQLite answers
"database is locked" at once instead of waiting (1-6 % of writes under a
threaded server). So a request that may write takes the write lock when its
transaction begins (``BEGIN IMMEDIATE``), waiting its turn up to a busy
timeout; write-ahead logging lets readers go on meanwhile. Page reads (GET,
HEAD) keep pysqlite's own way: reads outside a transaction, a deferred
transaction begun just before a write. Inside the explicit transaction
SAVEPOINTs (``session.begin_nested``) behave too. PostgreSQL needs none of it.
"""

from __future__ import annotations

import weakref

import click
from babel import Locale
from babel.support import Translations
from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from tracker.extensions import db

# How long a writer waits for the one before it, in milliseconds.
BUSY_TIMEOUT_MS = 15_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _may_write() -> bool:
    # A form post or an API write takes the write lock when it begins. A page
    # read does not (a read that must write, such as a token's last use,
    # treats a lock as not fatal). Outside requests (commands, scripts) the
    # session lives long and mostly reads: holding the write lock for its
    # whole life would stall the server, so it begins deferred.
    return has_request_context() and request.method not in READ_ONLY_METHODS


# Engines already set up: an engine shared by several apps (the tests share
# one per database) must not run its connect hooks once per app.
_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def _configure_sqlite(engine: Engine) -> None:
    if engine in _configured:
        return
    _configured.add(engine)
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, and faster
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Otherwise pysqlite begins by itself just before the first write, and
        # its reads before that hold no snapshot that could go stale.
        if _may_write():
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def unreachable(error: DBAPIError) -> bool:
    """The database is away (no connection, or SQLite busy past its timeout), not a bug."""
    return (
        error.connection_invalidated
        or (isinstance(error, OperationalError) and error.statement is None)
        or locked(error)
    )


def locked(error: DBAPIError) -> bool:
    return "database is locked" in str(error.orig)


# SQLSTATEs of a table or column the code expects and the database lacks.
_MISSING_SCHEMA_STATES = frozenset({"42P01", "42703"})


def schema_missing(error: DBAPIError) -> bool:
    """The schema is not there or is older than the code: ``db upgrade`` was not run."""
    if getattr(error.orig, "sqlstate", None) in _MISSING_SCHEMA_STATES:
        return True
    return any(phrase in str(error.orig) for phrase in ("no such table", "no such column"))


def where(url: URL) -> str:
    """The database named for an operator: the host and database, or the file; no credentials."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    host = url.host or "localhost"
    if url.port:
        host = f"{host}:{url.port}"
    return f"{url.get_backend_name()}://{host}/{url.database or ''}"


class UnusableURL(click.ClickException):
    """``DATABASE_URL`` names no database this app can use, found before the app is built.

    A click exception, so that ``flask`` prints its line and exits 1; a server
    shows it as the reason it did not start. It is worded in the terminal's
    language from the catalogues directly: there is no app to ask yet.
    """

    def __init__(self, app: Flask, reason: str):
        from tracker.i18n import terminal_locale

        translations = Translations.load(
            # Locale spells zh_CN as the catalogue's folder does: zh_Hans_CN.
            app.config["BABEL_TRANSLATION_DIRECTORIES"],
            [Locale.parse(terminal_locale())],
        )
        message = translations.gettext(
            "DATABASE_URL is not a database address this app can use (%(reason)s). "
            "For example: postgresql+psycopg://user:password@host/dbname or "
            "sqlite:////path/to/tracker.db"
        ) % {"reason": reason}
        super().__init__(message)
        self.line = translations.gettext("Error: %(message)s") % {"message": message}

    def show(self, file=None) -> None:
        click.echo(self.line, file=file, err=True)


def check_url(app: Flask) -> None:
    """Refuse an address SQLAlchemy cannot parse, or whose driver is not installed."""
    try:
        make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_dialect().import_dbapi()
    except (ArgumentError, ImportError) as error:  # NoSuchModuleError is an ArgumentError
        # SQLAlchemy's reason names the scheme or the driver, never the password.
        raise UnusableURL(app, str(error)) from None


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
