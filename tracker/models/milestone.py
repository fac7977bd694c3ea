"""Milestones an administrator defines, and which members were told they reached one."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.category import Category
from tracker.models.types import Tenths, UTCDateTime, utcnow


class Milestone(db.Model):
    """Points to reach in one category (or all of them) within a period kind: "all" (all
    time), "year" (the academic year) or "term".

    Whether a member has reached it is never stored: it is read from the stored totals,
    which ``check-ledger`` proves equal to the ledger, so a revocation takes it back.
    """

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    threshold: Mapped[Decimal] = mapped_column("threshold_tenths", Tenths)
    period_kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category | None] = relationship()


class MilestoneNotice(db.Model):
    """That a member was notified of reaching a milestone in the period starting on
    ``period_start``: once, even if a revocation and a new award cross it again."""

    __tablename__ = "milestone_notice"
    __table_args__ = (UniqueConstraint("milestone_id", "user_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestone.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    period_start: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
