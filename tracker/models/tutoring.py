"""1+N peer tutoring: which members a mentor helps."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow
from tracker.models.user import User, _enum


class PairingStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"


class Pairing(db.Model):
    """A mentor and a mentee; sessions may name the mentee once accepted."""

    __tablename__ = "pairing"
    __table_args__ = (
        UniqueConstraint("mentor_id", "mentee_id"),
        CheckConstraint("mentor_id <> mentee_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[PairingStatus] = mapped_column(
        _enum(PairingStatus, "pairing_status"), default=PairingStatus.REQUESTED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id])
