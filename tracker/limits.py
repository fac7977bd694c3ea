"""How far a request may go, for both doors (the pages and the API): values within reach,
and rate limits kept in the limiter's storage.

Input within reach
-----------------
What a request may carry: ids the database can hold, pages within reach, days of this era.

A value beyond these is not an object, a page or a day anyone means: it is
refused where it enters (404 for an id in a path, 400 for a query, a field
error in a form), before arithmetic on it or the database could fail.

Failed logins
-------------
Failed logins: the guesser is stopped, the owner of the account is not locked out.

The login form, the token endpoint and the administrators' password step draw
on the same counters, kept in the rate limiter's storage, and count failures
only: a member who logs in often is never slowed down.

- One student number from one address (``TRACKER_LOGIN_LIMIT_PAIR``, 5 per
  5 minutes): a hard limit. The guesser's address is refused, even with the
  right password, until the window has passed; the owner elsewhere is not.
- One address, whatever the accounts (``TRACKER_LOGIN_LIMIT_ADDRESS``, 20
  per 10 minutes): a hard limit against one machine trying many accounts.
- One student number from every address: no lock, a growing delay. After
  ``TRACKER_LOGIN_DELAY_AFTER`` (10) failures within a day, each further
  failure makes every attempt wait 2, 4, 8 ... seconds, at most
  ``TRACKER_LOGIN_DELAY_MAX_SECONDS`` (900). Attempts refused while waiting
  are not checked, so they count for nothing: many addresses get about 100
  guesses a day at one account, and its owner waits at most the largest delay.

Uploads
-------
One budget of evidence files per member and minute, shared by the web and the API.

Every uploaded file costs decoding or parsing and disk space, whatever
becomes of it, so the budget counts the files a request carries (refused ones
too), not the requests. A request without files is not an upload and is
never refused here. The key is the signed-in member: the decorator goes
under ``login_required`` (web) or runs after the API's authentication, so
the member is known by then.
"""

from __future__ import annotations

import math
import os
import shlex
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, abort, current_app, request
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limit
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse
from werkzeug.routing import IntegerConverter

from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.extensions import limiter

# Ids are INTEGER columns: 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1
# As the API's ``page`` parameter.
MAX_PAGE = 100_000
# Days far from now are mistakes; at the ends of the calendar, adding a day
# (the end of a period) or a week would overflow.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def bounded_int(raw: str | None, low: int, high: int) -> int | None:
    """``raw`` as an int from ``low`` to ``high``, or None if it is anything else.

    ASCII digits only: ``str.isdigit`` accepts "²", which ``int`` refuses.
    """
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def record_id(raw: str | int) -> int:
    """A form's id, 0 meaning none: WTForms' ``coerce`` turns the ValueError into a field error."""
    value = raw if isinstance(raw, int) else bounded_int(raw, 0, MAX_ID)
    if value is None or not 0 <= value <= MAX_ID:
        raise ValueError(raw)
    return value


def bounded_day(raw: str) -> date | None:
    """``raw`` (YYYY-MM-DD) as a day from FIRST_DAY to LAST_DAY, or None."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most ten digits, so a longer number matches no route.

    Ten digits still reach past MAX_ID; ``ids_in_range`` answers those. (A
    converter that refused them would make the router answer 405 where other
    methods share the path.)
    """

    regex = r"\d{1,10}"


def ids_in_range() -> None:
    """An id in a path beyond MAX_ID cannot exist: 404, before the database is asked."""
    values = (request.view_args or {}).values()
    if any(isinstance(v, int) and not isinstance(v, bool) and v > MAX_ID for v in values):
        abort(404)


def page_in_reach() -> None:
    """``?page=`` on any page: a number from 1 to MAX_PAGE (Flask-SQLAlchemy reads it too).

    The API checks its own parameters against its document.
    """
    raw = request.args.get("page")
    if raw is None or request.path.startswith("/api/"):
        return
    if bounded_int(raw, 1, MAX_PAGE) is None:
        abort(400)


def init_app(app: Flask) -> None:
    """Before any route is added: the converter is bound when a rule is."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(ids_in_range)
    app.before_request(page_in_reach)


# Failed logins ---------------------------------------------------------------

# Failures of one account are counted for a day from the first.
DELAY_WINDOW_SECONDS = 24 * 3600


class TooManyAttempts(DomainError):
    """A login attempt refused unchecked; ``retry_after`` seconds until the next is checked."""

    status = 429

    def __init__(self, retry_after: int):
        moment = format_time(utcnow() + timedelta(seconds=retry_after), "HH:mm:ss")
        super().__init__(
            _l("Too many failed attempts. Please try again after %(time)s.", time=moment)
        )
        self.retry_after = retry_after


def _no_key() -> str:
    # The keys are built below from the attempt; Flask-Limiter's key functions are unused.
    return ""


PAIR = Limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_PAIR"],
    key_function=_no_key,
    scope="failed-login-pair",
    shared=True,
)
ADDRESS = Limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"],
    key_function=_no_key,
    scope="failed-login-address",
    shared=True,
)


def _account(student_no: str) -> str:
    # Student numbers are compared as typed, but "S1" and "s1" share a budget.
    return (student_no or "").strip().lower()


def _hard_limits(student_no: str) -> Iterator[tuple[Any, str, str]]:
    """Each hard limit (as Flask-Limiter runs it) with its scope and this attempt's key."""
    address = get_remote_address()
    pair = f"{_account(student_no)}@{address}"
    for definition, key in ((PAIR, pair), (ADDRESS, address)):
        for runtime in definition:
            yield runtime, runtime.scope, key


