"""The tables of a branch's term report (``ranking.term_report``), in the reader's language,
each with the address of the page or export that shows the same numbers for the term.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker import documents
from tracker.events import compliance, kinds
from tracker.i18n import (
    MEETING_KIND_SHORT_LABELS,
    STAGE_LABELS,
    category_name,
    current_locale_name,
    rank_label,
)
from tracker.models import Stage
from tracker.ranking.term_report import TermReport

STATE_LABELS = {
    compliance.State.HELD: _l("Held"),
    compliance.State.DUE: _l("Due"),
    compliance.State.OVERDUE: _l("Overdue"),
    compliance.State.NO_QUORUM: _l("Held without quorum"),
    compliance.State.NOT_REQUIRED: _l("Not required"),
}
# Highest stage first, as a branch lists its members.
STAGE_ORDER = (Stage.FULL_MEMBER, Stage.PROBATIONARY, Stage.DEVELOPMENT_TARGET, Stage.ACTIVIST)
CHINESE_NUMERALS = "一二三四五六七八九十"


def _link(endpoint: str, **values) -> str:
    """The address of a page or export, at ``TRACKER_BASE_URL`` when that is set."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["TRACKER_BASE_URL"].strip().rstrip("/") + path


def _numbered(index: int, title: str) -> str:
    if current_locale_name() == "zh_CN" and index < len(CHINESE_NUMERALS):
        return f"{CHINESE_NUMERALS[index]}、{title}"
    return f"{index + 1}. {title}"


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:f}%"


def stage_label(stage: Stage | None) -> str:
    return str(STAGE_LABELS[stage]) if stage in STAGE_LABELS else _("No stage recorded")


def _term_args(report: TermReport) -> dict:
    return {"period": "term", "term": report.term.id}


def _sources(report: TermReport) -> dict[str, str]:
    branch, term = report.branch, _term_args(report)
    activities = {"scope": "branch", "branch": branch.id, **term, "status": "approved"}
    return {
        "branches": _link("rankings.branches", scope="college", college=branch.college_id, **term),
        "members": _link("rankings.members", scope="branch", branch=branch.id, **term),
        "dashboard": _link("dashboards.committee", scope="branch", branch=branch.id, **term),
        "export": _link("exports.report", fmt="xlsx", scope="branch", branch=branch.id, **term),
        "roster": _link("papers.roster", branch_id=branch.id),
        "compliance": _link(
            "compliance.branch", branch_id=branch.id, period="term", on=report.as_of.isoformat()
        ),
        "events": _link("events.index"),
        **{
            key: _link("exports.activities", fmt="xlsx", category=tally.category.id, **activities)
            if tally.category is not None
            else "—"
            for key, tally in (
                ("red_site", report.red_site),
                ("volunteer", report.volunteering),
            )
        },
        "tutoring": _link("exports.activities", fmt="xlsx", **activities),
    }


def _overview(report: TermReport, sources) -> documents.Table:
    s = report.standing
    rank = (
        _("%(rank)d of %(branches)d", rank=s.rank, branches=report.college_branches)
        if s.rank is not None
        else rank_label(None)
    )
    attendance = (
        f"{percent(s.attendance)} ({s.attended}/{s.expected})" if s.expected else percent(None)
    )
    rows = [
        [_("Branch"), report.branch.name],
        [_("College"), s.college_name],
        [_("Term"), report.term.name],
        [_("Query period"), f"{report.period.start.isoformat()} – {report.period.last_day}"],
        [_("Members (people)"), s.members],
        [_("Total points (pts)"), s.points],
        [_("Points per member (pts)"), s.per_capita],
        [_("Rank in college"), rank],
        [_("Members with approved points (people)"), s.active_members],
        [_("Participation (%)"), s.participation],
        [_("Attendance at must-attend events (%)"), attendance],
    ]
    return documents.Table(
        _numbered(0, _("Overview")),
        [_("Item"), _("Value")],
        rows,
        _("Source: branch leaderboard, %(url)s", url=sources["branches"]),
        _("Overview"),
    )


def _stages(report: TermReport, sources) -> documents.Table:
    order = [*STAGE_ORDER, *(k for k in report.stages if k not in STAGE_ORDER)]
    rows = [[stage_label(stage), report.stages[stage]] for stage in order if stage in report.stages]
    rows.append([_("Total"), sum(report.stages.values())])
    return documents.Table(
        _numbered(1, _("Members and stages")),
        [_("Stage"), _("Members (people)")],
        rows,
        _(
            "Source: members of the branch during the term, as the branch leaderboard "
            "counts them (%(url)s); today's roster: %(roster)s",
            url=sources["branches"],
            roster=sources["roster"],
        ),
        _("Members and stages"),
    )


def _categories(report: TermReport, sources) -> documents.Table:
    total = report.standing.points
    rows = [
        [
            c.name_en if current_locale_name() == "en" else c.name_zh,
            c.points,
            _share(c.points, total),
        ]
        for c in report.categories
    ]
    if report.uncategorised:
        rows.append(
            [
                _("Adjustments without a category"),
                report.uncategorised,
                _share(report.uncategorised, total),
            ]
        )
    rows.append([_("Total"), total, _share(total, total)])
    return documents.Table(
        _numbered(2, _("Points by category")),
        [_("Category"), _("Points (pts)"), _("Share (%)")],
        rows,
        _("Source: branch dashboard, %(url)s", url=sources["dashboard"]),
        _("Points by category"),
    )


