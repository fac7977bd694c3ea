"""Events of one or more branches, and who attended them."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.category import Category
from tracker.models.groups import PartyGroup
from tracker.models.org import Branch
from tracker.models.types import Tenths, UTCDateTime, utcnow
from tracker.models.user import User, _enum


def new_event_secret() -> str:
    return secrets.token_hex(16)


# Which branches an event is for: one for a committee's event, several when
# an admin organises a college-wide theme day.
event_branch = Table(
    "event_branch",
    db.metadata,
    Column("event_id", ForeignKey("event.id"), primary_key=True),
    Column("branch_id", ForeignKey("branch.id"), primary_key=True, index=True),
)


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("checkin_closes_at > checkin_opens_at", name="window_ordered"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checkin_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checkin_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Points for one attendance, fixed when the event is created (the
    # category's rule gives the default).
    points: Mapped[Decimal] = mapped_column("points_tenths", Tenths)
    capacity: Mapped[int | None]
    mandatory: Mapped[bool] = mapped_column(default=False)
    # Check-in codes are derived from this secret; a new secret retires
    # every code shown so far.
    secret: Mapped[str] = mapped_column(String(64), default=new_event_secret)
    rotating: Mapped[bool] = mapped_column(default=False)
    # The committee scans each member's personal code; the event's code
    # checks nobody in (for meetings whose attendance must be beyond doubt).
    scan_only: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which of 三会一课 (``tracker.events.kinds``) the event is; "other" counts
    # toward no required meeting. A 党小组会 names its group.
    kind: Mapped[str] = mapped_column(String(24), default="other", server_default="other")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("party_group.id"))

    category: Mapped[Category] = relationship()
    branches: Mapped[list[Branch]] = relationship(secondary=event_branch, order_by="Branch.id")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    group: Mapped[PartyGroup | None] = relationship()

    @property
    def branch_ids(self) -> set[int]:
        return {b.id for b in self.branches}


class AttendanceStatus(enum.StrEnum):
    CHECKED_IN = "checked_in"  # by the member, with the code
    PRESENT = "present"  # marked by the committee
    SCANNED = "scanned"  # the committee scanned the member's personal code
    LEAVE_REQUESTED = "leave_requested"
    ON_LEAVE = "on_leave"  # leave approved by the committee
    VOIDED = "voided"  # a check-in the committee did not believe

    @property
    def attended(self) -> bool:
        return self in ATTENDED


ATTENDED = (AttendanceStatus.CHECKED_IN, AttendanceStatus.PRESENT, AttendanceStatus.SCANNED)


class CheckinDoor(enum.StrEnum):
    """Through which door a member checked themselves in."""

    WEB = "web"  # the pages, with the session and device cookies
    API_SESSION = "api_session"  # the API, from the browser session
    API_TOKEN = "api_token"  # noqa: S105 (a door, not a secret): the API with a token


class Attendance(db.Model):
    """One member's attendance at one event: at most one row per pair."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus, "attendance_status"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    leave_reason: Mapped[str | None] = mapped_column(Text)
    # What the request of a member's own check-in showed, for the committee
    # to judge it by (``events.checkin_checks``): the door, a keyed hash of
    # the device cookie (never the cookie itself), and how many seconds
    # earlier the session (or the API token) was signed in.
    door: Mapped[CheckinDoor | None] = mapped_column(_enum(CheckinDoor, "checkin_door"))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    session_age: Mapped[int | None]
    # Set when the committee voids the attendance (status VOIDED).
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    event: Mapped[Event] = relationship()
    member: Mapped[User] = relationship(foreign_keys=[user_id])
