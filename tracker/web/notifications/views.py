"""Notifications: the unread count in the navigation, the list, opening one."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from tracker import notify, readcache
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _unread() -> dict:
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    # Read with the user (``security.load_user``) unless something was written since.
    count = readcache.cached(
        db.session,
        ("unread", current_user.id),
        lambda: notify.unread_count(db.session, current_user.id),
    )
    return {"unread_notifications": count}


@bp.get("/")
@login_required
def index():
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=30,
        error_out=False,
    )
    return render_template(
        "notifications/index.html",
        page=page,
        message=notify.message,
        link=notify.link,
        form=FlaskForm(),
    )


@bp.post("/<int:note_id>/open")
@login_required
def open_one(note_id: int):
    """Opening a notification marks it read and goes where it points."""
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != current_user.id or not FlaskForm().validate():
        abort(404)
    notify.mark_read(db.session, current_user.id, utcnow(), note.id)
    db.session.commit()
    return redirect(notify.link(note) or url_for(".index"))


@bp.post("/read")
@login_required
def read_all():
    if not FlaskForm().validate():
        abort(400)
    notify.mark_read(db.session, current_user.id, utcnow())
    db.session.commit()
    return redirect(url_for(".index"))
