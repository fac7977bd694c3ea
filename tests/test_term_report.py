"""A branch's term report (学期工作报告): its numbers are the boards' and the ledger's.

The files are read back as a college would read them (the workbook's cells,
the Word file's text) and compared with the member and branch leaderboards
for the term and with the sum of the ledger's entries on the term's days.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import docx
import flask_babel
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.events import closing, compliance, minutes
from tracker.ledger import points, terms
from tracker.models import (
    ActivityMentee,
    AdvisorScope,
    AttendanceStatus,
    AuditEvent,
    LedgerEntry,
    MenteeResponse,
    Pairing,
    PairingStatus,
    Role,
    Stage,
)
from tracker.people import organisation, tokens
from tracker.people.scope import Scope
from tracker.ranking.branches import branch_leaderboard
from tracker.ranking.members import member_leaderboard
from tracker.ranking.term_report import term_report

from .conftest import FROZEN_NOW, TODAY
from .test_meeting_kinds import attend, meeting


def _world(db, make):
    """Branch A (4 people) beside branch B of the same college, in the term 2026秋."""
    college = make.college("马克思主义学院")
    branch, other = make.branch(college, "第一党支部"), make.branch(college, "第二党支部")
    committee = make.committee(branch)
    alice, bob, carol = (make.member(branch) for _ in range(3))
    alice.stage, bob.stage = Stage.FULL_MEMBER, Stage.PROBATIONARY
    elsewhere, reviewer_elsewhere = make.member(other), make.committee(other)
    term = terms.create_term(db.session, "2026秋", date(2026, 9, 1), date(2027, 1, 15))
    db.session.commit()
    # Approved activities, one before the term (not counted) and one revoked.
    for who, key, quantity, day in (
        (alice, "study", 120, date(2026, 11, 24)),
        (alice, "volunteer", 3, date(2026, 10, 8)),
        (bob, "volunteer", Decimal("2.5"), date(2026, 11, 2)),
        (bob, "red_site", 1, date(2026, 10, 1)),
        (carol, "study", 60, date(2026, 8, 20)),
        (elsewhere, "volunteer", 4, date(2026, 11, 3)),
    ):
        reviewer = committee if who.branch_id == branch.id else reviewer_elsewhere
        activity = make.activity(who, key, quantity=quantity, occurred_on=day)
        points.approve_activity(db.session, activity, reviewer, FROZEN_NOW)
    revoked = make.activity(bob, "study", quantity=60, occurred_on=date(2026, 11, 20))
    points.approve_activity(db.session, revoked, committee, FROZEN_NOW)
    points.revoke_approval(db.session, revoked, committee, "重复登记", FROZEN_NOW)
    points.adjust_points(db.session, carol, committee, Decimal("1.5"), "补登", date(2026, 11, 10))
    # 1+N: Alice helps Bob, who confirmed the session.
    db.session.add(
        Pairing(
            mentor_id=alice.id,
            mentee_id=bob.id,
            status=PairingStatus.ACCEPTED,
            accepted_at=FROZEN_NOW - timedelta(days=30),
        )
    )
    session = make.activity(alice, "tutoring", quantity=60, occurred_on=date(2026, 11, 18))
    db.session.add(
        ActivityMentee(activity_id=session.id, mentee_id=bob.id, response=MenteeResponse.CONFIRMED)
    )
    db.session.flush()
    points.approve_activity(db.session, session, committee, FROZEN_NOW)
    db.session.commit()
    # A must-attend general meeting: three present, Carol on leave; minutes written.
    event = meeting(db, make, committee, "congress", mandatory=True, title="支部党员大会")
    for person in (committee, alice, bob):
        attend(db, event, person)
    attend(db, event, carol, AttendanceStatus.ON_LEAVE)
    closing.close_event(db.session, committee, event, FROZEN_NOW)
    minutes.save_minutes(
        db.session, committee, event, minutes.MinutesInput(topic="讨论发展党员计划"), FROZEN_NOW
    )
    db.session.commit()
    return college, branch, other, committee, (alice, bob, carol), term


def _book(response) -> dict[str, list[list]]:
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.data))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book}


def _table(rows: list[list], first_header: str) -> tuple[list, list[list]]:
    """The header row starting with ``first_header`` and the rows under it."""
    at = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return rows[at], [r for r in rows[at + 1 :] if any(v is not None for v in r)]


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(parts)


def test_the_report_holds_the_numbers_of_the_boards_and_the_ledger(
    clock, db, make, english_login, login
):
    college, branch, other, committee, (alice, bob, carol), term = _world(db, make)
    period = terms.term_period(term)
    board = member_leaderboard(db.session, period, Scope("branch", branch.id), per_page=100)
    standing = next(
        s
        for s in branch_leaderboard(db.session, period, Scope("college", college.id))
        if s.branch_id == branch.id
    )
    ledger = db.session.scalar(
        select(func.sum(LedgerEntry.points)).where(
            LedgerEntry.branch_id == branch.id,
            LedgerEntry.earned_on >= period.start,
            LedgerEntry.earned_on < period.end,
        )
    )
    # Alice: study 120 min (4) + volunteering 3 h (6) + tutoring 60 min (2); Bob: 5 + 5
    # (a revoked study session books nothing in all); Carol: 1.5 adjusted (her study was
    # before the term). Attendance marked by hand waits for a second person: no points yet.
    assert standing.points == ledger == Decimal("23.5")

    client = english_login(committee)
    page = client.get(f"/reports/branches/{branch.id}?term={term.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "第一党支部 2026秋 work report" in text and f"term={term.id}" in text

    sheets = _book(client.get(f"/reports/branches/{branch.id}/term.xlsx?term={term.id}"))
    overview = dict(r[:2] for r in _table(sheets["Overview"], "Item")[1])
    assert overview["Total points (pts)"] == float(standing.points) == float(ledger)
    assert overview["Members (people)"] == standing.members == 4
    assert overview["Participation (%)"] == float(standing.participation)
    assert overview["Query period"] == "2026-09-01 – 2027-01-15"
    assert overview["Rank in college"] == "1 of 2"

    header, rows = _table(sheets["Points of each member"], "Rank")
    total = header.index("Total points (pts)")
    by_number = {r[header.index("Student number")]: r for r in rows}
    assert {no: Decimal(str(r[total])) for no, r in by_number.items()} == {
        s.student_no: s.points for s in board.rows
    }
    ranks = {s.student_no: s.rank or "No points yet" for s in board.rows}
    assert {no: r[0] for no, r in by_number.items()} == ranks
    attended = [r[header.index("Must-attend meetings attended")] for r in rows]
    # Members' attendances add up to the branch board's rate (approved leave is not expected).
    assert (
        [sum(int(a.split("/")[i]) for a in attended) for i in (0, 1)]
        == [
            standing.attended,
            standing.expected,
        ]
        == [3, 3]
    )
    assert by_number[carol.student_no][header.index("Must-attend meetings attended")] == "0/0"
    assert by_number[alice.student_no][header.index("Attendance (%)")] == 100

    _header, categories = _table(sheets["Points by category"], "Category")
    named = {r[0]: r[1] for r in categories}
    assert named["Total"] == float(ledger)
    assert named["Adjustments without a category"] == 1.5
    assert sum(v for k, v in named.items() if k != "Total") == float(ledger)

    _header, visits = _table(sheets["Visits and volunteering"], "Category")
    assert [r[1:3] for r in visits] == [[1, 1], [2, 5.5]]  # Bob's visit; 3 + 2.5 hours
    _header, pairs = _table(sheets["1+N tutoring"], "Mentor")
    assert pairs[0][:4] == [alice.name, bob.name, 1, 1]
    _header, meetings = _table(sheets["Meetings"], "Date")
    assert meetings[0][4:7] == [3, 1, "讨论发展党员计划"]
    _header, grid = _table(sheets["Required meetings"], "Meeting kind")
    cells = compliance.compliance_grid(db.session, [branch], "term", TODAY, FROZEN_NOW).rows[0]
    assert [r[1:3] for r in grid] == [[c.held, c.required] for c in cells.cells]
    congress = next(r for r in grid if r[0].startswith("Branch general meeting"))
    # September's quarter ended without one: overdue since 30 September.
    assert congress[1:5] == [1, 2, "Overdue", "2026-09-30"]
    front = [r[0] for r in sheets["Report"]]
    assert f"/leaderboard/branches?scope=college&college={college.id}" in " ".join(front)

    word = client.get(f"/reports/branches/{branch.id}/term.docx?term={term.id}")
    assert word.status_code == 200 and word.mimetype.endswith("wordprocessingml.document")
    assert "filename*=UTF-8''" in word.headers["Content-Disposition"]
    written = _docx_text(word.data)
    assert "第一党支部 2026秋 work report" in written
    assert "Together they earned 23.5 points" in written
    assert "rank 1 of the 2 branches of the college" in written
    for s in board.rows:
        assert f"{s.student_no} |" in written and f"| {s.points} |" in written

    # The same file in Chinese reads as a college expects it.
    committee.locale = "zh_CN"
    db.session.commit()
    flask_babel.refresh()  # the fixture's app context remembers the last request's language
    chinese = login(committee).get(f"/reports/branches/{branch.id}/term.docx?term={term.id}")
    zh = _docx_text(chinese.data)
    assert "第一党支部 2026秋 工作报告" in zh and "一、基本情况" in zh
    assert "数据来源：" in zh and "党支部书记（签字）" in zh

    details = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    )
    assert [d["format"] for d in details if d["what"] == "term_report"] == ["xlsx", "docx", "docx"]


def _api(client, db, user, path):
    issued = tokens.issue_token(db.session, user, name="report", now=FROZEN_NOW, lifetime_days=1)
    db.session.commit()
    return client.get(path, headers={"Authorization": f"Bearer {issued.token}"})


def test_only_those_who_read_the_branch_get_its_report(clock, db, make, english_login, client):
    college, branch, other, committee, (alice, *_rest), term = _world(db, make)
    api = f"/api/v1/branches/{branch.id}/term-report?term_id={term.id}"
    answer = _api(client, db, committee, api)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    numbers = answer.get_json()
    assert numbers["points"] == 23.5 and numbers["members"] == 4
    assert numbers["volunteering_hours"] == {"activities": 2, "quantity": 5.5}
    assert sum(m["points"] for m in numbers["member_points"]) == numbers["points"]
    assert numbers["uncategorised"] == 1.5
    assert _api(client, db, make.committee(other), api).status_code == 404
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=college.id))
    db.session.commit()
    for path in (f"/reports/branches/{branch.id}", f"/reports/branches/{branch.id}/term.xlsx"):
        assert english_login(advisor).get(path).status_code == 200
        assert english_login(make.committee(other)).get(path).status_code == 404
        assert english_login(alice).get(path).status_code == 404
    client = english_login(committee)
    assert client.get(f"/reports/branches/{branch.id}/term.pdf").status_code == 404
    assert client.get(f"/reports/branches/{branch.id}/term.docx?term=999").status_code == 404
    # Without a term named, the term of today.
    assert client.get(f"/reports/branches/{branch.id}/term.docx").status_code == 200
    dashboard = client.get(f"/dashboard/branch?scope=branch&branch={branch.id}").get_data(
        as_text=True
    )
    assert f'href="/reports/branches/{branch.id}' in dashboard


def test_the_command_writes_both_formats_and_names_what_is_wrong(clock, app, db, make, tmp_path):
    _college, branch, _other, _committee, (alice, *_rest), term = _world(db, make)
    flask_babel.refresh()  # a command speaks the terminal's language
    runner = app.test_cli_runner()
    out = tmp_path / "report.xlsx"
    done = runner.invoke(
        args=["report", "branch", "第一党支部", "--term", "2026秋", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "第一党支部" in done.output and str(out) in done.output
    book = load_workbook(out)
    header, rows = _table(
        [list(r) for r in book["Points of each member"].iter_rows(values_only=True)], "Rank"
    )
    assert alice.student_no in {r[header.index("Student number")] for r in rows}
    word = tmp_path / "report.docx"
    done = runner.invoke(
        args=["report", "branch", "第一党支部", "--term", "2026秋", "--out", str(word)]
    )
    assert done.exit_code == 0, done.output
    assert "第一党支部 2026秋 work report" in _docx_text(word.read_bytes())
    for args, message in (
        (["第一党支部", "--term", "2026秋", "--out", str(tmp_path / "r.pdf")], ".docx or .xlsx"),
        (["没有的支部", "--term", "2026秋", "--out", str(word)], "No branch named"),
        (["第一党支部", "--term", "2030春", "--out", str(word)], "No term named 2030春"),
    ):
        refused = runner.invoke(args=["report", "branch", *args])
        assert refused.exit_code == 1 and message in refused.output, refused.output
        assert "Traceback" not in refused.output
    assert not (tmp_path / "r.pdf").exists()


def test_a_mentor_who_moves_on_stays_in_the_term_report_of_the_branch_they_were_in(clock, db, make):
    """Moving a member never rewrites a branch's history: the 1+N pair Alice led in the
    term stays on its report, beside the session it counts, after she moves elsewhere."""
    _college, branch, other, _committee, (alice, bob, _carol), term = _world(db, make)
    organisation.move_member(db.session, alice, other, TODAY, None, TODAY)
    db.session.commit()
    report = term_report(db.session, branch, term, TODAY, FROZEN_NOW)
    assert [(p.mentor, p.mentee, p.sessions, p.confirmed) for p in report.pairs] == [
        (alice.name, bob.name, 1, 1)
    ]
    assert report.sessions == 1
