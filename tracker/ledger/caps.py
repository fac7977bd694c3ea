"""The daily and weekly caps: how many more points a rule lets a member earn on a day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import LedgerEntry, PointRule
from tracker.periods import period_end, period_start


def _booked_between(
    session: Session, user_id: int, category_id: int, start: date, end: date
) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.user_id == user_id,
            LedgerEntry.category_id == category_id,
            LedgerEntry.earned_on >= start,
            LedgerEntry.earned_on < end,
        )
    )
    return Decimal(total or 0)


def cap_room(session: Session, user_id: int, rule: PointRule, day: date) -> Decimal | None:
    """How many more points the rule's daily and weekly caps allow on ``day``.

    Counts what is already booked (awards net of reversals). None: no cap.
    """
    room: Decimal | None = None
    if rule.daily_cap is not None:
        used = _booked_between(session, user_id, rule.category_id, day, day + timedelta(days=1))
        room = rule.daily_cap - used
    if rule.weekly_cap is not None:
        week = period_start("week", day)
        used = _booked_between(session, user_id, rule.category_id, week, period_end("week", week))
        weekly = rule.weekly_cap - used
        room = weekly if room is None else min(room, weekly)
    return None if room is None else max(room, Decimal(0))
