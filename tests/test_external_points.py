"""Points from other systems of record (学习强国, 志愿汇): import, never twice, rank, reconcile."""

from __future__ import annotations

import html
import io
import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.extensions import db as _db
from tracker.external import importing, reconciliation, reports, sources
from tracker.ledger import points, totals
from tracker.models import (
    AuditEvent,
    Category,
    EntryKind,
    ExternalSource,
    LedgerEntry,
    Role,
    User,
)
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking.branches import branch_leaderboard

from .conftest import FROZEN_NOW as NOW
from .conftest import TODAY
from .files import xlsx

WEEK = "2026-11-23"  # the Monday of TODAY's week
THREADS = 4


@pytest.fixture(autouse=True)
def frozen(clock):
    """Today is TODAY (a Wednesday): the reports' weeks and days are before it."""
    return clock


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


def xuexi_csv(rows, *, title=True, encoding="utf-8-sig") -> bytes:
    """A 学习强国 organisation export: a title row, then 姓名, 学号, 所属组织, 总积分, 本周积分."""
    lines = ["学习强国积分统计,,,,"] if title else []
    lines.append("姓名,学号,所属组织,总积分,本周积分")
    lines += [",".join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def write(tmp_path, data: bytes, name="report.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def external_points(db, user: User) -> Decimal:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.user_id == user.id, LedgerEntry.kind == EntryKind.EXTERNAL
        )
    )


def external_rows(db) -> int:
    return db.session.scalar(select(func.count()).where(LedgerEntry.kind == EntryKind.EXTERNAL))


