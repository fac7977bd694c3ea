"""Points from other systems of record (学习强国, 志愿汇): import, never twice, rank, reconcile."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tracker.external import sources
from tracker.ledger import totals
from tracker.models import Category, EntryKind, LedgerEntry, User
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking.branches import branch_leaderboard

WEEK = "2026-11-23"  # the Monday of TODAY's week


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
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "时长"])
    sheet.append([2023001, "张三", 2.5])
    out = io.BytesIO()
    book.save(out)
    path = write(tmp_path, out.getvalue(), "hours.xlsx")
    result = cli("import-points", path, "--source", "zyh", "--month", "2026-11")
    assert result.exit_code == 0, result.output
    zyh = db.session.scalar(select(Category).where(Category.key == "zyh"))
    booked = db.session.scalars(select(LedgerEntry).where(LedgerEntry.category_id == zyh.id)).one()
    assert (booked.points, booked.earned_on) == (Decimal("2.5"), date(2026, 11, 1))
    assert cli("check-ledger").exit_code == 0


def test_branch_leaderboard_by_xuexi_points_per_capita(cli, db, make, tmp_path):
    college = make.college()
    big, small = make.branch(college, "一支部"), make.branch(college, "二支部")
    # 一支部: three members, 300 + 150 + 0 = 450, 150 each; 二支部: one member, 200.
    rows = []
    for n, (branch, points) in enumerate([(big, 300), (big, 150), (big, 0), (small, 200)]):
        member = make.member(branch, student_no=f"X{n:04d}")
        rows.append((member.name, member.student_no, branch.name, points, points))
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
    assert cli("check-ledger").exit_code == 0


def test_external_categories_cannot_be_logged(db, make, member, login):
    client = login(member)
    page = client.get("/activities/new")
    assert "学习强国" not in page.get_data(as_text=True)
    assert client.get("/activities/new/xuexi").status_code == 404
