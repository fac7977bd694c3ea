"""Uploading a system of record's report (学习强国, 志愿汇, PU口袋校园) through the API."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from tracker import limits
from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.errors import BadRequest
from tracker.api.schemas import DAY, POINTS, obj
from tracker.api.validation import form_body
from tracker.clock import campus_today
from tracker.errors import Forbidden, InvalidInput
from tracker.extensions import db
from tracker.external import importing, reports, sources
from tracker.models.external import PERIOD_KINDS
from tracker.people import access
from tracker.spreadsheets import MAX_FILE_BYTES, FileRefused

POINTS_UPLOAD = obj(
    ["file", "source"],
    file={"type": "string", "format": "binary", "description": "CSV (UTF-8 or GB18030) or XLSX"},
    source={"type": "string", "minLength": 1, "maxLength": 32, "description": "xuexi, zyh, pu"},
    period={
        "type": "string",
        "enum": list(PERIOD_KINDS),
        "default": "cumulative",
        "description": "What the numbers cover: the day, its week or month, or totals up to it",
    },
    day={**DAY, "description": "Default: today"},
    dry_run={"type": "boolean", "default": False, "description": "Preview: book nothing"},
    baseline={
        "type": "boolean",
        "default": False,
        "description": "A cumulative report's totals as the starting point: recorded, nothing "
        "booked; the next cumulative report books what was gained since",
    },
)
ROW = obj(
    row={"type": "integer"},
    member={"type": "integer"},
    value=POINTS,
    previous=POINTS,
    points=POINTS,
    flagged={"type": "boolean", "description": "A cumulative total lower than booked before"},
)
POINTS_IMPORT = api.schema(
    "PointsImport",
    obj(
        source={"type": "string"},
        period={"type": "string", "enum": list(PERIOD_KINDS)},
        start=DAY,
        end=DAY,
        applied={"type": "boolean", "description": "Booked (no problems and not a dry run)"},
        baseline={"type": "boolean", "description": "Totals recorded as the starting point"},
        points=POINTS,
        rows={"type": "array", "items": ROW},
        problems={
            "type": "array",
            "items": obj(row={"type": "integer"}, message={"type": "string"}),
        },
    ),
)


def _body(report: reports.PointsReport) -> dict:
    return {
        "source": report.source_key,
        "period": report.covered.kind,
        "start": serialize.day(report.covered.start),
        "end": serialize.day(report.covered.end),
        "applied": report.applied,
        "baseline": report.baseline,
        "points": serialize.number(report.points),
        "rows": [
            {
                "row": line.row,
                "member": line.user_id,
                "value": serialize.number(line.value),
                "previous": serialize.number(line.previous),
                "points": serialize.number(line.points),
                "flagged": line.flagged,
            }
            for line in report.rows
        ],
        "problems": [{"row": p.row, "message": str(p.message)} for p in report.problems],
    }


@api.route(
    "/points/imports",
    "POST",
    summary="Import a points or hours report of another system of record",
    description=(
        "Administrators for the whole school, a committee for its branch. Rows are matched "
        "by 学号, else by name; with any problem nothing is booked. A report imported again "
        "books only the difference to earlier imports of the source."
    ),
    tag="Points",
    multipart=POINTS_UPLOAD,
    responses={
        200: ("The preview, or the rows' problems (nothing booked)", POINTS_IMPORT),
        201: ("The booked import", POINTS_IMPORT),
    },
    errors=(429,),
)
@limits.uploads
def import_points():
    user = caller()
    if not access.may_import_points(user):
        raise Forbidden(_l("Only administrators and branch committees import points."))
    if request.mimetype != "multipart/form-data":
        raise BadRequest({"file": _l("Send the file as multipart/form-data.")})
    data = form_body(api.operation_for("api.import_points"))
    source = sources.source_by_key(db.session, data["source"])
    if source is None:
        raise InvalidInput({"source": _l("No such source.")})
    upload = request.files.get("file")
    try:
        report = importing.import_points(
            db.session,
            upload.read(MAX_FILE_BYTES + 1) if upload else b"",
            source=source,
            period=reports.covered(
                data.get("period", "cumulative"), data.get("day") or campus_today()
            ),
            actor=user,
            branch_id=access.points_import_branch(user),
            today=campus_today(),
            dry_run=data.get("dry_run", False),
            baseline=data.get("baseline", False),
        )
    except FileRefused as refused:
        raise InvalidInput({"file": refused.message}) from None
    if not report.applied:
        return _body(report), 200
    db.session.commit()
    return _body(report), 201
