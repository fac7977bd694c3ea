"""The committee's review queue: approve, reject, approve several, revoke."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.activities.flags import review_flags
from tracker.activities.queue import attendance_to_confirm, bulk_holds, review_queue
from tracker.clock import utcnow
from tracker.errors import Conflict, DomainError, InvalidInput, PreconditionRequired
from tracker.extensions import db
from tracker.i18n import points_phrase
from tracker.ledger import estimates, points, versions
from tracker.limits import record_id
from tracker.models import Activity, ActivityMentee, ActivityStatus
from tracker.people import access
from tracker.web.confirm import ask_first
from tracker.web.forms import ConfirmForm
from tracker.web.guards import allowed
from tracker.web.review.forms import ReasonForm

bp = Blueprint("review", __name__, url_prefix="/review")
VERSION = re.compile(r"[0-9]{1,9}")


def _branch_activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.branch_id != current_user.branch_id:
        abort(404)
    return activity


def _seen(activity: Activity, *, required: bool = True) -> int | None:
    """The version of the activity the reviewer's page showed.

    The page sends it as ``version`` (``version_<id>`` for each activity in
    the bulk form); the domain refuses a decision on any other version.
    """
    raw = request.form.get(f"version_{activity.id}") or request.form.get("version")
    if not raw and not required:
        return None
    if not raw or not VERSION.fullmatch(raw):
        raise PreconditionRequired(
            _("Reload the page: it did not say which version of the activity you saw.")
        )
    return int(raw)


def _with_details(query):
    return query.options(
        selectinload(Activity.member),
        selectinload(Activity.category),
        selectinload(Activity.evidence),
        selectinload(Activity.mentees).selectinload(ActivityMentee.mentee),
    )


def _queue_page(status: int = 200):
    pending = db.session.scalars(_with_details(review_queue(current_user))).all()
    rules = estimates.rule_versions(db.session, {a.category_id for a in pending})
    flags = review_flags(db.session, pending)
    page = render_template(
        "review/queue.html",
        pending=pending,
        estimates=estimates.estimates_for(db.session, pending, rules),
        flags=flags,
        holds=bulk_holds(db.session, pending, flags, rules),
        confirmations=attendance_to_confirm(db.session, pending),
        approve_form=ConfirmForm(),
        reject_form=ReasonForm(),
    )
    return page, status


@bp.get("/")
@allowed(access.sits_on_a_committee)
def queue():
    return _queue_page()


def _approved_page(status: int = 200):
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
    html = render_template(
        "review/approved.html", page=page, booked=booked, revoke_form=ReasonForm()
    )
    return html, status


@bp.get("/approved")
@allowed(access.sits_on_a_committee)
def approved():
    return _approved_page()


def _after(message: str):
    flash(message, "success")
    return redirect(url_for(".queue"))


def _refused(error: DomainError, page):
    """Say why, over the page as it is now (the new version included), with the error's status."""
    db.session.rollback()
    flash(str(error.message), "danger")
    return page(error.status)


