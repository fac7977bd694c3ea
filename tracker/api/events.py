"""Events through the API: list, create, read, check in, leave, attendance, close.

Every rule lives in ``attendance``; these views find the event among those
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
from tracker.api.schemas import BRANCH, ID, MOMENT, PAGING, PERSON, POINTS, nullable, obj, page_of
from tracker.api.spec import Param
from tracker.api.validation import json_body, query_args
from tracker.clock import utcnow
from tracker.errors import Forbidden, InvalidInput, NotFound
from tracker.events import attendance, codes, planning
from tracker.extensions import db
from tracker.models import Attendance, AttendanceStatus, Event, User
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
ATTENDANCE = api.schema(
    "Attendance",
    obj(
        member=PERSON,
        status={"type": "string", "enum": [s.value for s in AttendanceStatus]},
        recorded_at=MOMENT,
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
        "description": "Per attendance; left out, the category's rule decides",
    },
    capacity={"type": ["integer", "null"], "minimum": 1, "maximum": planning.MAX_CAPACITY},
    mandatory={"type": "boolean"},
    rotating={"type": "boolean", "description": "A new code every minute"},
    branch_id={**ID, "description": "Admins: the branch the event is for"},
    branch_ids={
        "type": "array",
        "items": ID,
        "maxItems": 100,
        "uniqueItems": True,
        "description": "Admins: the branches the event is for (a college-wide theme day)",
    },
)
CHECKIN = obj(code={"type": "string", "minLength": 1, "maxLength": 16})
CHECKED_IN = api.schema(
    "CheckIn",
    obj(
        event=EVENT,
        attendance=ATTENDANCE,
        new={"type": "boolean", "description": "False: already checked in, nothing changed"},
    ),
)
LEAVE = obj(reason={"type": "string", "minLength": 1, "maxLength": attendance.MAX_REASON})
MARKING = obj(
    member_ids={"type": "array", "items": ID, "maxItems": 500, "uniqueItems": True},
    status={
        "type": "string",
        "enum": ["present", "leave"],
        "description": "present: mark as attending; leave: approve the members' leave requests",
    },
)
MARKED = obj(
    event_id=ID,
    items={
        "type": "array",
        "items": obj(
            member=PERSON,
            status={"type": "string", "enum": [s.value for s in AttendanceStatus]},
            changed={"type": "boolean", "description": "False: already so, nothing changed"},
        ),
    },
)
CLOSED = obj(event=EVENT, booked={"type": "integer", "minimum": 0})

MANAGERS_ONLY = "Only the committee of one of the event's branches, or an admin."


def visible_event_or_404(event_id: int) -> Event:
    """An event of a branch the caller sees; any other id answers 404, so nothing leaks."""
    event = db.session.get(Event, event_id)
    if event is None or not planning.can_see(db.session, caller(), event):
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
    "branches (`branch_id` or `branch_ids`). Check-in opens `opens_before` minutes before "
    "the start and closes `closes_after` minutes after it. Fields beyond the schema are "
    "refused. The answer holds the current check-in code.",
    tag="Events",
    body=NEW_EVENT,
    responses={201: ("The new event", EVENT)},
)
def create_event():
    data = json_body(api.operation_for("api.create_event"))
    event = planning.create_event(db.session, caller(), _event_input(data), utcnow())
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
    "/events/<int:event_id>/checkin",
    "POST",
    summary="Check in with the event's code",
    description="Members of the event's branches, while check-in is open. A second "
    "check-in changes nothing and answers `new: false`. A wrong or expired code is a 422; "
    "outside the window or a closed or full event a 409.",
    tag="Events",
    body=CHECKIN,
    responses={200: ("The caller's attendance", CHECKED_IN)},
    errors=(409,),
)
def check_in(event_id: int):
    event = visible_event_or_404(event_id)
    data = json_body(api.operation_for("api.check_in"))
    return _checked_in(
        event, attendance.check_in(db.session, caller(), event, data["code"], utcnow())
    )


def _checked_in(event: Event, result: attendance.CheckIn) -> dict[str, Any]:
    db.session.commit()
    return {
        "event": event_body(event, result.attendance, look_up=False),
        "attendance": serialize.attendance(result.attendance),
        "new": result.new,
    }


@api.route(
    "/events/checkin",
    "POST",
    summary="Check in with a code alone",
    description="The open event of the caller's branch whose current code this is; "
    "otherwise as checking in to a named event.",
    tag="Events",
    body=CHECKIN,
    responses={200: ("The caller's attendance", CHECKED_IN)},
    errors=(409,),
)
def check_in_by_code():
    data = json_body(api.operation_for("api.check_in_by_code"))
    user, now = caller(), utcnow()
    if not user.logs_activities:
        raise Forbidden(_l("You do not have permission to see or do this."))
    event = attendance.event_for_code(db.session, user, data["code"], now)
    return _checked_in(event, attendance.check_in(db.session, user, event, data["code"], now))


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


@api.route(
    "/events/<int:event_id>/leave",
    "POST",
    summary="Ask for leave (请假) before the event starts",
    tag="Events",
    body=LEAVE,
    responses={200: ("The caller's attendance, leave requested", ATTENDANCE)},
    errors=(409,),
)
def request_leave(event_id: int):
    event = visible_event_or_404(event_id)
    data = json_body(api.operation_for("api.request_leave"))
    record = attendance.request_leave(db.session, caller(), event, data["reason"], utcnow())
    db.session.commit()
    return serialize.attendance(record)


def _members_of(event: Event, ids: list[int]) -> list[User]:
    found = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_(ids), User.branch_id.in_(event.branch_ids))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        # The same answer for no such student and one of another branch.
        raise InvalidInput({"member_ids": _l("No student with id %(id)s.", id=missing[0])})
    return [found[i] for i in ids]


def _approve_leave(event: Event, member: User, now) -> bool:
    record = attendance.attendance_of(db.session, event, member.id)
    if record is None or record.status not in (
        AttendanceStatus.LEAVE_REQUESTED,
        AttendanceStatus.ON_LEAVE,
    ):
        raise InvalidInput(
            {"member_ids": _l("%(name)s has not asked for leave.", name=member.name)}
        )
    if record.status == AttendanceStatus.ON_LEAVE:
        return False
    attendance.approve_leave(db.session, caller(), record, now)
    return True


@api.route(
    "/events/<int:event_id>/attendance",
    "POST",
    summary="Mark members present, or approve their leave",
    description=f"{MANAGERS_ONLY} `present` records late arrivals (capacity does not stop "
    "the committee); `leave` approves leave the members asked for. All or nothing: one "
    "member who cannot be marked refuses the whole request.",
    tag="Events",
    body=MARKING,
    responses={200: ("Each member's attendance", MARKED)},
    errors=(409,),
)
def mark_attendance(event_id: int):
    event = visible_event_or_404(event_id)
    user = caller()
    planning.ensure_manager(user, event)  # before the body: a member learns 403, not 422
    data = json_body(api.operation_for("api.mark_attendance"))
    members, now, items = _members_of(event, data["member_ids"]), utcnow(), []
    for member in members:
        if data["status"] == "present":
            changed = attendance.mark_present(db.session, user, event, member, now).new
        else:
            changed = _approve_leave(event, member, now)
        record = attendance.attendance_of(db.session, event, member.id)
        items.append(
            {"member": serialize.person(member), "status": record.status.value, "changed": changed}
        )
    db.session.commit()
    return {"event_id": event.id, "items": items}


@api.route(
    "/events/<int:event_id>/close",
    "POST",
    summary="Close the event and book each attendee's points once",
    description=f"{MANAGERS_ONLY} Once the event has started; a second close is a 409.",
    tag="Events",
    responses={200: ("The closed event and how many attendees were booked", CLOSED)},
    errors=(409,),
)
def close_event(event_id: int):
    event = visible_event_or_404(event_id)
    booked = attendance.close_event(db.session, caller(), event, utcnow())
    db.session.commit()
    return {"event": event_body(event), "booked": booked}
