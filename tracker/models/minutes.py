"""会议记录: the minutes of one event, every version of them ever saved, and their attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.events import Event
from tracker.models.types import UTCDateTime, utcnow
from tracker.models.user import User


class Minutes(db.Model):
    """The current text; each save also writes a ``MinutesVersion``, never changed again."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    topic: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(60), default="")
    recorder: Mapped[str] = mapped_column(String(60), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    # Who was present, on leave (with the reason) or absent, taken from the
    # event's attendance at each save: [{"user_id", "name", "status", "reason"}].
    attendance: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    event: Mapped[Event] = relationship()
    attachments: Mapped[list[MinutesAttachment]] = relationship(
        back_populates="minutes", order_by="MinutesAttachment.id"
    )
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
    locked_by: Mapped[User | None] = relationship(foreign_keys=[locked_by_id])


class MinutesVersion(db.Model):
    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("minutes_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    version: Mapped[int]
    topic: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(60), default="")
    recorder: Mapped[str] = mapped_column(String(60), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    attendance: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    saved_by: Mapped[User] = relationship()


class MinutesAttachment(db.Model):
    """A photo or PDF of the meeting, belonging to the minutes (not to one version).

    Added and removed while the minutes are open, each step in the audit log;
    the file lives in the evidence store under ``stored_name``.
    """

    __tablename__ = "minutes_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    minutes: Mapped[Minutes] = relationship(back_populates="attachments")
    added_by: Mapped[User] = relationship()

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
