"""1+N tutoring: my mentees and mentors, and the sessions that name me."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.activities import tutoring
from tracker.clock import utcnow
from tracker.errors import DomainError, InvalidInput
from tracker.extensions import db
from tracker.models import Activity, Pairing
from tracker.people import access
from tracker.web.forms import show_errors
from tracker.web.tutoring.forms import ButtonForm, DisputeForm, MenteeForm

bp = Blueprint("tutoring", __name__, url_prefix="/tutoring")


def _page(form: MenteeForm | None = None):
    as_mentor = db.session.scalars(
        select(Pairing).where(Pairing.mentor_id == current_user.id).order_by(Pairing.id)
    ).all()
    as_mentee = db.session.scalars(
        select(Pairing).where(Pairing.mentee_id == current_user.id).order_by(Pairing.id)
    ).all()
    return render_template(
        "tutoring/index.html",
        as_mentor=as_mentor,
        mentee_names={p.id: tutoring.mentee_name(current_user, p) for p in as_mentor},
        as_mentee=as_mentee,
        waiting=tutoring.sessions_naming(db.session, current_user, waiting=True),
        answered=tutoring.sessions_naming(db.session, current_user, waiting=False),
        mentee_form=form or MenteeForm(),
        dispute_form=DisputeForm(),
        button=ButtonForm(),
    )


@bp.get("/")
@login_required
def index():
    if not access.logs_activities(current_user):
        abort(403)  # mentors and mentees are members of a branch
    return _page()


@bp.post("/mentees")
@login_required
def add_mentee():
    form = MenteeForm()
    if form.validate_on_submit():
        try:
            tutoring.request_pairing(db.session, current_user, form.student_no.data, utcnow())
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Request sent. The student appears here once they accept."), "success")
            return redirect(url_for(".index"))
    return _page(form), 422


def _my_request_or_404(pairing_id: int) -> Pairing:
    pairing = db.session.get(Pairing, pairing_id)
    if pairing is None or pairing.mentee_id != current_user.id or not ButtonForm().validate():
        abort(404)
    return pairing


@bp.post("/pairings/<int:pairing_id>/accept")
@login_required
def accept(pairing_id: int):
    pairing = _my_request_or_404(pairing_id)
    tutoring.accept_pairing(db.session, current_user, pairing, utcnow())
    db.session.commit()
    flash(_("%(name)s is now your mentor.", name=pairing.mentor.name), "success")
    return redirect(url_for(".index"))


@bp.post("/pairings/<int:pairing_id>/decline")
@login_required
def decline(pairing_id: int):
    pairing = _my_request_or_404(pairing_id)
    tutoring.decline_pairing(db.session, current_user, pairing)
    db.session.commit()
    flash(_("Declined."), "info")
    return redirect(url_for(".index"))


def _named_session_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    # Someone not named gets the same answer as for an id that does not exist.
    if activity is None or all(m.mentee_id != current_user.id for m in activity.mentees):
        abort(404)
    return activity


def _answered(message: str):
    flash(message, "success")
    return redirect(url_for(".index"))


def _refused(error: DomainError):
    db.session.rollback()
    flash(str(error.message), "danger")
    return redirect(url_for(".index"))


@bp.post("/sessions/<int:activity_id>/confirm")
@login_required
def confirm(activity_id: int):
    activity = _named_session_or_404(activity_id)
    if not ButtonForm().validate():
        abort(400)
    try:
        approved = tutoring.confirm_session(db.session, current_user, activity, utcnow())
        db.session.commit()
    except DomainError as error:
        return _refused(error)
    if approved:
        return _answered(_("Confirmed. Every mentee agreed, so the session was approved."))
    return _answered(_("Confirmed. Thank you."))


@bp.post("/sessions/<int:activity_id>/dispute")
@login_required
def dispute(activity_id: int):
    activity = _named_session_or_404(activity_id)
    form = DisputeForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput({"reason": _("Please give a reason.")})
        tutoring.dispute_session(db.session, current_user, activity, form.reason.data, utcnow())
        db.session.commit()
    except DomainError as error:
        return _refused(error)
    return _answered(_("Disputed. The committee sees your reason when reviewing."))
