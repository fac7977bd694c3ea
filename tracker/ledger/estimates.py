"""What a rule gives: the rule version of a day, points for a quantity, one entry's most,
and an estimate with the daily and weekly caps (whose room ``caps`` counts).

Every award is computed here, so an activity, an event's attendance and the
review queue's estimate cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.ledger import caps
from tracker.models import Activity, Event, PointRule
from tracker.models.types import TENTH
from tracker.periods import period_end, period_start


def rule_for(session: Session, category_id: int, day: date) -> PointRule | None:
    """The rule version in force for ``category_id`` on ``day``."""
    return session.scalars(
        select(PointRule)
        .where(PointRule.category_id == category_id, PointRule.effective_from <= day)
        .order_by(PointRule.effective_from.desc())
        .limit(1)
    ).first()


def rule_versions(session: Session, category_ids: set[int]) -> dict[int, list[PointRule]]:
    """Every rule version of the categories, newest first: one statement for a page
    that needs the rule of many activities or categories (``in_force``)."""
    versions: dict[int, list[PointRule]] = {}
    if category_ids:
        for rule in session.scalars(
            select(PointRule)
            .where(PointRule.category_id.in_(category_ids))
            .order_by(PointRule.effective_from.desc())
        ):
            versions.setdefault(rule.category_id, []).append(rule)
    return versions


def in_force(versions: dict[int, list[PointRule]], category_id: int, day: date) -> PointRule | None:
    """The rule version in force for ``category_id`` on ``day``, from ``rule_versions``."""
    return next((r for r in versions.get(category_id, []) if r.effective_from <= day), None)


def points_for_quantity(rule: PointRule, quantity: Decimal) -> Decimal:
    """Points before caps: proportional to the quantity, rounded down to 0.1."""
    raw = Decimal(quantity) / rule.per_quantity * rule.points_per_unit
    return raw.quantize(TENTH, rounding=ROUND_DOWN)


def most_for_one_entry(rule: PointRule) -> Decimal:
    """The most one entry earns under the rule: its largest quantity, within its caps."""
    most = points_for_quantity(rule, rule.max_quantity)
    for cap in (rule.daily_cap, rule.weekly_cap):
        if cap is not None:
            most = min(most, cap)
    return most


def event_points(
    session: Session, activity: Activity, rule: PointRule, fixed_points: Decimal | None
) -> Decimal | None:
    """An event's points per attendance (when none are given), at most one entry's worth.

    Explicit or defaulted, an event's points never exceed what the rule of
    the day lets one entry earn.
    """
    if fixed_points is None and activity.event_id is not None:
        fixed_points = session.scalar(select(Event.points).where(Event.id == activity.event_id))
    return _at_most_one_entry(fixed_points, rule)


def _at_most_one_entry(fixed_points: Decimal | None, rule: PointRule) -> Decimal | None:
    return None if fixed_points is None else min(fixed_points, most_for_one_entry(rule))


@dataclass(frozen=True)
class Estimate:
    points: Decimal
    uncapped: Decimal
    rule: PointRule

    @property
    def capped(self) -> bool:
        return self.points < self.uncapped


def estimate(
    session: Session,
    user_id: int,
    rule: PointRule,
    quantity: Decimal,
    day: date,
    fixed_points: Decimal | None = None,
) -> Estimate:
    """The points an activity would earn if approved now, caps included.

    ``fixed_points`` replaces what the rule gives for the quantity (an event's
    points per attendance); the caps still apply.
    """
    return _priced(rule, quantity, fixed_points, caps.cap_room(session, user_id, rule, day))


def _priced(
    rule: PointRule, quantity: Decimal, fixed_points: Decimal | None, room: Decimal | None
) -> Estimate:
    uncapped = points_for_quantity(rule, quantity) if fixed_points is None else fixed_points
    points = uncapped if room is None else min(uncapped, room)
    return Estimate(points=points, uncapped=uncapped, rule=rule)


def estimates_for(
    session: Session, activities: list[Activity], rules: dict[int, list[PointRule]]
) -> dict[int, Estimate]:
    """What approving each activity now would book, by id (none for an activity whose
    category has no rule on its day): the events' points and what the caps have already
    counted read for all of them at once, in two statements however many wait (the
    review queue shows them all); ``rules`` is ``rule_versions`` of their categories."""
    if not activities:
        return {}
    event_ids = {a.event_id for a in activities if a.event_id is not None}
    event_points_of = (
        dict(session.execute(select(Event.id, Event.points).where(Event.id.in_(event_ids))).all())
        if event_ids
        else {}
    )
    first = min(period_start("week", a.occurred_on) for a in activities)
    end = max(period_end("week", period_start("week", a.occurred_on)) for a in activities)
    booked = caps.booked_by_day(
        session, {(a.user_id, a.category_id) for a in activities}, first, end
    )
    found = {}
    for activity in activities:
        rule = next(
            (
                r
                for r in rules.get(activity.category_id, [])
                if r.effective_from <= activity.occurred_on
            ),
            None,
        )
        if rule is None:
            continue
        fixed = _at_most_one_entry(event_points_of.get(activity.event_id), rule)
        room = caps.room_in(booked, activity.user_id, rule, activity.occurred_on)
        found[activity.id] = _priced(rule, activity.quantity, fixed, room)
    return found
