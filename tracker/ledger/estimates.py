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


def rule_for(session: Session, category_id: int, day: date) -> PointRule | None:
    """The rule version in force for ``category_id`` on ``day``."""
    return session.scalars(
        select(PointRule)
        .where(PointRule.category_id == category_id, PointRule.effective_from <= day)
        .order_by(PointRule.effective_from.desc())
        .limit(1)
    ).first()


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
    uncapped = points_for_quantity(rule, quantity) if fixed_points is None else fixed_points
    room = caps.cap_room(session, user_id, rule, day)
    points = uncapped if room is None else min(uncapped, room)
    return Estimate(points=points, uncapped=uncapped, rule=rule)


def estimate_for(session: Session, activity: Activity) -> Estimate | None:
    """What approving the activity now would book (an event's points for an attendance)."""
    rule = rule_for(session, activity.category_id, activity.occurred_on)
    if rule is None:
        return None
    fixed = event_points(session, activity, rule, None)
    return estimate(session, activity.user_id, rule, activity.quantity, activity.occurred_on, fixed)