def test_weekly_report_imported_twice_books_once(cli, db, make, branch, tmp_path):
    zhang = make.member(branch, name="张三", student_no="2023001")
    li = make.member(branch, name="李四", student_no="2023002")
    data = xuexi_csv(
        [("张三", "2023001", branch.name, 5321, 120), ("李四", "", branch.name, 800, 95)]
    )
    path = write(tmp_path, data)

    preview = cli("import-points", path, "--source", "xuexi", "--week", WEEK, "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert "Dry run" in preview.output and external_rows(db) == 0

    first = cli("import-points", path, "--source", "xuexi", "--week", WEEK)
    assert first.exit_code == 0, first.output
    # The weekly column (本周积分), not the total, for a week's report; 李四 matched by name.
    assert external_points(db, zhang) == Decimal(120)
    assert external_points(db, li) == Decimal(95)

    again = cli("import-points", path, "--source", "xuexi", "--week", WEEK)
    assert again.exit_code == 0, again.output
    assert external_rows(db) == 2
    assert external_points(db, zhang) == Decimal(120)

    # A corrected report of the same week replaces it: only the difference is booked.
    fixed = xuexi_csv(
        [("张三", "2023001", branch.name, 5331, 130), ("李四", "", branch.name, 800, 95)]
    )
    result = cli("import-points", write(tmp_path, fixed), "--source", "xuexi", "--week", WEEK)
    assert result.exit_code == 0, result.output
    assert external_points(db, zhang) == Decimal(130) and external_rows(db) == 3
    assert totals.differences(db.session) == []
    assert cli("check-ledger").exit_code == 0


def test_cumulative_report_books_differences_and_flags_a_drop(cli, db, make, branch, tmp_path):
    zhang = make.member(branch, name="张三", student_no="2023001")
    li = make.member(branch, name="李四", student_no="2023002")

    def report(day, zhang_total, li_total):
        data = xuexi_csv(
            [("张三", "2023001", "", zhang_total, 0), ("李四", "2023002", "", li_total, 0)]
        )
        return cli("import-points", write(tmp_path, data), "--source", "xuexi", "--on", day)

    assert report("2026-11-20", 1000, 500).exit_code == 0
    assert (external_points(db, zhang), external_points(db, li)) == (1000, 500)
    second = report("2026-11-24", 1130, 450)
    assert second.exit_code == 0, second.output
    assert "DROP" in second.output
    assert (external_points(db, zhang), external_points(db, li)) == (1130, 500)
    # Back above what was booked: only the part beyond it counts.
    assert report("2026-11-25", 1130, 520).exit_code == 0
    assert (external_points(db, zhang), external_points(db, li)) == (1130, 520)
    # An older cumulative report than the last is refused; so is a week it already counted.
    assert report("2026-11-21", 1, 1).exit_code != 0
    week = cli(
        "import-points",
        write(tmp_path, xuexi_csv([("张三", "2023001", "", 0, 7)])),
        "--source",
        "xuexi",
        "--week",
        WEEK,
    )
    assert week.exit_code != 0 and "counted this period already" in week.output
    far = cli("import-points", write(tmp_path, b"x"), "--source", "xuexi", "--week", "9999-12-31")
    assert far.exit_code == 1 and "A day from" in far.output
    assert cli("check-ledger").exit_code == 0


def test_unmatched_and_ambiguous_rows_block_the_import(cli, db, make, branch, tmp_path):
    make.member(branch, name="王五")
    make.member(branch, name="王五")
    make.member(branch, name="赵六")
    elsewhere = make.member(name="钱七", student_no="2029999")
    data = xuexi_csv(
        [
            ("赵六", "", "", 10, 10),  # row 3: fine
            ("王五", "", "", 10, 10),  # row 4: two members have this name
            ("孙八", "", "", 10, 10),  # row 5: nobody
            ("钱七", elsewhere.student_no, "", 10, 10),  # row 6: fine for the whole school
        ]
    )
    result = cli("import-points", write(tmp_path, data), "--source", "xuexi", "--week", WEEK)
    assert result.exit_code != 0
    assert "row 4: 2 members are called 王五" in result.output
    assert "row 5: No member is called 孙八" in result.output
    assert "row 3:" not in result.output.split("Nothing was booked")[0].split("row 4")[1]
    assert "Nothing was booked" in result.output
    assert external_rows(db) == 0


def test_gb18030_csv_and_xlsx_files_work(cli, db, make, branch, tmp_path):
    zhang = make.member(branch, name="张三", student_no="2023001")
    gb = xuexi_csv([("张三", "2023001", branch.name, 300, 30)], encoding="gb18030")
    result = cli("import-points", write(tmp_path, gb), "--source", "xuexi", "--week", WEEK)
    assert result.exit_code == 0, result.output
    assert external_points(db, zhang) == 30

    # 志愿汇 hours as XLSX, a month's report, numbers as numbers and 学号 typed as one.
    path = write(tmp_path, xlsx([("学号", "姓名", "时长"), (2023001, "张三", 2.5)]), "hours.xlsx")
    result = cli("import-points", path, "--source", "zyh", "--month", "2026-11")
    assert result.exit_code == 0, result.output
    zyh = db.session.scalar(select(Category).where(Category.key == "zyh"))
    booked = db.session.scalars(select(LedgerEntry).where(LedgerEntry.category_id == zyh.id)).one()
    assert (booked.points, booked.earned_on) == (Decimal("2.5"), date(2026, 11, 1))
    assert cli("check-ledger").exit_code == 0


def test_branch_leaderboard_by_xuexi_points_per_capita(cli, db, make, login, tmp_path):
    college = make.college()
    big, small = make.branch(college, "一支部"), make.branch(college, "二支部")
    # 一支部: three members, 300 + 150 + 0 = 450, 150 each; 二支部: one member, 200.
    rows = []
    for n, (branch, earned) in enumerate([(big, 300), (big, 150), (big, 0), (small, 200)]):
        member = make.member(branch, student_no=f"X{n:04d}")
        rows.append((member.name, member.student_no, branch.name, earned, earned))
    # Self-logged points elsewhere must not count on the 学习强国 board.
    make.activity(make.member(big, student_no="X9999"), "meeting", quantity=1)
    result = cli(
        "import-points", write(tmp_path, xuexi_csv(rows)), "--source", "xuexi", "--week", WEEK
    )
    assert result.exit_code == 0, result.output

    xuexi = sources.source_by_key(db.session, "xuexi")
    week = Period("week", date(2026, 11, 23), date(2026, 11, 30))
    board = branch_leaderboard(
        db.session,
        week,
        Scope("college", college.id),
        category_id=xuexi.category_id,
        sort="per_capita",
    )
    # By hand: 二支部 200 / 1 = 200 first; 一支部 450 / 4 members = 112.5 second.
    assert [(s.branch_name, s.rank, s.per_capita) for s in board] == [
        ("二支部", 1, Decimal(200)),
        ("一支部", 2, Decimal("112.5")),
    ]
    # The page a secretary opens: 学习强国 only, points per member, this week.
    admin = login(make.user(Role.ADMIN))
    page = admin.get(
        f"/leaderboard/branches?scope=college&college={college.id}&period=week"
        f"&category={xuexi.category_id}&sort=per_capita"
    ).get_data(as_text=True)
    assert page.index("二支部") < page.index("一支部") and "112.5" in page
    assert cli("check-ledger").exit_code == 0


def test_external_categories_cannot_be_logged(db, make, member, login):
    client = login(member)
    page = client.get("/activities/new")
    assert "学习强国" not in page.get_data(as_text=True)
    assert client.get("/activities/new/xuexi").status_code == 404


def test_committee_uploads_previews_accepts_and_reconciles(db, make, branch, login):
    committee = make.committee(branch)
    zhang = make.member(branch, name="张三", student_no="2023001")
    make.member(branch, name="李四", student_no="2023002")
    stranger = make.member(name="王五", student_no="2029999")
    points.approve_activity(db.session, make.activity(zhang, "volunteer", quantity=3), None, NOW)
    db.session.commit()
    client = login(committee)
    form = {"source": "zyh", "period": "week", "day": TODAY.isoformat()}

    # A member of another branch blocks the import, with the row's number.
    data = xlsx(
        [("学号", "姓名", "时长"), ("2023001", "张三", 2), (stranger.student_no, "王五", 4)]
    )
    page = client.post(
        "/points/import",
        data={**form, "file": (io.BytesIO(data), "h.xlsx")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "<td>3</td>" in text and "其他支部" in text
    assert 'name="staged"' not in text

    data = xlsx([("学号", "姓名", "时长"), ("2023001", "张三", 2), ("2023002", "李四", 1.5)])
    page = client.post(
        "/points/import",
        data={**form, "file": (io.BytesIO(data), "h.xlsx")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert external_rows(db) == 0  # a preview books nothing
    staged = re.search(r'name="staged" value="([0-9a-f]{32})"', text).group(1)
    params = html.unescape(re.search(r'name="params" value="([^"]*)"', text).group(1))
    # Choices tampered with on the way back are refused, not booked nor a 500.
    for forged in ("[]", '{"source": "zyh", "period": "week", "day": "9999-12-31", "columns": {}}'):
        answer = client.post("/points/import/confirm", data={"staged": staged, "params": forged})
        assert answer.status_code == 400
    done = client.post("/points/import/confirm", data={"staged": staged, "params": params})

    assert done.status_code == 302
    assert external_points(db, zhang) == 2 and external_rows(db) == 2

    # The committee sees 3 hours logged beside 2 reported: highlighted.
    page = client.get(done.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    row = re.search(r'<tr class="table-warning differs"><td>2023001</td>.*?</tr>', text, re.S)
    assert row and ">2<" in row.group(0) and ">3<" in row.group(0) and ">-1<" in row.group(0)
    # 张三 sees the import on his history, with its source.
    mine = login(zhang).get("/points/mine").get_data(as_text=True)
    assert "志愿汇时长" in mine
    assert totals.differences(db.session) == []
    # Another branch's reconciliation is not the committee's to read.
    assert client.get(f"/points/reconcile?branch={stranger.branch_id}").status_code == 403


def test_admin_defines_a_source(db, make, login):
    admin = make.user(Role.ADMIN)
    client = login(admin)
    volunteer = db.session.scalar(select(Category).where(Category.key == "volunteer"))
    page = client.post(
        "/points/sources",
        data={
            "key": "izy",
            "name_zh": "i志愿时长",
            "name_en": "i-Volunteer hours",
            "unit": "hours",
            "points_per_unit": "2",
            "matching_category_id": str(volunteer.id),
        },
    )
    assert page.status_code == 302
    source = sources.source_by_key(db.session, "izy")
    assert source.category.external and source.points_per_unit == 2
    listing = client.get("/points/sources").get_data(as_text=True)
    assert listing.count("izy") >= 1
    # A source has a name (名称), not a person's name (姓名).
    assert "<th>名称</th>" in listing and "姓名" not in listing


def test_api_upload_previews_then_books_and_audits_without_names(db, make, branch, login):
    committee = make.committee(branch)
    zhang = make.member(branch, name="张三", student_no="2023001")
    client = login(committee)
    data = xuexi_csv([("张三", "2023001", branch.name, 400, 40)], encoding="gb18030")

    def upload(**extra):
        return client.post(
            "/api/v1/points/imports",
            data={
                "source": "xuexi",
                "period": "cumulative",
                "file": (io.BytesIO(data), "r.csv"),
                **extra,
            },
            content_type="multipart/form-data",
        )

    preview = upload(dry_run="true")
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert (body["applied"], body["points"], body["rows"][0]["member"]) == (False, 400, zhang.id)
    assert external_rows(db) == 0
    booked = upload()
    assert booked.status_code == 201 and booked.get_json()["applied"]
    assert external_points(db, zhang) == 400
    assert upload().get_json()["points"] == 0  # the same totals again: nothing more

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "points.imported")
    ).first()
    assert event.details["source"] == "xuexi" and event.details["points"] == "400.0"
    assert "张三" not in str(event.details) and "2023001" not in str(event.details)
    # A member may not import.
    assert login(zhang).post("/api/v1/points/imports", data={}).status_code == 403


def test_the_same_report_imported_at_once_books_once(app, db, make, branch):
    zhang = make.member(branch, name="张三", student_no="2023001")
    data = xuexi_csv([("张三", "2023001", "", 500, 60)])
    source_id = sources.source_by_key(db.session, "xuexi").id
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def run() -> None:
        with app.app_context():
            session = _db.session
            barrier.wait()
            try:
                importing.import_points(
                    session,
                    data,
                    source=session.get(ExternalSource, source_id),
                    period=reports.covered("week", TODAY),
                    actor=None,
                    branch_id=None,
                    today=TODAY,
                    dry_run=False,
                )
                session.commit()
                outcomes.append("done")
            finally:
                session.remove()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["done"] * THREADS
    db.session.expire_all()
    assert external_points(db, zhang) == 60 and external_rows(db) == 1
    assert totals.differences(db.session) == []


def test_a_column_named_once_is_remembered_for_the_source(cli, db, make, branch, tmp_path):
    zhang = make.member(branch, name="张三", student_no="2023001")
    odd = "成员编号,成员姓名,累计学习积分\n2023001,张三,{}\n"
    path = write(tmp_path, odd.format(700).encode())
    refused = cli("import-points", path, "--source", "xuexi", "--on", "2026-11-20")
    assert refused.exit_code == 1 and "No column of the file was recognised" in refused.output
    named = cli(
        "import-points",
        path,
        "--source",
        "xuexi",
        "--on",
        "2026-11-20",
        "--column",
        "value=累计学习积分",
        "--column",
        "student_no=成员编号",
    )
    assert named.exit_code == 0, named.output
    again = cli("import-points", write(tmp_path, odd.format(750).encode()), "--source", "xuexi")
    assert again.exit_code == 0, again.output
    assert external_points(db, zhang) == 750


def test_admin_changes_a_sources_rate_for_the_imports_to_come(
    cli, db, make, branch, login, tmp_path
):
    zhang = make.member(branch, name="张三", student_no="2023001")
    xuexi = sources.source_by_key(db.session, "xuexi")
    report = xuexi_csv([("张三", "2023001", "", 1000, 0)])
    assert (
        cli(
            "import-points", write(tmp_path, report), "--source", "xuexi", "--on", "2026-11-20"
        ).exit_code
        == 0
    )
    assert external_points(db, zhang) == 1000

    admin = make.user(Role.ADMIN)
    client = login(admin)
    url = f"/points/sources/{xuexi.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'name="points_per_unit"' in form and "学习强国" in form
    refused = client.post(
        url,
        data={
            "name_zh": "学习强国积分",
            "name_en": "Xuexi points",
            "points_per_unit": "0",
            "matching_category_id": "0",
        },
    )
    assert refused.status_code == 422 and "应在 0.1 到 100 之间" in refused.get_data(as_text=True)
    changed = client.post(
        url,
        data={
            "name_zh": "学习强国积分",
            "name_en": "Xuexi points",
            "points_per_unit": "0.5",
            "matching_category_id": "0",
        },
    )
    assert changed.status_code == 302
    db.session.expire_all()
    assert xuexi.points_per_unit == Decimal("0.5")
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "points_source.changed"))
        == 1
    )

    # What was booked stays; the next 200 units count at the new rate.
    report = xuexi_csv([("张三", "2023001", "", 1200, 0)])
    assert (
        cli(
            "import-points", write(tmp_path, report), "--source", "xuexi", "--on", "2026-11-24"
        ).exit_code
        == 0
    )
    assert external_points(db, zhang) == 1100
    assert cli("check-ledger").exit_code == 0
    assert "<title>学习强国积分 ·" in form
    assert client.get("/points/sources/999999").status_code == 404
    assert login(zhang).get(url).status_code == 403


def test_a_first_cumulative_report_can_be_a_baseline_that_books_nothing(
    cli, db, make, branch, login, tmp_path
):
    """Members bring years of 学习强国 points: the first total is where counting starts."""
    zhang = make.member(branch, name="张三", student_no="2023001")
    li = make.member(branch, name="李四", student_no="2023002")

    def report(day, zhang_total, li_total, *extra):
        data = xuexi_csv(
            [("张三", "2023001", "", zhang_total, 0), ("李四", "2023002", "", li_total, 0)]
        )
        path = write(tmp_path, data)
        return cli("import-points", path, "--source", "xuexi", "--on", day, *extra)

    week = cli(
        "import-points",
        write(tmp_path, xuexi_csv([("张三", "2023001", "", 0, 7)])),
        "--source",
        "xuexi",
        "--week",
        WEEK,
        "--baseline",
    )
    assert week.exit_code == 1 and "baseline" in week.output.lower()
    first = report("2026-11-20", 6000, 2500, "--baseline")
    assert first.exit_code == 0, first.output
    assert "Booked." in first.output and "0 to book" in first.output
    assert external_rows(db) == 0
    assert report("2026-11-24", 6130, 2560).exit_code == 0
    assert (external_points(db, zhang), external_points(db, li)) == (130, 60)
    assert cli("check-ledger").exit_code == 0

    # On the page: the box carries through the preview to the booking.
    wang = make.member(branch, name="王五", student_no="2023003")
    client = login(make.committee(branch))
    data = xuexi_csv([("王五", "2023003", "", 9000, 0)])
    preview = client.post(
        "/points/import",
        data={
            "source": "xuexi",
            "period": "cumulative",
            "day": "2026-11-24",
            "baseline": "y",
            "file": (io.BytesIO(data), "report.csv"),
        },
    )
    assert preview.status_code == 200, preview.get_data(as_text=True)
    page = preview.get_data(as_text=True)
    assert "members counted before book what they gained since" in html.unescape(page)
    staged = re.search(r'name="staged" value="([0-9a-f]+)"', page).group(1)
    carried = html.unescape(re.search(r'name="params" value="([^"]*)"', page).group(1))
    assert '"baseline": true' in carried
    booked = client.post("/points/import/confirm", data={"staged": staged, "params": carried})
    assert booked.status_code == 302
    assert external_points(db, wang) == 0
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "points.imported")) == 3
    )


