"""One-time activation links for accounts an administrator created.

An imported or admin-created account has no password anyone knows; its
owner opens the link, chooses one, and the link is spent.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import AccountStatus, ActivationToken, User
from tracker.people import accounts
from tracker.people.passwords import hash_password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, now: datetime, days: int) -> str:
    """A new activation token for ``user``; earlier unused ones stop working."""
    session.execute(
        update(ActivationToken)
        .where(ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(24)
    session.add(
        ActivationToken(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


def issue_tokens(session: Session, users: list[User], now: datetime, days: int) -> list[str]:
    """``issue_token`` for many accounts (a bulk import) in a few statements, in their order."""
    ids = [user.id for user in users]
    for i in range(0, len(ids), 1000):
        session.execute(
            update(ActivationToken)
            .where(
                ActivationToken.user_id.in_(ids[i : i + 1000]), ActivationToken.used_at.is_(None)
            )
            .values(used_at=now)
        )
    tokens = [secrets.token_urlsafe(24) for _ in users]
    if users:
        session.execute(
            insert(ActivationToken.__table__),
            [
                {
                    "user_id": user.id,
                    "token_hash": _digest(token),
                    "created_at": now,
                    "expires_at": now + timedelta(days=days),
                }
                for user, token in zip(users, tokens, strict=True)
            ],
        )
    return tokens


def valid_token(session: Session, token: str, now: datetime) -> ActivationToken | None:
    """The unspent, unexpired token, or None."""
    found = session.scalars(
        select(ActivationToken).where(ActivationToken.token_hash == _digest(token or ""))
    ).first()
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    if found.user.status == AccountStatus.DEACTIVATED:
        return None
    return found


def activate(session: Session, token: str, password: str, now: datetime) -> User:
    """Set the first password with a token; the token is spent at once.

    The token row is claimed with a conditional UPDATE, so two submissions
    of the same link cannot both succeed.
    """
    found = valid_token(session, token, now)
    if found is None:
        raise InvalidInput({"password": _l("This activation link is not valid any more.")})
    user = found.user
    accounts.check_password_rules(password, user.student_no, name=user.name)
    claimed = session.execute(
        update(ActivationToken)
        .where(ActivationToken.id == found.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise InvalidInput({"password": _l("This activation link is not valid any more.")})
    user.password_hash = hash_password(password)
    user.must_change_password = False
    accounts.end_sessions(user)
    audit.record(session, "user.activated", actor=user, subject=user, branch_id=user.branch_id)
    return user