def _delay_key(student_no: str) -> str:
    return f"tracker/login-delay/{_account(student_no)}"


def _failures_key(student_no: str) -> str:
    return f"tracker/login-failures/{_account(student_no)}"


def _seconds_until(moment: float) -> int:
    return max(1, math.ceil(moment - time.time()))


def _waits(student_no: str) -> Iterator[int]:
    """Seconds until each spent limit lets this attempt through; nothing when none is spent."""
    strategy = limiter.limiter
    for runtime, scope, key in _hard_limits(student_no):
        if not strategy.test(runtime.limit, scope, key):
            yield _seconds_until(strategy.get_window_stats(runtime.limit, scope, key).reset_time)
    storage = limiter.storage
    if storage.get(_delay_key(student_no)) > 0:
        yield _seconds_until(storage.get_expiry(_delay_key(student_no)))


def refuse_when_spent(student_no: str) -> None:
    """Raise TooManyAttempts (a 429) when this attempt may not be checked yet."""
    if not limiter.enabled:
        return
    wait = max(_waits(student_no), default=0)
    if wait:
        raise TooManyAttempts(wait)


def count_failure(student_no: str) -> None:
    """Spend one failure of the pair's and the address's budgets; perhaps delay the account."""
    if not limiter.enabled:
        return
    for runtime, scope, key in _hard_limits(student_no):
        limiter.limiter.hit(runtime.limit, scope, key)
    storage = limiter.storage
    failures = storage.incr(_failures_key(student_no), DELAY_WINDOW_SECONDS)
    beyond = failures - current_app.config["TRACKER_LOGIN_DELAY_AFTER"]
    if beyond > 0:
        longest = current_app.config["TRACKER_LOGIN_DELAY_MAX_SECONDS"]
        delay = min(2 ** min(beyond, 30), longest)
        storage.clear(_delay_key(student_no))
        storage.incr(_delay_key(student_no), delay)


# Password-reset mails ---------------------------------------------------------

# However many addresses ask, one account receives at most this many reset mails.
RESET_MAILS_PER_ACCOUNT = "3 per hour"


def reset_mail_allowed(student_no: str) -> bool:
    """Spend one of the account's reset mails; False when they are spent.

    Counted for every student number typed, known or not, so the answer
    never depends on whether the account exists.
    """
    if not limiter.enabled:
        return True
    limit = parse(RESET_MAILS_PER_ACCOUNT)
    return limiter.limiter.hit(limit, "password-reset-mails", _account(student_no))


# Uploads ---------------------------------------------------------------------


def _member() -> str:
    return f"member:{current_user.id}"


def _files_sent() -> int:
    # Every file of the request counts: evidence and minutes attachments alike.
    return sum(1 for _field, upload in request.files.items(multi=True) if upload)


def _per_minute() -> str:
    return f"{current_app.config['TRACKER_UPLOAD_LIMIT_PER_MINUTE']} per minute"


def _message() -> str:
    return _(
        "Too many files uploaded in a minute (at most %(n)d). Please wait a minute and try again.",
        n=current_app.config["TRACKER_UPLOAD_LIMIT_PER_MINUTE"],
    )


uploads = limiter.shared_limit(
    _per_minute,
    scope="evidence-uploads",
    key_func=_member,
    methods=["POST"],
    cost=_files_sent,
    exempt_when=lambda: _files_sent() == 0,
    error_message=_message,
)


# Workers -----------------------------------------------------------------------


def worker_count(
    configured: int | None = None, environ=os.environ, argv: list[str] | None = None
) -> int:
    """How many processes serve the app, as far as it can tell.

    TRACKER_WORKERS (``configured``) says so; else WEB_CONCURRENCY (gunicorn's
    default and many hosts'); else gunicorn's -w/--workers, from
    GUNICORN_CMD_ARGS or the command line of the gunicorn process that
    imported the app.
    """
    if configured is not None:
        return configured
    raw = environ.get("WEB_CONCURRENCY", "").strip()
    if raw.isascii() and raw.isdigit():
        return int(raw)
    args = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    argv = sys.argv if argv is None else argv
    if argv and Path(argv[0]).name.startswith("gunicorn"):
        args += argv[1:]
    count = 1
    for index, arg in enumerate(args):
        value = None
        if arg in ("-w", "--workers") and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--workers="):
            value = arg.partition("=")[2]
        elif arg.startswith("-w") and arg != "-w":
            value = arg[2:]
        if value and value.isascii() and value.isdigit():
            count = int(value)
    return count


def refuse_per_worker_limits(app) -> None:
    """Login limits counted in memory are per process: with N workers an attacker gets N times
    the budget. Serving so outside debug and tests is refused; a command only warns."""
    shared = not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    workers = worker_count(app.config["TRACKER_WORKERS"])
    if shared or workers <= 1 or app.debug or app.testing:
        return
    message = (
        f"{workers} workers count failed logins in memory, each on its own: set "
        "TRACKER_REDIS_URL to a Redis URL (redis://127.0.0.1:6379/0), or serve "
        "with one worker (gunicorn -w 1 --threads 8)."
    )
    if click.get_current_context(silent=True) is not None:
        app.logger.warning(message)
        return
    raise RuntimeError(message)
