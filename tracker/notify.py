"""In-app notifications: what happened, for whom; worded when read.

A notification stores a kind and its parameters, never finished text, so
each person reads it in their own language, whenever they read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.models import Notification, User


@dataclass(frozen=True)
class Kind:
    message: Any  # a lazy msgid with %(name)s placeholders
    endpoint: str | None = None
    link_param: str | None = None  # which parameter the endpoint takes as its id


KINDS: dict[str, Kind] = {
    "activity_approved": Kind(
        _l("Your activity “%(title)s” was approved: %(points)s."),
        "activities.detail",
        "activity_id",
    ),
    "activity_rejected": Kind(
        _l("Your activity “%(title)s” was rejected: %(reason)s"), "activities.detail", "activity_id"
    ),
    "activity_revoked": Kind(
        _l("The approval of your activity “%(title)s” was revoked: %(reason)s"),
        "activities.detail",
        "activity_id",
    ),
    "confirmation_requested": Kind(
        _l("%(mentor)s logged a tutoring session “%(title)s” naming you: confirm or dispute it."),
        "tutoring.index",
    ),
    "session_disputed": Kind(
        _l("%(mentee)s disputed your tutoring session “%(title)s”: %(reason)s"),
        "activities.detail",
        "activity_id",
    ),
    "pairing_requested": Kind(
        _l("%(mentor)s asks to add you as a 1+N mentee: please accept or decline."),
        "tutoring.index",
    ),
    "pairing_accepted": Kind(_l("%(mentee)s accepted you as their mentor."), "tutoring.index"),
    "event_created": Kind(_l("New event: “%(title)s” on %(when)s."), "events.detail", "event_id"),
    "event_soon": Kind(
        _l("“%(title)s” starts at %(when)s. Check-in opens at %(opens)s."),
        "events.detail",
        "event_id",
    ),
    "leave_approved": Kind(
        _l("Your leave from “%(title)s” was approved."), "events.detail", "event_id"
    ),
    "event_points": Kind(
        _l("Attendance at “%(title)s” was booked: %(points)s."), "events.detail", "event_id"
    ),
    "meeting_due": Kind(
        _l("%(meeting)s: %(held)s of %(required)s held so far; the period ends on %(due)s."),
        "compliance.branch",
        "branch_id",
    ),
    "attendance_voided": Kind(
        _l("The committee voided your check-in to “%(title)s”: %(reason)s"),
        "events.detail",
        "event_id",
    ),
    "milestone_reached": Kind(
        _l("You reached the milestone “%(name)s”. Well done!"), "dashboards.home"
    ),
}


def notify(session: Session, user: User | int, kind: str, **params: Any) -> Notification:
    """Add a notification for ``user``; it commits with the change it tells about."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    user_id = user if isinstance(user, int) else user.id
    note = Notification(
        user_id=user_id, kind=kind, params={k: _plain(v) for k, v in params.items()}
    )
    session.add(note)
    return note


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def message(note: Notification) -> str:
    """The notification in the current request's language and time zone."""
    from flask_babel import format_date, format_datetime

    from tracker.i18n import MEETING_KIND_LABELS, points_phrase

    params = dict(note.params)
    for key, value in list(params.items()):
        if key in ("when", "opens") and isinstance(value, str):
            params[key] = format_datetime(datetime.fromisoformat(value), "short")
        elif key == "points":
            params[key] = points_phrase(Decimal(value))
        elif key == "due" and isinstance(value, str):
            params[key] = format_date(date.fromisoformat(value))
        elif key == "meeting":
            params[key] = MEETING_KIND_LABELS.get(value, value)
    return str(KINDS[note.kind].message) % params


def link(note: Notification) -> str | None:
    kind = KINDS[note.kind]
    if kind.endpoint is None:
        return None
    if kind.link_param is None:
        return url_for(kind.endpoint)
    return url_for(kind.endpoint, **{kind.link_param: note.params[kind.link_param]})


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def mark_read(session: Session, user_id: int, now: datetime, note_id: int | None = None) -> int:
    """Mark one notification (or all) of the user as read; returns how many changed."""
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if note_id is not None:
        query = query.where(Notification.id == note_id)
    return session.execute(query.values(read_at=now)).rowcount
