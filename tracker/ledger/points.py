"""Points: awards, reversals and adjustments.

What a rule gives, and an estimate with the caps, is ``ledger.estimates``; the caps' room is
counted in ``ledger.caps``; booking an event's attendance at its close is
``ledger.event_awards``. Every ledger row is written by ``booking.book``, which
refuses a day of a closed term (but for an administrator's adjustment), adds
the row and updates the stored totals in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from tracker import audit, notify
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.ledger.booking import book, lock_member
from tracker.ledger.estimates import estimate, event_points, rule_for
from tracker.ledger.versions import ensure_current, transition
from tracker.models import (
    Activity,
    ActivityStatus,
    Category,
    EntryKind,
    LedgerEntry,
    PointRule,
    User,
)
from tracker.models.types import TENTH
from tracker.people import access
from tracker.people.accounts import branch_on

MAX_REASON_LENGTH = 500
MAX_ADJUSTMENT = Decimal(100)


def ensure_reviewer(reviewer: User, activity: Activity) -> None:
    """Refuse anyone but those ``access`` lets review this activity, and the member themselves."""
    if reviewer.id == activity.user_id:
        raise Forbidden(_l("You cannot review your own activities."))
    if activity.event_id is not None and activity.status == ActivityStatus.PENDING:
        # An event attendance that waits for a second person (see close_event).
        if not access.may_confirm_attendance(object_session(activity), reviewer, activity):
            raise Forbidden(
                _l(
                    "Someone who neither marked this attendance nor closed the event confirms "
                    "it: another committee member, an advisor or an administrator."
                )
            )
        return
    if not access.may_review(reviewer, activity):
        raise Forbidden(_l("Only the committee of the activity's branch can review it."))


def _clean_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({field: _l("Please give a reason.")})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput({field: _l("At most %(n)d characters.", n=MAX_REASON_LENGTH)})
    return reason


def approve_activity(
    session: Session,
    activity: Activity,
    reviewer: User | None,
    now: datetime,
    *,
    reason: str | None = None,
    fixed_points: Decimal | None = None,
    seen: int | None = None,
) -> LedgerEntry:
    """Approve a pending entry and book its award, capped by the rule.

    Books at most once per activity, even when called concurrently: the
    status moves by a conditional update and the ledger holds one award per
    activity. ``seen`` is the version the reviewer decided on; any other is
    refused (see ``transition``). ``reviewer`` None means the rule (or a
    closed event, or the mentees' confirmations) approves it. A session a
    mentee disputed needs a ``reason``. ``fixed_points`` replaces the rule's
    amount (an event's points per attendance); the caps still apply.
    """
    if reviewer is not None:
        ensure_reviewer(reviewer, activity)
    ensure_current(activity, ActivityStatus.PENDING, seen)
    if activity.disputed:
        if not (reason or "").strip():
            raise InvalidInput({"reason": _l("A disputed session needs a reason to be approved.")})
        reason = _clean_reason(reason)
    elif reason is not None:
        reason = reason.strip()[:MAX_REASON_LENGTH] or None
    rule = rule_for(session, activity.category_id, activity.occurred_on)
    if rule is None:
        raise Conflict(_l("No point rule applies on that day."))
    transition(
        session,
        activity,
        ActivityStatus.PENDING,
        ActivityStatus.APPROVED,
        seen=seen,
        reviewed_by_id=reviewer.id if reviewer else None,
        reviewed_at=now,
        review_reason=reason,
        rule_id=rule.id,
        updated_at=now,
    )
    entry = book_award(session, activity, rule, reviewer, now, fixed_points)
    audit.record(
        session,
        "activity.approved",
        actor=reviewer,
        subject=activity.member,
        branch_id=activity.branch_id,
        target=activity,
        points=str(entry.points),
        **({"reason": reason} if reason else {}),
    )
    if reviewer is not None:
        notify.notify(
            session,
            activity.user_id,
            "activity_approved",
            activity_id=activity.id,
            title=activity.title,
            points=entry.points,
        )
    return entry


def book_award(
    session: Session,
    activity: Activity,
    rule: PointRule,
    actor: User | None,
    now: datetime,
    fixed_points: Decimal | None = None,
) -> LedgerEntry:
    """Book the award of an activity just moved to approved: its points under ``rule``
    (an event's, at most one entry's worth), capped, with ``actor`` on the ledger row."""
    lock_member(session, activity.user_id)
    fixed_points = event_points(session, activity, rule, fixed_points)
    result = estimate(
        session, activity.user_id, rule, activity.quantity, activity.occurred_on, fixed_points
    )
    return book(
        session,
        LedgerEntry(
            kind=EntryKind.AWARD,
            user_id=activity.user_id,
            branch_id=activity.branch_id,
            category_id=activity.category_id,
            activity_id=activity.id,
            rule_id=rule.id,
            points=result.points,
            uncapped_points=result.uncapped,
            earned_on=activity.occurred_on,
            actor_id=actor.id if actor else None,
            created_at=now,
        ),
    )


def _decide(
    session: Session,
    activity: Activity,
    reviewer: User,
    old: ActivityStatus,
    new: ActivityStatus,
    reason: str,
    now: datetime,
    seen: int | None,
) -> str:
    """A reviewer's decision with a reason, on version ``seen``; returns the cleaned reason."""
    ensure_reviewer(reviewer, activity)
    ensure_current(activity, old, seen)
    reason = _clean_reason(reason)
    transition(
        session,
        activity,
        old,
        new,
        seen=seen,
        reviewed_by_id=reviewer.id,
        reviewed_at=now,
        review_reason=reason,
        updated_at=now,
    )
    return reason


def reject_activity(
    session: Session,
    activity: Activity,
    reviewer: User,
    reason: str,
    now: datetime,
    *,
    seen: int | None = None,
) -> None:
    """Reject a pending activity with a reason, if still version ``seen``; the member may edit
    and resubmit."""
    reason = _decide(
        session,
        activity,
        reviewer,
        ActivityStatus.PENDING,
        ActivityStatus.REJECTED,
        reason,
        now,
        seen,
    )
    audit.record(
        session,
        "activity.rejected",
        actor=reviewer,
        subject=activity.member,
        branch_id=activity.branch_id,
        target=activity,
        reason=reason,
    )
    notify.notify(
        session,
        activity.user_id,
        "activity_rejected",
        activity_id=activity.id,
        title=activity.title,
        reason=reason,
    )


def revoke_approval(
    session: Session,
    activity: Activity,
    reviewer: User,
    reason: str,
    now: datetime,
    *,
    seen: int | None = None,
) -> LedgerEntry:
    """Revoke an approval (if still version ``seen``): books a reversal of exactly the awarded
    points."""
    reason = _decide(
        session,
        activity,
        reviewer,
        ActivityStatus.APPROVED,
        ActivityStatus.REVOKED,
        reason,
        now,
        seen,
    )
    award = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.activity_id == activity.id, LedgerEntry.kind == EntryKind.AWARD
        )
    ).one()
    entry = book(
        session,
        LedgerEntry(
            kind=EntryKind.REVERSAL,
            user_id=award.user_id,
            branch_id=award.branch_id,
            category_id=award.category_id,
            activity_id=activity.id,
            rule_id=award.rule_id,
            points=-award.points,
            earned_on=award.earned_on,
            actor_id=reviewer.id,
            reason=reason,
            created_at=now,
        ),
    )
    audit.record(
        session,
        "activity.revoked",
        actor=reviewer,
        subject=activity.member,
        branch_id=activity.branch_id,
        target=activity,
        reason=reason,
        points=str(-award.points),
    )
    notify.notify(
        session,
        activity.user_id,
        "activity_revoked",
        activity_id=activity.id,
        title=activity.title,
        reason=reason,
    )
    return entry


