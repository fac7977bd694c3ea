"""Points and hours other systems of record keep (学习强国, 志愿汇, PU口袋校园), as imported.

A source books into its own category (``Category.external``) so boards can
show it alone; every imported row is kept with the number the source reported
and the part of it that was booked, so a later import of the same period (or
a later cumulative total) books only the difference.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.category import Category
from tracker.models.types import Tenths, UTCDateTime, utcnow

# What a report covers: one day, week or month, or everything up to a day.
PERIOD_KINDS = ("day", "week", "month", "cumulative")


class ExternalSource(db.Model):
    """A system of record whose reports are imported: its category, how many ledger
    points one of its units is worth, the category members log the same thing in
    themselves (for reconciliation) and the file columns last used."""

    __tablename__ = "external_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), unique=True)
    matching_category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    points_per_unit: Mapped[Decimal] = mapped_column(Tenths, default=Decimal(1))
    # {field: header}: the columns of the last accepted file, tried first next time.
    columns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category] = relationship(foreign_keys=[category_id])
    matching_category: Mapped[Category | None] = relationship(foreign_keys=[matching_category_id])


class ExternalImport(db.Model):
    """One accepted report: which source, what period, by whom, for which branch."""

    __tablename__ = "external_import"
    __table_args__ = (Index("ix_external_import_source_period", "source_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("external_source.id"))
    period_kind: Mapped[str] = mapped_column(String(10))
    # The period's first and last day; a cumulative report's both are its "as of" day.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The committee's branch, or None for an administrator's school-wide import.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    rows: Mapped[int] = mapped_column(default=0)
    file_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[ExternalSource] = relationship()


class ExternalValue(db.Model):
    """One member's number in one imported report, and what of it was booked.

    ``booked`` is the source's units that this row added to the ledger (the
    difference to what earlier imports booked); ``ledger_entry_id`` the row
    that booked them, if any. A drop in a cumulative total books nothing and
    is ``flagged``. A ``baseline`` row's ``booked`` units are the total a
    member brought (counted, so later reports book only what they gain, but
    never booked): gained before the report, not in its period.
    """

    __tablename__ = "external_value"
    __table_args__ = (
        Index("ix_external_value_member", "source_id", "user_id", "period_kind", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("external_import.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("external_source.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    period_kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    row_number: Mapped[int]
    value: Mapped[Decimal] = mapped_column(Tenths)
    booked: Mapped[Decimal] = mapped_column(Tenths, default=Decimal(0))
    flagged: Mapped[bool] = mapped_column(default=False)
    baseline: Mapped[bool] = mapped_column(default=False, server_default=false())
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)

    source: Mapped[ExternalSource] = relationship()
