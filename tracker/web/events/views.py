"""Events: list, create, show, check in (by code or QR), attendance, leave, close."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker import security
from tracker.activities.queue import attendance_to_confirm, attendance_waiting
from tracker.clock import campus_today, campus_zone, utcnow
from tracker.errors import DomainError, InvalidInput
from tracker.events import attendance, checkin_checks, codes, kinds, planning, scanning
from tracker.extensions import db
from tracker.i18n import category_name
from tracker.models import (
    Attendance,
    AttendanceStatus,
    Branch,
    Category,
    CheckinDoor,
    Event,
    User,
)
from tracker.people import access
from tracker.people.groups import groups_of
from tracker.web.confirm import ask_first
from tracker.web.events.forms import (
    ButtonForm,
    CodeForm,
    ConfirmAttendanceForm,
    EventForm,
    LeaveForm,
    ScanOnlyForm,
    VoidForm,
)
from tracker.web.forms import show_errors
from tracker.web.guards import allowed
from tracker.web.links import external_url, qr_svg

bp = Blueprint("events", __name__, url_prefix="/events")


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not access.may_see_event(db.session, current_user, event):
        abort(404)
    return event


def _managed_event_or_404(event_id: int) -> Event:
    event = _event_or_404(event_id)
    if not access.may_manage_event(current_user, event):
        abort(403)
    return event


def checkin_url(event: Event, now: datetime) -> str:
    """What the QR code holds: the event's check-in page with the current code."""
    return external_url("events.checkin", event_id=event.id, code=codes.code_for(event, now))


@bp.get("/")
@login_required
def index():
    now = utcnow()
    query = planning.events_for_branches(access.event_branch_ids(db.session, current_user))
    upcoming = db.session.scalars(
        query.where(Event.ends_at >= now, Event.closed_at.is_(None)).order_by(Event.starts_at)
    ).all()
    past = db.paginate(
        query.where((Event.ends_at < now) | Event.closed_at.is_not(None)).order_by(
            Event.starts_at.desc()
        ),
        per_page=20,
        error_out=False,
    )
    can_create = access.may_create_events(current_user)
    mine = attendance.statuses_of(db.session, current_user.id, [e.id for e in past.items])
    return render_template(
        "events/index.html",
        upcoming=upcoming,
        past=past,
        mine=mine,
        can_create=can_create,
        now=now,
    )


