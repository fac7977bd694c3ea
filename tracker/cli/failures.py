"""How a command fails: a line or two in the terminal's language and a non-zero exit.

Every command registered on ``app.cli`` (flask-migrate's ``db`` group too) is
guarded once, when the app is built: an unreachable or locked database, a
schema never upgraded, a refusal of the domain and a file that cannot be
read or written become one clear message; only a bug still shows its
traceback. A command that cannot reach the database exits with
``DATABASE_AWAY``, so a cron job can tell "try again later" from a refusal.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import sqlite3

import click
from flask import current_app
from flask.cli import ScriptInfo
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError

from tracker import database
from tracker.errors import DomainError
from tracker.extensions import db

# Exit codes: 1 for a refusal (bad input, a damaged file, a problem found),
# 2 for a command line click cannot parse, 3 when the database is out of reach.
REFUSED = 1
DATABASE_AWAY = 3


class CommandFailed(click.ClickException):
    """A refusal the operator can act on. Raise it inside the app context: the
    message is translated at once, since click prints it after the context ends."""

    def __init__(self, message, exit_code: int = REFUSED):
        text = str(message)
        super().__init__(text)
        self.exit_code = exit_code
        self.line = _("Error: %(message)s", message=text)

    def show(self, file=None) -> None:
        click.echo(self.line, file=file, err=True)


def guard_all(commands) -> None:
    """Guard each command, and each command of each group, once."""
    for command in commands:
        if isinstance(command, click.Group):
            guard_all(command.commands.values())
        if command.callback is not None and not getattr(command.callback, "guarded", False):
            command.callback = _guarded(command.callback)


def _guarded(callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        # The failure is worded inside the app context: its language and the
        # database's address come from the app. The context is the command's
        # own, as ``with_appcontext`` would push it (a group's callback leaves
        # ``g`` to its subcommand: flask-migrate's ``db`` does).
        ctx = click.get_current_context()
        if not current_app:
            ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())
        try:
            return callback(*args, **kwargs)
        except DBAPIError as error:
            _forget_session()
            raise database_failure(error) from None
        except sqlite3.Error as error:  # the driver's own, where SQLite is used directly (backups)
            _forget_session()
            kind = OperationalError if isinstance(error, sqlite3.OperationalError) else DBAPIError
            raise database_failure(kind(None, None, error)) from None
        except DomainError as error:
            _forget_session()
            raise CommandFailed(error.message) from None
        except OSError as error:
            _forget_session()
            raise file_failure(error) from None

    run.guarded = True
    return run


def _forget_session() -> None:
    # The connection may be gone already: there is nothing left to keep.
    with contextlib.suppress(Exception):
        db.session.remove()


def database_failure(error: DBAPIError) -> CommandFailed:
    url = db.engine.url
    where = database.where(url)
    sqlite = url.get_backend_name() == "sqlite"
    if database.schema_missing(error):
        return CommandFailed(
            _(
                "The database %(where)s has no tables yet, or an older schema. "
                "Run: flask --app tracker db upgrade",
                where=where,
            )
        )
    if database.locked(error):
        seconds = database.BUSY_TIMEOUT_MS // 1000
        return CommandFailed(
            _(
                "The database %(where)s stayed locked by another program for %(seconds)d "
                "seconds. Try again; if it stays locked, stop the program that holds it.",
                where=where,
                seconds=seconds,
            ),
            DATABASE_AWAY,
        )
    if database.unreachable(error) and sqlite:
        return CommandFailed(
            _(
                "Cannot open the SQLite database %(where)s. Check that its folder exists and "
                "that this user may write to it (DATABASE_URL, TRACKER_INSTANCE_PATH).",
                where=where,
            ),
            DATABASE_AWAY,
        )
    if database.unreachable(error):
        return CommandFailed(
            _(
                "Cannot reach the database %(where)s. Check that it is running and that "
                "DATABASE_URL names the right host, port, database, user and password.",
                where=where,
            ),
            DATABASE_AWAY,
        )
    # The database's own first line: a constraint, a permission, a full disk.
    lines = str(error.orig).strip().splitlines()
    detail = lines[0] if lines else type(error.orig).__name__
    return CommandFailed(
        _("The database %(where)s refused the command: %(detail)s", where=where, detail=detail)
    )


def file_failure(error: OSError) -> CommandFailed:
    reasons = {
        errno.ENOENT: _("there is no such file or folder"),
        errno.EACCES: _("this user may not use it"),
        errno.EPERM: _("this user may not use it"),
        errno.ENOSPC: _("the disk is full"),
        errno.EROFS: _("the file system is read-only"),
        errno.EISDIR: _("it is a folder"),
    }
    reason = reasons.get(error.errno, error.strerror or str(error))
    path = error.filename if error.filename is not None else "?"
    return CommandFailed(_("Cannot use %(path)s: %(reason)s.", path=path, reason=reason))
