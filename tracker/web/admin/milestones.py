"""Administration of milestones: list, add, retire. The rules live in ``ledger.milestones``."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from tracker.clock import utcnow
from tracker.extensions import db
from tracker.i18n import MILESTONE_PERIOD_LABELS, category_name
from tracker.ledger import milestones
from tracker.models import Category, Milestone
from tracker.web.admin.forms import MilestoneForm
from tracker.web.admin.views import apply, bp, get_or_404
from tracker.web.forms import ConfirmForm


def _form() -> MilestoneForm:
    form = MilestoneForm()
    categories = db.session.scalars(
        select(Category).where(Category.retired_at.is_(None)).order_by(Category.sort_order)
    ).all()
    form.category_id.choices = [SelectChoice(0, _("All points"))] + [
        SelectChoice(c.id, category_name(c)) for c in categories
    ]
    form.period_kind.choices = [
        SelectChoice(kind, label) for kind, label in MILESTONE_PERIOD_LABELS.items()
    ]
    return form


def _page(form: MilestoneForm | None = None, status: int = 200):
    listed = db.session.scalars(
        select(Milestone).order_by(Milestone.retired_at.is_not(None), Milestone.id)
    ).all()
    return render_template(
        "admin/milestones.html", milestones=listed, form=form or _form(), retire_form=ConfirmForm()
    ), status


@bp.get("/milestones")
def milestones_page():
    return _page()


@bp.post("/milestones")
def create_milestone():
    form = _form()
    if form.validate_on_submit():
        done = apply(
            lambda: milestones.define(
                db.session,
                current_user,
                name=form.name.data,
                threshold=form.threshold.data,
                category_id=form.category_id.data or None,
                period_kind=form.period_kind.data,
            ),
            _("Milestone added."),
            url_for(".milestones_page"),
            form,
        )
        if done:
            return done
    return _page(form, status=422)


@bp.post("/milestones/<int:milestone_id>/retire")
def retire_milestone(milestone_id: int):
    milestone = get_or_404(Milestone, milestone_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    done = apply(
        lambda: milestones.retire(db.session, current_user, milestone, utcnow()),
        _("Milestone retired."),
        url_for(".milestones_page"),
    )
    return done or redirect(url_for(".milestones_page"))
