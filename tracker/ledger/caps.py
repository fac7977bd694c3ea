"""The daily and weekly caps: how many more points a rule lets a member earn on a day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import LedgerEntry, PointRule
from tracker.periods import period_end, period_start


def booked_by_day(
    session: Session, pairs: set[tuple[int, int]], first: date, end: date
) -> dict[tuple[int, int, date], Decimal]:
    """What is booked (awards net of reversals) per (member, category, day), for the
    (member, category) ``pairs`` on the days ``first`` to ``end`` (excluded): one
    statement, however many pairs."""
    if not pairs:
        return {}
    users, categories = {u for u, _c in pairs}, {c for _u, c in pairs}
    rows = session.execute(
        select(
            LedgerEntry.user_id,
            LedgerEntry.category_id,
            LedgerEntry.earned_on,
            func.sum(LedgerEntry.points),
        )
        .where(
            LedgerEntry.user_id.in_(users),
            LedgerEntry.category_id.in_(categories),
            LedgerEntry.earned_on >= first,
            LedgerEntry.earned_on < end,
        )
        .group_by(LedgerEntry.user_id, LedgerEntry.category_id, LedgerEntry.earned_on)
    )
    return {
        (user_id, category_id, day): Decimal(points or 0)
        for user_id, category_id, day, points in rows
        if (user_id, category_id) in pairs
    }


def room_in(
    booked: dict[tuple[int, int, date], Decimal], user_id: int, rule: PointRule, day: date
) -> Decimal | None:
    """How many more points the rule's daily and weekly caps allow on ``day``, given
    what ``booked_by_day`` read for the member and the rule's category (its week at
    least). None: no cap."""
    room: Decimal | None = None
    if rule.daily_cap is not None:
        room = rule.daily_cap - booked.get((user_id, rule.category_id, day), Decimal(0))
    if rule.weekly_cap is not None:
        week = period_start("week", day)
        used = sum(
            (
                booked.get((user_id, rule.category_id, week + timedelta(days=n)), Decimal(0))
                for n in range(7)
            ),
            Decimal(0),
        )
        weekly = rule.weekly_cap - used
        room = weekly if room is None else min(room, weekly)
    return None if room is None else max(room, Decimal(0))


def cap_room(session: Session, user_id: int, rule: PointRule, day: date) -> Decimal | None:
    """How many more points the rule's daily and weekly caps allow on ``day``.

    Counts what is already booked (awards net of reversals). None: no cap.
    """
    if rule.daily_cap is None and rule.weekly_cap is None:
        return None
    week = period_start("week", day)
    booked = booked_by_day(session, {(user_id, rule.category_id)}, week, period_end("week", week))
    return room_in(booked, user_id, rule, day)
