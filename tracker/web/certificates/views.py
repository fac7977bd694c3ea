"""Points certificates (积分证明): issued by the member or their committee as a PDF with a
QR code, and checked by anyone at /verify/<code> (no login)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import Optional

from tracker import pdfdocs
from tracker.clock import campus_today, utcnow
from tracker.errors import InvalidInput
from tracker.extensions import db, limiter
from tracker.i18n import current_locale_name, format_points
from tracker.ledger import terms
from tracker.limits import record_id
from tracker.models import Certificate, User
from tracker.people import access
from tracker.periods import Period, period_start
from tracker.ranking import certificates
from tracker.ranking.source import resolve_period
from tracker.web.downloads import no_font_answer, pdf_font, pdf_response
from tracker.web.forms import DayField, show_errors
from tracker.web.links import external_url

bp = Blueprint("certificates", __name__)


class CertificateForm(FlaskForm):
    period = SelectField(
        _l("Period"),
        choices=[
            SelectChoice("term", _l("A term")),
            SelectChoice("custom", _l("From one day to another")),
        ],
    )
    term = SelectField(_l("Term"), coerce=record_id, validate_choice=False)
    first_day = DayField(_l("First day"), validators=[Optional()])
    last_day = DayField(_l("Last day"), validators=[Optional()])
    submit = SubmitField(_l("Issue the certificate"))


def _member_or_404(member_id: int) -> User:
    member = db.session.get(User, member_id)
    if member is None or not access.may_issue_certificate(current_user, member):
        abort(404)
    return member


def _form(today: date) -> CertificateForm:
    form = CertificateForm()
    choices = [SelectChoice(t.id, t.name) for t in reversed(terms.list_terms(db.session))]
    form.term.choices = choices
    if not form.is_submitted():
        current = terms.term_on(db.session, today)
        form.term.data = current.id if current else (choices[0].value if choices else 0)
        form.period.data = "term" if choices else "custom"
        form.first_day.data = period_start("year", today)
        form.last_day.data = today
    return form


def _period(form: CertificateForm, today: date) -> tuple[Period, str]:
    """The period the form names, and its name as printed."""
    if form.period.data == "term":
        period = resolve_period(db.session, "term", today, term_id=form.term.data or 0)
        return period, period.name or ""
    if form.first_day.data is None or form.last_day.data is None:
        raise InvalidInput({"first_day": _l("Give the first and the last day of the period.")})
    try:
        period = resolve_period(
            db.session,
            "custom",
            today,
            first_day=form.first_day.data,
            last_day=form.last_day.data,
        )
    except InvalidInput as error:
        # The ranking names the days "from" and "to"; this form, first_day and last_day.
        fields = {"from": "first_day", "to": "last_day"}
        raise InvalidInput({fields.get(k, k): v for k, v in error.errors.items()}) from None
    return period, ""


def _page(member: User, form: CertificateForm, status: int = 200):
    issued = certificates.member_certificates(db.session, member.id)
    return (
        render_template(
            "certificates/member.html",
            member=member,
            form=form,
            issued=[(c, certificates.revoked(db.session, c)) for c in issued],
            shown_code=certificates.shown_code,
            period_phrase=period_phrase,
        ),
        status,
    )


@bp.get("/certificates/members/<int:member_id>")
@login_required
def member(member_id: int):
    found = _member_or_404(member_id)
    return _page(found, _form(campus_today()))


@bp.post("/certificates/members/<int:member_id>")
@login_required
def issue(member_id: int):
    found = _member_or_404(member_id)
    today = campus_today()
    form = _form(today)
    if not form.validate_on_submit():
        return _page(found, form, 422)
    try:
        period, name = _period(form, today)
        certificate = certificates.issue(db.session, current_user, found, period, name, utcnow())
    except InvalidInput as error:
        db.session.rollback()
        show_errors(form, error)
        return _page(found, form, 422)
    db.session.commit()
    flash(_("Certificate issued. Download it below."), "success")
    return redirect(url_for(".member", member_id=found.id, _anchor=f"c{certificate.id}"))


def _category(line: dict) -> str:
    if line["key"] == certificates.UNCATEGORISED:
        return _("Adjustments")
    english = current_locale_name().startswith("en")
    return line["name_en"] if english else line["name_zh"]


def period_phrase(certificate) -> str:
    """ "2026秋 (1 Sept 2026 to 31 Jan 2027)", or the days alone for a range of days."""
    days = _(
        "%(first)s to %(last)s",
        first=format_date(certificate.first_day),
        last=format_date(certificate.last_day),
    )
    if not certificate.period_name:
        return days
    return _("%(name)s (%(days)s)", name=certificate.period_name, days=days)


def _hours(raw: str) -> str:
    return format_points(Decimal(raw)) if raw else "—"


def _text(certificate: Certificate, url: str) -> pdfdocs.CertificateText:
    member = certificate.member
    branch = certificate.branch
    college = branch.college.name
    rows = [
        [_category(line), format_points(Decimal(line["points"])), _hours(line["hours"])]
        for line in certificate.lines
    ]
    rows.append([_("Total"), format_points(certificate.points), format_points(certificate.hours)])
    return pdfdocs.CertificateText(
        title=_("Points certificate (积分证明)"),
        lines=[
            _(
                "This certifies that %(name)s (student number %(number)s), of %(branch)s, "
                "%(college)s, earned the points below in %(period)s, as recorded in the points "
                "tracker.",
                name=member.name,
                number=member.student_no,
                branch=branch.name,
                college=college,
                period=period_phrase(certificate),
            )
        ],
        header=[_("Category"), _("Points"), _("Hours")],
        rows=rows,
        milestones_heading=_("Milestones reached:"),
        milestones=certificate.milestones,
        closing=[
            _("Issued by: %(branch)s, %(college)s", branch=branch.name, college=college),
            _("Issued on: %(day)s", day=format_date(certificate.issued_at)),
            _("Verification code: %(code)s", code=certificates.shown_code(certificate.code)),
            _("Anyone can check this certificate at %(url)s", url=url),
        ],
        verify_url=url,
    )


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not access.may_read_certificate(current_user, certificate):
        abort(404)
    font = pdf_font()
    if font is None:
        return no_font_answer(url_for(".member", member_id=certificate.user_id))
    url = external_url(".verify", code=certificate.code)
    body = pdfdocs.certificate(font, _text(certificate, url))
    day = format_date(certificate.issued_at, "yyyy-MM-dd")
    name = _("Points certificate")
    return pdf_response(
        body,
        f"{name}-{certificate.member.name}-{day}.pdf",
        f"certificate-{certificate.id}-{day}.pdf",
    )


def _verify_limit() -> str:
    return current_app.config["TRACKER_VERIFY_LIMIT"]


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    """Public: what the certificate with this code says, the name masked."""
    found = certificates.verify(db.session, code)
    if found is None:
        abort(404)
    response = current_app.make_response(
        render_template("certificates/verify.html", found=found, period=period_phrase(found))
    )
    # A verification address is shared on purpose, but it is no page for search engines.
    response.headers["X-Robots-Tag"] = "noindex"
    return response
