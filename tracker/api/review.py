"""Reviewing through the API: approve, reject, revoke, mentee answers, adjustments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.activities import tutoring
from tracker.api import serialize
from tracker.api.activities import activity_body, readable_activity_or_404
from tracker.api.blueprint import api, caller
from tracker.api.schemas import (
    ACTIVITY,
    ADJUSTMENT,
    ADJUSTMENT_REQUEST,
    CONFIRMATION,
    ID,
    PAGING,
    REASON,
    REF,
    obj,
    page_of,
)
from tracker.api.spec import Param
from tracker.api.validation import json_body, query_args
from tracker.clock import campus_today, utcnow
from tracker.errors import Forbidden, InvalidInput, NotFound
from tracker.extensions import db
from tracker.ledger import points
from tracker.models import Activity, Category, User
from tracker.people import access
from tracker.people.access import can_read_records

REVIEW_NOTE = (
    "Only a committee member of the activity's branch, never on their own activity. "
    "Activities of branches the caller may not read answer 404."
)


@api.route(
    "/activities/<int:activity_id>/approve",
    "POST",
    summary="Approve a pending activity and book its points",
    description=REVIEW_NOTE,
    tag="Review",
    responses={200: ("The approved activity with its points", ACTIVITY)},
    errors=(409,),
)
def approve_activity(activity_id: int):
    activity = readable_activity_or_404(activity_id)
    points.approve_activity(db.session, activity, caller(), utcnow())
    db.session.commit()
    return activity_body(activity)


@api.route(
    "/activities/<int:activity_id>/reject",
    "POST",
    summary="Reject a pending activity with a reason",
    description=REVIEW_NOTE,
    tag="Review",
    body=REASON,
    responses={200: ("The rejected activity", ACTIVITY)},
    errors=(409,),
)
def reject_activity(activity_id: int):
    activity = readable_activity_or_404(activity_id)
    data = json_body(api.operation_for("api.reject_activity"))
    points.reject_activity(db.session, activity, caller(), data["reason"], utcnow())
    db.session.commit()
    return activity_body(activity)


@api.route(
    "/activities/<int:activity_id>/revoke",
    "POST",
    summary="Revoke an approval with a reason; books a reversal",
    description=REVIEW_NOTE,
    tag="Review",
    body=REASON,
    responses={200: ("The revoked activity", ACTIVITY)},
    errors=(409,),
)
def revoke_activity(activity_id: int):
    activity = readable_activity_or_404(activity_id)
    data = json_body(api.operation_for("api.revoke_activity"))
    points.revoke_approval(db.session, activity, caller(), data["reason"], utcnow())
    db.session.commit()
    return activity_body(activity)


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
