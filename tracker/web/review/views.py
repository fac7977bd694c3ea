"""The committee's review queue: approve, reject, approve several, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.activities.queue import review_queue
from tracker.bounds import record_id
from tracker.clock import utcnow
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.extensions import db
from tracker.i18n import points_phrase
from tracker.ledger import points
from tracker.models import Activity, ActivityMentee, ActivityStatus
from tracker.people import access
from tracker.web.forms import ConfirmForm
from tracker.web.guards import allowed
from tracker.web.review.forms import ReasonForm

bp = Blueprint("review", __name__, url_prefix="/review")


def _branch_activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.branch_id != current_user.branch_id:
        abort(404)
    return activity


def _as_seen(activity: Activity) -> Activity:
    """Refuse to act on an activity that changed since the reviewer's page showed it.

    The page sends the activity's ``updated_at`` back as ``version`` (one per
    activity, ``version_<id>``, in the bulk form).
    """
    seen = request.form.get(f"version_{activity.id}") or request.form.get("version")
    if seen and seen != activity.updated_at.isoformat():
        raise Conflict(_("This activity was changed or reviewed by someone else meanwhile."))
    return activity


def _with_details(query):
    return query.options(
        selectinload(Activity.member),
        selectinload(Activity.category),
        selectinload(Activity.evidence),
        selectinload(Activity.mentees).selectinload(ActivityMentee.mentee),
    )


@bp.get("/")
@allowed(access.sits_on_a_committee)
def queue():
    pending = db.session.scalars(_with_details(review_queue(current_user))).all()
    estimates = {}
    for activity in pending:
        rule = points.rule_for(db.session, activity.category_id, activity.occurred_on)
        if rule is not None:
            estimates[activity.id] = points.estimate(
                db.session, activity.user_id, rule, activity.quantity, activity.occurred_on
            )
    return render_template(
        "review/queue.html",
        pending=pending,
        estimates=estimates,
        approve_form=ConfirmForm(),
        reject_form=ReasonForm(),
    )


@bp.get("/approved")
@allowed(access.sits_on_a_committee)
def approved():
    page = db.paginate(
        _with_details(
            select(Activity)
            .where(
                Activity.branch_id == current_user.branch_id,
                Activity.status == ActivityStatus.APPROVED,
            )
            .order_by(Activity.reviewed_at.desc(), Activity.id.desc())
        ),
        per_page=20,
        error_out=False,
    )
    booked = points.awarded_points(db.session, [a.id for a in page.items])
    return render_template(
        "review/approved.html", page=page, booked=booked, revoke_form=ReasonForm()
    )


def _after(message: str):
    flash(message, "success")
    return redirect(url_for(".queue"))


def _refused(error) -> None:
    db.session.rollback()
    flash(str(error.message), "danger")


@bp.post("/<int:activity_id>/approve")
@allowed(access.sits_on_a_committee)
def approve(activity_id: int):
    activity = _branch_activity_or_404(activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        entry = points.approve_activity(
            db.session,
            _as_seen(activity),
            current_user,
            utcnow(),
            reason=request.form.get("reason"),
        )
        db.session.commit()
    except (Conflict, Forbidden, InvalidInput) as error:
        _refused(error)
        return redirect(url_for(".queue"))
    return _after(
        _(
            "Approved: %(earned)s for %(name)s.",
            earned=points_phrase(entry.points),
            name=activity.member.name,
        )
    )


def _with_reason(activity: Activity, decide, back: str):
    """Run a decision that needs a reason; on refusal, say why and go back."""
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput({"reason": _("Please give a reason.")})
        decide(db.session, _as_seen(activity), current_user, form.reason.data, utcnow())
        db.session.commit()
    except (Conflict, Forbidden, InvalidInput) as error:
        _refused(error)
        return redirect(url_for(back))
    return None


@bp.post("/<int:activity_id>/reject")
@allowed(access.sits_on_a_committee)
def reject(activity_id: int):
    activity = _branch_activity_or_404(activity_id)
    refused = _with_reason(activity, points.reject_activity, ".queue")
    return refused or _after(
        _("Rejected. %(name)s can edit and resubmit it.", name=activity.member.name)
    )


@bp.post("/approve-selected")
@allowed(access.sits_on_a_committee)
def approve_selected():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Every id is checked before anything is approved: a foreign one refuses all.
    chosen = [_branch_activity_or_404(i) for i in request.form.getlist("ids", type=record_id)]
    approved, skipped = 0, 0
    for activity in chosen:
        try:
            # A disputed session needs its own reason: it is skipped here.
            points.approve_activity(db.session, _as_seen(activity), current_user, utcnow())
            db.session.commit()
            approved += 1
        except (Conflict, Forbidden, InvalidInput):
            db.session.rollback()
            skipped += 1
    if skipped:
        flash(
            ngettext(
                "%(num)d activity was skipped: already reviewed, changed, disputed, or your own.",
                "%(num)d activities were skipped: already reviewed, changed, disputed, or your own.",  # noqa: E501
                skipped,
            ),
            "warning",
        )
    return _after(ngettext("%(num)d activity approved.", "%(num)d activities approved.", approved))


@bp.post("/<int:activity_id>/revoke")
@allowed(access.sits_on_a_committee)
def revoke(activity_id: int):
    activity = _branch_activity_or_404(activity_id)
    refused = _with_reason(activity, points.revoke_approval, ".approved")
    if refused:
        return refused
    flash(_("The approval was revoked and its points reversed."), "success")
    return redirect(url_for(".approved"))
