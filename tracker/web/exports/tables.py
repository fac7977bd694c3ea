"""What an export holds and how its file is named, for the pages and for the job that
writes a large export (the same rows, the same rules, the same audit record)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from tracker import audit, spreadsheets, storage
from tracker.extensions import db
from tracker.i18n import STATUS_LABELS, UNIT_LABELS, category_name
from tracker.jobs import Progress, handler
from tracker.models import ActivityStatus, Job, User
from tracker.people import access
from tracker.ranking import reports
from tracker.web.filters import Filters, parse_filters

EXPORT_ACTIVITIES = "export-activities"

# What each export is called: its sheet, its title and its file, in the user's language.
SHEET_NAMES = {
    "members": _l("Member leaderboard"),
    "branches": _l("Branch leaderboard"),
    "activities": _l("Activity records"),
    "report": _l("Branch report"),
}


def place(filters: Filters) -> tuple[str, str]:
    """Whose numbers: the name shown, and the ASCII stand-in for a file name."""
    if filters.branch is not None:
        return filters.branch.name, f"branch-{filters.branch.id}"
    if filters.college is not None:
        return filters.college.name, f"college-{filters.college.id}"
    return _("Whole school"), "school"


def record_export(viewer: User, what: str, fmt: str, filters: Filters, rows: int) -> None:
    audit.record(
        db.session,
        "export",
        actor=viewer,
        branch_id=filters.branch.id if filters.branch else None,
        what=what,
        format=fmt,
        period=filters.kind,
        start=filters.period.start.isoformat(),
        scope=filters.scope_kind,
        rows=rows,
    )


def render_file(fmt: str, what: str, filters: Filters, header, rows) -> tuple[bytes, str, str]:
    """The file's bytes, its name in the user's language, and an ASCII name."""
    sheet = str(SHEET_NAMES[what])
    shown_place, ascii_place = place(filters)
    period = filters.period
    days = f"{period.start.isoformat()}_{period.last_day.isoformat()}"
    shown = f"{period.start.isoformat()} – {period.last_day.isoformat()}"
    if period.name:
        shown = _("%(term)s (%(days)s)", term=period.name, days=shown)
    title = f"{sheet} · {shown_place} · {shown}"
    body = spreadsheets.render(fmt, sheet, header, rows, title=title)
    return body, f"{sheet}-{shown_place}-{days}.{fmt}", f"{what}-{ascii_place}-{days}.{fmt}"


def activities_table(viewer: User, args: MultiDict, today: date) -> tuple[Filters, list, list]:
    """The filters, header and rows of an activity-records export, as ``viewer`` may see."""
    filters = parse_filters(db.session, viewer, args, today)
    status = args.get("status") or None
    if status is not None and status not in {s.value for s in ActivityStatus}:
        abort(400)
    # Members export their own records only; others what their scope allows.
    own = viewer.id if access.own_records_only(viewer) else None
    if not access.may_export_activities(viewer, filters.scope_kind):
        abort(403)
    records = reports.activity_records(
        db.session,
        filters.period,
        filters.scope,
        category_id=filters.category_id,
        status=ActivityStatus(status) if status else None,
        user_id=own,
    )
    header = [
        _("Date"),
        _("Student number"),
        _("Name"),
        _("Branch"),
        _("Category"),
        _("Title"),
        _("Quantity"),
        _("Unit"),
        _("Status"),
        _("Points (pts)"),
    ]
    return filters, header, records


def activity_row(r) -> list:
    return [
        r.activity.occurred_on,
        r.student_no,
        r.member_name,
        r.branch_name,
        category_name(r.category),
        r.activity.title,
        r.activity.quantity,
        str(UNIT_LABELS[r.category.unit]),
        str(STATUS_LABELS[r.activity.status]),
        r.points,
    ]


def _counted(rows: list, convert: Callable, progress: Callable[[int, int], None]) -> Iterator:
    total = len(rows)
    progress(0, total)
    for index, row in enumerate(rows, 1):
        yield convert(row)
        if index % 200 == 0 or index == total:
            progress(index, total)


def result_name(job: Job) -> str:
    # One name per job: a run after a killed one writes the same file again.
    return f"export-{job.id}.{job.params['fmt']}"


@handler(EXPORT_ACTIVITIES)
def export_activities(session: Session, job: Job, progress: Progress) -> None:
    """The file the request would have sent, in the store for its requester only."""
    viewer = session.get(User, job.user_id)
    if viewer is None or not viewer.is_active:
        raise PermissionError("the requester's account is gone")
    params = job.params
    args = MultiDict(params["args"])
    filters, header, records = activities_table(viewer, args, date.fromisoformat(params["today"]))
    rows: Iterable = _counted(records, activity_row, progress)
    body, name, _fallback = render_file(params["fmt"], "activities", filters, header, rows)
    stored = result_name(job)
    storage.of(current_app).put(stored, body, spreadsheets.FORMATS[params["fmt"]])
    job.result_file, job.result_filename = stored, name
    job.result = {"rows": len(records)}
    record_export(viewer, "activities", params["fmt"], filters, len(records))
