"""Reviewing through the API: approve, reject, revoke, mentee answers, adjustments."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.activities import tutoring
from tracker.api import serialize
from tracker.api.activities import activity_response, readable_activity_or_404
from tracker.api.blueprint import api, caller
from tracker.api.errors import BadRequest
from tracker.api.schemas import (
    ACTIVITY,
    ADJUSTMENT,
    ADJUSTMENT_REQUEST,
    APPROVAL,
    CONFIRMATION,
    DECISION,
    ID,
    IF_MATCH,
    MAX_ID,
    PAGING,
    REF,
    obj,
    page_of,
)
from tracker.api.spec import Param
from tracker.api.validation import json_body, query_args
from tracker.clock import campus_today, utcnow
from tracker.errors import Forbidden, InvalidInput, NotFound, PreconditionRequired
from tracker.extensions import db
from tracker.ledger import points
from tracker.models import Activity, Category, User
from tracker.people import access
from tracker.people.access import can_read_records

REVIEW_NOTE = (
    "Only a committee member of the activity's branch, never on their own activity. "
    "Activities of branches the caller may not read answer 404. "
)
VERSION_NOTE = (
    "The decision is on the version the caller read: send it as `If-Match` (the ETag of "
    "GET /activities/{id}) or as `version` in the body. Without one the answer is 428; "
    "an activity changed since (edited, answered by a mentee, reviewed) is a 409."
)
ETAG = re.compile(r'^"?([0-9]{1,10})"?$')


def _body(endpoint: str) -> dict[str, Any]:
    """The JSON body; an approval may come without one (If-Match says the version)."""
    if not request.get_data():
        return {}
    return json_body(api.operation_for(endpoint))


def _if_match() -> int | None:
    header = (request.headers.get("If-Match") or "").strip()
    if header in ("", "*"):
        return None
    found = ETAG.match(header)
    if found is None or int(found.group(1)) > MAX_ID:
        raise BadRequest({"If-Match": _l('Send the ETag of the activity as read, e.g. "3".')})
    return int(found.group(1))


def seen_version(data: dict[str, Any], *, required: bool) -> int | None:
    """The version the caller decides on: If-Match or the body's ``version``; 428 without."""
    header, body = _if_match(), data.get("version")
    if header is not None and body is not None and header != body:
        raise BadRequest({"version": _l("If-Match and version name different versions.")})
    seen = header if header is not None else body
    if seen is None and required:
        raise PreconditionRequired(
            _l(
                "Say which version of the activity you decide on: send the version "
                "(or the ETag as If-Match) that reading it gave you."
            )
        )
    return seen


def _decision(activity_id: int, endpoint: str, *, required: bool = True):
    """The activity, the body and the version seen, once the caller may review it."""
    activity = readable_activity_or_404(activity_id)
    data = _body(endpoint)
    points.ensure_reviewer(caller(), activity)
    return activity, data, seen_version(data, required=required)


@api.route(
    "/activities/<int:activity_id>/approve",
    "POST",
    summary="Approve a pending activity and book its points",
    description=REVIEW_NOTE + VERSION_NOTE + " A session a mentee disputed needs a `reason`.",
    tag="Review",
    headers=(IF_MATCH,),
    body=APPROVAL,
    body_required=False,
    responses={200: ("The approved activity with its points", ACTIVITY)},
    errors=(409, 428),
)
def approve_activity(activity_id: int):
    activity, data, seen = _decision(activity_id, "api.approve_activity")
    points.approve_activity(
        db.session, activity, caller(), utcnow(), reason=data.get("reason"), seen=seen
    )
    db.session.commit()
    return activity_response(activity)


@api.route(
    "/activities/<int:activity_id>/reject",
    "POST",
    summary="Reject a pending activity with a reason",
    description=REVIEW_NOTE + VERSION_NOTE,
    tag="Review",
    headers=(IF_MATCH,),
    body=DECISION,
    responses={200: ("The rejected activity", ACTIVITY)},
    errors=(409, 428),
)
def reject_activity(activity_id: int):
    activity, data, seen = _decision(activity_id, "api.reject_activity")
    points.reject_activity(db.session, activity, caller(), data["reason"], utcnow(), seen=seen)
    db.session.commit()
    return activity_response(activity)


@api.route(
    "/activities/<int:activity_id>/revoke",
    "POST",
    summary="Revoke an approval with a reason; books a reversal",
    description=REVIEW_NOTE
    + "An approved activity changes only by being revoked, so the version (If-Match or "
    "`version`) is optional; when sent, a stale one is a 409.",
    tag="Review",
    headers=(IF_MATCH,),
    body=DECISION,
    responses={200: ("The revoked activity", ACTIVITY)},
    errors=(409,),
)
def revoke_activity(activity_id: int):
    activity, data, seen = _decision(activity_id, "api.revoke_activity", required=False)
    points.revoke_approval(db.session, activity, caller(), data["reason"], utcnow(), seen=seen)
    db.session.commit()
    return activity_response(activity)


