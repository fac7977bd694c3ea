"""Checking a student number and password: one rule for the login form and the API.

The login page and the token endpoint used to check passwords each in their
own way (only the form renewed outdated hashes); both now ask ``authenticate``
and turn its outcome into their own response.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.models import AccountStatus, User
from tracker.people.accounts import find_user, temporary_password_expired
from tracker.people.passwords import dummy_verify, hash_password, needs_rehash, verify_password


class Outcome(enum.Enum):
    WRONG_CREDENTIALS = enum.auto()
    PENDING = enum.auto()  # waiting for the branch committee to confirm the registration
    DEACTIVATED = enum.auto()
    MUST_CHANGE_PASSWORD = enum.auto()  # after an administrator's reset
    TEMPORARY_PASSWORD_EXPIRED = enum.auto()  # that reset's password, too late
    OK = enum.auto()


# What the person is told when the password is right but the account may not be used.
REFUSALS = {
    Outcome.PENDING: _l("Your registration is waiting for your branch committee to confirm it."),
    Outcome.DEACTIVATED: _l("This account is deactivated."),
    Outcome.TEMPORARY_PASSWORD_EXPIRED: _l(
        "Your temporary password has expired. Ask an administrator to reset your password again."
    ),
}


@dataclass(frozen=True)
class Authentication:
    outcome: Outcome
    # The account the student number names, if any, even when refused (for the audit log).
    user: User | None

    @property
    def failed(self) -> bool:
        """A wrong student number or password: the attempts a rate limit counts."""
        return self.outcome is Outcome.WRONG_CREDENTIALS

    @property
    def succeeded(self) -> bool:
        """The password is right and the account may be used (perhaps only to change it)."""
        return self.outcome in (Outcome.OK, Outcome.MUST_CHANGE_PASSWORD)


def authenticate(session: Session, student_no: str, password: str, now: datetime) -> Authentication:
    """Check a student number and password.

    Every attempt costs exactly one Argon2 verification, whether the account
    exists, has no password yet (awaiting activation), is pending or is
    deactivated, so response times reveal none of these. The state of an
    account is told only to someone who knows its password. A temporary
    password from an administrator's reset works until its expiry, and only
    to choose a new one. A right password
    whose hash was made with weaker settings than today's is hashed again;
    the change is flushed, for the door to commit.
    """
    user = find_user(session, student_no)
    if user is None or not user.password_hash:
        dummy_verify()
        return Authentication(Outcome.WRONG_CREDENTIALS, user)
    if not verify_password(user.password_hash, password):
        return Authentication(Outcome.WRONG_CREDENTIALS, user)
    if user.status == AccountStatus.PENDING:
        return Authentication(Outcome.PENDING, user)
    if user.status == AccountStatus.DEACTIVATED:
        return Authentication(Outcome.DEACTIVATED, user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    if temporary_password_expired(user, now):
        return Authentication(Outcome.TEMPORARY_PASSWORD_EXPIRED, user)
    if user.must_change_password:
        return Authentication(Outcome.MUST_CHANGE_PASSWORD, user)
    return Authentication(Outcome.OK, user)
