"""Administration of accounts: search, create, edit, roles, moves, advisors."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker import storage
from tracker.activities import evidence
from tracker.clock import campus_today, utcnow
from tracker.errors import DomainError, InvalidInput
from tracker.extensions import db
from tracker.limits import MAX_ID, MAX_PAGE, bounded_int
from tracker.models import AdvisorScope, Branch, College, Membership, Role, Stage, User
from tracker.people import access, accounts, activation, organisation, personal_data, posts
from tracker.web.admin.forms import MoveForm, ProfileForm, RoleForm, ScopeForm, UserForm
from tracker.web.admin.sudo import password_step
from tracker.web.admin.views import apply, bp, branch_choices, get_or_404
from tracker.web.confirm import ask_first
from tracker.web.filters import query_id
from tracker.web.forms import ConfirmForm, show_errors
from tracker.web.links import external_url


def _stage(value: str | None) -> Stage | None:
    return Stage(value) if value else None


@bp.get("/users")
def users():
    query = request.args.get("q", "")
    if len(query) > 64:
        abort(400)
    page = query_id(request.args, "page", MAX_PAGE) or 1
    found = db.paginate(organisation.user_search(query), page=page, per_page=50, error_out=False)
    return render_template("admin/users.html", page=found, query=query)


def _user_form(form: UserForm | None = None) -> UserForm:
    form = form or UserForm()
    form.branch_id.choices = branch_choices(include_none=True)
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@password_step
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            role = Role(form.role.data)
            branch = (
                organisation.active_branch(db.session, form.branch_id.data)
                if role in access.BRANCH_ROLES
                else None
            )
            user = accounts.create_user(
                db.session,
                student_no=form.student_no.data,
                name=form.name.data,
                role=role,
                branch=branch,
                email=form.email.data,
                stage=_stage(form.stage.data),
                joined_on=campus_today(),
                actor=current_user,
            )
            token = activation.issue_token(
                db.session, user, utcnow(), current_app.config["TRACKER_ACTIVATION_DAYS"]
            )
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            return render_template(
                "admin/activation_links.html",
                links=[(user, external_url("auth.activate", token=token))],
            )
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


def _user_page(user: User, **forms):
    role_form = forms.get("role_form") or RoleForm(role=user.role.value)
    role_form.branch_id.choices = branch_choices(include_none=True)
    move_form = forms.get("move_form") or MoveForm(from_day=campus_today())
    move_form.branch_id.choices = [c for c in branch_choices() if c[0] != user.branch_id]
    scope_form = ScopeForm()
    scope_form.target.choices = [
        (f"college:{c.id}", c.name)
        for c in db.session.scalars(
            select(College).where(College.archived_at.is_(None)).order_by(College.name)
        )
    ] + [(f"branch:{i}", label) for i, label in branch_choices()]
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.start_on)
    ).all()
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render_template(
        "admin/user.html",
        user=user,
        profile_form=forms.get("profile_form")
        or ProfileForm(
            name=user.name,
            email=user.email,
            stage=user.stage.value if user.stage else "",
            stage_since=user.stage_since,
            committee_post=posts.posts_in(db.session, user.branch_id).get(user.id)
            if user.branch_id
            else None,
        ),
        role_form=role_form,
        move_form=move_form,
        scope_form=scope_form,
        confirm_form=ConfirmForm(),
        memberships=memberships,
        usual_posts=posts.USUAL_POSTS,
    ), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(get_or_404(User, user_id))


@bp.post("/users/<int:user_id>/profile")
def edit_user(user_id: int):
    user = get_or_404(User, user_id)
    form = ProfileForm()
    if form.validate_on_submit():

        def edit():
            organisation.edit_profile(
                db.session,
                user,
                name=form.name.data,
                email=form.email.data,
                stage=_stage(form.stage.data),
                stage_since=form.stage_since.data,
                actor=current_user,
                today=campus_today(),
            )
            if posts.current_membership(db.session, user) is not None:
                posts.set_post(db.session, current_user, user, form.committee_post.data)

        done = apply(
            edit,
            _("Saved."),
            url_for(".user", user_id=user.id),
            form,
        )
        if done:
            return done
    return _user_page(user, profile_form=form)


@bp.post("/users/<int:user_id>/role")
@password_step
def set_role(user_id: int):
    user = get_or_404(User, user_id)
    form = RoleForm()
    form.branch_id.choices = []
    if form.validate_on_submit():
        branch = db.session.get(Branch, form.branch_id.data) if form.branch_id.data else None
        done = apply(
            lambda: organisation.set_role(
                db.session, user, Role(form.role.data), current_user, campus_today(), branch
            ),
            _("Role changed."),
            url_for(".user", user_id=user.id),
            form,
        )
        if done:
            return done
    return _user_page(user, role_form=form)


@bp.post("/users/<int:user_id>/move")
def move_user(user_id: int):
    user = get_or_404(User, user_id)
    form = MoveForm()
    form.branch_id.choices = []
    if form.validate_on_submit():

        def move():
            branch = organisation.active_branch(db.session, form.branch_id.data)
            organisation.move_member(
                db.session, user, branch, form.from_day.data, current_user, campus_today()
            )

        done = apply(move, _("Moved."), url_for(".user", user_id=user.id), form)
        if done:
            return done
    return _user_page(user, move_form=form)


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    user = get_or_404(User, user_id)
    _confirmed()
    asked = ask_first(
        _(
            "%(name)s can no longer log in, their sessions end and their API tokens stop "
            "working. You can reactivate the account later.",
            name=user.name,
        ),
        cancel=url_for(".user", user_id=user.id),
    )
    if asked is not None:
        return asked
    return apply(
        lambda: organisation.deactivate(db.session, user, current_user),
        _("Account deactivated; its sessions have ended."),
        url_for(".user", user_id=user.id),
    )


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    user = get_or_404(User, user_id)
    _confirmed()
    return apply(
        lambda: organisation.reactivate(db.session, user, current_user),
        _("Account active again."),
        url_for(".user", user_id=user.id),
    )


@bp.post("/users/<int:user_id>/password")
@password_step
def reset_password(user_id: int):
    user = get_or_404(User, user_id)
    _confirmed()
    asked = ask_first(
        _(
            "%(name)s gets a temporary password for you to hand over: the old password stops "
            "working, their sessions end and their API tokens are revoked.",
            name=user.name,
        ),
        cancel=url_for(".user", user_id=user.id),
    )
    if asked is not None:
        return asked
    temporary = organisation.reset_password(
        db.session,
        user,
        current_user,
        now=utcnow(),
        lifetime_hours=current_app.config["TRACKER_TEMP_PASSWORD_HOURS"],
    )
    db.session.commit()
    return render_template("admin/password_reset.html", user=user, temporary=temporary)


@bp.post("/users/<int:user_id>/activation")
def new_activation_link(user_id: int):
    user = get_or_404(User, user_id)
    _confirmed()
    asked = ask_first(
        _(
            "A new activation link for %(name)s: links given out before stop working.",
            name=user.name,
        ),
        cancel=url_for(".user", user_id=user.id),
    )
    if asked is not None:
        return asked
    token = activation.issue_token(
        db.session, user, utcnow(), current_app.config["TRACKER_ACTIVATION_DAYS"]
    )
    db.session.commit()
    return render_template(
        "admin/activation_links.html",
        links=[(user, external_url("auth.activate", token=token))],
    )


@bp.post("/users/<int:user_id>/scopes")
@password_step
def add_scope(user_id: int):
    user = get_or_404(User, user_id)
    form = ScopeForm()
    form.target.choices = []
    if not form.validate_on_submit():
        abort(400)
    kind, _sep, raw_id = (form.target.data or "").partition(":")
    model = {"college": College, "branch": Branch}.get(kind)
    target_id = bounded_int(raw_id, 1, MAX_ID)
    target = db.session.get(model, target_id) if model and target_id else None
    if target is None:
        abort(404)
    if target.archived_at is not None:
        flash(_("This branch or college is archived."), "danger")
        return redirect(url_for(".user", user_id=user.id))
    return apply(
        lambda: organisation.add_scope(db.session, user, current_user, **{kind: target}),
        _("Scope added."),
        url_for(".user", user_id=user.id),
    )


@bp.post("/users/<int:user_id>/scopes/<int:scope_id>/remove")
@password_step
def remove_scope(user_id: int, scope_id: int):
    scope = get_or_404(AdvisorScope, scope_id)
    if scope.user_id != user_id:
        abort(404)
    _confirmed()
    place = scope.branch or scope.college
    asked = ask_first(
        _(
            "%(name)s no longer sees %(place)s as an advisor.",
            name=get_or_404(User, user_id).name,
            place=place.name if place else "",
        ),
        cancel=url_for(".user", user_id=user_id),
    )
    if asked is not None:
        return asked
    return apply(
        lambda: organisation.remove_scope(db.session, scope, current_user),
        _("Scope removed."),
        url_for(".user", user_id=user_id),
    )


@bp.post("/users/<int:user_id>/anonymise")
def anonymise_user(user_id: int):
    user = get_or_404(User, user_id)
    _confirmed()
    asked = ask_first(
        _(
            "%(name)s's name, student number and e-mail are replaced, their reflections, "
            "places and evidence files deleted and the account closed. Their points stay in "
            "the ledger. This cannot be undone.",
            name=user.name,
        ),
        cancel=url_for(".user", user_id=user.id),
    )
    if asked is not None:
        return asked
    try:
        files = personal_data.anonymise(db.session, user, current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        evidence.remove(storage.of(current_app), files)
        flash(_("The member was anonymised; their points stay in the ledger."), "success")
    return redirect(url_for(".user", user_id=user.id))
