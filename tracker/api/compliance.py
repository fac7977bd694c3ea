"""Required meetings (三会一课) through the API: one branch's grid, or all readable branches'."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.schemas import BRANCH, DAY, ID, obj
from tracker.api.spec import Param
from tracker.api.validation import query_args
from tracker.clock import campus_today, utcnow
from tracker.errors import Forbidden, NotFound
from tracker.events import compliance
from tracker.extensions import db
from tracker.models import Branch
from tracker.people import access

QUERY = (
    Param(
        "period",
        {"type": "string", "enum": list(compliance.PERIOD_KINDS), "default": "term"},
        "The month, calendar quarter, term or academic year containing the day",
    ),
    Param("on", DAY, "The day asked about (default: today); later meetings are not counted"),
)
CELL = obj(
    kind={"type": "string", "enum": list(compliance.kinds.MEETING_KINDS)},
    state={"type": "string", "enum": [s.value for s in compliance.State]},
    held={"type": "integer", "minimum": 0},
    required={"type": "integer", "minimum": 0},
    due_by={"type": ["string", "null"], "format": "date"},
    events={"type": "array", "items": ID},
)
ROW = obj(branch=BRANCH, cells={"type": "array", "items": CELL})
GRID = api.schema(
    "ComplianceGrid",
    obj(
        period=obj(kind={"type": "string"}, first_day=DAY, last_day=DAY),
        on=DAY,
        rows={"type": "array", "items": ROW},
    ),
)
DESCRIPTION = (
    "For each branch and each required meeting kind: held, due, overdue, held without "
    "quorum (a general or committee meeting needs more than half present) or not required, "
    "with the meetings that count toward it and the ids of every meeting of the kind."
)


def _grid(branches: list[Branch], args: dict[str, Any]) -> dict[str, Any]:
    grid = compliance.compliance_grid(
        db.session, branches, args["period"], args.get("on") or campus_today(), utcnow()
    )
    return {
        "period": {
            "kind": grid.period.kind,
            "first_day": serialize.day(grid.period.start),
            "last_day": serialize.day(grid.period.last_day),
        },
        "on": serialize.day(grid.on),
        "rows": [
            {
                "branch": {"id": row.branch.id, "name": row.branch.name},
                "cells": [
                    {
                        "kind": c.kind,
                        "state": c.state.value,
                        "held": c.held,
                        "required": c.required,
                        "due_by": serialize.day(c.due_by) if c.due_by else None,
                        "events": [e.id for e in c.events],
                    }
                    for c in row.cells
                ],
            }
            for row in grid.rows
        ],
    }


@api.route(
    "/compliance",
    "GET",
    summary="Required meetings of every branch the caller reads",
    description=DESCRIPTION + " Advisors see the branches they advise, administrators all.",
    tag="Meetings",
    query=(*QUERY, Param("college_id", ID, "Only this college's branches")),
    responses={200: ("Branches × required meeting kinds", GRID)},
    errors=(403,),
)
def compliance_grid():
    args = query_args(api.operation_for("api.compliance_grid"))
    user = caller()
    if not access.may_read_college_compliance(user):
        raise Forbidden(_l("Only advisors and administrators see every branch's meetings."))
    readable = access.readable_branch_ids(db.session, user)
    branches = compliance.branches_for(db.session, readable, args.get("college_id"))
    return _grid(branches, args)


@api.route(
    "/branches/<int:branch_id>/compliance",
    "GET",
    summary="A branch's required meetings",
    description=DESCRIPTION + " Its committee, its advisors and administrators may ask.",
    tag="Meetings",
    query=QUERY,
    responses={200: ("The branch's row of required meeting kinds", GRID)},
    errors=(404,),
)
def branch_compliance(branch_id: int):
    args = query_args(api.operation_for("api.branch_compliance"))
    user = caller()
    branch = db.session.get(Branch, branch_id)
    if branch is None or not access.may_read_compliance(db.session, user, branch_id):
        raise NotFound()
    return _grid([branch], args)
