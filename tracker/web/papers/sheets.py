"""An event's sign-in sheet (签到表) as a printable PDF, beside the XLSX."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import audit, pdfdocs
from tracker.events import kinds, papers
from tracker.extensions import db
from tracker.web.downloads import no_font_answer, pdf_font, pdf_response
from tracker.web.papers.views import bp, event_to_print


def _attendance(row: papers.SigninRow) -> str:
    if row.status == "present" and row.checked_in_at is not None:
        return row.checked_in_at.strftime("%Y-%m-%d %H:%M")
    if row.status == "leave":
        return _("on leave") + (f"：{row.leave_reason}" if row.leave_reason else "")
    return ""


@bp.get("/events/<int:event_id>/signin.pdf")
@login_required
def signin_pdf(event_id: int):
    event = event_to_print(event_id)
    font = pdf_font()
    if font is None:
        return no_font_answer(url_for("events.detail", event_id=event.id))
    rows = papers.signin_rows(db.session, event)
    audit.record(
        db.session, "export", actor=current_user, target=event, what="signin.pdf", rows=len(rows)
    )
    db.session.commit()
    sheet = _("Sign-in sheet")
    starts = format_datetime(event.starts_at, "yyyy-MM-dd HH:mm")
    when = f"{starts}–{format_datetime(event.ends_at, 'HH:mm')}"
    branches = "、".join(b.name for b in event.branches)
    kind = str(kinds.label(event.kind)) + (f" · {event.group.name}" if event.group else "")
    body = pdfdocs.signin_sheet(
        font,
        title=f"{sheet} · {event.title}",
        lines=[
            _("%(label)s: %(value)s", label=label, value=value)
            for label, value in (
                (_("Branch"), branches),
                (_("Kind"), kind),
                (_("When"), when),
                (_("Place"), event.place or "—"),
            )
        ],
        header=[_("Name"), _("Student number"), _("Checked in at / leave"), _("Signature")],
        rows=[[r.name, r.student_no, _attendance(r), ""] for r in rows],
    )
    day = event.starts_at.date().isoformat()
    return pdf_response(body, f"{sheet}-{event.title}-{day}.pdf", f"signin-{event.id}-{day}.pdf")
