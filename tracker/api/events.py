"""Events through the API: list, create, read, rotate the check-in code.

Every rule lives in ``planning``; these views find the event among those
the caller may see (any other id answers 404) and translate JSON to it.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.api import serialize
from tracker.api.activities import active_category
from tracker.api.blueprint import api, caller
from tracker.api.schemas import BRANCH, ID, MOMENT, PAGING, POINTS, nullable, obj, page_of
from tracker.api.spec import Param
from tracker.api.validation import json_body, query_args
from tracker.clock import utcnow
from tracker.errors import InvalidInput, NotFound
from tracker.events import attendance, codes, planning, scanning
from tracker.extensions import db
from tracker.models import Attendance, AttendanceStatus, Event
from tracker.people import access

EVENT = api.schema(
    "Event",
    obj(
        id=ID,
        title={"type": "string"},
        category={"type": "string"},
        place={"type": "string"},
        starts_at=MOMENT,
        ends_at=MOMENT,
        checkin_opens_at=MOMENT,
        checkin_closes_at=MOMENT,
        points=POINTS,
        capacity={"type": ["integer", "null"]},
        mandatory={"type": "boolean"},
        rotating={"type": "boolean"},
        scan_only={
            "type": "boolean",
            "description": "The committee scans each member's personal code; the event's "
            "code checks nobody in",
        },
        branches={"type": "array", "items": BRANCH},
        closed_at=nullable(MOMENT),
        attendance={
            "type": ["string", "null"],
            "enum": [s.value for s in AttendanceStatus] + [None],
            "description": "The caller's own attendance",
        },
        code={
            "type": ["string", "null"],
            "description": "The current check-in code: only for the committee of the "
            "event's branch and admins, while the event is open",
        },
    ),
)
TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"}
NEW_EVENT = obj(
    ["title", "category", "starts_at", "ends_at"],
    title={"type": "string", "minLength": 1, "maxLength": planning.MAX_TITLE},
    category={"type": "string", "minLength": 1, "maxLength": 32, "description": "Category key"},
    place={"type": "string", "maxLength": planning.MAX_PLACE},
    starts_at=TIME,
    ends_at=TIME,
    opens_before={
        "type": "integer",
        "minimum": 0,
        "maximum": 24 * 60,
        "description": "Minutes before the start that check-in opens (default 30)",
    },
    closes_after={
        "type": "integer",
        "minimum": 1,
        "maximum": 24 * 60,
        "description": "Minutes after the start that check-in closes (default 30)",
    },
    points={
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": int(planning.MAX_POINTS),
        "multipleOf": 0.1,
        "description": "Per attendance, at most what the category's rule gives one entry; "
        "left out, the rule decides from the duration (capped the same way)",
    },
    capacity={"type": ["integer", "null"], "minimum": 1, "maximum": planning.MAX_CAPACITY},
    mandatory={"type": "boolean"},
    rotating={"type": "boolean", "description": "A new code every minute"},
    scan_only={
        "type": "boolean",
        "description": "The committee scans each member's personal code (web pages); "
        "the event's code checks nobody in",
    },
    branch_id={**ID, "description": "Admins: the branch the event is for"},
    branch_ids={
        "type": "array",
        "items": ID,
        "maxItems": 100,
        "uniqueItems": True,
        "description": "Admins: the branches the event is for (a college-wide theme day)",
    },
)
MANAGERS_ONLY = "Only the committee of one of the event's branches, or an admin."


def visible_event_or_404(event_id: int) -> Event:
    """An event of a branch the caller sees; any other id answers 404, so nothing leaks."""
    event = db.session.get(Event, event_id)
    if event is None or not access.may_see_event(db.session, caller(), event):
        raise NotFound()
    return event


def event_body(event: Event, mine: Attendance | None = None, *, look_up: bool = True):
    user = caller()
    if look_up:
        mine = attendance.attendance_of(db.session, event, user.id)
    code = None
    if event.closed_at is None and access.may_manage_event(user, event):
        code = codes.code_for(event, utcnow())
    return serialize.event(event, mine, code)


@api.route(
    "/events",
    "GET",
    summary="Events of the branches I see",
    description="A member's or committee member's own branch; an advisor's branches; "
    "every event for an admin. Without `when`, newest first; `upcoming` (not ended nor "
    "closed) soonest first; `past` newest first.",
    tag="Events",
    query=(Param("when", {"type": "string", "enum": ["upcoming", "past"]}, "Which"), *PAGING),
    responses={200: ("A page of events", page_of(EVENT))},
)
def list_events():
    args = query_args(api.operation_for("api.list_events"))
    user, now = caller(), utcnow()
    query = planning.events_for_branches(access.event_branch_ids(db.session, user))
    if args.get("when") == "upcoming":
        query = query.where(Event.ends_at >= now, Event.closed_at.is_(None))
        query = query.order_by(Event.starts_at, Event.id)
    else:
        if args.get("when") == "past":
            query = query.where((Event.ends_at < now) | Event.closed_at.is_not(None))
        query = query.order_by(Event.starts_at.desc(), Event.id.desc())
    found = db.paginate(
        query, page=args["page"], per_page=args["per_page"], error_out=False, count=True
    )
    mine = {
        a.event_id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.user_id == user.id,
                Attendance.event_id.in_([e.id for e in found.items]),
            )
        )
    }
    items = [event_body(e, mine.get(e.id), look_up=False) for e in found.items]
    return serialize.page(items, args["page"], args["per_page"], found.total or 0)


def _event_input(data: dict[str, Any]) -> planning.EventInput:
    branch_ids = set(data.get("branch_ids", []))
    if "branch_id" in data:
        branch_ids.add(data["branch_id"])
    if branch_ids and not access.may_choose_event_branches(caller()):
        # Refused, not ignored: a committee's events are for its own branch.
        field = "branch_id" if "branch_id" in data else "branch_ids"
        raise InvalidInput({field: _l("This field cannot be set.")})
    values = {
        name: data[name]
        for name in ("opens_before", "closes_after", "points", "capacity", "mandatory", "rotating")
        if name in data
    }
    return planning.EventInput(
        title=data["title"],
        category=active_category(data["category"]),
        place=data.get("place", ""),
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        branch_ids=sorted(branch_ids),
        **values,
    )


@api.route(
    "/events",
    "POST",
    summary="Create an event; the branch's members are told",
    description="The committee creates events for its own branch; an admin names the "
    "branches (`branch_id` or `branch_ids`). The start may lie at most "
    "`TRACKER_BACKDATE_DAYS` days back, and not in a closed term. Check-in opens "
    "`opens_before` minutes before "
    "the start and closes `closes_after` minutes after it. Fields beyond the schema are "
    "refused. The answer holds the current check-in code.",
    tag="Events",
    body=NEW_EVENT,
    responses={201: ("The new event", EVENT)},
)
def create_event():
    data = json_body(api.operation_for("api.create_event"))
    event = planning.create_event(db.session, caller(), _event_input(data), utcnow())
    if data.get("scan_only"):
        scanning.set_scan_only(db.session, caller(), event, True)
    db.session.commit()
    location = url_for(".get_event", event_id=event.id)
    return event_body(event), 201, {"Location": location}


@api.route(
    "/events/<int:event_id>",
    "GET",
    summary="One event",
    tag="Events",
    responses={200: ("The event", EVENT)},
)
def get_event(event_id: int):
    return event_body(visible_event_or_404(event_id))


@api.route(
    "/events/<int:event_id>/code",
    "POST",
    summary="Retire the check-in code and make a new one",
    description=MANAGERS_ONLY,
    tag="Events",
    responses={200: ("The event with its new code", EVENT)},
)
def rotate_code(event_id: int):
    event = visible_event_or_404(event_id)
    planning.rotate_code(db.session, caller(), event)
    db.session.commit()
    return event_body(event)