def test_a_baseline_books_what_members_already_counted_gained_since(
    cli, db, make, branch, tmp_path
):
    """A baseline starts counting only for members the source has no total of yet: a member
    already counted keeps every unit gained since their last report (none silently dropped),
    while a newcomer in the same file starts from their total."""
    zhang = make.member(branch, name="张三", student_no="2023001")
    li = make.member(branch, name="李四", student_no="2023002")

    def report(day, rows, *extra):
        path = write(tmp_path, xuexi_csv(rows))
        return cli("import-points", path, "--source", "xuexi", "--on", day, *extra)

    assert report("2026-11-20", [("张三", "2023001", "", 6000, 0)], "--baseline").exit_code == 0
    assert report("2026-11-22", [("张三", "2023001", "", 6100, 0)]).exit_code == 0
    assert external_points(db, zhang) == 100

    # 李四 joins; the secretary ticks the box again for a file that lists both.
    again = report(
        "2026-11-24",
        [("张三", "2023001", "", 6150, 0), ("李四", "2023002", "", 3000, 0)],
        "--baseline",
    )
    assert again.exit_code == 0, again.output
    assert (external_points(db, zhang), external_points(db, li)) == (150, 0)
    assert report("2026-11-25", [("李四", "2023002", "", 3020, 0)]).exit_code == 0
    assert external_points(db, li) == 20
    assert cli("check-ledger").exit_code == 0


