"""Administration of terms (学期): list, add, change, close and reopen, adjust in a term.

The rules (no overlaps, unique names, term totals rebuilt, nothing booked on
a closed term's days) live in ``terms`` and ``points``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.clock import campus_today, utcnow
from tracker.errors import DomainError, InvalidInput
from tracker.extensions import db
from tracker.ledger import points, terms
from tracker.models import Term, User
from tracker.people import access
from tracker.web.admin.forms import TermAdjustForm, TermForm
from tracker.web.admin.views import apply, bp, get_or_404
from tracker.web.confirm import ask_first
from tracker.web.forms import ConfirmForm, show_errors


def _terms_page(form: TermForm | None = None, status: int = 200):
    return render_template(
        "admin/terms.html", terms=terms.list_terms(db.session), form=form or TermForm()
    ), status


@bp.get("/terms")
def terms_page():
    return _terms_page()


@bp.post("/terms")
def create_term():
    form = TermForm()
    if form.validate_on_submit():
        done = apply(
            lambda: terms.create_term(
                db.session, form.name.data, form.first_day.data, form.last_day.data, current_user
            ),
            _("Term added. Term totals were rebuilt."),
            url_for(".terms_page"),
            form,
        )
        if done:
            return done
    return _terms_page(form, status=422)


def _term_page(term: Term, form: TermForm, adjust_form: TermAdjustForm | None = None, status=200):
    return render_template(
        "admin/term.html",
        term=term,
        form=form,
        close_form=ConfirmForm(),
        reopen_form=ConfirmForm(),
        adjust_form=adjust_form or TermAdjustForm(),
    ), status


@bp.route("/terms/<int:term_id>", methods=["GET", "POST"])
def term(term_id: int):
    found = get_or_404(Term, term_id)
    form = TermForm(obj=found)
    if form.validate_on_submit():
        done = apply(
            lambda: terms.change_term(
                db.session,
                found,
                form.name.data,
                form.first_day.data,
                form.last_day.data,
                current_user,
            ),
            _("Term changed. Term totals were rebuilt."),
            url_for(".terms_page"),
            form,
        )
        if done:
            return done
        status = 422
    else:
        status = 422 if form.is_submitted() else 200
    return _term_page(found, form, status=status)


@bp.post("/terms/<int:term_id>/close")
def close_term(term_id: int):
    found = get_or_404(Term, term_id)
    back = url_for(".term", term_id=found.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    asked = ask_first(
        _(
            "No points can be booked on the days of %(name)s until it is reopened: no award, "
            "event or committee adjustment.",
            name=found.name,
        ),
        button=_("Close the term"),
        cancel=back,
    )
    if asked is not None:
        return asked
    return apply(
        lambda: terms.close_term(db.session, found, utcnow(), current_user),
        _("Term closed: no points can be booked on its days."),
        back,
    )


@bp.post("/terms/<int:term_id>/reopen")
def reopen_term(term_id: int):
    found = get_or_404(Term, term_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return apply(
        lambda: terms.reopen_term(db.session, found, current_user),
        _("Term reopened: its days take bookings again."),
        url_for(".term", term_id=found.id),
    )


def _adjustment(term: Term, form: TermAdjustForm) -> User:
    """Book the administrator's adjustment on a day of the term, to a member found by number."""
    member = db.session.scalars(
        select(User).where(User.student_no == form.student_no.data.strip())
    ).first()
    if member is None or not access.is_branch_person(member):
        raise InvalidInput({"student_no": _("No member with this student number.")})
    day = form.day.data
    if not term.first_day <= day <= min(term.last_day, campus_today()):
        raise InvalidInput({"day": _("Choose a day of this term, not in the future.")})
    points.adjust_points(db.session, member, current_user, form.points.data, form.reason.data, day)
    return member


@bp.post("/terms/<int:term_id>/adjust")
def adjust_in_term(term_id: int):
    found = get_or_404(Term, term_id)
    form = TermAdjustForm()
    if form.validate_on_submit():
        back = url_for(".term", term_id=found.id)
        try:
            member = _adjustment(found, form)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return redirect(back)
        else:
            flash(_("Adjustment booked for %(name)s.", name=member.name), "success")
            return redirect(back)
    return _term_page(found, TermForm(obj=found), form, status=422)