@bp.post("/<int:activity_id>/approve")
@allowed(access.sits_on_a_committee)
def approve(activity_id: int):
    activity = _branch_activity_or_404(activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        entry = points.approve_activity(
            db.session,
            activity,
            current_user,
            utcnow(),
            reason=request.form.get("reason"),
            seen=_seen(activity),
        )
        # Worded before the commit expires the rows it names: reading them again after
        # would cost the approval three more round trips.
        message = _(
            "Approved: %(earned)s for %(name)s.",
            earned=points_phrase(entry.points),
            name=activity.member.name,
        )
        db.session.commit()
    except DomainError as error:
        return _refused(error, _queue_page)
    return _after(message)


def _with_reason(activity: Activity, decide, page, *, required: bool = True):
    """Run a decision that needs a reason; on refusal, say why over ``page``."""
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput({"reason": _("Please give a reason.")})
        seen = _seen(activity, required=required)
        decide(db.session, activity, current_user, form.reason.data, utcnow(), seen=seen)
        db.session.commit()
    except DomainError as error:
        return _refused(error, page)
    return None


@bp.post("/<int:activity_id>/reject")
@allowed(access.sits_on_a_committee)
def reject(activity_id: int):
    activity = _branch_activity_or_404(activity_id)
    refused = _with_reason(activity, points.reject_activity, _queue_page)
    return refused or _after(
        _("Rejected. %(name)s can edit and resubmit it.", name=activity.member.name)
    )


# How many skipped activities a bulk approval names, one message each (the
# messages travel in the session cookie, which holds about 4 KB).
LISTED_SKIPS = 5
LISTED_TITLE = 40


def _approve_plain(activity: Activity, hold: str | None) -> None:
    """Approve one activity of a bulk approval, unless it needs a decision of its own
    (``hold``, from ``bulk_holds``), once it is known to be current."""
    seen = _seen(activity)
    points.ensure_reviewer(current_user, activity)
    versions.ensure_current(activity, ActivityStatus.PENDING, seen)
    if hold is not None:
        raise Conflict(hold)
    points.approve_activity(db.session, activity, current_user, utcnow(), seen=seen)


def _report(approved: int, skipped: list[tuple[str, str]]) -> None:
    if approved:
        flash(
            ngettext("%(num)d activity approved.", "%(num)d activities approved.", approved),
            "success",
        )
    else:
        flash(_("No activity was approved."), "warning")
    if skipped:
        flash(
            ngettext(
                "%(num)d activity was skipped and is still in the queue:",
                "%(num)d activities were skipped and are still in the queue:",
                len(skipped),
            ),
            "warning",
        )
    for title, reason in skipped[:LISTED_SKIPS]:
        short = title if len(title) <= LISTED_TITLE else title[: LISTED_TITLE - 1] + "…"
        flash(_("Skipped “%(title)s”: %(reason)s", title=short, reason=reason), "warning")
    more = len(skipped) - LISTED_SKIPS
    if more > 0:
        flash(
            ngettext(
                "%(num)d more activity was skipped; it is still in the queue.",
                "%(num)d more activities were skipped; they are still in the queue.",
                more,
            ),
            "warning",
        )


@bp.post("/approve-selected")
@allowed(access.sits_on_a_committee)
def approve_selected():
    """Approve the plain cases at once; say which were skipped, and why."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Every id is checked before anything is approved: a foreign one refuses all.
    chosen = [_branch_activity_or_404(i) for i in request.form.getlist("ids", type=record_id)]
    if not chosen:
        flash(_("Choose at least one activity to approve."), "warning")
        return redirect(url_for(".queue"))
    rules = estimates.rule_versions(db.session, {a.category_id for a in chosen})
    holds = bulk_holds(db.session, chosen, review_flags(db.session, chosen), rules)
    approved, skipped = 0, []
    for activity in chosen:
        title = activity.title
        try:
            _approve_plain(activity, holds.get(activity.id))
            db.session.commit()
            approved += 1
        except DomainError as error:
            db.session.rollback()
            skipped.append((title, str(error.message)))
    _report(approved, skipped)
    return redirect(url_for(".queue"))


@bp.post("/<int:activity_id>/revoke")
@allowed(access.sits_on_a_committee)
def revoke(activity_id: int):
    activity = _branch_activity_or_404(activity_id)
    # The question comes once the reason is given; a refusal (already revoked) needs none.
    if ReasonForm().validate_on_submit() and activity.status == ActivityStatus.APPROVED:
        asked = ask_first(
            _(
                "The approval of “%(title)s” by %(name)s is revoked and its points are "
                "reversed in the ledger.",
                title=activity.title,
                name=activity.member.name,
            ),
            cancel=url_for(".approved"),
        )
        if asked is not None:
            return asked
    # An approved activity changes only by being revoked: its version is checked when sent.
    refused = _with_reason(activity, points.revoke_approval, _approved_page, required=False)
    if refused:
        return refused
    flash(_("The approval was revoked and its points reversed."), "success")
    return redirect(url_for(".approved"))
