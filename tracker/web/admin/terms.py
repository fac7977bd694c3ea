"""Administration of terms (学期): list, add, change.

The rules (no overlaps, unique names, term totals rebuilt) live in ``terms``.
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import db
from tracker.ledger import terms
from tracker.models import Term
from tracker.web.admin.forms import TermForm
from tracker.web.admin.views import apply, bp, get_or_404


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
    return render_template("admin/term.html", term=found, form=form), status
