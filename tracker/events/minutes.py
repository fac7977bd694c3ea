"""会议记录: the committee writes an event's minutes after it began; each save is a version.

Attendance is not typed: every save takes it from the event's check-ins
(present), approved or asked-for leave (with the reason) and those expected
who have neither (absent). Once locked (by the committee, the secretary's
act), the minutes can no longer change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.events import kinds
from tracker.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    Event,
    Minutes,
    MinutesVersion,
    User,
)
from tracker.people import access

MAX_TOPIC = 200
MAX_NAME = 60
MAX_TEXT = 20_000
FIELDS = ("topic", "host", "recorder", "content", "decisions")


@dataclass
class MinutesInput:
    topic: str
    host: str = ""
    recorder: str = ""
    content: str = ""
    decisions: str = ""


def minutes_of(session: Session, event: Event) -> Minutes | None:
    return session.scalars(select(Minutes).where(Minutes.event_id == event.id)).first()


def versions_of(session: Session, minutes: Minutes) -> list[MinutesVersion]:
    return list(
        session.scalars(
            select(MinutesVersion)
            .where(MinutesVersion.minutes_id == minutes.id)
            .order_by(MinutesVersion.version.desc())
        )
    )


def attendance_record(session: Session, event: Event) -> list[dict[str, Any]]:
    """Present, on leave (with the reason) or absent: everyone expected or recorded."""
    records = {
        a.user_id: a
        for a in session.scalars(select(Attendance).where(Attendance.event_id == event.id))
    }
    ids = kinds.expected_ids(session, event) | set(records)
    people = session.scalars(select(User).where(User.id.in_(ids)).order_by(User.student_no))
    rows = []
    for person in people:
        record = records.get(person.id)
        status, reason = "absent", None
        if record is not None and record.status in ATTENDED:
            status = "present"
        elif record is not None and record.status in (
            AttendanceStatus.ON_LEAVE,
            AttendanceStatus.LEAVE_REQUESTED,
        ):
            status, reason = "leave", record.leave_reason
        rows.append(
            {
                "user_id": person.id,
                "name": person.name,
                "student_no": person.student_no,
                "status": status,
                "reason": reason,
            }
        )
    return rows


def _checked(data: MinutesInput) -> dict[str, str]:
    values = {name: (getattr(data, name) or "").strip() for name in FIELDS}
    errors: dict[str, object] = {}
    if not values["topic"]:
        errors["topic"] = _l("Please give the topic.")
    elif len(values["topic"]) > MAX_TOPIC:
        errors["topic"] = _l("At most %(n)d characters.", n=MAX_TOPIC)
    for name in ("host", "recorder"):
        if len(values[name]) > MAX_NAME:
            errors[name] = _l("At most %(n)d characters.", n=MAX_NAME)
    for name in ("content", "decisions"):
        if len(values[name]) > MAX_TEXT:
            errors[name] = _l("At most %(n)d characters.", n=MAX_TEXT)
    if errors:
        raise InvalidInput(errors)
    return values


def save_minutes(
    session: Session, author: User, event: Event, data: MinutesInput, now: datetime
) -> Minutes:
    """Write the minutes (a new version when they exist); the caller commits."""
    if not access.may_write_minutes(author, event):
        raise Forbidden(_l("Only the committee of the event's branch can do this."))
    if now < event.starts_at:
        raise InvalidInput({"topic": _l("Minutes are written once the meeting has begun.")})
    values = _checked(data)
    minutes = minutes_of(session, event)
    if minutes is not None and minutes.locked_at is not None:
        raise Conflict(_l("These minutes are locked."))
    record = attendance_record(session, event)
    if minutes is None:
        minutes = Minutes(event_id=event.id, version=1, updated_by_id=author.id, **values)
        session.add(minutes)
    else:
        minutes.version += 1
        for name, value in values.items():
            setattr(minutes, name, value)
    minutes.attendance = record
    minutes.updated_at = now
    minutes.updated_by_id = author.id
    session.flush()
    session.add(
        MinutesVersion(
            minutes_id=minutes.id,
            version=minutes.version,
            attendance=record,
            saved_at=now,
            saved_by_id=author.id,
            **values,
        )
    )
    session.flush()
    audit.record(
        session,
        "minutes.saved",
        actor=author,
        branch_id=min(event.branch_ids),
        target=event,
        version=minutes.version,
    )
    return minutes


def lock_minutes(session: Session, actor: User, minutes: Minutes, now: datetime) -> None:
    if not access.may_write_minutes(actor, minutes.event):
        raise Forbidden(_l("Only the committee of the event's branch can do this."))
    if minutes.locked_at is not None:
        raise Conflict(_l("These minutes are locked."))
    minutes.locked_at = now
    minutes.locked_by_id = actor.id
    session.flush()
    audit.record(
        session,
        "minutes.locked",
        actor=actor,
        branch_id=min(minutes.event.branch_ids),
        target=minutes.event,
        version=minutes.version,
    )
