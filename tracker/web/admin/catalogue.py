"""Administration of categories and their point-rule versions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.clock import campus_today, utcnow
from tracker.errors import InvalidInput
from tracker.extensions import db
from tracker.i18n import category_name
from tracker.ledger import categories
from tracker.ledger.points import rule_for
from tracker.models import Category, Unit
from tracker.web.admin.forms import NewCategoryForm, RuleForm
from tracker.web.admin.views import apply, bp, get_or_404
from tracker.web.confirm import ask_first
from tracker.web.forms import ConfirmForm, show_errors


def _terms(form: RuleForm) -> categories.RuleTerms:
    return categories.RuleTerms(
        per_quantity=form.per_quantity.data,
        points_per_unit=form.points_per_unit.data,
        min_quantity=form.min_quantity.data,
        max_quantity=form.max_quantity.data,
        daily_cap=form.daily_cap.data,
        weekly_cap=form.weekly_cap.data,
        evidence_required=form.evidence_required.data,
        auto_approve=form.auto_approve.data,
    )


@bp.get("/categories")
def categories_page():
    found = db.session.scalars(select(Category).order_by(Category.sort_order)).all()
    return render_template("admin/categories.html", categories=found, confirm_form=ConfirmForm())


@bp.route("/categories/new", methods=["GET", "POST"])
def new_category():
    form = NewCategoryForm(effective_from=campus_today())
    if form.validate_on_submit():
        try:
            category = categories.add_category(
                db.session,
                key=form.key.data,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                unit=Unit(form.unit.data),
                needs_start_time=form.needs_start_time.data,
                needs_location=form.needs_location.data,
                needs_reflection=form.needs_reflection.data,
                effective_from=form.effective_from.data,
                terms=_terms(form),
                actor=current_user,
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Category added."), "success")
            return redirect(url_for(".category", category_id=category.id))
    return render_template("admin/category_new.html", form=form), 422 if form.errors else 200


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category(category_id: int):
    found = get_or_404(Category, category_id)
    current = rule_for(db.session, found.id, campus_today())
    terms = {name: getattr(current, name) for name in categories.RuleTerms.__dataclass_fields__}
    form = RuleForm(data={**(terms if current else {}), "effective_from": campus_today()})
    if form.validate_on_submit():
        day = form.effective_from.data
        try:
            categories.add_rule_version(db.session, found, day, _terms(form), current_user)
            already = categories.awards_on_or_after(db.session, found, day)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("New rule version saved."), "success")
            if already:
                flash(
                    _(
                        "%(n)d activities from that date were awarded already; they keep the "
                        "points of the version they were approved with. This changes nothing "
                        "already awarded.",
                        n=already,
                    ),
                    "warning",
                )
            return redirect(url_for(".category", category_id=found.id))
    return render_template(
        "admin/category.html",
        category=found,
        versions=categories.rule_versions(db.session, found),
        current=current,
        form=form,
        confirm_form=ConfirmForm(),
    ), 422 if form.errors else 200


@bp.post("/categories/<int:category_id>/retire")
def retire_category(category_id: int):
    found = get_or_404(Category, category_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _(
            "%(name)s is retired: members can no longer log activities in it. Its activities "
            "and points stay.",
            name=category_name(found),
        ),
        cancel=url_for(".categories_page"),
    )
    if asked is not None:
        return asked
    return apply(
        lambda: categories.retire_category(db.session, found, current_user, utcnow()),
        _("Category retired. Its activities and points stay."),
        url_for(".categories_page"),
    )


@bp.post("/categories/<int:category_id>/approve-when-confirmed")
def approve_when_confirmed(category_id: int):
    found = get_or_404(Category, category_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    return apply(
        lambda: categories.set_approve_when_confirmed(db.session, found, enabled, current_user),
        _("Saved."),
        url_for(".category", category_id=found.id),
    )
