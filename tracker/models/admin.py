"""What administrators keep: runtime setting overrides and account activation links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow
from tracker.models.user import User


class SettingOverride(db.Model):
    """A value an admin chose at runtime; it wins over app.config for that key."""

    __tablename__ = "setting_override"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Stored as the text an environment variable would hold, parsed by the
    # same function, so both routes to a setting agree.
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class ActivationToken(db.Model):
    """A one-time link with which a new account sets its first password.

    Only the SHA-256 of the token is stored: a copy of the database does not
    let anyone activate an account.
    """

    __tablename__ = "activation_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
