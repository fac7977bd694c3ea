"""Papers to hand in: an event's sign-in sheet (签到表) and a branch's roster (花名册), XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import audit, spreadsheets
from tracker.events import papers
from tracker.extensions import db
from tracker.i18n import STAGE_LABELS
from tracker.models import Branch, Event
from tracker.people import access

bp = Blueprint("papers", __name__, url_prefix="/papers")


def _xlsx(sheet: str, title: str, header, rows, name: str, fallback: str) -> Response:
    body = spreadsheets.render("xlsx", sheet, header, rows, title=title)
    return Response(
        body,
        mimetype=spreadsheets.FORMATS["xlsx"],
        headers={"Content-Disposition": spreadsheets.attachment(name, fallback)},
    )


def event_to_print(event_id: int) -> Event:
    """The event whose sign-in sheet the user may print: 404 if they cannot see it, 403
    if they see it but do not manage it."""
    event = db.session.get(Event, event_id)
    if event is None or not access.may_see_event(db.session, current_user, event):
        abort(404)
    if not access.may_manage_event(current_user, event):
        abort(403)
    return event


def _status(row: papers.SigninRow) -> str:
    if row.status == "present":
        return _("present")
    if row.status == "leave":
        return _("on leave") + (f"：{row.leave_reason}" if row.leave_reason else "")
    return _("absent")


@bp.get("/events/<int:event_id>/signin.xlsx")
@login_required
def signin_sheet(event_id: int):
    event = event_to_print(event_id)
    rows = papers.signin_rows(db.session, event)
    audit.record(
        db.session, "export", actor=current_user, target=event, what="signin", rows=len(rows)
    )
    db.session.commit()
    sheet = _("Sign-in sheet")
    title = f"{sheet} · {event.title}"
    header = [_("Name"), _("Student number"), _("Checked in at"), _("Attendance"), _("Signature")]
    table = [[r.name, r.student_no, r.checked_in_at, _status(r), ""] for r in rows]
    day = event.starts_at.date().isoformat()
    return _xlsx(
        sheet,
        title,
        header,
        table,
        f"{sheet}-{event.title}-{day}.xlsx",
        f"signin-{event.id}-{day}.xlsx",
    )


@bp.get("/branches/<int:branch_id>/roster.xlsx")
@login_required
def roster(branch_id: int):
    branch = db.session.get(Branch, branch_id)
    if branch is None or not access.may_export_roster(db.session, current_user, branch_id):
        abort(404)
    rows = papers.roster_rows(db.session, branch_id)
    audit.record(
        db.session,
        "export",
        actor=current_user,
        branch_id=branch_id,
        what="roster",
        rows=len(rows),
    )
    db.session.commit()
    sheet = _("Roster")
    header = [
        _("Name"),
        _("Student number"),
        _("Stage"),
        _("In this stage since"),
        _("In the branch since"),
        _("Committee post"),
        _("Party group"),
    ]
    table = [
        [
            r.name,
            r.student_no,
            str(STAGE_LABELS[r.stage]) if r.stage in STAGE_LABELS else "",
            r.stage_since,
            r.joined_on,
            r.post or (_("Committee member") if r.committee else ""),
            r.group or "",
        ]
        for r in rows
    ]
    title = f"{sheet} · {branch.college.name} · {branch.name}"
    return _xlsx(
        sheet, title, header, table, f"{sheet}-{branch.name}.xlsx", f"roster-{branch.id}.xlsx"
    )


from tracker.web.papers import sheets  # noqa: E402,F401  (routes join this blueprint)
