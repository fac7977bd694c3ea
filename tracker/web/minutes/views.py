"""会议记录: an event's minutes, their versions, their attachments, and locking them."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import MultipleFileField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from tracker import limits, storage, uploads
from tracker.clock import utcnow
from tracker.config import MAX_EVIDENCE_FILES
from tracker.errors import DomainError, InvalidInput
from tracker.events import minutes as minutes_domain
from tracker.events import minutes_files
from tracker.extensions import db
from tracker.limits import MAX_ID, bounded_int
from tracker.models import Event, MinutesVersion
from tracker.people import access
from tracker.web import stored_files
from tracker.web.confirm import ask_first
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


class AttachForm(FlaskForm):
    # static/js/photo-compress.js makes large photos smaller before they are sent.
    files = MultipleFileField(
        _l("Photos or PDF"),
        render_kw={
            "data-compress": "",
            "data-compress-status": "files-status",
            "data-compressing": _l("Making the photos smaller…"),
            "accept": "image/jpeg,image/png,image/webp,application/pdf",
        },
    )
    submit = SubmitField(_l("Attach"))


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not access.may_read_minutes(db.session, current_user, event):
        abort(404)
    return event


def _page(event: Event, form: MinutesForm | None = None, attach_form: AttachForm | None = None):
    minutes = minutes_domain.minutes_of(db.session, event)
    writing = access.may_write_minutes(current_user, event)
    if form is None and writing:
        form = MinutesForm(obj=minutes)
    open_to_change = writing and minutes is not None and minutes.locked_at is None
    return render_template(
        "minutes/detail.html",
        event=event,
        minutes=minutes,
        versions=minutes_domain.versions_of(db.session, minutes) if minutes else [],
        form=form if writing and not (minutes and minutes.locked_at) else None,
        lock_form=ConfirmForm() if open_to_change else None,
        attach_form=(attach_form or AttachForm()) if open_to_change else None,
        detach_form=ConfirmForm() if open_to_change else None,
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


# Attachments ---------------------------------------------------------------------


def _prepared_files() -> list[uploads.PreparedFile]:
    limit = current_app.config["TRACKER_UPLOAD_LIMIT_MB"] * 1024 * 1024
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidInput({"files": _("At most %(n)d files at once.", n=MAX_EVIDENCE_FILES)})
    return [uploads.prepare(f.filename, f.read(limit + 1), limit, "files") for f in files]


@bp.post("/<int:event_id>/attachments")
@login_required
@limits.uploads
def attach(event_id: int):
    event = _event_or_404(event_id)
    if not access.may_write_minutes(current_user, event):
        abort(403)
    form = AttachForm()
    if not form.validate_on_submit():
        return _page(event, attach_form=form), 422
    minutes = minutes_domain.minutes_of(db.session, event)
    if minutes is None or minutes.locked_at is not None:
        # Said before any file is read: no upload can change these minutes.
        if minutes is None:
            flash(_("Save the minutes first, then attach files."), "danger")
        else:
            flash(_("These minutes are locked."), "danger")
        return redirect(url_for(".detail", event_id=event.id))
    try:
        minutes_files.attach(
            db.session, current_user, minutes, _prepared_files(), storage.of(current_app), utcnow()
        )
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        show_errors(form, error)
        return _page(event, attach_form=form), 422
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(_("The files were attached."), "success")
    return redirect(url_for(".detail", event_id=event.id))


def _attachment_or_404(event: Event, attachment_id: int):
    item = minutes_files.attachment_of(db.session, event, attachment_id)
    if item is None:
        abort(404)
    return item


@bp.get("/<int:event_id>/attachments/<int:attachment_id>")
@login_required
def attachment(event_id: int, attachment_id: int):
    item = _attachment_or_404(_event_or_404(event_id), attachment_id)
    return stored_files.serve(
        item.stored_name, item.content_type, item.original_name, inline=item.is_image
    )


@bp.post("/<int:event_id>/attachments/<int:attachment_id>/remove")
@login_required
def detach(event_id: int, attachment_id: int):
    event = _event_or_404(event_id)
    item = _attachment_or_404(event, attachment_id)
    if not access.may_write_minutes(current_user, event):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _("%(name)s is removed from the minutes and deleted.", name=item.original_name),
        cancel=url_for(".detail", event_id=event.id),
    )
    if asked is not None:
        return asked
    try:
        minutes_files.detach(db.session, current_user, item, storage.of(current_app))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(_("The file was removed."), "info")
    return redirect(url_for(".detail", event_id=event.id))
