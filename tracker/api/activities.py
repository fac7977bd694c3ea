"""Logging activities through the API: create, list, read, edit, withdraw, evidence."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from tracker import limits, storage
from tracker.activities import evidence, lifecycle, tutoring
from tracker.activities.checks import ActivityInput
from tracker.activities.flags import review_flags
from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.errors import BadRequest
from tracker.api.schemas import (
    ACTIVITY,
    ACTIVITY_CHANGES,
    DAY,
    EVIDENCE_FORM,
    ID,
    NEW_ACTIVITY,
    NEW_ACTIVITY_FORM,
    PAGING,
    page_of,
)
from tracker.api.spec import Param
from tracker.api.validation import form_body, json_body, query_args
from tracker.clock import campus_today, utcnow
from tracker.errors import Forbidden, InvalidInput, NotFound
from tracker.extensions import db
from tracker.ledger import points
from tracker.models import Activity, ActivityStatus, Category, User
from tracker.people import access
from tracker.people.access import readable_branch_ids
from tracker.settings import setting


def readable_activity_or_404(activity_id: int) -> Activity:
    """An activity the caller may see (``access.can_read_activity``); any other id is 404."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not access.can_read_activity(db.session, caller(), activity):
        raise NotFound()
    return activity


def activity_body(activity: Activity) -> dict[str, Any]:
    """The activity as JSON; its reviewers also get the warnings (``flags``)."""
    booked = points.awarded_points(db.session, [activity.id]).get(activity.id)
    flags = None
    if access.may_review(caller(), activity):
        flags = review_flags(db.session, [activity])[activity.id]
    return serialize.activity(activity, booked, flags)


def activity_response(activity: Activity):
    """The activity as JSON, with its version as ETag (If-Match sends it back to review)."""
    return activity_body(activity), {"ETag": f'"{activity.version}"'}


def _settings() -> dict[str, Any]:
    return {
        "today": campus_today(),
        "now": utcnow(),
        "backdate_days": setting("TRACKER_BACKDATE_DAYS"),
        "storage": storage.of(current_app),
    }


def _files() -> list[evidence.PreparedFile]:
    limit = current_app.config["TRACKER_UPLOAD_LIMIT_MB"] * 1024 * 1024
    files = [f for f in request.files.getlist("evidence") if f]
    if len(files) > evidence.MAX_FILES:
        raise InvalidInput(
            {"evidence": _l("At most %(n)d files per activity.", n=evidence.MAX_FILES)}
        )
    # A NUL in a file name would reach the database, which cannot store it.
    return [
        evidence.prepare_evidence((f.filename or "").replace("\x00", ""), f.read(limit + 1), limit)
        for f in files
    ]


def _mentee_numbers(ids: list[int]) -> list[str]:
    """Student numbers for mentee ids: of the caller's accepted, active mentees only.

    Any other id (unknown, someone else's, asked but not accepted) gets one
    message naming the id alone: the API must not map ids to student numbers.
    """
    paired = tutoring.accepted_mentee_ids(db.session, caller().id) & set(ids)
    found = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(paired)))}
    for mentee_id in ids:
        if mentee_id not in found or not found[mentee_id].is_active:
            message = _l("%(id)s is not the id of one of your accepted mentees.", id=mentee_id)
            raise InvalidInput({"mentee_ids": message})
    return [found[i].student_no for i in ids]


def _activity_input(data: dict[str, Any], current: ActivityInput | None = None) -> ActivityInput:
    entry = current or ActivityInput(occurred_on=None, quantity=None)
    for name in ("occurred_on", "quantity", "title", "description", "location"):
        if name in data:
            setattr(entry, name, data[name])
    if "start_time" in data:
        entry.start_time = time.fromisoformat(data["start_time"]) if data["start_time"] else None
    if "mentee_ids" in data:
        entry.mentee_numbers = _mentee_numbers(data["mentee_ids"])
    return entry


def _current_input(activity: Activity) -> ActivityInput:
    return ActivityInput(
        occurred_on=activity.occurred_on,
        quantity=activity.quantity,
        title=activity.title,
        description=activity.description,
        start_time=activity.start_time,
        location=activity.location,
        mentee_numbers=[link.mentee.student_no for link in activity.mentees],
    )


def active_category(key: str) -> Category:
    category = db.session.scalars(
        select(Category).where(
            Category.key == key, Category.retired_at.is_(None), Category.external.is_(False)
        )
    ).first()
    if category is None:
        raise InvalidInput({"category": _l("No such category.")})
    return category


@api.route(
    "/activities",
    "POST",
    summary="Log an activity",
    description="As JSON, or as multipart/form-data with evidence files (needed by "
    "categories whose rule requires evidence). Fields beyond the schema (points, status, "
    "branch_id, ...) are refused. A repeated submission_key answers 200 with the activity "
    "already booked.",
    tag="Activities",
    body=NEW_ACTIVITY,
    multipart=NEW_ACTIVITY_FORM,
    responses={
        201: ("The new activity (pending, or approved at once if the rule says so)", ACTIVITY),
        200: ("The same submission_key was sent before: the activity kept then", ACTIVITY),
    },
    errors=(429,),
)
@limits.uploads
def create_activity():
    op = api.operation_for("api.create_activity")
    if request.mimetype == "multipart/form-data":
        data, files = form_body(op), _files()
    else:
        data, files = json_body(op), []
    category = active_category(data["category"])
    try:
        activity = lifecycle.submit_activity(
            db.session,
            caller(),
            category,
            _activity_input(data),
            files=files,
            submission_key=data.get("submission_key"),
            **_settings(),
        )
    except lifecycle.DuplicateSubmission as duplicate:
        return activity_body(db.session.get(Activity, duplicate.activity_id)), 200
    db.session.commit()
    location = url_for(".get_activity", activity_id=activity.id)
    return activity_body(activity), 201, {"Location": location}


