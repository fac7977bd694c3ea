"""Terms (学期): named spans of campus days that leaderboards can be read for."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow


class Term(db.Model):
    """From ``first_day`` to ``last_day``, both included. Terms never overlap.

    Overlaps are refused by ``terms.create_term`` / ``terms.change_term``, the
    only writers, because each campus day must fall in at most one term for
    the stored term totals to be unambiguous.
    """

    __tablename__ = "term"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    first_day: Mapped[date] = mapped_column(Date, unique=True)
    last_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator closes the term: its points are final, and
    # nothing but an administrator's adjustment books on its days.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Term {self.name}>"
