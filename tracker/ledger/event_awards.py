"""Booking an event's attendance at its close, with the closer as the ledger row's actor.

``closing.close_event`` books here only attendances no hand of the
closer's made (checked in with the code by a member who neither organised nor
closed the event); the others wait in the review queue for a second person,
who approves them through ``points.approve_activity``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import Conflict
from tracker.ledger import points, versions
from tracker.ledger.estimates import rule_for
from tracker.models import Activity, ActivityStatus, LedgerEntry, User


def book_event_attendance(
    session: Session, activity: Activity, closer: User, now: datetime, per_attendance: Decimal
) -> LedgerEntry:
    """Approve an event attendance at close and book it, the closer as the ledger row's actor.

    For attendances no hand of the closer's made: checked in with the code by a
    member who neither organised nor closed the event (``closing.close_event``
    leaves the others for a second person). The event's points, at most one
    entry's worth under the rule of the day, then capped like any activity.
    Books once per activity, as ``approve_activity`` does.
    """
    rule = rule_for(session, activity.category_id, activity.occurred_on)
    if rule is None:
        raise Conflict(_l("No point rule applies on that day."))
    versions.transition(
        session,
        activity,
        ActivityStatus.PENDING,
        ActivityStatus.APPROVED,
        reviewed_by_id=closer.id,
        reviewed_at=now,
        rule_id=rule.id,
        updated_at=now,
    )
    entry = points.book_award(session, activity, rule, closer, now, per_attendance)
    audit.record(
        session,
        "activity.approved",
        actor=closer,
        subject=activity.member,
        branch_id=activity.branch_id,
        target=activity,
        points=str(entry.points),
        event_id=activity.event_id,
    )
    return entry
