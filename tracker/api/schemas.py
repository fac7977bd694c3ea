"""The component schemas and shared parameters of the API document."""

from __future__ import annotations

from typing import Any

from tracker.activities.checks import MAX_DESCRIPTION, MAX_LOCATION, MAX_MENTEES, MAX_TITLE
from tracker.api.blueprint import api
from tracker.api.spec import Param
from tracker.ledger.points import MAX_REASON_LENGTH
from tracker.models import ActivityStatus, MenteeResponse, Role, Stage, Unit
from tracker.people.tokens import MAX_NAME

MAX_ID = 2**31 - 1
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DAY = {"type": "string", "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}
POINTS = {"type": "number", "description": "At most one decimal place."}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def page_of(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return obj(
        items={"type": "array", "items": item},
        page={"type": "integer", "minimum": 1},
        per_page={"type": "integer", "minimum": 1, "maximum": 100},
        total={"type": "integer", "minimum": 0},
        **extra,
    )


PAGING = (
    Param("page", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}, "Page"),
    Param(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "Items per page, at most 100",
    ),
)

ERROR = api.schema(
    "Error",
    obj(
        error=obj(
            code={"type": "string"},
            message={"type": "string"},
            fields={"type": "object", "additionalProperties": {"type": "string"}},
        )
    ),
)
REF = obj(id=ID, name={"type": "string"})
BRANCH = api.schema("BranchRef", REF)
PERSON = api.schema("MemberRef", REF)

TOKEN = api.schema(
    "Token",
    obj(
        id=ID,
        name={"type": "string"},
        prefix={"type": "string"},
        created_at=MOMENT,
        expires_at=MOMENT,
        last_used_at=nullable(MOMENT),
    ),
)
NEW_TOKEN = api.schema("NewToken", obj(token={"type": "string"}, expires_at=MOMENT))
TOKEN_REQUEST = obj(
    ["student_no", "password"],
    student_no={"type": "string", "minLength": 1, "maxLength": 32},
    password={"type": "string", "minLength": 1, "maxLength": 128},
    name={"type": "string", "maxLength": MAX_NAME},
)

STANDING = api.schema(
    "Standing",
    obj(
        rank={
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "null: no points in the period, so not ranked",
        },
        member=PERSON,
        branch={"anyOf": [BRANCH, {"type": "null"}]},
        points=POINTS,
        entries={"type": "integer"},
    ),
)
# "term" only while a term includes today.
PERIOD_POINTS = obj(
    ["week", "month", "year", "all"],
    **{kind: POINTS for kind in ("week", "month", "term", "year", "all")},
)
MILESTONE_PROGRESS = api.schema(
    "MilestoneProgress",
    obj(
        id=ID,
        name={"type": "string"},
        category={
            "type": ["string", "null"],
            "description": "The category key whose points count; null: all points",
        },
        period={
            "type": "string",
            "enum": ["all", "year", "term"],
            "description": "Counted over all time, the current academic year or the current term",
        },
        threshold=POINTS,
        points=POINTS,
        reached={"type": "boolean"},
    ),
)
ME = api.schema(
    "Me",
    obj(
        id=ID,
        student_no={"type": "string"},
        name={"type": "string"},
        role={"type": "string", "enum": [r.value for r in Role]},
        branch={"anyOf": [BRANCH, {"type": "null"}]},
        stage={"type": ["string", "null"], "enum": [s.value for s in Stage] + [None]},
        locale={"type": "string"},
        points=PERIOD_POINTS,
        rank_in_branch=obj(
            period={"type": "string"},
            rank={"type": ["integer", "null"]},
            of={"type": "integer", "minimum": 0},
        ),
        term={
            "anyOf": [
                obj(
                    name={"type": "string"},
                    first_day=DAY,
                    last_day=DAY,
                    points=POINTS,
                    rank={"type": ["integer", "null"]},
                    of={"type": "integer", "minimum": 0},
                ),
                {"type": "null"},
            ],
            "description": "Points this term and rank in the branch; null when no term is current",
        },
    ),
)
RULE = obj(
    effective_from=DAY,
    per_quantity=POINTS,
    points_per_unit=POINTS,
    min_quantity=POINTS,
    max_quantity=POINTS,
    daily_cap=nullable(POINTS),
    weekly_cap=nullable(POINTS),
    evidence_required={"type": "boolean"},
    auto_approve={"type": "boolean"},
    summary={"type": "string"},
)
CATEGORY = api.schema(
    "Category",
    obj(
        key={"type": "string"},
        name={"type": "string"},
        unit={"type": "string", "enum": [u.value for u in Unit]},
        needs_start_time={"type": "boolean"},
        needs_location={"type": "boolean"},
        needs_reflection={"type": "boolean"},
        needs_mentees={"type": "boolean"},
        rule={"anyOf": [RULE, {"type": "null"}]},
    ),
)
VERSION = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_ID,
    "description": "The activity's version as read (GET gives it, and its ETag); "
    "one more with every change",
}
FLAG = api.schema(
    "Flag",
    obj(
        kind={
            "type": "string",
            "description": "attended_event, overlap, same_day, same_photo, photo_reused, "
            "more_same_photos, capture_date",
        },
        message={"type": "string", "description": "For people, in the caller's language"},
        params={
            "type": "object",
            "description": "What the flag points to and the facts it names (event_id, "
            "activity_id, ...); an earlier activity's title and member only when it is "
            "of the same branch",
        },
    ),
)
ACTIVITY = api.schema(
    "Activity",
    obj(
        id=ID,
        version=VERSION,
        member=PERSON,
        branch=BRANCH,
        category={"type": "string"},
        occurred_on=DAY,
        start_time={"type": ["string", "null"], "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        quantity=POINTS,
        title={"type": "string"},
        description={"type": "string"},
        location={"type": ["string", "null"]},
        status={"type": "string", "enum": [s.value for s in ActivityStatus]},
        points=nullable(POINTS),
        submitted_at=MOMENT,
        updated_at=MOMENT,
        reviewed_at=nullable(MOMENT),
        review_reason={"type": ["string", "null"]},
        mentees={
            "type": "array",
            "items": obj(
                id=ID,
                name={"type": "string"},
                response={"type": "string", "enum": [r.value for r in MenteeResponse]},
                reason={"type": ["string", "null"]},
            ),
        },
        evidence={
            "type": "array",
            "items": obj(
                id=ID,
                name={"type": "string"},
                content_type={"type": "string"},
                size={"type": "integer"},
            ),
        },
        flags={
            "type": ["array", "null"],
            "items": FLAG,
            "description": "What a reviewer should look at before approving (a second claim, "
            "the same photo in an earlier activity, a photo taken far from the day claimed); "
            "never a refusal. Null unless the caller may review the activity.",
        },
    ),
)
QUANTITY = {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": 100000,
    "description": "In the category's unit; at most one decimal place",
}
START_TIME = {
    "type": ["string", "null"],
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
    "description": "HH:MM, campus time; for categories that need it",
}
ENTRY_FIELDS = {
    "occurred_on": DAY,
    "quantity": QUANTITY,
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
    "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
    "start_time": START_TIME,
    "location": {"type": ["string", "null"], "maxLength": MAX_LOCATION},
    "mentee_ids": {
        "type": "array",
        "items": ID,
        "maxItems": MAX_MENTEES,
        "uniqueItems": True,
        "description": "Ids of the mentees of a tutoring session",
    },
}
NEW_ACTIVITY = obj(
    ["category", "occurred_on", "quantity", "title"],
    category={"type": "string", "minLength": 1, "maxLength": 32},
    submission_key={
        "type": "string",
        "maxLength": 64,
        "description": "Any unique string; sending the same one twice books once",
    },
    **ENTRY_FIELDS,
)
EVIDENCE_FILES = {
    "type": "array",
    "items": {"type": "string", "format": "binary"},
    "description": "JPEG, PNG, WebP or PDF files, judged by content",
}
NEW_ACTIVITY_FORM = {
    **NEW_ACTIVITY,
    "properties": {**NEW_ACTIVITY["properties"], "evidence": EVIDENCE_FILES},
}
ACTIVITY_CHANGES = obj(
    [],
    remove_evidence_ids={"type": "array", "items": ID, "maxItems": 10, "uniqueItems": True},
    **ENTRY_FIELDS,
)
REASON_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_REASON_LENGTH}
# The same fields as the review pages' forms: a version, and a reason where one is needed.
APPROVAL = obj(
    [],
    version=VERSION,
    reason={**REASON_TEXT, "description": "Needed to approve a session a mentee disputed"},
)
DECISION = obj(["reason"], reason=REASON_TEXT, version=VERSION)
IF_MATCH = Param(
    "If-Match",
    {"type": "string", "pattern": '^"?[0-9]{1,10}"?$'},
    "The ETag of the activity as read (or send `version` in the body)",
)
EVIDENCE_FORM = obj(evidence=EVIDENCE_FILES)
CONFIRMATION = obj(
    ["decision"],
    decision={"type": "string", "enum": ["confirm", "dispute"]},
    reason={"type": "string", "maxLength": MAX_REASON_LENGTH},
)
ADJUSTMENT_REQUEST = obj(
    ["member_id", "points", "reason"],
    member_id=ID,
    points={
        "type": "number",
        "minimum": -100,
        "maximum": 100,
        "multipleOf": 0.1,
        "description": "Not zero",
    },
    reason={"type": "string", "minLength": 1, "maxLength": MAX_REASON_LENGTH},
    category={"type": "string", "maxLength": 32},
)
ADJUSTMENT = api.schema(
    "Adjustment",
    obj(
        id=ID,
        member=PERSON,
        branch=BRANCH,
        category={"type": ["string", "null"]},
        points=POINTS,
        reason={"type": "string"},
        earned_on=DAY,
        created_at=MOMENT,
    ),
)
