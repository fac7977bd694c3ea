"""Check-in defences: the member's personal code, the committee's scanner, voiding.

Routes of the events blueprint (``views.bp``); the rules live in
``events.scanning`` and ``events.voiding``.
"""

from __future__ import annotations

import segno
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.events import attendance, scanning, voiding
from tracker.extensions import db
from tracker.models import Attendance, Event
from tracker.people import access
from tracker.web.events.forms import ScanForm, ScanOnlyForm, VoidForm
from tracker.web.events.views import _event_or_404, _managed_event_or_404, bp


def _seconds_to_next_minute() -> int:
    return 60 - utcnow().second


@bp.get("/<int:event_id>/my-code")
@login_required
def my_code(event_id: int):
    """The member's personal QR code, for the committee to scan; it follows the minute."""
    event = _event_or_404(event_id)
    if not access.may_attend_event(current_user, event):
        abort(403)
    now = utcnow()
    mine = attendance.attendance_of(db.session, event, current_user.id)
    showing = (
        event.closed_at is None
        and event.checkin_opens_at <= now <= event.checkin_closes_at
        and not (mine and mine.status.attended)
    )
    payload = scanning.personal_payload(event, current_user, now) if showing else None
    qr = None
    if payload:
        # segno writes only its own elements and attributes: safe to inline.
        qr = Markup(segno.make(payload, error="m").svg_inline(scale=6))  # noqa: S704
    return render_template(
        "events/my_code.html",
        event=event,
        mine=mine,
        now=now,
        payload=payload,
        qr=qr,
        short_code=scanning.personal_code(event, current_user.id, now) if payload else None,
        refresh=_seconds_to_next_minute() if payload or now < event.checkin_opens_at else None,
    )


@bp.get("/<int:event_id>/scan")
@login_required
def scan_page(event_id: int):
    """The committee's scanner: the phone's camera, and the short code typed by hand."""
    event = _managed_event_or_404(event_id)
    return render_template("events/scan.html", event=event, form=ScanForm(), now=utcnow())


def _scan_answer(ok: bool, message: str, status: int, event: Event):
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ):
        return jsonify(ok=ok, message=message), status
    flash(message, "success" if ok else "danger")
    return redirect(url_for(".scan_page", event_id=event.id))


@bp.post("/<int:event_id>/scan")
@login_required
def scan(event_id: int):
    event = _managed_event_or_404(event_id)
    form = ScanForm()
    if not form.validate_on_submit():
        abort(400)  # the CSRF token: the code itself is judged by ``scanning``
    if not (form.code.data or "").strip():
        return _scan_answer(False, _("Please give the code."), 422, event)
    try:
        result = scanning.scan(db.session, current_user, event, form.code.data, utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _scan_answer(False, str(error.message), error.status, event)
    member = result.member
    if result.check_in.new:
        message = _("%(name)s (%(no)s) is checked in.", name=member.name, no=member.student_no)
    else:
        message = _("%(name)s was already checked in; nothing changed.", name=member.name)
    return _scan_answer(True, message, 200, event)


@bp.post("/<int:event_id>/scan-only")
@login_required
def scan_only(event_id: int):
    event = _managed_event_or_404(event_id)
    form = ScanOnlyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        scanning.set_scan_only(db.session, current_user, event, bool(form.scan_only.data))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        if event.scan_only:
            flash(_("Members now check in only by showing their personal code."), "success")
        else:
            flash(_("Members can check in with the event's code again."), "success")
    return redirect(url_for(".detail", event_id=event.id))


@bp.post("/<int:event_id>/attendance/<int:attendance_id>/void")
@login_required
def void_attendance(event_id: int, attendance_id: int):
    event = _managed_event_or_404(event_id)
    record = db.session.get(Attendance, attendance_id)
    if record is None or record.event_id != event.id:
        abort(404)
    if not VoidForm().validate_on_submit():
        abort(400)  # the CSRF token: the reason is judged by ``voiding``
    try:
        voiding.void_attendance(
            db.session, current_user, record, request.form.get("reason", ""), utcnow()
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(_("The check-in of %(name)s was voided.", name=record.member.name), "success")
    return redirect(url_for(".detail", event_id=event.id))
