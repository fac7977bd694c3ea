"""Exports: leaderboards, activity records and a branch's period report, as CSV or XLSX.

The same filters as the pages, the same permission rules, and every export
is written to the audit log.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import spreadsheets
from tracker.clock import campus_today
from tracker.extensions import db
from tracker.i18n import category_name, rank_label
from tracker.jobs import runner
from tracker.people import access
from tracker.ranking import reports
from tracker.ranking.branches import branch_leaderboard
from tracker.ranking.visibility import display_names, visible_member_board
from tracker.web.exports import tables
from tracker.web.filters import Filters, parse_filters

bp = Blueprint("exports", __name__, url_prefix="/export")


def _filters(**defaults) -> Filters:
    return parse_filters(db.session, current_user, request.args, campus_today(), **defaults)


def _send(fmt: str, what: str, filters: Filters, header, rows) -> Response:
    if fmt not in spreadsheets.FORMATS:
        abort(404)
    rows = list(rows)
    tables.record_export(current_user, what, fmt, filters, len(rows))
    db.session.commit()
    body, name, fallback = tables.render_file(fmt, what, filters, header, rows)
    return Response(
        body,
        mimetype=spreadsheets.FORMATS[fmt],
        headers={"Content-Disposition": spreadsheets.attachment(name, fallback)},
    )


@bp.get("/members.<fmt>")
@login_required
def members(fmt: str):
    filters = _filters()
    viewer = current_user._get_current_object()
    # The file holds what the page shows this viewer, never more.
    board, _view = visible_member_board(
        db.session,
        viewer,
        filters.period,
        filters.scope,
        category_id=filters.category_id,
        per_page=reports.MAX_EXPORT_ROWS,
    )
    names = display_names(db.session, viewer, (*board.rows, *board.around_me), filters.readable)
    header = [
        _("Rank"),
        _("Student number"),
        _("Name"),
        _("Branch"),
        _("Points (pts)"),
        _("Activities (times)"),
    ]
    rows = (
        [
            rank_label(r.rank),
            # A student number only beside a name the viewer may read in full
            # whatever the leaderboard setting: their own, or as committee,
            # advisor or administrator of the member's branch.
            r.student_no
            if r.user_id == viewer.id
            or access.sees_full_name(viewer, r.branch_id, False, filters.readable)
            else "",
            names[r.user_id],
            r.branch_name,
            r.points,
            r.entries,
        ]
        for r in (board.rows or board.around_me)
    )
    return _send(fmt, "members", filters, header, rows)


@bp.get("/branches.<fmt>")
@login_required
def branches(fmt: str):
    filters = _filters(default_scope="school")
    standings = branch_leaderboard(
        db.session,
        filters.period,
        filters.scope,
        category_id=filters.category_id,
        sort=filters.sort,
    )
    header = [
        _("Rank"),
        _("Branch"),
        _("College"),
        _("Total points (pts)"),
        _("Members (people)"),
        _("Points per member (pts)"),
        _("Adjusted points per member (pts)"),
        _("Participation (%)"),
        _("Attendance at must-attend events (%)"),
    ]
    rows = (
        [
            *(rank_label(s.rank), s.branch_name, s.college_name, s.points, s.members),
            *(s.per_capita, s.adjusted, s.participation, s.attendance),
        ]
        for s in standings
    )
    return _send(fmt, "branches", filters, header, rows)


@bp.get("/activities.<fmt>")
@login_required
def activities(fmt: str):
    if fmt not in spreadsheets.FORMATS:
        abort(404)
    viewer = current_user._get_current_object()
    today = campus_today()
    filters, header, rows = tables.activities_table(viewer, request.args, today)
    app = current_app._get_current_object()
    if len(rows) > app.config["TRACKER_EXPORT_JOB_ROWS"] and runner.redis_url(app):
        # Large: the worker writes the file while the page shows how far it got.
        params = {
            "args": request.args.to_dict(flat=True),
            "fmt": fmt,
            "today": today.isoformat(),
            "locale": str(get_locale()),
        }
        job = runner.submit(db.session, tables.EXPORT_ACTIVITIES, viewer, params)
        db.session.commit()
        runner.start(app, job)
        return redirect(url_for("jobs.show", job_id=job.id))
    return _send(fmt, "activities", filters, header, map(tables.activity_row, rows))


@bp.get("/report.<fmt>")
@login_required
def report(fmt: str):
    if not access.may_read_branch_dashboard(current_user):
        abort(403)
    filters = _filters(default_period="year")
    if filters.branch is None:
        abort(400)
    result = reports.branch_report(db.session, filters.branch, filters.period)
    header = [_("Rank"), _("Student number"), _("Name")]
    header += [_("%(category)s (pts)", category=category_name(c)) for c in result.categories]
    header += [_("Total points (pts)"), _("Activities (times)"), _("Last approved activity")]
    rows = [
        [rank_label(line.standing.rank), line.standing.student_no, line.standing.name]
        + [line.by_category[c.id] for c in result.categories]
        + [line.standing.points, line.standing.entries, line.last_approved_on]
        for line in result.lines
    ]
    if result.standing:
        s = result.standing
        rows.append([])
        rows.append([_("Branch"), s.branch_name, _("Rank in college"), rank_label(s.rank)])
        rows.append([_("Total points (pts)"), s.points, _("Members (people)"), s.members])
        rows.append(
            [_("Points per member (pts)"), s.per_capita, _("Participation (%)"), s.participation]
        )
    return _send(fmt, "report", filters, header, rows)