def _event_input(form: EventForm) -> planning.EventInput:
    zone = campus_zone()
    starts = datetime.combine(form.day.data, form.start.data, zone)
    ends = datetime.combine(form.day.data, form.end.data, zone)
    return planning.EventInput(
        title=form.title.data,
        category=db.session.get(Category, form.category_id.data),
        place=form.place.data or "",
        starts_at=starts,
        ends_at=ends,
        opens_before=form.opens_before.data,
        closes_after=form.closes_after.data,
        points=form.points.data,
        capacity=form.capacity.data,
        mandatory=form.mandatory.data,
        rotating=form.rotating.data,
        branch_ids=form.branch_ids.data if form.branch_ids else None,
        kind=form.kind.data,
        group_id=form.group_id.data or None if form.group_id else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@allowed(access.may_create_events)
def new():
    form = EventForm()
    categories = db.session.scalars(
        select(Category)
        .where(Category.retired_at.is_(None), Category.external.is_(False))
        .order_by(Category.sort_order)
    ).all()
    form.category_id.choices = [(c.id, category_name(c)) for c in categories]
    if request.method == "GET":
        # Most events are meetings (三会一课), held in the coming days.
        form.day.data = campus_today()
        form.category_id.data = next((c.id for c in categories if c.key == "meeting"), None)
    if access.may_choose_event_branches(current_user):
        branches = db.session.scalars(
            select(Branch).where(Branch.archived_at.is_(None)).order_by(Branch.name)
        )
        form.branch_ids.choices = [(b.id, b.name) for b in branches]
    else:
        del form.branch_ids
    form.kind.choices = [(k, kinds.label(k)) for k in kinds.KINDS]
    groups = groups_of(db.session, current_user.branch_id) if current_user.branch_id else []
    if groups:
        form.group_id.choices = [(0, _("None"))] + [(g.id, g.name) for g in groups]
    else:
        del form.group_id
    if form.validate_on_submit():
        try:
            event = planning.create_event(db.session, current_user, _event_input(form), utcnow())
            if form.scan_only.data:
                scanning.set_scan_only(db.session, current_user, event, True)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The event was created and the members were told."), "success")
            return redirect(url_for(".detail", event_id=event.id))
    return render_template("events/new.html", form=form)


@bp.get("/<int:event_id>")
@login_required
def detail(event_id: int):
    event = _event_or_404(event_id)
    mine = attendance.attendance_of(db.session, event, current_user.id)
    managing = access.may_manage_event(current_user, event)
    records, absent = attendance.attendance_sheet(db.session, event) if managing else ([], [])
    suspicious = checkin_checks.suspicious_checkins(db.session, event) if managing else []
    waiting = []
    if access.may_confirm_event_attendance(db.session, current_user, event):
        waiting = db.session.scalars(attendance_waiting(event.id)).all()
    return render_template(
        "events/detail.html",
        event=event,
        mine=mine,
        managing=managing,
        records=records,
        absent=absent,
        suspicious=suspicious,
        waiting=waiting,
        why=attendance_to_confirm(db.session, waiting),
        may_confirm={
            a.id: access.may_confirm_attendance(db.session, current_user, a) for a in waiting
        },
        confirm_form=ConfirmAttendanceForm(),
        now=utcnow(),
        code_form=CodeForm(),
        leave_form=LeaveForm(),
        button=ButtonForm(),
        void_form=VoidForm(),
        scan_only_form=ScanOnlyForm(),
        kind=kinds.label(event.kind),
        quorum=kinds.quorum(db.session, event),
    )


@bp.get("/<int:event_id>/code")
@login_required
def code(event_id: int):
    """The screen the committee projects: QR code and short code, fresh each minute."""
    event = _managed_event_or_404(event_id)
    now = utcnow()
    url = checkin_url(event, now)
    refresh = 60 - now.second if event.rotating else None
    return render_template(
        "events/code.html",
        event=event,
        code=codes.code_for(event, now),
        url=url,
        qr=qr_svg(url),
        refresh=refresh,
    )


def checkin_facts() -> checkin_checks.CheckinFacts:
    """What this page request shows about the check-in: device cookie and session age."""
    return checkin_checks.CheckinFacts.of(
        CheckinDoor.WEB, security.device_id(), current_app.secret_key, security.signed_in_at()
    )


def _checked_in(result: attendance.CheckIn, event: Event):
    if result.new:
        flash(_("You are checked in to %(title)s.", title=event.title), "success")
    else:
        flash(_("You were already checked in; nothing changed."), "info")
    return redirect(url_for(".detail", event_id=event.id))


@bp.route("/<int:event_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(event_id: int):
    """Where the QR code leads: the code comes filled in; checking in is a POST."""
    event = _event_or_404(event_id)
    if not access.may_attend_event(current_user, event):
        abort(403)
    form = CodeForm()
    if request.method == "GET":
        form.code.data = request.args.get("code", "")[:16]
    elif form.validate_on_submit():
        try:
            result = attendance.check_in(
                db.session, current_user, event, form.code.data, utcnow(), checkin_facts()
            )
            db.session.commit()
            return _checked_in(result, event)
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            form.code.errors = [*form.code.errors, error.message]
    return render_template("events/checkin.html", event=event, form=form)


@bp.route("/checkin", methods=["GET", "POST"])
@login_required
def checkin_by_code():
    """Check in by typing the short code alone."""
    if not access.logs_activities(current_user):
        abort(403)
    form = CodeForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            event = attendance.event_for_code(db.session, current_user, form.code.data, now)
            result = attendance.check_in(
                db.session, current_user, event, form.code.data, now, checkin_facts()
            )
            db.session.commit()
            return _checked_in(result, event)
        except InvalidInput as error:
            db.session.rollback()
            show_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            form.code.errors = [*form.code.errors, error.message]
    return render_template("events/checkin.html", event=None, form=form)


def _back(event: Event):
    return redirect(url_for(".detail", event_id=event.id))


def _refused(error: DomainError, event: Event):
    db.session.rollback()
    flash(str(error.message), "danger")
    return _back(event)


@bp.post("/<int:event_id>/leave")
@login_required
def request_leave(event_id: int):
    event = _event_or_404(event_id)
    if not access.may_attend_event(current_user, event):
        abort(403)
    form = LeaveForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput({"reason": _("Please give a reason.")})
        attendance.request_leave(db.session, current_user, event, form.reason.data, utcnow())
        db.session.commit()
    except DomainError as error:
        return _refused(error, event)
    flash(_("Your leave request was sent to the committee."), "success")
    return _back(event)


@bp.post("/<int:event_id>/present/<int:member_id>")
@login_required
def mark_present(event_id: int, member_id: int):
    event = _managed_event_or_404(event_id)
    member = db.session.get(User, member_id)
    if member is None or member.branch_id not in event.branch_ids or not ButtonForm().validate():
        abort(404)
    try:
        result = attendance.mark_present(db.session, current_user, event, member, utcnow())
        db.session.commit()
    except DomainError as error:
        return _refused(error, event)
    if result.new:
        flash(_("%(name)s is marked present.", name=member.name), "success")
    else:
        flash(_("%(name)s was already checked in; nothing changed.", name=member.name), "info")
    return _back(event)


@bp.post("/<int:event_id>/leave/<int:attendance_id>/approve")
@login_required
def approve_leave(event_id: int, attendance_id: int):
    event = _managed_event_or_404(event_id)
    record = db.session.get(Attendance, attendance_id)
    if record is None or record.event_id != event.id or not ButtonForm().validate():
        abort(404)
    try:
        attendance.approve_leave(db.session, current_user, record, utcnow())
        db.session.commit()
    except DomainError as error:
        return _refused(error, event)
    flash(_("Leave approved for %(name)s.", name=record.member.name), "success")
    return _back(event)


@bp.post("/<int:event_id>/rotate")
@login_required
def rotate(event_id: int):
    event = _managed_event_or_404(event_id)
    if not ButtonForm().validate():
        abort(400)
    asked = ask_first(
        _("A new check-in code replaces this one: the old code, printed or shown, stops working."),
        button=_("Make a new code"),
        cancel=url_for(".code", event_id=event.id),
    )
    if asked is not None:
        return asked
    planning.rotate_code(db.session, current_user, event)
    db.session.commit()
    flash(_("A new code was made; the old one no longer works."), "success")
    return redirect(url_for(".code", event_id=event.id))


ATTENDANCE_LABELS = {
    AttendanceStatus.CHECKED_IN: _l("checked in"),
    AttendanceStatus.PRESENT: _l("marked present"),
    AttendanceStatus.SCANNED: _l("scanned by the committee"),
    AttendanceStatus.LEAVE_REQUESTED: _l("asked for leave"),
    AttendanceStatus.ON_LEAVE: _l("on leave"),
    AttendanceStatus.VOIDED: _l("check-in voided"),
}
DOOR_LABELS = {
    CheckinDoor.WEB: _l("web page"),
    CheckinDoor.API_SESSION: _l("API, browser session"),
    CheckinDoor.API_TOKEN: _l("API token"),
}


ABSENT = _l("absent")


def attendance_label(status: AttendanceStatus | None, closed: bool) -> str:
    """How a member's attendance reads: once the event is closed, one expected who did
    not come (no attendance, a leave not approved) is absent, not "not checked in"."""
    if closed and (status is None or status == AttendanceStatus.LEAVE_REQUESTED):
        return str(ABSENT)
    return str(ATTENDANCE_LABELS[status]) if status is not None else ""


@bp.app_context_processor
def _labels() -> dict:
    return {
        "ATTENDANCE_LABELS": ATTENDANCE_LABELS,
        "DOOR_LABELS": DOOR_LABELS,
        "attendance_label": attendance_label,
    }


# Closing and confirming attendance; the check-in defences' pages (the member's
# personal code, scanning, voiding). They join this blueprint.
from tracker.web.events import close, defences  # noqa: E402, F401
