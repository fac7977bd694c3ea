"""Milestones: an administrator defines them; a member is told once when an award crosses one.

Whether a member has reached a milestone is read, not stored (``ranking.milestones``):
the stored totals it is read from are rebuilt from and checked against the ledger, so
a revocation takes the milestone back. What is stored is only that the member was told.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, notify
from tracker.errors import InvalidInput
from tracker.ledger import totals
from tracker.models import (
    Category,
    LedgerEntry,
    Milestone,
    MilestoneNotice,
    SchoolCategoryTotal,
    SchoolTotal,
    User,
)

# The periods a milestone counts in: all time, the academic year, the term.
MILESTONE_PERIODS = ("all", "year", "term")
MAX_THRESHOLD = Decimal(100_000)


def define(
    session: Session,
    actor: User | None,
    *,
    name: str,
    threshold,
    category_id: int | None,
    period_kind: str,
) -> Milestone:
    """A new milestone, checked; audited by ids only."""
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 64:
        errors["name"] = _l("A name of 1 to 64 characters.")
    try:
        points = Decimal(str(threshold)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        points = None
    if points is None or not Decimal(0) < points <= MAX_THRESHOLD:
        errors["threshold"] = _l("A number of points above 0 and at most 100000.")
    if period_kind not in MILESTONE_PERIODS:
        errors["period_kind"] = _l("Please choose one of the options.")
    if category_id is not None and session.get(Category, category_id) is None:
        errors["category_id"] = _l("Please choose one of the options.")
    if errors:
        raise InvalidInput(errors)
    milestone = Milestone(
        name=name, threshold=points, category_id=category_id, period_kind=period_kind
    )
    session.add(milestone)
    session.flush()
    audit.record(session, "milestone.created", actor=actor, target=milestone)
    return milestone


def retire(session: Session, actor: User | None, milestone: Milestone, now: datetime) -> None:
    """No longer shown nor announced; members' notices stay."""
    if milestone.retired_at is not None:
        return
    milestone.retired_at = now
    audit.record(session, "milestone.retired", actor=actor, target=milestone)
    session.flush()


def announce(session: Session, entry: LedgerEntry) -> None:
    """Notify the member of every milestone this ledger row has just made them reach.

    Called with each row booked (``booking.book``), after its totals: a row that
    adds points may cross a threshold in any period containing its day.
    """
    if entry.points <= 0:
        return
    starts = dict(totals.period_starts(session, entry.earned_on))
    milestones = session.scalars(
        select(Milestone).where(
            Milestone.retired_at.is_(None),
            Milestone.period_kind.in_(starts),
            (Milestone.category_id.is_(None)) | (Milestone.category_id == entry.category_id),
        )
    ).all()
    for milestone in milestones:
        start = starts[milestone.period_kind]
        if _points(session, entry.user_id, milestone, start) < milestone.threshold:
            continue
        told = session.scalar(
            select(MilestoneNotice.id).where(
                MilestoneNotice.milestone_id == milestone.id,
                MilestoneNotice.user_id == entry.user_id,
                MilestoneNotice.period_start == start,
            )
        )
        if told is None:
            session.add(
                MilestoneNotice(
                    milestone_id=milestone.id, user_id=entry.user_id, period_start=start
                )
            )
            notify.notify(session, entry.user_id, "milestone_reached", name=milestone.name)
    session.flush()


def _points(session: Session, user_id: int, milestone: Milestone, start) -> Decimal:
    if milestone.category_id is None:
        query = select(SchoolTotal.points).where(SchoolTotal.user_id == user_id)
        table = SchoolTotal
    else:
        table = SchoolCategoryTotal
        query = select(table.points).where(
            table.user_id == user_id, table.category_id == milestone.category_id
        )
    query = query.where(table.period_kind == milestone.period_kind, table.period_start == start)
    return session.scalar(query) or Decimal(0)
