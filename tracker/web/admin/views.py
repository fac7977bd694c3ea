"""Administration: colleges and branches (more pages in the sibling modules)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.clock import utcnow
from tracker.errors import DomainError, InvalidInput
from tracker.extensions import db, login_manager
from tracker.models import Branch, College
from tracker.people import access, colleges
from tracker.web.admin.forms import BranchForm, NameForm
from tracker.web.confirm import ask_first
from tracker.web.forms import ConfirmForm, show_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not access.is_admin(current_user):
        abort(403)
    return None


def get_or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def apply(change, success: str, back: str, form=None):
    """Run one domain change, commit it, and go back; a refusal is flashed.

    With ``form`` given, field errors are shown on it and None is returned so
    the caller can render the page again with them.
    """
    try:
        change()
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        if form is not None:
            show_errors(form, error)
            return None
        flash(str(error.message), "danger")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(success, "success")
    return redirect(back)


def branch_choices(include_none: bool = False) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Branch.id, College.name, Branch.name)
        .join(College)
        .where(Branch.archived_at.is_(None))
        .order_by(College.name, Branch.name)
    )
    choices = [(i, f"{college} · {name}") for i, college, name in rows]
    return ([(0, "—")] if include_none else []) + choices


@bp.get("/")
def index():
    return render_template("admin/index.html")


def _organisation_page(college_form=None, branch_form=None, status=200):
    all_colleges = db.session.scalars(select(College).order_by(College.name)).all()
    branch_form = branch_form or BranchForm()
    branch_form.college_id.choices = [(c.id, c.name) for c in all_colleges if c.archived_at is None]
    counts = colleges.current_member_counts(db.session)
    return render_template(
        "admin/organisation.html",
        colleges=all_colleges,
        counts=counts,
        college_form=college_form or NameForm(),
        branch_form=branch_form,
        rename_form=NameForm(),
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/organisation")
def organisation_page():
    return _organisation_page()


@bp.post("/colleges")
def create_college():
    form = NameForm()
    if form.validate_on_submit():
        done = apply(
            lambda: colleges.create_college(db.session, form.name.data, current_user),
            _("College added."),
            url_for(".organisation_page"),
            form,
        )
        if done:
            return done
    return _organisation_page(college_form=form, status=422)


@bp.post("/colleges/<int:college_id>/rename")
def rename_college(college_id: int):
    college = get_or_404(College, college_id)
    form = NameForm()
    if not form.validate_on_submit():
        flash(_("A name of 1 to %(n)d characters is required.", n=100), "danger")
        return redirect(url_for(".organisation_page"))
    return apply(
        lambda: colleges.rename_college(db.session, college, form.name.data, current_user),
        _("Renamed."),
        url_for(".organisation_page"),
    )


@bp.post("/colleges/<int:college_id>/archive")
def archive_college(college_id: int):
    college = get_or_404(College, college_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _(
            "%(name)s is archived: its history stays, but it no longer appears in current "
            "rankings or choices.",
            name=college.name,
        ),
        cancel=url_for(".organisation_page"),
    )
    if asked is not None:
        return asked
    return apply(
        lambda: colleges.archive_college(db.session, college, current_user, utcnow()),
        _("College archived."),
        url_for(".organisation_page"),
    )


@bp.post("/branches")
def create_branch():
    form = BranchForm()
    form.college_id.choices = []
    if form.validate_on_submit():
        college = db.session.get(College, form.college_id.data)
        if college is None:
            form.college_id.errors.append(_("Choose a college."))
        else:
            done = apply(
                lambda: colleges.create_branch(db.session, college, form.name.data, current_user),
                _("Branch added."),
                url_for(".organisation_page"),
                form,
            )
            if done:
                return done
    return _organisation_page(branch_form=form, status=422)


@bp.post("/branches/<int:branch_id>/rename")
def rename_branch(branch_id: int):
    branch = get_or_404(Branch, branch_id)
    form = NameForm()
    if not form.validate_on_submit():
        flash(_("A name of 1 to %(n)d characters is required.", n=100), "danger")
        return redirect(url_for(".organisation_page"))
    return apply(
        lambda: colleges.rename_branch(db.session, branch, form.name.data, current_user),
        _("Renamed."),
        url_for(".organisation_page"),
    )


@bp.post("/branches/<int:branch_id>/archive")
def archive_branch(branch_id: int):
    branch = get_or_404(Branch, branch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _(
            "%(name)s is archived: its history stays, but it no longer appears in current "
            "rankings or choices.",
            name=branch.name,
        ),
        cancel=url_for(".organisation_page"),
    )
    if asked is not None:
        return asked
    return apply(
        lambda: colleges.archive_branch(db.session, branch, current_user, utcnow()),
        _("Branch archived. Its history stays; it no longer appears in current rankings."),
        url_for(".organisation_page"),
    )


@bp.post("/branches/<int:branch_id>/invite-code")
def rotate_code(branch_id: int):
    branch = get_or_404(Branch, branch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _(
            "A new invitation code for %(name)s: the old one stops working for anyone who "
            "has not registered with it yet.",
            name=branch.name,
        ),
        cancel=url_for(".organisation_page"),
    )
    if asked is not None:
        return asked
    return apply(
        lambda: colleges.rotate_branch_code(db.session, branch, current_user),
        _("New invitation code made. The old one no longer works."),
        url_for(".organisation_page"),
    )


from tracker.web.admin import catalogue, imports, milestones, people, runtime, sudo, terms  # noqa: E402,F401  (routes join this blueprint)
