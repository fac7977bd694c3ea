"""Attendance through the API: check in, ask for leave, mark attendance, close an event, void.

Every rule lives in ``attendance``; these views find the event as ``api.events``
does (any id the caller may not see answers 404) and translate JSON to it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker import security
from tracker.api import serialize
from tracker.api.blueprint import api, caller, token_issued_at
from tracker.api.events import EVENT, MANAGERS_ONLY, event_body, visible_event_or_404
from tracker.api.schemas import ID, MOMENT, PERSON, obj
from tracker.api.validation import json_body
from tracker.clock import utcnow
from tracker.errors import Forbidden, InvalidInput, NotFound
from tracker.events import attendance, closing, planning, voiding
from tracker.events.checkin_checks import CheckinFacts
from tracker.extensions import db
from tracker.models import Attendance, AttendanceStatus, CheckinDoor, Event, User
from tracker.people import access

ATTENDANCE = api.schema(
    "Attendance",
    obj(
        id=ID,
        member=PERSON,
        status={"type": "string", "enum": [s.value for s in AttendanceStatus]},
        recorded_at=MOMENT,
    ),
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
CLOSED = obj(
    event=EVENT,
    booked={
        "type": "integer",
        "minimum": 0,
        "description": "Attendances checked in with the code: approved, the closer the actor",
    },
    waiting={
        "type": "integer",
        "minimum": 0,
        "description": "The organiser's or the closer's own attendance, and any marked by hand: "
        "pending activities a second person confirms",
    },
)
VOID = obj(reason={"type": "string", "minLength": 1, "maxLength": attendance.MAX_REASON})


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
        event,
        attendance.check_in(db.session, caller(), event, data["code"], utcnow(), _facts()),
    )


def _facts() -> CheckinFacts:
    """What this API request shows about the check-in: its token's age, or the browser's."""
    issued = token_issued_at()
    if issued is not None:
        return CheckinFacts.of(CheckinDoor.API_TOKEN, None, current_app.secret_key, issued)
    return CheckinFacts.of(
        CheckinDoor.API_SESSION,
        security.device_id(),
        current_app.secret_key,
        security.signed_in_at(),
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
    if not access.logs_activities(user):
        raise Forbidden(_l("You do not have permission to see or do this."))
    event = attendance.event_for_code(db.session, user, data["code"], now)
    return _checked_in(
        event, attendance.check_in(db.session, user, event, data["code"], now, _facts())
    )


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
    description=f"{MANAGERS_ONLY} Once the event has started. Attendances checked in with the "
    "code are approved with the closer as the ledger row's actor; the organiser's or the "
    "closer's own attendance, and any marked by hand, become pending activities that someone "
    "who neither marked nor closed them approves (`POST /activities/{id}/approve`: another "
    "committee member, an advisor of the branch or an admin). A second close, a day of a "
    "closed term, or more closes a day than `TRACKER_EVENT_CLOSES_PER_DAY` is a 409.",
    tag="Events",
    responses={200: ("The closed event and how many attendees were booked", CLOSED)},
    errors=(409,),
)
def close_event(event_id: int):
    event = visible_event_or_404(event_id)
    closed = closing.close_event(db.session, caller(), event, utcnow())
    db.session.commit()
    return {"event": event_body(event), "booked": closed.booked, "waiting": closed.waiting}


@api.route(
    "/events/<int:event_id>/attendance/<int:attendance_id>/void",
    "POST",
    summary="Void an attendance the committee does not believe",
    description=f"{MANAGERS_ONLY} Never one's own. Before the event is closed the "
    "attendance stops counting and the member is told; after the close, the approval of "
    "the meeting activity booked for it is revoked through the ledger (a reversal). "
    "An attendance already voided, or a leave, is a 409.",
    tag="Events",
    body=VOID,
    responses={200: ("The voided attendance", ATTENDANCE)},
    errors=(409,),
)
def void_attendance(event_id: int, attendance_id: int):
    event = visible_event_or_404(event_id)
    user = caller()
    planning.ensure_manager(user, event)  # before the body: a member learns 403, not 422
    record = db.session.get(Attendance, attendance_id)
    if record is None or record.event_id != event.id:
        raise NotFound()
    data = json_body(api.operation_for("api.void_attendance"))
    voiding.void_attendance(db.session, user, record, data["reason"], utcnow())
    db.session.commit()
    return serialize.attendance(record)
