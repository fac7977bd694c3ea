"""Points certificates (积分证明) a member or their committee issued, and the ledger rows
each counted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.org import Branch
from tracker.models.types import Tenths, UTCDateTime, utcnow
from tracker.models.user import User

# The ledger rows a certificate added up: a reversal of one of them, booked after the
# certificate was issued, shows the certificate as revoked on its verification page.
certificate_entry = Table(
    "certificate_entry",
    db.metadata,
    Column("certificate_id", ForeignKey("certificate.id"), primary_key=True),
    Column("entry_id", ForeignKey("ledger_entry.id"), primary_key=True),
)


class Certificate(db.Model):
    """What was certified, as issued: never changed afterwards.

    ``code`` is the verification code printed with a QR code; it is random
    (``secrets``), so certificates cannot be found by counting.
    """

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The member's branch when issued: the issuing branch the public page names.
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    period_name: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    points: Mapped[Decimal] = mapped_column("points_tenths", Tenths)
    hours: Mapped[Decimal] = mapped_column("hours_tenths", Tenths)
    # Per category: key, names, points, hours; and the milestones reached when issued.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    milestones: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[user_id])
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    branch: Mapped[Branch] = relationship()