ANSWER = obj(
    activity_id={"type": "integer"},
    response={"type": "string", "enum": ["confirmed", "disputed"]},
    reason={"type": ["string", "null"]},
    responded_at={"type": "string", "format": "date-time"},
)


NAMED_SESSION = obj(
    activity_id=ID,
    mentor=REF,
    occurred_on={"type": "string", "format": "date"},
    quantity={"type": "number"},
    title={"type": "string"},
    status={"type": "string"},
    response={"type": "string", "enum": ["pending", "confirmed", "disputed"]},
    reason={"type": ["string", "null"]},
)


@api.route(
    "/confirmations",
    "GET",
    summary="Tutoring sessions that name me",
    description="Sessions a mentor logged naming the caller as mentee; `open=true` (default) "
    "lists only those still waiting for review, which the caller may answer.",
    tag="Tutoring",
    query=(
        Param(
            "open", {"type": "string", "enum": ["true", "false"], "default": "true"}, "Open only"
        ),
        *PAGING,
    ),
    responses={200: ("A page of sessions", page_of(NAMED_SESSION))},
)
def named_sessions():
    args = query_args(api.operation_for("api.named_sessions"))
    found = db.paginate(
        tutoring.places_naming(caller(), open_only=args["open"] == "true"),
        page=args["page"],
        per_page=args["per_page"],
        error_out=False,
    )
    items = [
        {
            "activity_id": link.activity_id,
            "mentor": serialize.person(link.activity.member),
            "occurred_on": serialize.day(link.activity.occurred_on),
            "quantity": serialize.number(link.activity.quantity),
            "title": link.activity.title,
            "status": link.activity.status.value,
            "response": link.response.value,
            "reason": link.reason,
        }
        for link in found.items
    ]
    return serialize.page(items, args["page"], args["per_page"], found.total or 0)


@api.route(
    "/activities/<int:activity_id>/confirmation",
    "POST",
    summary="Confirm or dispute a tutoring session that names me",
    description="Only a mentee named by the session, while it waits for review. "
    "A dispute needs a reason.",
    tag="Tutoring",
    body=CONFIRMATION,
    responses={200: ("My answer", ANSWER)},
    errors=(409,),
)
def confirm_session(activity_id: int):
    user = caller()
    activity = db.session.get(Activity, activity_id)
    link = None
    if activity is not None:
        link = next((m for m in activity.mentees if m.mentee_id == user.id), None)
    if link is None:
        if activity and can_read_records(db.session, user, activity.user_id, activity.branch_id):
            raise Forbidden(_l("Only a mentee named by this session can answer."))
        raise NotFound()
    data = json_body(api.operation_for("api.confirm_session"))
    if data["decision"] == "confirm":
        tutoring.confirm_session(db.session, user, activity, utcnow())
    else:
        tutoring.dispute_session(db.session, user, activity, data.get("reason"), utcnow())
    db.session.commit()
    db.session.refresh(link)
    return {
        "activity_id": activity.id,
        "response": link.response.value,
        "reason": link.reason,
        "responded_at": serialize.moment(link.responded_at),
    }


@api.route(
    "/adjustments",
    "POST",
    summary="Adjust a member's points with a reason",
    description="Committee only, for members of their own branch; books a ledger row.",
    tag="Review",
    body=ADJUSTMENT_REQUEST,
    responses={201: ("The booked adjustment", ADJUSTMENT)},
    errors=(404,),
)
def create_adjustment():
    user = caller()
    if not access.sits_on_a_committee(user):
        raise Forbidden(_l("Only the committee of the member's branch can adjust points."))
    data = json_body(api.operation_for("api.create_adjustment"))
    member = db.session.get(User, data["member_id"])
    if member is None or member.branch_id != user.branch_id:
        raise NotFound()
    category = None
    if data.get("category"):
        category = db.session.scalars(
            select(Category).where(Category.key == data["category"])
        ).first()
        if category is None:
            raise InvalidInput({"category": _l("No such category.")})
    entry = points.adjust_points(
        db.session, member, user, data["points"], data["reason"], campus_today(), category
    )
    db.session.commit()
    return {
        "id": entry.id,
        "member": serialize.person(member),
        "branch": serialize.branch(entry.branch),
        "category": category.key if category else None,
        "points": serialize.number(entry.points),
        "reason": entry.reason,
        "earned_on": serialize.day(entry.earned_on),
        "created_at": serialize.moment(entry.created_at),
    }, 201
