"""One budget of failed logins per account and per address, shared by every door.

The login form and the token endpoint draw on the same counters, kept in the
rate limiter's storage: five wrong passwords on the form and five through the
API spend the same budget, so a second door does not double the guesses an
attacker gets. Only failures are counted: a member who logs in often is never
slowed down. Once a budget is spent, every attempt is refused with 429 until
its window has passed, even one with the right password.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import current_app
from flask_limiter import Limit, RateLimitExceeded
from flask_limiter.util import get_remote_address

from tracker.extensions import limiter


def _no_key() -> str:
    # The keys are built below from the attempt; Flask-Limiter's key functions are unused.
    return ""


ACCOUNT = Limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ACCOUNT"],
    key_function=_no_key,
    scope="failed-login-account",
    shared=True,
)
ADDRESS = Limit(
    lambda: current_app.config["TRACKER_LOGIN_LIMIT_ADDRESS"],
    key_function=_no_key,
    scope="failed-login-address",
    shared=True,
)


def _budgets(student_no: str) -> Iterator[tuple[Any, str, str]]:
    """Each limit (as Flask-Limiter runs it) with its scope and this attempt's key."""
    # Student numbers are compared as typed, but "S1" and "s1" share a budget.
    account = (student_no or "").strip().lower()
    for definition, key in ((ACCOUNT, account), (ADDRESS, get_remote_address())):
        for runtime in definition:
            yield runtime, runtime.scope, key


def refuse_when_spent(student_no: str) -> None:
    """Raise RateLimitExceeded (a 429) when this account or this address has no failures left."""
    if not limiter.enabled:
        return
    for runtime, scope, key in _budgets(student_no):
        if not limiter.limiter.test(runtime.limit, scope, key):
            raise RateLimitExceeded(runtime)


def count_failure(student_no: str) -> None:
    """Spend one failure from the account's budget and from the address's."""
    if not limiter.enabled:
        return
    for runtime, scope, key in _budgets(student_no):
        limiter.limiter.hit(runtime.limit, scope, key)
