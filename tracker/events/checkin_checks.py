"""What a check-in showed, and which check-ins the committee should look at twice.

An event's code proves that someone saw the screen within the minute, not who
checked in: a screenshot or a video call relays it, and one phone can check a
roommate in by signing in to the roommate's account. So each member's own
check-in keeps the facts of its request (``CheckinFacts``): the door, a keyed
hash of the browser's device cookie, and how long before the check-in the
session (or the API token) was signed in. ``suspicious_checkins`` lists the
check-ins whose facts look like a relay. Nothing here refuses a check-in: a
listed check-in is a question for the committee, which may void it
(``attendance.void_attendance``) or, for a meeting that must be airtight, scan
each member instead (``scanning``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.events.codes import CODE_PERIOD
from tracker.models import Attendance, AttendanceStatus, AuditEvent, CheckinDoor, Event

# One device (one browser's cookie) that checked in this many members of one
# event: a phone passed around, or one person signing in to other accounts.
SHARED_DEVICE_MEMBERS = 2
# A session (or API token) signed in this shortly before it checked in: a
# login made to check in, perhaps on someone else's phone. Members who keep
# their phone signed in, as most do, have older sessions.
FRESH_SESSION = timedelta(minutes=5)
# This many check-ins within BURST_WINDOW of the code changing (a new minute
# of a rotating code, or "make a new code"): quicker than a room of people
# reads and types a new code, as quick as one person relaying it to several.
BURST_MIN_CHECKINS = 3
BURST_WINDOW = timedelta(seconds=5)


def device_hash(device_id: str, secret: str) -> str:
    """A keyed hash of the device id: equal for one device, and the id is not stored."""
    return hmac.new(secret.encode(), f"device:{device_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CheckinFacts:
    """What the door knows about the request of a member's own check-in."""

    door: CheckinDoor
    device_hash: str | None = None
    signed_in_at: datetime | None = None  # of the session, or when the API token was made

    @classmethod
    def of(
        cls,
        door: CheckinDoor,
        device_id: str | None,
        secret: str,
        signed_in_at: datetime | None,
    ) -> CheckinFacts:
        hashed = device_hash(device_id, secret) if device_id else None
        return cls(door=door, device_hash=hashed, signed_in_at=signed_in_at)

    def record_on(self, attendance: Attendance, now: datetime) -> None:
        attendance.door = self.door
        attendance.device_hash = self.device_hash
        attendance.session_age = (
            max(0, int((now - self.signed_in_at).total_seconds()))
            if self.signed_in_at is not None
            else None
        )


@dataclass
class Suspicion:
    attendance: Attendance
    reasons: list = field(default_factory=list)  # lazy strings, worded for the reader


def _self_check_ins(session: Session, event: Event) -> list[Attendance]:
    return list(
        session.scalars(
            select(Attendance)
            .where(
                Attendance.event_id == event.id,
                Attendance.status == AttendanceStatus.CHECKED_IN,
            )
            .options(selectinload(Attendance.member))
            .order_by(Attendance.recorded_at, Attendance.id)
        )
    )


def _shared_devices(check_ins: list[Attendance]):
    by_device: dict[str, list[Attendance]] = defaultdict(list)
    for record in check_ins:
        if record.device_hash:
            by_device[record.device_hash].append(record)
    for group in by_device.values():
        if len({r.user_id for r in group}) < SHARED_DEVICE_MEMBERS:
            continue
        for record in group:
            others = ", ".join(r.member.name for r in group if r.user_id != record.user_id)
            yield record, _l("The same device also checked in %(names)s.", names=others)


def _fresh_session_reason(record: Attendance, minutes: int):
    if record.door == CheckinDoor.API_TOKEN:
        if minutes == 0:
            return _l("The API token was made less than a minute before checking in.")
        return ngettext(
            "The API token was made %(num)d minute before checking in.",
            "The API token was made %(num)d minutes before checking in.",
            minutes,
        )
    if minutes == 0:
        return _l("Signed in less than a minute before checking in.")
    return ngettext(
        "Signed in %(num)d minute before checking in.",
        "Signed in %(num)d minutes before checking in.",
        minutes,
    )


def _fresh_sessions(check_ins: list[Attendance]):
    for record in check_ins:
        age = record.session_age
        if age is not None and age < FRESH_SESSION.total_seconds():
            yield record, _fresh_session_reason(record, age // 60)


def _code_changes(session: Session, event: Event) -> list[datetime]:
    """When a new code was made for the event ("make a new code")."""
    return list(
        session.scalars(
            select(AuditEvent.created_at).where(
                AuditEvent.action == "event.code_rotated",
                AuditEvent.target_type == "event",
                AuditEvent.target_id == event.id,
            )
        )
    )


def _last_change(event: Event, rotations: list[datetime], moment: datetime) -> datetime | None:
    changes = [r for r in rotations if r <= moment]
    if event.rotating:
        seconds = int(moment.timestamp()) // CODE_PERIOD * CODE_PERIOD
        changes.append(datetime.fromtimestamp(seconds, moment.tzinfo))
    return max(changes, default=None)


def _bursts(session: Session, event: Event, check_ins: list[Attendance]):
    rotations = _code_changes(session, event)
    after_change: dict[datetime, list[Attendance]] = defaultdict(list)
    for record in check_ins:
        change = _last_change(event, rotations, record.recorded_at)
        if change is not None and record.recorded_at - change <= BURST_WINDOW:
            after_change[change].append(record)
    for group in after_change.values():
        if len(group) < BURST_MIN_CHECKINS:
            continue
        for record in group:
            yield (
                record,
                _l(
                    "One of %(num)d check-ins within %(seconds)d seconds after the code changed.",
                    num=len(group),
                    seconds=int(BURST_WINDOW.total_seconds()),
                ),
            )


def suspicious_checkins(session: Session, event: Event) -> list[Suspicion]:
    """Members' own check-ins of the event that look relayed, each with its reasons, in order.

    Check-ins the committee made (marked present, scanned) and voided ones
    are not listed: the committee has already judged those.
    """
    check_ins = _self_check_ins(session, event)
    found: dict[int, Suspicion] = {}
    finders = (
        _shared_devices(check_ins),
        _fresh_sessions(check_ins),
        _bursts(session, event, check_ins),
    )
    for finder in finders:
        for record, reason in finder:
            found.setdefault(record.id, Suspicion(record)).reasons.append(reason)
    return sorted(found.values(), key=lambda s: (s.attendance.recorded_at, s.attendance.id))
