"""Exports: CSV with a BOM and XLSX parse back, formulas are neutralised, every export is
audited and permission-checked."""

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select

from tracker import spreadsheets
from tracker.ledger import points, terms
from tracker.models import AdvisorScope, AuditEvent, Role

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def approved(db, make, member, reviewer, hours=2, title="社区志愿服务"):
    activity = make.activity(
        member, "volunteer", quantity=hours, occurred_on=date(2026, 11, 24), title=title
    )
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    return activity


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response) -> list[tuple]:
    """The table under the title row: the header first."""
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert rows[0][0] and " · " in rows[0][0]  # the title: what, whose, when
    return rows[1:]


def test_member_leaderboard_as_csv_and_xlsx(db, make, login, clock):
    branch = make.branch()
    reviewer = make.committee(branch, name="李支委")
    member = make.member(branch, name="=HYPERLINK(1)")
    approved(db, make, member, reviewer, hours=3)
    client = login(reviewer)
    response = client.get("/export/members.csv?period=month")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    rows = read_csv(response)
    assert rows[1][:5] == ["1", member.student_no, "'=HYPERLINK(1)", branch.name, "6.0"]
    sheet = read_xlsx(client.get("/export/members.xlsx?period=month"))
    assert sheet[1][:5] == (1, member.student_no, "'=HYPERLINK(1)", branch.name, 6.0)
    assert sheet[2][1:3] == (reviewer.student_no, "李支委")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.details["what"], e.details["format"]) for e in events] == [
        ("members", "csv"),
        ("members", "xlsx"),
    ]
    assert all(e.actor_id == reviewer.id and e.details["rows"] == 2 for e in events)


def test_members_export_masks_names_as_the_page_does(db, make, login, clock):
    branch = make.branch()
    viewer = make.member(branch, name="王小明")
    make.member(branch, name="欧阳娜娜")
    rows = read_csv(login(viewer).get("/export/members.csv?period=all"))
    assert {(row[1], row[2]) for row in rows[1:]} == {(viewer.student_no, "王小明"), ("", "欧**娜")}


def test_branch_leaderboard_and_activity_records(db, make, login, clock):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch, name="张三")
    approved(db, make, member, reviewer, title="+1 志愿")
    make.activity(member, "volunteer", quantity=1, occurred_on=date(2026, 11, 23), title="@待审")
    client = login(reviewer)
    sheet = read_xlsx(client.get("/export/branches.xlsx?period=month&scope=school"))
    assert sheet[1][1] == branch.name and sheet[1][3] == 4.0 and sheet[1][4] == 2
    rows = read_csv(client.get("/export/activities.csv?period=month"))
    assert [r[5] for r in rows[1:]] == ["'+1 志愿", "'@待审"]
    assert rows[1][6:] == ["2.0", "小时", "已通过", "4.0"] and rows[2][9] == ""
    only_pending = read_csv(client.get("/export/activities.csv?period=month&status=pending"))
    assert len(only_pending) == 2
    assert client.get("/export/activities.csv?status=lost").status_code == 400
    assert client.get("/export/activities.pdf").status_code == 404


def test_period_report_of_a_branch(db, make, login, clock):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch, name="张三")
    approved(db, make, member, reviewer)
    sheet = read_xlsx(login(reviewer).get("/export/report.xlsx?period=year"))
    header = sheet[0]
    assert header[2] and sheet[1][2] == "张三"
    volunteer = header.index("志愿服务（分）")
    assert sheet[1][volunteer] == 4.0
    assert any(row and row[0] in ("支部", "Branch") and row[1] == branch.name for row in sheet)


def test_exports_respect_who_may_read_what(db, make, login, clock):
    branch, other = make.branch(), make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch, name="张三")
    classmate = make.member(branch, name="李四")
    approved(db, make, member, reviewer)
    approved(db, make, classmate, reviewer, title="李四的记录")
    client = login(member)
    assert client.get("/export/report.csv").status_code == 403
    own = read_csv(client.get("/export/activities.csv?period=month"))
    assert [r[2] for r in own[1:]] == ["张三"]
    assert client.get(f"/export/members.csv?branch={other.id}").status_code == 404
    assert login(reviewer).get(f"/export/report.csv?branch={other.id}").status_code == 404
    assert login(reviewer).get("/export/activities.csv?scope=school").status_code == 403
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=other.id))
    db.session.commit()
    assert login(advisor).get(f"/export/report.csv?branch={branch.id}").status_code == 404
    school = read_csv(login(advisor).get("/export/activities.csv?period=month&scope=school"))
    assert school[1:] == []