LIST_FILTERS = (
    Param("status", {"type": "string", "enum": [s.value for s in ActivityStatus]}, "Status"),
    Param("member_id", ID, "Only this member's activities"),
    Param("branch_id", ID, "Only activities booked to this branch"),
    Param("category", {"type": "string", "maxLength": 32}, "Category key"),
    Param("from", DAY, "Occurred on or after this day"),
    Param("to", DAY, "Occurred on or before this day"),
    *PAGING,
)


@api.route(
    "/activities",
    "GET",
    summary="List activities I may read",
    description="My own activities, and for committee, advisors and admins those of the "
    "branches they may read. Newest first.",
    tag="Activities",
    query=LIST_FILTERS,
    responses={200: ("A page of activities", page_of(ACTIVITY))},
)
def list_activities():
    args = query_args(api.operation_for("api.list_activities"))
    user = caller()
    readable = readable_branch_ids(db.session, user)
    query = select(Activity)
    if readable is not None:
        query = query.where(or_(Activity.user_id == user.id, Activity.branch_id.in_(readable)))
        if args.get("branch_id") and args["branch_id"] not in readable | {user.branch_id}:
            raise Forbidden(_l("You do not have permission to see or do this."))
    if args.get("from") and args.get("to") and args["to"] < args["from"]:
        raise BadRequest({"to": _l("The end is before the start.")})
    filters = {
        "status": lambda v: Activity.status == v,
        "member_id": lambda v: Activity.user_id == v,
        "branch_id": lambda v: Activity.branch_id == v,
        "category": lambda v: Activity.category.has(Category.key == v),
        "from": lambda v: Activity.occurred_on >= v,
        "to": lambda v: Activity.occurred_on <= v,
    }
    for name, condition in filters.items():
        if args.get(name) is not None:
            query = query.where(condition(args[name]))
    found = db.paginate(
        query.order_by(Activity.occurred_on.desc(), Activity.id.desc()),
        page=args["page"],
        per_page=args["per_page"],
        error_out=False,
        count=True,
    )
    booked = points.awarded_points(db.session, [a.id for a in found.items])
    flags = review_flags(db.session, [a for a in found.items if access.may_review(user, a)])
    items = [serialize.activity(a, booked.get(a.id), flags.get(a.id)) for a in found.items]
    return serialize.page(items, args["page"], args["per_page"], found.total or 0)


@api.route(
    "/activities/<int:activity_id>",
    "GET",
    summary="One activity",
    description="Its ETag is its version: send it back as If-Match to approve or reject it.",
    tag="Activities",
    responses={200: ("The activity", ACTIVITY)},
)
def get_activity(activity_id: int):
    return activity_response(readable_activity_or_404(activity_id))


@api.route(
    "/activities/<int:activity_id>",
    "PATCH",
    summary="Edit my pending or rejected activity",
    description="Only the fields given change; a rejected activity is resubmitted.",
    tag="Activities",
    body=ACTIVITY_CHANGES,
    responses={200: ("The activity, pending review", ACTIVITY)},
    errors=(409,),
)
def update_activity(activity_id: int):
    activity = readable_activity_or_404(activity_id)
    data = json_body(api.operation_for("api.update_activity"))
    lifecycle.update_activity(
        db.session,
        caller(),
        activity,
        _activity_input(data, _current_input(activity)),
        files=[],
        remove_ids=data.get("remove_evidence_ids", []),
        **_settings(),
    )
    db.session.commit()
    return activity_response(activity)


@api.route(
    "/activities/<int:activity_id>",
    "DELETE",
    summary="Withdraw my pending or rejected activity",
    tag="Activities",
    responses={200: ("The withdrawn activity", ACTIVITY)},
    errors=(409,),
)
def withdraw_activity(activity_id: int):
    activity = readable_activity_or_404(activity_id)
    lifecycle.withdraw_activity(db.session, caller(), activity, utcnow())
    db.session.commit()
    return activity_body(activity)


@api.route(
    "/activities/<int:activity_id>/evidence",
    "POST",
    summary="Add evidence files to my pending or rejected activity",
    tag="Activities",
    multipart=EVIDENCE_FORM,
    responses={200: ("The activity with its files", ACTIVITY)},
    errors=(409, 429),
)
@limits.uploads
def add_evidence(activity_id: int):
    activity = readable_activity_or_404(activity_id)
    if request.mimetype != "multipart/form-data":
        raise BadRequest({"evidence": _l("Send the files as multipart/form-data.")})
    form_body(api.operation_for("api.add_evidence"))
    files = _files()
    if not files:
        raise InvalidInput({"evidence": _l("Choose at least one file.")})
    lifecycle.update_activity(
        db.session,
        caller(),
        activity,
        _current_input(activity),
        files=files,
        remove_ids=[],
        **_settings(),
    )
    db.session.commit()
    return activity_body(activity)
