"""The committee's branch page: members, registrations, invitation code, adjustments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from tracker.clock import campus_today
from tracker.errors import DomainError, InvalidInput
from tracker.extensions import db
from tracker.i18n import category_name
from tracker.ledger import points
from tracker.models import AccountStatus, Category, PartyGroup, User
from tracker.people import access, accounts, groups, posts
from tracker.people.scope import Scope
from tracker.ranking.members import member_leaderboard
from tracker.ranking.source import default_period
from tracker.web.branch.forms import AdjustForm, GroupForm, PlaceForm, PostForm, RegistrationForm
from tracker.web.confirm import ask_first
from tracker.web.forms import ConfirmForm, show_errors
from tracker.web.guards import allowed
from tracker.web.links import external_url, qr_svg

bp = Blueprint("branch", __name__, url_prefix="/branch")


def _member_of_branch_or_404(user_id: int | None) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or user.branch_id != current_user.branch_id:
        abort(404)
    return user


def _adjust_form() -> AdjustForm:
    form = AdjustForm()
    categories = db.session.scalars(
        select(Category)
        .where(Category.retired_at.is_(None), Category.external.is_(False))
        .order_by(Category.sort_order)
    ).all()
    form.category_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(c.id, category_name(c)) for c in categories
    ]
    return form


def _page(adjust_form: AdjustForm | None = None):
    branch = current_user.branch
    period = default_period(db.session, campus_today())
    board = member_leaderboard(
        db.session,
        period,
        Scope("branch", branch.id),
        per_page=500,
    )
    pending = db.session.scalars(
        select(User)
        .where(User.branch_id == branch.id, User.status == AccountStatus.PENDING)
        .order_by(User.created_at)
    ).all()
    # A QR code to show at a branch meeting: it opens registration with the code filled in.
    register_url = external_url("auth.register", code=branch.invite_code)
    return render_template(
        "branch/index.html",
        branch=branch,
        board=board,
        period=period,
        pending=pending,
        adjust_form=adjust_form or _adjust_form(),
        registration_form=RegistrationForm(),
        rotate_form=ConfirmForm(),
        register_url=register_url,
        register_qr=qr_svg(register_url),
    )


@bp.get("/")
@allowed(access.sits_on_a_committee)
def index():
    return _page()


@bp.post("/registrations/<int:user_id>")
@allowed(access.sits_on_a_committee)
def registration(user_id: int):
    user = _member_of_branch_or_404(user_id)
    form = RegistrationForm()
    if not form.validate_on_submit() or form.decision.data not in ("confirm", "decline"):
        abort(400)
    if form.decision.data == "decline":
        asked = ask_first(
            _(
                "The registration of %(name)s is declined: the account cannot log in.",
                name=user.name,
            ),
            cancel=url_for(".index"),
        )
        if asked is not None:
            return asked
    try:
        if form.decision.data == "confirm":
            accounts.confirm_registration(db.session, user, current_user)
            message = _("%(name)s can now log in.", name=user.name)
        else:
            accounts.decline_registration(db.session, user, current_user)
            message = _("The registration of %(name)s was declined.", name=user.name)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(message, "success")
    return redirect(url_for(".index"))


@bp.post("/invite-code")
@allowed(access.sits_on_a_committee)
def rotate_invite():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _(
            "A new invitation code for %(name)s: the old one stops working for anyone who "
            "has not registered with it yet.",
            name=current_user.branch.name,
        ),
        cancel=url_for(".index"),
    )
    if asked is not None:
        return asked
    code = accounts.rotate_invite_code(db.session, current_user.branch, current_user)
    db.session.commit()
    flash(_("New invitation code: %(code)s. The old one no longer works.", code=code), "success")
    return redirect(url_for(".index"))


@bp.post("/adjustments")
@allowed(access.sits_on_a_committee)
def adjust():
    form = _adjust_form()
    if form.validate_on_submit():
        member = _member_of_branch_or_404(form.member_id.data)
        category = (
            db.session.get(Category, form.category_id.data) if form.category_id.data else None
        )
        try:
            points.adjust_points(
                db.session,
                member,
                current_user,
                form.points.data,
                form.reason.data,
                campus_today(),
                category,
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return redirect(url_for(".index"))
        else:
            flash(_("Adjustment booked for %(name)s.", name=member.name), "success")
            return redirect(url_for(".index"))
    return _page(form), 422


def _place_form() -> PlaceForm:
    form = PlaceForm()
    form.group_id.choices = [(0, _("No group"))] + [
        (g.id, g.name) for g in groups.groups_of(db.session, current_user.branch_id)
    ]
    return form


def _groups_page(group_form: GroupForm | None = None):
    members = db.session.scalars(
        select(User)
        .where(User.branch_id == current_user.branch_id, User.status == AccountStatus.ACTIVE)
        .order_by(User.student_no)
    ).all()
    return render_template(
        "branch/groups.html",
        groups=groups.groups_of(db.session, current_user.branch_id),
        members=members,
        group_of={m.id: groups.group_of(db.session, m.id) for m in members},
        group_form=group_form or GroupForm(),
        place_form=_place_form(),
        post_form=PostForm(),
        post_of=posts.posts_in(db.session, current_user.branch_id),
        usual_posts=posts.USUAL_POSTS,
    )


@bp.get("/groups")
@allowed(access.sits_on_a_committee)
def party_groups():
    return _groups_page()


@bp.post("/groups")
@allowed(access.sits_on_a_committee)
def create_group():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = groups.create_group(
                db.session, current_user, current_user.branch_id, form.name.data
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Party group %(name)s created.", name=group.name), "success")
            return redirect(url_for(".party_groups"))
    return _groups_page(form), 422


@bp.post("/groups/place")
@allowed(access.sits_on_a_committee)
def place_member():
    form = _place_form()
    if not form.validate_on_submit():
        abort(400)
    member = _member_of_branch_or_404(form.member_id.data)
    group = None
    if form.group_id.data:
        group = db.session.get(PartyGroup, form.group_id.data)
    groups.place_member(db.session, current_user, member, group)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".party_groups"))


@bp.post("/posts")
@allowed(access.sits_on_a_committee)
def set_post():
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    member = _member_of_branch_or_404(form.member_id.data)
    try:
        posts.set_post(db.session, current_user, member, form.committee_post.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for(".party_groups"))
