"""Activity categories and their versioned point rules."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import Tenths, UTCDateTime, utcnow
from tracker.models.user import _enum


class Unit(enum.StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    VISITS = "visits"
    ATTENDANCES = "attendances"
    # What other systems of record count (学习强国 points, PU credits).
    POINTS = "points"
    CREDITS = "credits"


class Category(db.Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    unit: Mapped[Unit] = mapped_column(_enum(Unit, "unit"))
    # What the activity form asks for, beyond date, quantity and title.
    needs_start_time: Mapped[bool] = mapped_column(default=False)
    needs_location: Mapped[bool] = mapped_column(default=False)
    needs_reflection: Mapped[bool] = mapped_column(default=False)
    needs_mentees: Mapped[bool] = mapped_column(default=False)
    # Tutoring: approve a session at once when every named mentee confirmed it.
    approve_when_confirmed: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    # Filled by imports from another system of record (tracker.external), never logged.
    external: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rules: Mapped[list[PointRule]] = relationship(
        back_populates="category", order_by="PointRule.effective_from"
    )

    @property
    def counts_one(self) -> bool:
        """A visit or an attendance is one: the activity form does not ask how many."""
        return self.unit in (Unit.VISITS, Unit.ATTENDANCES)

    def name_for(self, locale: str | None) -> str:
        return self.name_en if locale and locale.startswith("en") else self.name_zh

    def __repr__(self) -> str:
        return f"<Category {self.key}>"


class PointRule(db.Model):
    """How a category earns points from a given date on.

    A new version is a new row; awards keep the id of the row they were
    computed with, so editing a rule never changes points already booked.
    """

    __tablename__ = "point_rule"
    __table_args__ = (
        UniqueConstraint("category_id", "effective_from"),
        CheckConstraint("per_quantity > 0", name="per_quantity_positive"),
        CheckConstraint("points_per_unit >= 0", name="points_not_negative"),
        CheckConstraint(
            "min_quantity > 0 AND max_quantity >= min_quantity", name="quantity_bounds"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    # points_per_unit points for every per_quantity of the category's unit,
    # e.g. 1 point per 30 minutes.
    per_quantity: Mapped[Decimal] = mapped_column(Tenths)
    points_per_unit: Mapped[Decimal] = mapped_column(Tenths)
    min_quantity: Mapped[Decimal] = mapped_column(Tenths)
    max_quantity: Mapped[Decimal] = mapped_column(Tenths)
    daily_cap: Mapped[Decimal | None] = mapped_column(Tenths)
    weekly_cap: Mapped[Decimal | None] = mapped_column(Tenths)
    evidence_required: Mapped[bool] = mapped_column(default=False)
    auto_approve: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category] = relationship(back_populates="rules")