def test_xlsx_is_ready_to_hand_in_and_csv_stays_a_plain_table(db, make, login, clock):
    branch = make.branch(name="第一党支部")
    reviewer = make.committee(branch)
    member = make.member(branch, name="张三")
    approved(db, make, member, reviewer, title="社区志愿服务" * 8)
    client = login(reviewer)
    response = client.get("/export/activities.xlsx?period=month")
    disposition = response.headers["Content-Disposition"]
    # Chinese name for browsers (RFC 5987), an ASCII one for the rest; branch and period in both.
    assert disposition == (
        f'attachment; filename="activities-branch-{branch.id}-2026-11-01_2026-11-30.xlsx"; '
        "filename*=UTF-8''" + quote("活动记录-第一党支部-2026-11-01_2026-11-30.xlsx", safe="")
    )
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.worksheets[0]
    assert sheet.title == "活动记录"
    assert sheet["A1"].value == "活动记录 · 第一党支部 · 2026-11-01 – 2026-11-30"
    assert sheet["A1"].font.b
    header = [cell.value for cell in sheet[2]]
    assert header[:7] == ["日期", "学号", "姓名", "支部", "类别", "标题", "数量"]
    assert header[7:] == ["单位", "状态", "积分（分）"]
    assert all(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:J3"
    assert sheet["F3"].value == "社区志愿服务" * 8
    widths = {c: sheet.column_dimensions[c].width for c in "ABF"}
    assert widths["A"] >= 10 and widths["B"] >= len(member.student_no)
    assert widths["F"] == spreadsheets.MAX_WIDTH  # long titles are capped, not 100 wide

    members = client.get("/export/members.xlsx?period=month")
    book = load_workbook(io.BytesIO(members.get_data()))
    assert book.worksheets[0].title == "成员排行榜"
    assert [c.value for c in book.worksheets[0][2]][:2] == ["排名", "学号"]
    assert [c.value for c in book.worksheets[0][2]][4:] == ["积分（分）", "记录数（次）"]
    term = terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))
    db.session.commit()
    report = client.get(f"/export/report.xlsx?period=term&term={term.id}")
    assert "2026-09-01_2027-01-17.xlsx" in report.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(report.get_data())).worksheets[0]
    assert sheet.title == "支部报表"
    assert sheet["A1"].value == "支部报表 · 第一党支部 · 2026秋季学期（2026-09-01 – 2027-01-17）"
    # Machines read the CSV: its header is the first row, no title above it.
    rows = read_csv(client.get("/export/members.csv?period=month"))
    assert rows[0] == ["排名", "学号", "姓名", "支部", "积分（分）", "记录数（次）"]


def test_an_english_reader_gets_english_sheets_and_file_names(db, make, english_login, clock):
    secretary = make.committee(make.branch())
    english = english_login(secretary).get("/export/branches.xlsx?period=month&scope=school")
    assert (
        'filename="branches-school-2026-11-01_2026-11-30.xlsx"'
        in english.headers["Content-Disposition"]
    )
    book = load_workbook(io.BytesIO(english.get_data()))
    assert book.worksheets[0].title == "Branch leaderboard"
    assert book.worksheets[0]["A1"].value.startswith("Branch leaderboard · Whole school · ")
    assert "Total points (pts)" in [c.value for c in book.worksheets[0][2]]


def test_sheet_names_and_file_names_survive_odd_characters():
    title = spreadsheets.sheet_title("支部/b:c*d?[e]\\f" * 3)
    assert len(title) == 31 and title.startswith("支部_b_c_d__e__f支部")
    assert spreadsheets.sheet_title("") == "Sheet"
    assert spreadsheets.attachment("x.csv", "x.csv") == 'attachment; filename="x.csv"'
    assert 'filename="a-b.csv"' in spreadsheets.attachment("名.csv", 'a"b.csv')


def test_neutralise():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheets.neutralise(bad) == "'" + bad
    assert spreadsheets.neutralise("张三") == "张三" and spreadsheets.neutralise(-1) == -1


def test_the_activity_export_is_linked_where_it_belongs(db, make, login, clock):
    branch = make.branch()
    secretary = make.committee(branch)
    member = make.member(branch)
    client = login(secretary)
    for page in ("/dashboard/branch", "/review/", "/leaderboard/?scope=branch"):
        html = client.get(page).get_data(as_text=True)
        link = html.split("/export/activities.xlsx", 1)
        assert len(link) == 2, page
        query = link[1].split('"')[0].replace("&amp;", "&")
        assert client.get("/export/activities.xlsx" + query).status_code == 200, page
    # A committee member takes activities branch by branch only; a member has the own list.
    assert "/export/activities" not in client.get("/leaderboard/?scope=school").text
    assert "/export/activities" not in login(member).get("/leaderboard/").text
