"""Colleges, branches, dated branch membership and advisor scopes."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow

# No 0/O/1/I/L: invitation codes are read aloud and typed on phones.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))


class College(db.Model):
    __tablename__ = "college"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branches: Mapped[list[Branch]] = relationship(back_populates="college", order_by="Branch.name")

    def __repr__(self) -> str:
        return f"<College {self.name}>"


class Branch(db.Model):
    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("college_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    invite_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_invite_code)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    college: Mapped[College] = relationship(back_populates="branches")

    def __repr__(self) -> str:
        return f"<Branch {self.name}>"


class Membership(db.Model):
    """A member's time in a branch: from ``start_on`` until the day before ``end_on``.

    Points are booked to the branch of the membership covering the day they
    were earned, so moving a member never rewrites a branch's history.
    """

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on > start_on", name="dates_ordered"),
        Index("ix_membership_user_start", "user_id", "start_on"),
        # Covers the head count of every branch during a period, read from the index alone.
        Index("ix_membership_branch_days", "branch_id", "start_on", "end_on", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    # 书记, 组织委员, 宣传委员 ...: the member's post on this branch's committee,
    # if any. It belongs to the membership, so a move leaves it behind.
    committee_post: Mapped[str | None] = mapped_column(String(30))

    branch: Mapped[Branch] = relationship()


class AdvisorScope(db.Model):
    """One branch or one whole college an advisor may read."""

    __tablename__ = "advisor_scope"
    __table_args__ = (
        CheckConstraint("(branch_id IS NULL) <> (college_id IS NULL)", name="one_target"),
        UniqueConstraint("user_id", "branch_id", "college_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    college_id: Mapped[int | None] = mapped_column(ForeignKey("college.id"))

    branch: Mapped[Branch | None] = relationship()
    college: Mapped[College | None] = relationship()
