"""The organiser scans the member: personal check-in codes for meetings that must be airtight.

A relayed event code checks in whoever receives it. On a scan-only event the
event's code checks nobody in; instead each member shows a personal QR code
on their own signed-in phone, and a committee member scans it at the door and
sees the name to compare with the person in front of them. The personal code
is an HMAC of the event, the member and the current minute with the event's
secret: it says nothing about other members or minutes, expires within two
minutes (the previous minute's code still counts, as for rotating event
codes), and "make a new code" retires it too. Eight characters of the same
code are the short code the committee may type when the camera fails.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import Conflict, InvalidInput

# ``_record`` is how every attendance is recorded (locks, capacity, one row per
# member); a scan is one more way in, like ``mark_present``.
from tracker.events.attendance import CheckIn, _record
from tracker.events.codes import CODE_PERIOD, normalise_code
from tracker.events.planning import ensure_manager
from tracker.models import AccountStatus, AttendanceStatus, Event, Role, User
from tracker.models.org import INVITE_ALPHABET
from tracker.people import access

PERSONAL_CODE_LENGTH = 8
# What the QR code holds: this prefix, the event's id, the member's id, the code.
PAYLOAD_PREFIX = "TRACKER-CHECKIN"
_PAYLOAD = re.compile(rf"{PAYLOAD_PREFIX}:(\d{{1,10}}):(\d{{1,10}}):(\w{{1,16}})", re.IGNORECASE)


def personal_code(event: Event, member_id: int, moment: datetime) -> str:
    """The member's personal check-in code for the event at ``moment``."""
    slot = int(moment.timestamp()) // CODE_PERIOD
    message = f"personal:{event.id}:{member_id}:{slot}".encode()
    digest = hmac.new(event.secret.encode(), message, hashlib.sha256).digest()
    return "".join(INVITE_ALPHABET[b % len(INVITE_ALPHABET)] for b in digest[:PERSONAL_CODE_LENGTH])


def personal_payload(event: Event, member: User, moment: datetime) -> str:
    """The text of the member's personal QR code."""
    return f"{PAYLOAD_PREFIX}:{event.id}:{member.id}:{personal_code(event, member.id, moment)}"


def _code_is_current(event: Event, member_id: int, code: str, now: datetime) -> bool:
    wanted = normalise_code(code).encode()
    moments = (now, now - timedelta(seconds=CODE_PERIOD))
    return any(
        hmac.compare_digest(wanted, personal_code(event, member_id, m).encode()) for m in moments
    )


def _attendees(session: Session, event: Event) -> list[User]:
    return list(
        session.scalars(
            select(User).where(
                User.branch_id.in_(event.branch_ids),
                User.role.in_((Role.MEMBER, Role.COMMITTEE)),
                User.status == AccountStatus.ACTIVE,
            )
        )
    )


WRONG = _l("Wrong or expired code.")


def member_for_code(session: Session, event: Event, text: str, now: datetime) -> User:
    """The member whose current personal code ``text`` is: a scanned QR text or a typed code."""
    text = (text or "").strip()
    scanned = _PAYLOAD.fullmatch(text)
    if scanned is None:
        found = [m for m in _attendees(session, event) if _code_is_current(event, m.id, text, now)]
        if len(found) > 1:  # eight characters of an HMAC: all but impossible
            raise InvalidInput({"code": _l("Please scan the QR code instead.")})
        if not found:
            raise InvalidInput({"code": WRONG})
        return found[0]
    event_id, member_id, code = int(scanned[1]), int(scanned[2]), scanned[3]
    if event_id != event.id:
        raise InvalidInput({"code": _l("This is a personal code for another event.")})
    member = session.get(User, member_id)
    if member is None or not access.may_attend_event(member, event):
        raise InvalidInput({"code": WRONG})
    if not _code_is_current(event, member.id, code, now):
        raise InvalidInput({"code": WRONG})
    return member


@dataclass(frozen=True)
class Scan:
    member: User
    check_in: CheckIn


def scan(session: Session, manager: User, event: Event, text: str, now: datetime) -> Scan:
    """A committee member scans a member's personal code during check-in; the caller commits.

    The attendance counts as checked in (capacity holds), recorded as scanned
    by that committee member; a second scan changes nothing and says so. A
    scan readmits a member whose check-in was voided: the committee saw them.
    """
    ensure_manager(manager, event)
    if event.closed_at is not None:
        raise Conflict(_l("This event is closed."))
    if not event.checkin_opens_at <= now <= event.checkin_closes_at:
        raise Conflict(_l("Scanning works while check-in is open."))
    member = member_for_code(session, event, text, now)
    result = _record(session, event, member, AttendanceStatus.SCANNED, now, manager, capacity=True)
    if result.new:
        audit.record(
            session,
            "event.scanned",
            actor=manager,
            subject=member,
            branch_id=member.branch_id,
            target=event,
        )
    return Scan(member, result)


def set_scan_only(session: Session, manager: User, event: Event, scan_only: bool) -> None:
    """Make the event scan-only, or let the event's code check members in again."""
    ensure_manager(manager, event)
    if event.closed_at is not None:
        raise Conflict(_l("This event is closed."))
    if event.scan_only != scan_only:
        event.scan_only = scan_only
        audit.record(session, "event.scan_only", actor=manager, target=event, scan_only=scan_only)
        session.flush()
