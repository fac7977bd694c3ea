"""Logging activities and following them: new, mine, detail, edit, withdraw, evidence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from tracker import limits, storage
from tracker.activities import evidence, lifecycle, tutoring
from tracker.activities.flags import review_flags
from tracker.clock import campus_today, utcnow
from tracker.errors import InvalidInput
from tracker.extensions import db
from tracker.i18n import format_points
from tracker.ledger import estimates, points
from tracker.models import Activity, ActivityStatus, Category, Evidence, LedgerEntry
from tracker.people import access
from tracker.people.access import can_read_activity
from tracker.settings import setting
from tracker.web import stored_files
from tracker.web.activities.forms import activity_form_for, form_values
from tracker.web.confirm import ask_first
from tracker.web.forms import show_errors

bp = Blueprint("activities", __name__, url_prefix="/activities")


def _category_or_404(key: str) -> Category:
    category = db.session.scalars(
        select(Category).where(
            Category.key == key, Category.retired_at.is_(None), Category.external.is_(False)
        )
    ).first()
    if category is None:
        abort(404)
    return category


def _readable_activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or not can_read_activity(db.session, current_user, activity):
        abort(404)
    return activity


def _prepared_files() -> list[evidence.PreparedFile]:
    limit = current_app.config["TRACKER_UPLOAD_LIMIT_MB"] * 1024 * 1024
    files = [f for f in request.files.getlist("evidence") if f and f.filename]
    if len(files) > evidence.MAX_FILES:
        raise InvalidInput(
            {"evidence": _("At most %(n)d files per activity.", n=evidence.MAX_FILES)}
        )
    return [evidence.prepare_evidence(f.filename, f.read(limit + 1), limit) for f in files]


def _settings() -> dict:
    return {
        "today": campus_today(),
        "now": utcnow(),
        "backdate_days": setting("TRACKER_BACKDATE_DAYS"),
        "storage": storage.of(current_app),
    }


@bp.get("/new")
@login_required
def choose():
    if not access.logs_activities(current_user):
        abort(403)
    categories = db.session.scalars(
        select(Category)
        .where(Category.retired_at.is_(None), Category.external.is_(False))
        .order_by(Category.sort_order)
    ).all()
    today = campus_today()
    versions = estimates.rule_versions(db.session, {c.id for c in categories})
    rules = {c.id: estimates.in_force(versions, c.id, today) for c in categories}
    return render_template("activities/choose.html", categories=categories, rules=rules)


def _mentees_to_offer(category: Category) -> list:
    """A 1+N session names the mentor's accepted mentees: the form offers them to tick."""
    if not category.needs_mentees:
        return []
    return tutoring.accepted_mentees(db.session, current_user.id)


