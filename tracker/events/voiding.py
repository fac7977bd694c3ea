"""Voiding an attendance the committee does not believe (a relayed check-in, say).

Before the event is closed the attendance simply stops counting; after it,
the points are already booked, so the meeting activity's approval is revoked
through the ledger, which books the reversal: ``check-ledger`` stays empty.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker import audit, notify
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.events.attendance import MAX_REASON
from tracker.ledger import points
from tracker.models import (
    ATTENDED,
    Activity,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    Event,
    User,
)
from tracker.people import access


def void_attendance(
    session: Session, manager: User, record: Attendance, reason: str, now: datetime
) -> Attendance:
    """The committee voids an attendance it does not believe, with a reason; the caller commits.

    Before the close, the attendance stops counting, so the close books
    nothing for it; the member is told. After the close, the meeting
    activity booked for it is revoked through the ledger, which books the
    reversal and tells the member. The event's row is locked first, so a void
    and a close running at once are ordered; the change is a conditional
    update, so of two committee members voiding at once only one does.
    """
    event = record.event
    if not access.may_void_attendance(manager, record):
        raise Forbidden(_l("Only the committee of the event's branch can do this."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _l("Please give a reason.")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": _l("At most %(n)d characters.", n=MAX_REASON)})
    closed_at = session.execute(
        select(Event.closed_at).where(Event.id == event.id).with_for_update()
    ).scalar_one()
    changed = session.execute(
        update(Attendance)
        .where(Attendance.id == record.id, Attendance.status.in_(ATTENDED))
        .values(
            status=AttendanceStatus.VOIDED,
            void_reason=reason,
            voided_at=now,
            voided_by_id=manager.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(record)
    if changed != 1:
        if record.status == AttendanceStatus.VOIDED:
            raise Conflict(_l("This check-in was already voided."))
        raise Conflict(_l("Only a member who attended can be voided."))
    audit.record(
        session,
        "event.attendance_voided",
        actor=manager,
        subject=record.member,
        branch_id=record.member.branch_id,
        target=event,
        reason=reason,
        after_close=closed_at is not None,
    )
    booked = None
    if closed_at is not None:
        booked = session.scalars(
            select(Activity).where(
                Activity.event_id == event.id,
                Activity.user_id == record.user_id,
                Activity.status == ActivityStatus.APPROVED,
            )
        ).first()
    if booked is not None:
        points.revoke_approval(session, booked, manager, reason, now)
    else:
        notify.notify(
            session,
            record.user_id,
            "attendance_voided",
            event_id=event.id,
            title=event.title,
            reason=reason,
        )
    session.flush()
    return record
