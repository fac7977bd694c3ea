"""Closing an event, and a second person confirming the attendances that wait for one."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.activities.queue import attendance_waiting
from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.events import attendance, closing
from tracker.extensions import db
from tracker.ledger import points
from tracker.models import Activity
from tracker.people import access
from tracker.web.confirm import ask_first
from tracker.web.events.forms import ButtonForm, ConfirmAttendanceForm
from tracker.web.events.views import _back, _event_or_404, _managed_event_or_404, _refused, bp


def _ask_to_close(event, now):
    """Closing names who will be absent; before the event's end it says so too."""
    absent = attendance.absentees(db.session, event)
    early = None
    if now < event.ends_at:
        early = _(
            "The event has not ended yet: it ends at %(when)s. Members can no longer check in "
            "once it is closed.",
            when=format_datetime(event.ends_at, "short"),
        )
    return ask_first(
        _(
            "Closing the event books the points of those who came; everyone else is marked "
            "absent. It cannot be undone."
        ),
        names=[f"{member.name} ({member.student_no})" for member in absent],
        names_heading=_("Will be marked absent"),
        warning=early,
        button=_("Close the event"),
        cancel=url_for(".detail", event_id=event.id),
    )


@bp.post("/<int:event_id>/close")
@login_required
def close(event_id: int):
    event = _managed_event_or_404(event_id)
    if not ButtonForm().validate():
        abort(400)
    now = utcnow()
    # An early or second close is refused by the domain without a question first.
    if event.closed_at is None and now >= event.starts_at:
        asked = _ask_to_close(event, now)
        if asked is not None:
            return asked
    try:
        closed = closing.close_event(db.session, current_user, event, now)
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
