"""Activity activities, their evidence files and the mentees they name."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.category import Category, PointRule
from tracker.models.org import Branch
from tracker.models.types import Tenths, UTCDateTime, utcnow
from tracker.models.user import User, _enum


class ActivityStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


class MenteeResponse(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class Activity(db.Model):
    __tablename__ = "activity"
    __table_args__ = (
        # A double-clicked submit carries the same key twice; the second
        # insert fails here instead of booking a second activity.
        UniqueConstraint("user_id", "submission_key"),
        # An event's attendance becomes one activity per member, never two.
        UniqueConstraint("event_id", "user_id"),
        Index("ix_activity_branch_status_submitted", "branch_id", "status", "submitted_at"),
        Index("ix_activity_user_occurred", "user_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The branch the member belonged to on occurred_on.
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    quantity: Mapped[Decimal] = mapped_column(Tenths)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ActivityStatus] = mapped_column(
        _enum(ActivityStatus, "activity_status"), default=ActivityStatus.PENDING
    )
    submission_key: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # What a reviewer decides on: one more with every change of the activity,
    # its mentees' answers or its status (ledger.points.transition).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("point_rule.id"))
    # Set for the activities that closing an event books for its attendees.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))

    member: Mapped[User] = relationship(foreign_keys=[user_id])
    branch: Mapped[Branch] = relationship()
    category: Mapped[Category] = relationship()
    rule: Mapped[PointRule | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="activity", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    mentees: Mapped[list[ActivityMentee]] = relationship(
        back_populates="activity", order_by="ActivityMentee.id", cascade="all, delete-orphan"
    )

    @property
    def editable(self) -> bool:
        return self.event_id is None and self.status in (
            ActivityStatus.PENDING,
            ActivityStatus.REJECTED,
        )

    @property
    def disputed(self) -> bool:
        return any(link.response == MenteeResponse.DISPUTED for link in self.mentees)

    @property
    def confirmed_by_all(self) -> bool:
        return bool(self.mentees) and all(
            link.response == MenteeResponse.CONFIRMED for link in self.mentees
        )


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Images only (tracker/activities/fingerprint.py): the perceptual hash of
    # the stored file as 16 hex digits, the same hash in four indexed 16-bit
    # bands so near copies are found without reading every row, and the day
    # the camera says the photo was taken (nothing else of its EXIF is kept).
    photo_hash: Mapped[str | None] = mapped_column(String(16))
    hash_band_0: Mapped[int | None] = mapped_column(index=True)
    hash_band_1: Mapped[int | None] = mapped_column(index=True)
    hash_band_2: Mapped[int | None] = mapped_column(index=True)
    hash_band_3: Mapped[int | None] = mapped_column(index=True)
    captured_on: Mapped[date | None] = mapped_column(Date)

    activity: Mapped[Activity] = relationship(back_populates="evidence")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ActivityMentee(db.Model):
    """A mentee named by a tutoring session, and their answer."""

    __tablename__ = "activity_mentee"
    __table_args__ = (UniqueConstraint("activity_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    response: Mapped[MenteeResponse] = mapped_column(
        _enum(MenteeResponse, "mentee_response"), default=MenteeResponse.PENDING
    )
    reason: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    activity: Mapped[Activity] = relationship(back_populates="mentees")
    mentee: Mapped[User] = relationship()
