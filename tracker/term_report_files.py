"""A branch's term report (``ranking.term_report``) as the reader's document: words,
tables and the address behind each table, written as .docx or .xlsx.

Both formats are written from one ``documents.Report``, so the Word file and
the workbook never disagree. Every table names the page or export that shows
the same numbers for the same period (the term's days), so the college can
check any of them.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import pgettext

from tracker import documents, spreadsheets, term_report_tables
from tracker.events import compliance
from tracker.i18n import format_points
from tracker.ranking.term_report import TermReport
from tracker.term_report_tables import STAGE_ORDER, percent, stage_label

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": spreadsheets.FORMATS["xlsx"],
}


def _summary(report: TermReport) -> list[str]:
    s = report.standing
    stages = [
        _("%(stage)s %(count)d", stage=stage_label(stage), count=report.stages[stage])
        for stage in (*STAGE_ORDER, None)
        if report.stages.get(stage)
    ]
    rank = (
        _(
            "rank %(rank)d of the %(branches)d branches of the college",
            rank=s.rank,
            branches=report.college_branches,
        )
        if s.rank is not None
        else _("not ranked in the college: no points")
    )
    attendance = (
        _(
            "%(rate)s (%(attended)d of %(expected)d expected)",
            rate=percent(s.attendance),
            attended=s.attended,
            expected=s.expected,
        )
        if s.expected
        else _("not measured: no must-attend meeting was closed")
    )
    states = [c.state for c in report.compliance.cells if c.state != compliance.State.NOT_REQUIRED]
    return [
        _(
            "This report covers %(branch)s of %(college)s in %(term)s, from %(first)s to "
            "%(last)s. The branch counted %(members)d members in the term: %(stages)s.",
            branch=report.branch.name,
            college=s.college_name,
            term=report.term.name,
            first=report.period.start.isoformat(),
            last=report.period.last_day.isoformat(),
            members=s.members,
            stages=_joined(stages),
        ),
        _(
            "Together they earned %(points)s points, %(per_capita)s per member (%(rank)s); "
            "%(active)d members had approved points, a participation of %(participation)s; "
            "attendance at must-attend meetings: %(attendance)s.",
            points=format_points(s.points),
            per_capita=format_points(s.per_capita),
            rank=rank,
            active=s.active_members,
            participation=percent(s.participation),
            attendance=attendance,
        ),
        _(
            "The branch held %(meetings)d meetings and activities, %(minuted)d of them with "
            "minutes. Of %(kinds)d required meeting kinds: held %(held)d, overdue or without a "
            "quorum %(short)d, still due %(due)d (as on %(day)s).",
            meetings=len(report.meetings),
            minuted=report.minutes_written,
            kinds=len(states),
            held=states.count(compliance.State.HELD),
            short=states.count(compliance.State.OVERDUE) + states.count(compliance.State.NO_QUORUM),
            due=states.count(compliance.State.DUE),
            day=report.as_of.isoformat(),
        ),
        _(
            "1+N tutoring: %(pairs)d pairs and %(sessions)d approved sessions, %(confirmed)d of "
            "them confirmed by every mentee. Approved red-site visits: %(visits)d; "
            "volunteering: %(hours)s hours.",
            pairs=len(report.pairs),
            sessions=report.sessions,
            confirmed=report.confirmed_sessions,
            visits=report.red_site.activities,
            hours=format_points(report.volunteering.quantity),
        ),
    ]


def _joined(items: list[str]) -> str:
    return pgettext("list separator", ", ").join(items) if items else "—"


def document(report: TermReport, written_on) -> documents.Report:
    """The report in the current language: title, summary and eight tables."""
    tables = term_report_tables.tables(report)
    return documents.Report(
        title=_(
            "%(branch)s %(term)s work report", branch=report.branch.name, term=report.term.name
        ),
        lines=[
            _(
                "%(college)s · query period %(first)s to %(last)s",
                college=report.standing.college_name,
                first=report.period.start.isoformat(),
                last=report.period.last_day.isoformat(),
            ),
            _(
                "Written on %(day)s from the branch activity tracker; each table names the page "
                "or export that shows the same numbers.",
                day=written_on.isoformat(),
            ),
        ],
        summary=_summary(report),
        tables=tables,
        closing=[_("Branch secretary (signature): ____________"), _("Date: ____________")],
        front_sheet=_("Report"),
    )


def render(report: TermReport, fmt: str, written_on) -> bytes:
    """The report as ``fmt`` ("docx" or "xlsx")."""
    built = document(report, written_on)
    if fmt == "docx":
        return documents.to_docx(built)
    if fmt == "xlsx":
        return spreadsheets.to_xlsx_book(documents.sheets(built))
    raise ValueError(f"unknown report format {fmt!r}")


def file_names(report: TermReport, fmt: str) -> tuple[str, str]:
    """The download's name in the reader's language, and its ASCII stand-in."""
    name = _("%(branch)s %(term)s work report", branch=report.branch.name, term=report.term.name)
    return f"{name}.{fmt}", f"term-report-{report.branch.id}-{report.term.id}.{fmt}"
