"""Dashboards: the member's, the branch committee's and the advisor's.

Each page renders its tables on the server; its charts are drawn by
static/js/charts.js from the matching ``.json`` endpoint, which serialises the
same dashboard object, so the page is complete without the script.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import conditional
from tracker.clock import campus_today, utcnow
from tracker.config import vendored_chartjs
from tracker.events import compliance, planning
from tracker.extensions import db
from tracker.people import access
from tracker.people.names import mask_name
from tracker.ranking import dashboards, milestones
from tracker.setting_table import CHARTJS_URL
from tracker.settings import setting
from tracker.web.filters import filter_choices, parse_filters

bp = Blueprint("dashboards", __name__)


@bp.app_template_global("chartjs_source")
def chartjs_source() -> tuple[str, str]:
    """Where the chart pages load Chart.js from, and its integrity hash: the setting,
    or the tracker's own copy (``flask vendor-chartjs``) while the setting is left at
    the CDN default. Same origin needs no hash."""
    url = current_app.config["TRACKER_CHARTJS_URL"]
    if url == CHARTJS_URL and vendored_chartjs(current_app.instance_path).is_file():
        return url_for("dashboards.chartjs"), ""
    return url, current_app.config["TRACKER_CHARTJS_INTEGRITY"]


@bp.get("/vendor/chart.umd.min.js")
def chartjs():
    """The campus's own copy of Chart.js (``flask vendor-chartjs``), else the one the
    setting names."""
    found = vendored_chartjs(current_app.instance_path)
    if not found.is_file():
        return redirect(current_app.config["TRACKER_CHARTJS_URL"] or CHARTJS_URL)
    return send_file(found, mimetype="text/javascript", max_age=86400)


def _labels() -> dict[str, str]:
    return {
        "points": _("Points"),
        "total": _("Total points"),
        "per_capita": _("Points per member"),
        "participation": _("Participation (%)"),
    }


def _day(day) -> str:
    # As the tables under the charts write days (the ``date('short')`` filter).
    return format_date(day, "short")


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if access.home_dashboard(current_user) == "advisor":
        return advisor()
    board = dashboards.member_dashboard(db.session, current_user, campus_today())
    pending_reviews = registrations = 0
    if access.sits_on_a_committee(current_user):
        pending_reviews, registrations = dashboards.committee_waiting(db.session, current_user)
    return render_template(
        "dashboards/member.html",
        board=board,
        progress=milestones.member_progress(db.session, current_user.id, campus_today())
        if access.logs_activities(current_user)
        else [],
        pending_reviews=pending_reviews,
        registrations=registrations,
        upcoming_events=planning.upcoming_events(
            db.session, current_user.branch_id, utcnow(), limit=3
        )
        if current_user.branch_id
        else [],
    )


@bp.get("/dashboard/member.json")
@login_required
def member_json():
    if same := conditional.unchanged(current_user._get_current_object(), campus_today()):
        return same
    board = dashboards.member_dashboard(db.session, current_user, campus_today(), charts_only=True)
    return jsonify(charts=board.charts(_labels(), _day))


def _committee_board(charts_only: bool = False):
    if not access.may_read_branch_dashboard(current_user):
        abort(403)
    # The page remembers the viewer's period; its charts are asked with it.
    filters = parse_filters(
        db.session,
        current_user,
        request.args,
        campus_today(),
        remember=None if charts_only else "committee",
    )
    if filters.branch is None:
        abort(400)
    if charts_only and (
        same := conditional.unchanged(current_user._get_current_object(), filters.args())
    ):
        # The charts read the ledger only; the page lists what waits for review too.
        return filters, same
    board = dashboards.committee_dashboard(
        db.session,
        current_user,
        filters.branch,
        filters.period,
        campus_today(),
        setting("TRACKER_INACTIVE_DAYS"),
        charts_only=charts_only,
    )
    return filters, board


@bp.get("/dashboard/branch")
@login_required
def committee():
    filters, board = _committee_board()
    return render_template(
        "dashboards/committee.html",
        board=board,
        filters=filters,
        reached=milestones.reached_in_branch(db.session, filters.branch.id, campus_today()),
        upcoming_events=planning.upcoming_events(db.session, filters.branch.id, utcnow()),
        choices=filter_choices(db.session, current_user, filters.readable),
        compliance_grid=compliance.compliance_grid(
            db.session, [filters.branch], "term", campus_today(), utcnow()
        ),
    ), (400 if filters.errors else 200)


@bp.get("/dashboard/branch.json")
@login_required
def committee_json():
    _, board = _committee_board(charts_only=True)
    if isinstance(board, Response):
        return board
    return jsonify(charts=board.charts(_labels(), _day))


def _advisor_board(charts_only: bool = False):
    if not access.may_read_advisor_dashboard(current_user):
        abort(403)
    filters = parse_filters(
        db.session,
        current_user,
        request.args,
        campus_today(),
        default_scope="school",
        remember=None if charts_only else "advisor",
    )
    if filters.scope_kind == "branch":
        abort(400)
    if not filters.errors and (
        same := conditional.unchanged(current_user._get_current_object(), filters.args())
    ):
        return filters, same
    board = dashboards.advisor_dashboard(
        db.session,
        filters.period,
        filters.scope,
        campus_today(),
        filters.category_id,
        charts_only=charts_only,
    )
    return filters, board


@bp.get("/dashboard/advisor")
@login_required
def advisor():
    filters, board = _advisor_board()
    if isinstance(board, Response):
        return board
    return render_template(
        "dashboards/advisor.html",
        board=board,
        filters=filters,
        choices=filter_choices(db.session, current_user, filters.readable),
        mask=mask_name,
    ), (400 if filters.errors else 200)


@bp.get("/dashboard/advisor.json")
@login_required
def advisor_json():
    _, board = _advisor_board(charts_only=True)
    if isinstance(board, Response):
        return board
    return jsonify(charts=board.charts(_labels(), _day))
