"""The rate limits both doors (the pages and the API) share, kept in the limiter's storage.

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
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.extensions import limiter

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


# Uploads ---------------------------------------------------------------------


def _member() -> str:
    return f"member:{current_user.id}"


def _files_sent() -> int:
    return sum(1 for upload in request.files.getlist("evidence") if upload)


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
