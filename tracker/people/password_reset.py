"""Password-reset links a member asks for by mail ("forgot password").

The link carries a signed token, not a row: the user's id and a fingerprint
of their password hash, signed with the app's secret key and timestamped.
It stops working when it expires, and as soon as the password changes (by
this link, or any other way), so it works once. No table keeps tokens, and
so none can leak a usable one.
"""

from __future__ import annotations

import hashlib
import hmac

from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker.errors import InvalidInput
from tracker.models import User
from tracker.people import accounts

SALT = "tracker/password-reset"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    # The token is signed, not secret: it shows a digest, never the hash itself.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:32]


def may_reset(user: User | None) -> bool:
    """Whether a link is mailed for this account: an active one with an address."""
    return user is not None and user.is_active and bool((user.email or "").strip())


def issue_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"user": user.id, "password": _fingerprint(user)})


def user_for_token(session: Session, token: str, secret_key: str, max_minutes: int) -> User | None:
    """The account a token is for, while it is unexpired and the password unchanged; else None."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_minutes * 60)
        user = session.get(User, int(data["user"]))
        fingerprint = str(data["password"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return user


def reset_password(session: Session, user: User, old_hash: str | None, password: str) -> None:
    """Set the password chosen through the link; every session ends, every API token goes.

    The row is claimed with a conditional UPDATE on the hash the link was
    checked against, so two submissions of one link cannot both succeed.
    """
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash.is_not_distinct_from(old_hash))
        .values(password_hash=old_hash)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise InvalidInput({"password": _l("This link is not valid any more.")})
    accounts.set_password(session, user, password, actor=user)
