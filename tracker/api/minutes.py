"""An event's minutes (会议记录) through the API."""

from __future__ import annotations

from typing import Any

from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.schemas import ID, MOMENT, nullable, obj
from tracker.errors import NotFound
from tracker.events import minutes as minutes_domain
from tracker.extensions import db
from tracker.models import Event, Minutes
from tracker.people import access

TEXT = {"type": "string"}
ATTENDEE = obj(
    user_id=ID,
    name=TEXT,
    student_no=TEXT,
    status={"type": "string", "enum": ["present", "leave", "absent"]},
    reason=nullable(TEXT),
)
MINUTES = obj(
    version={"type": "integer", "minimum": 1},
    topic=TEXT,
    host=TEXT,
    recorder=TEXT,
    content=TEXT,
    decisions=TEXT,
    attendance={"type": "array", "items": ATTENDEE},
    updated_at=MOMENT,
    locked_at=nullable(MOMENT),
    versions={
        "type": "array",
        "items": obj(version={"type": "integer"}, saved_at=MOMENT, saved_by=TEXT),
    },
    # The files themselves are served to signed-in people at /minutes/<event>/attachments/<id>.
    attachments={
        "type": "array",
        "items": obj(
            id=ID,
            name=TEXT,
            content_type=TEXT,
            size={"type": "integer", "minimum": 0},
            added_at=MOMENT,
        ),
    },
)
EVENT_MINUTES = api.schema(
    "EventMinutes", obj(event_id=ID, minutes={"anyOf": [MINUTES, {"type": "null"}]})
)


def _body(minutes: Minutes) -> dict[str, Any]:
    return {
        "version": minutes.version,
        **{name: getattr(minutes, name) for name in minutes_domain.FIELDS},
        "attendance": [
            {k: row.get(k) for k in ("user_id", "name", "student_no", "status", "reason")}
            for row in minutes.attendance
        ],
        "updated_at": serialize.moment(minutes.updated_at),
        "locked_at": serialize.moment(minutes.locked_at) if minutes.locked_at else None,
        "versions": [
            {
                "version": v.version,
                "saved_at": serialize.moment(v.saved_at),
                "saved_by": v.saved_by.name,
            }
            for v in minutes_domain.versions_of(db.session, minutes)
        ],
        "attachments": [
            {
                "id": a.id,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "added_at": serialize.moment(a.added_at),
            }
            for a in minutes.attachments
        ],
    }


@api.route(
    "/events/<int:event_id>/minutes",
    "GET",
    summary="An event's minutes",
    description="The current minutes (会议记录) with the attendance taken at their last save, "
    "the list of versions and of attached files; null before any are written. Members of "
    "the event's branches, their advisors, the committee and administrators may read them.",
    tag="Meetings",
    responses={200: ("The minutes, or null", EVENT_MINUTES)},
    errors=(404,),
)
def event_minutes(event_id: int):
    user = caller()
    event = db.session.get(Event, event_id)
    if event is None or not access.may_read_minutes(db.session, user, event):
        raise NotFound()
    minutes = minutes_domain.minutes_of(db.session, event)
    return {"event_id": event.id, "minutes": _body(minutes) if minutes else None}