def adjust_points(
    session: Session,
    member: User,
    actor: User,
    points: Decimal,
    reason: str,
    day: date,
    category: Category | None = None,
) -> LedgerEntry:
    """Book a manual adjustment (positive or negative) with a reason, on ``day``.

    The committee adjusts members of its branch; an administrator adjusts
    anyone, and alone may book on a day of a closed term. The row counts for
    the branch the member belonged to on ``day``. Audited.
    """
    if actor.id == member.id:
        raise Forbidden(_l("You cannot adjust your own points."))
    if not (access.may_adjust_points(actor, member) or access.may_adjust_any_points(actor)):
        raise Forbidden(_l("Only the committee of the member's branch can adjust points."))
    if category is not None and category.retired_at is not None:
        raise InvalidInput({"category_id": _l("This category is retired.")})
    reason = _clean_reason(reason)
    points = Decimal(points).quantize(TENTH)
    if points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise InvalidInput(
            {"points": _l("Between -%(n)s and %(n)s, and not zero.", n=MAX_ADJUSTMENT)}
        )
    branch_id = branch_on(session, member.id, day) or member.branch_id
    if branch_id is None:
        raise InvalidInput(
            {"day": _l("%(name)s belonged to no branch that day.", name=member.name)}
        )
    entry = book(
        session,
        LedgerEntry(
            kind=EntryKind.ADJUSTMENT,
            user_id=member.id,
            branch_id=branch_id,
            category_id=category.id if category else None,
            points=points,
            earned_on=day,
            actor_id=actor.id,
            reason=reason,
        ),
        in_closed_term=access.may_book_in_closed_terms(actor),
    )
    audit.record(
        session,
        "points.adjusted",
        actor=actor,
        subject=member,
        branch_id=branch_id,
        target=entry,
        points=str(points),
        reason=reason,
    )
    return entry


def awarded_points(session: Session, activity_ids: list[int]) -> dict[int, Decimal]:
    """Net points booked per activity (award plus any reversal)."""
    if not activity_ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.activity_id, func.sum(LedgerEntry.points))
        .where(LedgerEntry.activity_id.in_(activity_ids))
        .group_by(LedgerEntry.activity_id)
    )
    return {activity_id: Decimal(points) for activity_id, points in rows}
