"""Personal access tokens: issue, authenticate, list and revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session, joinedload

from tracker import audit
from tracker.errors import Forbidden, InvalidInput
from tracker.models import ApiToken, User

PREFIX = "trk_"
MAX_NAME = 64
# last_used_at is written at most this often per token, so a busy script
# does not turn every read into a write.
TOUCH_INTERVAL = timedelta(minutes=1)
PASSWORD_CHANGE_FIRST = _l(
    "Choose a new password on the website first; until then the API refuses this account."
)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    record: ApiToken


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(
    session: Session, user: User, *, name: str, now: datetime, lifetime_days: int
) -> IssuedToken:
    """Create a token for ``user`` valid for ``lifetime_days``; the caller commits.

    The returned ``token`` is the only copy of the secret. An account that
    must choose a new password (after an administrator's reset) gets none:
    a temporary password must not open a way around the change.
    """
    if user.must_change_password:
        raise Forbidden(PASSWORD_CHANGE_FIRST)
    name = (name or "").strip() or "API"
    if len(name) > MAX_NAME:
        raise InvalidInput({"name": _l("At most %(n)d characters.", n=MAX_NAME)})
    raw = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(raw),
        prefix=raw[:10],
        created_at=now,
        expires_at=now + timedelta(days=lifetime_days),
    )
    session.add(record)
    session.flush()
    audit.record(
        session, "token.created", actor=user, subject=user, branch_id=user.branch_id, target=record
    )
    return IssuedToken(token=raw, record=record)


def authenticate(session: Session, raw: str, now: datetime) -> User | None:
    """The active user a live token belongs to, or None; records when it was used.

    A token of an account that must choose a new password is refused too.
    """
    record = live_token(session, raw, now)
    return record.user if record is not None else None


def live_token(session: Session, raw: str, now: datetime) -> ApiToken | None:
    """The live token of an active user that ``raw`` is, or None; records when it was used.

    A token of an account that must choose a new password is refused too.
    """
    return live_token_with(session, raw, now)[0]


def live_token_with(
    session: Session, raw: str, now: datetime, columns: tuple = ()
) -> tuple[ApiToken | None, Row | None]:
    """As ``live_token``, reading ``columns`` too in the same statement (what the
    request needs anyway: the settings' overrides, the data's version); the row
    they are in, or None when no token was read."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None, None
    # The token with its user, in one statement: every API request needs both.
    found = session.execute(
        select(ApiToken, *columns)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _digest(raw))
    ).first()
    record = found[0] if found is not None else None
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None, found
    if not record.user.is_active or record.user.must_change_password:
        return None, found
    if due_a_touch(record, now):
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == record.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return record, found


def due_a_touch(record: ApiToken, now: datetime) -> bool:
    """Whether using the token now records its last use (a write the door commits)."""
    return record.last_used_at is None or now - record.last_used_at >= TOUCH_INTERVAL


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first (expired ones included)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> bool:
    """Revoke one of the user's own tokens; False when there is no such live token."""
    record = session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id or record.revoked_at is not None:
        return False
    record.revoked_at = now
    audit.record(
        session, "token.revoked", actor=user, subject=user, branch_id=user.branch_id, target=record
    )
    return True


def revoke_all(session: Session, user: User, now: datetime) -> int:
    """Revoke every live token of the user (a remedy ends them all); how many there were."""
    return session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
