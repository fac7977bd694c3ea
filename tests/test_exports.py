"""Exports: CSV with a BOM and XLSX parse back, formulas are neutralised, every export is
audited and permission-checked."""

import csv
import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from tracker import spreadsheets
from tracker.ledger import points
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
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


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
    assert rows[1][:4] == ["1", "'=HYPERLINK(1)", branch.name, "6.0"]
    sheet = read_xlsx(client.get("/export/members.xlsx?period=month"))
    assert sheet[1][:4] == (1, "'=HYPERLINK(1)", branch.name, 6.0)
    assert sheet[2][1] == "李支委"
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
    names = {row[1] for row in rows[1:]}
    assert names == {"王小明", "欧**娜"}


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
    assert rows[1][8] == "4.0" and rows[2][8] == ""
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
    volunteer = header.index(next(h for h in header if h in ("志愿服务", "Volunteering")))
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


def test_neutralise():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheets.neutralise(bad) == "'" + bad
    assert spreadsheets.neutralise("张三") == "张三" and spreadsheets.neutralise(-1) == -1
