"""Closing an event, and a second person confirming the attendances that wait for one."""

from __future__ import annotations

from flask import abort, flash
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from tracker.activities.queue import attendance_waiting
from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.events import closing
from tracker.extensions import db
from tracker.ledger import points
from tracker.models import Activity
from tracker.people import access
from tracker.web.events.forms import ButtonForm, ConfirmAttendanceForm
from tracker.web.events.views import _back, _event_or_404, _managed_event_or_404, _refused, bp


@bp.post("/<int:event_id>/close")
@login_required
def close(event_id: int):
    event = _managed_event_or_404(event_id)
    if not ButtonForm().validate():
        abort(400)
    try:
        closed = closing.close_event(db.session, current_user, event, utcnow())
        db.session.commit()
    except DomainError as error:
        return _refused(error, event)
    flash(
        ngettext(
            "The event is closed; points were booked for %(num)d attendee.",
            "The event is closed; points were booked for %(num)d attendees.",
            closed.booked,
        ),
        "success",
    )
    if closed.waiting:
        flash(
            ngettext(
                "%(num)d attendance waits for a second person to confirm.",
                "%(num)d attendances wait for a second person to confirm.",
                closed.waiting,
            ),
            "info",
        )
    return _back(event)


@bp.post("/<int:event_id>/confirm")
@login_required
def confirm_attendance(event_id: int):
    """A second person confirms (or rejects) an attendance that waits for one."""
    event = _event_or_404(event_id)
    if not access.may_confirm_event_attendance(db.session, current_user, event):
        abort(403)
    form = ConfirmAttendanceForm()
    waiting = None
    if form.validate_on_submit():
        query = attendance_waiting(event.id).where(Activity.user_id == form.member_id.data)
        waiting = db.session.scalars(query).first()
    if waiting is None:
        flash(_("This attendance does not wait for confirmation."), "warning")
        return _back(event)
    try:
        name = waiting.member.name
        if form.decision.data == "approve":
            points.approve_activity(db.session, waiting, current_user, utcnow())
            done = _("Confirmed: the points for %(name)s's attendance are booked.", name=name)
        else:
            points.reject_activity(db.session, waiting, current_user, form.reason.data, utcnow())
            done = _("Rejected: %(name)s's attendance books no points.", name=name)
        db.session.commit()
    except DomainError as error:
        return _refused(error, event)
    flash(done, "success")
    return _back(event)
