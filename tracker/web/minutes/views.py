"""会议记录: an event's minutes, their versions, and locking them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from tracker.clock import utcnow
from tracker.errors import DomainError, InvalidInput
from tracker.events import minutes as minutes_domain
from tracker.extensions import db
from tracker.limits import MAX_ID, bounded_int
from tracker.models import Event, MinutesVersion
from tracker.people import access
from tracker.web.forms import ConfirmForm, show_errors

bp = Blueprint("minutes", __name__, url_prefix="/minutes")


class MinutesForm(FlaskForm):
    # The domain judges the lengths too; these give the browser its limits.
    topic = StringField(_l("Topic"), validators=[Length(max=minutes_domain.MAX_TOPIC)])
    host = StringField(_l("Host"), validators=[Length(max=minutes_domain.MAX_NAME)])
    recorder = StringField(_l("Recorder"), validators=[Length(max=minutes_domain.MAX_NAME)])
    content = TextAreaField(
        _l("Content"),
        validators=[Length(max=minutes_domain.MAX_TEXT)],
        render_kw={"rows": 8},
    )
    decisions = TextAreaField(
        _l("Decisions"),
        validators=[Length(max=minutes_domain.MAX_TEXT)],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Save the minutes"))


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not access.may_read_minutes(db.session, current_user, event):
        abort(404)
    return event


def _page(event: Event, form: MinutesForm | None = None):
    minutes = minutes_domain.minutes_of(db.session, event)
    writing = access.may_write_minutes(current_user, event)
    if form is None and writing:
        form = MinutesForm(obj=minutes)
    return render_template(
        "minutes/detail.html",
        event=event,
        minutes=minutes,
        versions=minutes_domain.versions_of(db.session, minutes) if minutes else [],
        form=form if writing and not (minutes and minutes.locked_at) else None,
        lock_form=ConfirmForm() if writing and minutes and not minutes.locked_at else None,
        started=utcnow() >= event.starts_at,
    )


@bp.get("/<int:event_id>")
@login_required
def detail(event_id: int):
    event = _event_or_404(event_id)
    wanted = bounded_int(request.args.get("version", ""), 1, MAX_ID)
    if wanted is None:
        return _page(event)
    minutes = minutes_domain.minutes_of(db.session, event)
    found = None
    if minutes is not None:
        found = db.session.scalar(
            select(MinutesVersion).where(
                MinutesVersion.minutes_id == minutes.id, MinutesVersion.version == wanted
            )
        )
    if found is None:
        abort(404)
    return render_template("minutes/version.html", event=event, minutes=found)


@bp.post("/<int:event_id>")
@login_required
def save(event_id: int):
    event = _event_or_404(event_id)
    if not access.may_write_minutes(current_user, event):
        abort(403)
    form = MinutesForm()
    if form.validate_on_submit():
        data = minutes_domain.MinutesInput(**{n: form[n].data for n in minutes_domain.FIELDS})
        try:
            minutes_domain.save_minutes(db.session, current_user, event, data, utcnow())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return redirect(url_for(".detail", event_id=event.id))
        else:
            flash(_("The minutes were saved."), "success")
            return redirect(url_for(".detail", event_id=event.id))
    return _page(event, form), 422


@bp.post("/<int:event_id>/lock")
@login_required
def lock(event_id: int):
    event = _event_or_404(event_id)
    if not access.may_write_minutes(current_user, event):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    minutes = minutes_domain.minutes_of(db.session, event)
    if minutes is None:
        flash(_("No minutes yet."), "danger")
        return redirect(url_for(".detail", event_id=event.id))
    try:
        minutes_domain.lock_minutes(db.session, current_user, minutes, utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(_("The minutes are locked: they can no longer change."), "success")
    return redirect(url_for(".detail", event_id=event.id))