def test_reconciliation_leaves_out_a_baseline_which_no_one_gained_that_week(
    cli, db, make, branch, tmp_path
):
    """A baseline's totals are years of earlier hours: the week it was taken must not show
    them as reported that week beside what the member logged."""
    zhang = make.member(branch, name="张三", student_no="2023001")
    points.approve_activity(db.session, make.activity(zhang, "volunteer", quantity=3), None, NOW)
    db.session.commit()

    def report(day, total, *extra):
        data = xlsx([("学号", "姓名", "时长"), ("2023001", "张三", total)])
        path = write(tmp_path, data, "hours.xlsx")
        return cli("import-points", path, "--source", "zyh", "--on", day, *extra)

    assert report("2026-11-24", 200, "--baseline").exit_code == 0
    zyh = sources.source_by_key(db.session, "zyh")
    week = Period("week", date(2026, 11, 23), date(2026, 11, 30))
    [line] = reconciliation.reconciliation(db.session, zyh, branch.id, week)
    assert (line.external, line.logged, line.difference) == (0, 3, -3)

    # The hours gained after it are reported in the week they were booked.
    assert report(TODAY.isoformat(), 203).exit_code == 0
    [line] = reconciliation.reconciliation(db.session, zyh, branch.id, week)
    assert (line.external, line.logged, line.difference) == (3, 3, 0)
    assert external_points(db, zhang) > 0


def test_a_sources_audit_says_which_of_its_settings_changed(db, make, login):
    """Matching another category changes what the reconciliation compares: the log says it;
    a save that changes nothing logs nothing."""
    zyh = sources.source_by_key(db.session, "zyh")
    study = db.session.scalar(select(Category).where(Category.key == "study"))
    client = login(make.user(Role.ADMIN))
    url = f"/points/sources/{zyh.id}"
    unchanged = {
        "name_zh": zyh.category.name_zh,
        "name_en": zyh.category.name_en,
        "points_per_unit": str(zyh.points_per_unit),
        "matching_category_id": str(zyh.matching_category_id or 0),
    }

    def logged():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "points_source.changed")
        ).all()

    assert client.post(url, data=unchanged).status_code == 302
    assert logged() == []
    assert client.post(url, data={**unchanged, "matching_category_id": study.id}).status_code == 302
    [event] = logged()
    assert event.details["fields"] == "matching_category"
    assert (
        client.post(url, data={**unchanged, "name_en": "Volunteer hours (ZYH)"}).status_code == 302
    )
    assert [e.details["fields"] for e in logged()] == [
        "matching_category",
        "matching_category,name_en",
    ]
