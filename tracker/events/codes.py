"""Check-in codes of an event: fixed, or a new one every minute.

Derived with HMAC from the event's own secret, so a code says nothing about
the next one, and a new secret retires every code shown so far.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from tracker.models import Event
from tracker.models.org import INVITE_ALPHABET

CODE_LENGTH = 6
# Rotating codes change every minute; the previous minute's code is still
# accepted so a member who read it at :59 is not refused at :00.
CODE_PERIOD = 60


def code_for(event: Event, moment: datetime) -> str:
    """The event's check-in code at ``moment``."""
    slot = str(int(moment.timestamp()) // CODE_PERIOD) if event.rotating else "fixed"
    digest = hmac.new(event.secret.encode(), slot.encode(), hashlib.sha256).digest()
    return "".join(INVITE_ALPHABET[b % len(INVITE_ALPHABET)] for b in digest[:CODE_LENGTH])


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split()).upper()


def code_matches(event: Event, code: str, now: datetime) -> bool:
    """Whether ``code`` is the event's code now (or, if rotating, a minute ago)."""
    # Compared as bytes: compare_digest refuses str with non-ASCII characters,
    # and anyone can type 签到 into the code field.
    code = normalise_code(code).encode()
    moments = [now, now - timedelta(seconds=CODE_PERIOD)] if event.rotating else [now]
    return any(hmac.compare_digest(code, code_for(event, m).encode()) for m in moments)