def _share(part: Decimal, whole: Decimal) -> Decimal | str:
    if not whole:
        return "—"
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


def _members(report: TermReport, sources) -> documents.Table:
    shown = {c.category_id for c in report.categories}
    shown |= {cid for m in report.members for cid, v in m.by_category.items() if v}
    columns = [c for c in report.categories_known if c.id in shown]
    header = [_("Rank"), _("Name"), _("Student number"), _("Stage")]
    header += [_("%(category)s (pts)", category=category_name(c)) for c in columns]
    header += [
        _("Total points (pts)"),
        _("Activities (times)"),
        _("Must-attend meetings attended"),
        _("Attendance (%)"),
    ]
    rows = []
    for line in report.members:
        s, rate = line.standing, line.attendance
        rows.append(
            [rank_label(s.rank), s.name, s.student_no, stage_label(line.stage)]
            + [line.by_category.get(c.id, Decimal(0)) for c in columns]
            + [
                s.points,
                s.entries,
                f"{rate.attended}/{rate.expected}",
                (rate.rate * 100).quantize(Decimal("0.1")) if rate.rate is not None else "—",
            ]
        )
    return documents.Table(
        _numbered(3, _("Points of each member")),
        header,
        rows,
        _(
            "Source: member leaderboard, %(url)s; period report export, %(export)s",
            url=sources["members"],
            export=sources["export"],
        ),
        _("Points of each member"),
    )


def _compliance(report: TermReport, sources) -> documents.Table:
    rows = [
        [
            str(kinds.label(cell.kind)),
            cell.held,
            cell.required,
            str(STATE_LABELS[cell.state]),
            cell.due_by.isoformat() if cell.due_by else "",
        ]
        for cell in report.compliance.cells
    ]
    return documents.Table(
        _numbered(4, _("Required meetings (三会一课)")),
        [_("Meeting kind"), _("Meetings held"), _("Meetings required"), _("State"), _("Due by")],
        rows,
        _(
            "Source: required meetings page as on %(day)s, %(url)s",
            day=report.as_of.isoformat(),
            url=sources["compliance"],
        ),
        _("Required meetings"),
    )


def _meetings(report: TermReport, sources) -> documents.Table:
    rows = [
        [
            m.day,
            str(MEETING_KIND_SHORT_LABELS.get(m.event.kind, kinds.label(m.event.kind))),
            m.event.title,
            _("Yes") if m.event.mandatory else "",
            m.present,
            m.on_leave,
            m.topic if m.topic is not None else _("No minutes"),
            _("Yes") if m.locked else "",
            _link("minutes.detail", event_id=m.event.id) if m.topic is not None else "",
        ]
        for m in report.meetings
    ]
    header = [_("Date"), _("Meeting kind"), _("Title"), _("Must attend"), _("Present (people)")]
    header += [_("On leave (people)"), _("Minutes topic"), _("Minutes locked"), _("Minutes")]
    return documents.Table(
        _numbered(5, _("Meetings and their minutes")),
        header,
        rows,
        _("Source: events page, %(url)s, and each meeting's minutes", url=sources["events"]),
        _("Meetings"),
    )


def _tutoring(report: TermReport, sources) -> documents.Table:
    rows = [[p.mentor, p.mentee, p.sessions, p.confirmed] for p in report.pairs]
    rows.append([_("Total"), len(report.pairs), report.sessions, report.confirmed_sessions])
    return documents.Table(
        _numbered(6, _("1+N pairs and sessions")),
        [_("Mentor"), _("Mentee"), _("Approved sessions"), _("Confirmed sessions")],
        rows,
        _(
            "Source: activity export of the 1+N category, approved, %(url)s",
            url=sources["tutoring"],
        ),
        _("1+N tutoring"),
    )


def _visits_and_hours(report: TermReport, sources) -> documents.Table:
    rows = []
    for tally, unit in ((report.red_site, _("visits")), (report.volunteering, _("hours"))):
        name = category_name(tally.category) if tally.category else "—"
        rows.append([name, tally.activities, tally.quantity, unit])
    return documents.Table(
        _numbered(7, _("Red-site visits and volunteering")),
        [_("Category"), _("Approved activities"), _("Quantity"), _("Unit")],
        rows,
        _(
            "Source: activity export, approved: %(red)s and %(volunteer)s",
            red=sources["red_site"],
            volunteer=sources["volunteer"],
        ),
        _("Visits and volunteering"),
    )


def tables(report: TermReport) -> list[documents.Table]:
    """The report's eight tables, numbered, each naming its source."""
    sources = _sources(report)
    return [
        build(report, sources)
        for build in (
            _overview,
            _stages,
            _categories,
            _members,
            _compliance,
            _meetings,
            _tutoring,
            _visits_and_hours,
        )
    ]
