"""What a system of record says next to what members logged themselves, and a member's imports.

For each member of a branch and a period: the units the source reported in
the period (what its imports booked there) beside the approved activities of
the category members log the same thing in (study sessions for 学习强国,
volunteering for 志愿汇).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import (
    Activity,
    ActivityStatus,
    ExternalImport,
    ExternalSource,
    ExternalValue,
    LedgerEntry,
    User,
)
from tracker.people import access
from tracker.periods import Period
from tracker.ranking.source import tenths


@dataclass(frozen=True)
class Line:
    user_id: int
    name: str
    student_no: str
    external: Decimal  # the source's units, reported for the period
    logged: Decimal  # the matching category's units, approved
    activities: int
    same_unit: bool

    @property
    def difference(self) -> Decimal | None:
        """External minus logged, when both count the same unit (hours and hours)."""
        return self.external - self.logged if self.same_unit else None

    @property
    def differs(self) -> bool:
        """Numbers that disagree: different amounts of one unit, or one side empty."""
        if self.same_unit:
            return self.external != self.logged
        return (self.external > 0) != (self.activities > 0)


def reconciliation(
    session: Session, source: ExternalSource, branch_id: int, period: Period
) -> list[Line]:
    """Every member of the branch, with the source's number and the self-logged one."""
    members = session.execute(
        select(User.id, User.name, User.student_no)
        .where(User.branch_id == branch_id, User.role.in_(access.BRANCH_ROLES))
        .order_by(User.student_no)
    ).all()
    external = dict(
        session.execute(
            select(ExternalValue.user_id, func.sum(ExternalValue.booked))
            .where(
                ExternalValue.source_id == source.id,
                # A baseline's units were gained before its report, over years.
                ExternalValue.baseline.is_(False),
                ExternalValue.period_start >= period.start,
                ExternalValue.period_start < period.end,
            )
            .group_by(ExternalValue.user_id)
        ).all()
    )
    logged = {}
    matching = source.matching_category
    if matching is not None:
        rows = session.execute(
            select(Activity.user_id, func.sum(Activity.quantity), func.count())
            .where(
                Activity.category_id == matching.id,
                Activity.status == ActivityStatus.APPROVED,
                Activity.occurred_on >= period.start,
                Activity.occurred_on < period.end,
            )
            .group_by(Activity.user_id)
        )
        logged = {user_id: (tenths(quantity), count) for user_id, quantity, count in rows}
    same_unit = matching is not None and matching.unit == source.category.unit
    return [
        Line(
            user_id,
            name,
            student_no,
            tenths(external.get(user_id)),
            logged.get(user_id, (Decimal(0), 0))[0],
            logged.get(user_id, (Decimal(0), 0))[1],
            same_unit,
        )
        for user_id, name, student_no in members
    ]


@dataclass(frozen=True)
class Imported:
    """One imported number on a member's history."""

    source: ExternalSource
    period_kind: str
    period_start: date
    period_end: date
    value: Decimal
    points: Decimal
    flagged: bool
    imported_at: object


def imported_for(session: Session, user_id: int, limit: int = 50) -> list[Imported]:
    """The member's imported numbers, newest first, with their source and what they booked."""
    rows = session.execute(
        select(ExternalValue, ExternalImport, LedgerEntry.points)
        .join(ExternalImport, ExternalImport.id == ExternalValue.import_id)
        .outerjoin(LedgerEntry, LedgerEntry.id == ExternalValue.ledger_entry_id)
        .where(ExternalValue.user_id == user_id)
        .order_by(ExternalImport.created_at.desc(), ExternalValue.id.desc())
        .limit(limit)
    ).all()
    return [
        Imported(
            value.source,
            batch.period_kind,
            batch.period_start,
            batch.period_end,
            value.value,
            points or Decimal(0),
            value.flagged,
            batch.created_at,
        )
        for value, batch, points in rows
    ]
