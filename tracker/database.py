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

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

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


def _configure_sqlite(engine: Engine) -> None:
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


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