@bp.route("/new/<key>", methods=["GET", "POST"])
@login_required
@limits.uploads
def new(key: str):
    if not access.logs_activities(current_user):
        abort(403)
    category = _category_or_404(key)
    form = activity_form_for(
        category, occurred_on=campus_today(), offered_mentees=_mentees_to_offer(category)
    )
    if form.validate_on_submit():
        try:
            activity = lifecycle.submit_activity(
                db.session,
                current_user,
                category,
                form.to_input(),
                files=_prepared_files(),
                submission_key=form.submission_key.data,
                **_settings(),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except lifecycle.DuplicateSubmission as duplicate:
            flash(_("This activity was already submitted once; it was not booked twice."), "info")
            return redirect(
                url_for(".detail", activity_id=duplicate.activity_id)
                if duplicate.activity_id
                else url_for(".mine")
            )
        else:
            db.session.commit()
            flash(
                _("Submitted. Your branch committee will review it.")
                if activity.status == ActivityStatus.PENDING
                else _("Recorded and approved."),
                "success",
            )
            return redirect(url_for(".detail", activity_id=activity.id))
    rule = estimates.rule_for(db.session, category.id, campus_today())
    return render_template(
        "activities/form.html", form=form, category=category, rule=rule, activity=None
    )


@bp.get("/estimate")
@login_required
def estimate():
    """The points an activity would earn now, for the form's live preview."""
    category = _category_or_404(request.args.get("category", ""))
    try:
        quantity = Decimal(request.args.get("quantity", ""))
        day = date.fromisoformat(request.args.get("occurred_on", ""))
    except (InvalidOperation, ValueError):
        return jsonify(error=_("Give a date and an amount.")), 400
    rule = estimates.rule_for(db.session, category.id, day)
    if rule is None or not quantity.is_finite() or quantity <= 0:
        return jsonify(error=_("No points for this.")), 400
    quantity = min(quantity, rule.max_quantity)
    result = estimates.estimate(db.session, current_user.id, rule, quantity, day)
    return jsonify(
        points=format_points(result.points),
        uncapped=format_points(result.uncapped),
        capped=result.capped,
    )


@bp.get("/")
@login_required
def mine():
    status = request.args.get("status")
    query = select(Activity).where(Activity.user_id == current_user.id)
    if status in set(ActivityStatus):
        query = query.where(Activity.status == status)
    page = db.paginate(
        query.order_by(Activity.occurred_on.desc(), Activity.id.desc()),
        per_page=20,
        error_out=False,
    )
    booked = points.awarded_points(db.session, [a.id for a in page.items])
    return render_template(
        "activities/mine.html",
        page=page,
        booked=booked,
        status=status,
        statuses=list(ActivityStatus),
    )


@bp.get("/<int:activity_id>")
@login_required
def detail(activity_id: int):
    activity = _readable_activity_or_404(activity_id)
    ledger = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.activity_id == activity.id).order_by(LedgerEntry.id)
    ).all()
    estimate_now = None
    if activity.status == ActivityStatus.PENDING:
        rule = estimates.rule_for(db.session, activity.category_id, activity.occurred_on)
        if rule is not None:
            estimate_now = estimates.estimate(
                db.session, activity.user_id, rule, activity.quantity, activity.occurred_on
            )
    return render_template(
        "activities/detail.html",
        activity=activity,
        ledger=ledger,
        estimate=estimate_now,
        can_review=access.may_review(current_user, activity),
        flags=(
            review_flags(db.session, [activity])[activity.id]
            if access.may_see_review_flags(current_user, activity)
            else []
        ),
    )


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
@limits.uploads
def edit(activity_id: int):
    activity = _readable_activity_or_404(activity_id)
    if activity.user_id != current_user.id:
        abort(403)
    if not activity.editable:
        flash(_("Only pending or rejected activities can be changed."), "warning")
        return redirect(url_for(".detail", activity_id=activity.id))
    form = activity_form_for(
        activity.category,
        editing=True,
        offered_mentees=_mentees_to_offer(activity.category),
        **form_values(activity),
    )
    form.remove_evidence.choices = [SelectChoice(e.id, e.original_name) for e in activity.evidence]
    if form.validate_on_submit():
        try:
            lifecycle.update_activity(
                db.session,
                current_user,
                activity,
                form.to_input(),
                files=_prepared_files(),
                remove_ids=form.remove_evidence.data or [],
                **_settings(),
            )
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved. The activity waits for review again."), "success")
            return redirect(url_for(".detail", activity_id=activity.id))
    return render_template(
        "activities/form.html",
        form=form,
        category=activity.category,
        rule=estimates.rule_for(db.session, activity.category_id, activity.occurred_on),
        activity=activity,
    )


@bp.post("/<int:activity_id>/withdraw")
@login_required
def withdraw(activity_id: int):
    activity = _readable_activity_or_404(activity_id)
    if access.may_change_activity(current_user, activity) and activity.editable:
        asked = ask_first(
            _(
                "“%(title)s” is withdrawn: it leaves the review queue and earns no points.",
                title=activity.title,
            ),
            cancel=url_for(".detail", activity_id=activity.id),
        )
        if asked is not None:
            return asked
    lifecycle.withdraw_activity(db.session, current_user, activity, utcnow())
    db.session.commit()
    flash(_("The activity was withdrawn."), "info")
    return redirect(url_for(".mine"))


@bp.get("/evidence/<int:evidence_id>", endpoint="evidence")
@login_required
def evidence_file(evidence_id: int):
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        abort(404)
    _readable_activity_or_404(item.activity_id)
    return stored_files.serve(
        item.stored_name, item.content_type, item.original_name, inline=item.is_image
    )
