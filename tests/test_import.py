"""Bulk import of members: every file format, every problem, all or nothing."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tracker.models import ActivationToken, AuditEvent, Membership, Role, Stage, User

HEADER = "student_no,name,college,branch,role,stage,email\n"


@pytest.fixture
def place(make):
    college = make.college("马克思主义学院")
    return make.branch(college, "第一党支部"), make.branch(college, "第二党支部")


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


@pytest.fixture
def as_admin(clock, make, db, login):
    admin = make.user(Role.ADMIN)
    admin.locale = "en"
    db.session.commit()
    return login(admin)


def users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def upload(client, data: bytes, name: str = "members.csv"):
    return client.post(
        "/admin/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


GOOD = (
    HEADER
    + "2026001,张三,马克思主义学院,第一党支部,member,activist,zhang@example.edu.cn\n"
    + "2026002,李四,马克思主义学院,第二党支部,支委,预备党员,\n"
)


@pytest.mark.parametrize(
    "encoded",
    [GOOD.encode("utf-8"), b"\xef\xbb\xbf" + GOOD.encode("utf-8"), GOOD.encode("gb18030")],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_csv_in_every_encoding_excel_writes(db, place, cli, tmp_path, encoded):
    path = tmp_path / "members.csv"
    path.write_bytes(encoded)
    result = cli("import-members", str(path), "--links", str(tmp_path / "links.csv"))
    assert result.exit_code == 0, result.output
    zhang = db.session.scalars(select(User).where(User.student_no == "2026001")).one()
    li = db.session.scalars(select(User).where(User.student_no == "2026002")).one()
    assert zhang.name == "张三" and zhang.branch_id == place[0].id and zhang.stage == Stage.ACTIVIST
    assert li.role == Role.COMMITTEE and li.stage == Stage.PROBATIONARY
    assert li.branch_id == place[1].id and li.password_hash is None
    links = list(csv.reader((tmp_path / "links.csv").read_text("utf-8-sig").splitlines()))
    assert links[0] == ["student_no", "name", "activation_link"] and len(links) == 3
    assert links[1][2].startswith("http://127.0.0.1:5000/activate/")
    assert db.session.scalar(select(func.count(ActivationToken.id))) == 2


def test_xlsx(db, place, cli, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["student_no", "name", "college", "branch", "role", "stage", "email"])
    sheet.append([2026003, "王五", "马克思主义学院", "第一党支部", None, None, None])
    book.save(tmp_path / "members.xlsx")
    result = cli(
        "import-members", str(tmp_path / "members.xlsx"), "--links", str(tmp_path / "l.csv")
    )
    assert result.exit_code == 0, result.output
    wang = db.session.scalars(select(User).where(User.student_no == "2026003")).one()
    assert wang.role == Role.MEMBER and wang.branch_id == place[0].id


def test_dry_run_changes_nothing(db, place, cli, tmp_path):
    (tmp_path / "m.csv").write_text(GOOD)
    before = users(db)
    result = cli("import-members", str(tmp_path / "m.csv"), "--dry-run")
    assert result.exit_code == 0 and "2 to create" in result.output
    assert users(db) == before


def test_every_problem_is_reported_with_its_row_and_nothing_is_imported(db, place, as_admin):
    rows = [
        "2026999,好人,马克思主义学院,第一党支部,,,",
        "2026001,张三,马克思主义学院,第一党支部,,,",
        "2026001,张三三,马克思主义学院,第一党支部,,,",
        "2026002,张三,马克思主义学院,第九党支部,,,",
        "2026003,张三,马克思主义学院,第一党支部,boss,,",
        "2026004,张三,马克思主义学院,第一党支部,,senior,",
        "2026005,张三,马克思主义学院,第一党支部,,,not-an-email",
        "2026006,,马克思主义学院,第一党支部,,,",
        "20 26,张三,马克思主义学院,第一党支部,,,",
        ",张三,,,member,,",
    ]
    expected = [
        (4, "Student number", "appears already in row 3"),
        (5, "Branch", "Unknown branch"),
        (6, "Role", "Unknown role"),
        (7, "Member stage", "Unknown member stage"),
        (8, "Email", "not an email"),
        (9, "Name", "The name is empty"),
        (10, "Student number", "letters, digits"),
        (11, "Student number", "letters, digits"),
        (11, "Branch", "need a branch"),
    ]
    before = users(db)
    response = upload(as_admin, (HEADER + "\n".join(rows)).encode())
    assert response.status_code == 422 and "Nothing was imported" in response.text
    problems = response.text.split('id="problems"')[1].split("</table>")[0]
    reported = [
        tuple(cell.split("</td>")[0] for cell in line.split("<td>")[1:])
        for line in problems.split("<tr>")[2:]
    ]
    assert [(int(r), c) for r, c, _m in reported] == [(r, c) for r, c, _m in expected]
    for (_r, _c, message), (_row, _column, wanted) in zip(reported, expected, strict=True):
        assert wanted in message
    assert 'name="staged"' not in response.text
    assert users(db) == before


def test_command_line_refuses_a_file_with_problems(db, place, cli, tmp_path):
    (tmp_path / "m.csv").write_text(GOOD + "2026001,重复,马克思主义学院,第一党支部,,,\n")
    before = users(db)
    result = cli("import-members", str(tmp_path / "m.csv"))
    assert result.exit_code != 0 and "Nothing was imported" in result.output
    assert "row 4 [student_no]" in result.output
    assert users(db) == before


def test_archived_branch_in_the_file_is_a_problem(db, place, cli, tmp_path):
    from datetime import UTC, datetime

    place[1].archived_at = datetime.now(UTC)
    db.session.commit()
    (tmp_path / "m.csv").write_text(GOOD)
    result = cli("import-members", str(tmp_path / "m.csv"))
    assert (
        result.exit_code != 0 and "row 3 [branch]" in result.output and "archived" in result.output
    )


def test_header_problems_refuse_the_file(db, place, cli, tmp_path):
    cases = [
        ("student_no,name,college,branch,class\n1,a,b,c,d\n", "Unknown columns: class"),
        ("student_no,name\n2026001,张三\n", "Missing columns: college, branch"),
        ("", "The file is empty"),
    ]
    for content, message in cases:
        (tmp_path / "m.csv").write_text(content)
        result = cli("import-members", str(tmp_path / "m.csv"))
        assert result.exit_code != 0 and message in result.output, content


def test_existing_accounts_are_updated_and_moved(db, make, place, cli, tmp_path, clock):
    one, two = place
    member = make.member(one, student_no="2026001", name="旧名", joined_on=date(2026, 9, 1))
    (tmp_path / "m.csv").write_text(HEADER + "2026001,新名,马克思主义学院,第二党支部,,,\n")
    result = cli("import-members", str(tmp_path / "m.csv"), "--links", str(tmp_path / "l.csv"))
    assert result.exit_code == 0, result.output
    assert "update 2026001" in result.output
    db.session.refresh(member)
    assert member.name == "新名" and member.branch_id == two.id
    spans = db.session.scalars(
        select(Membership).where(Membership.user_id == member.id).order_by(Membership.start_on)
    ).all()
    assert [(m.branch_id, m.end_on) for m in spans] == [
        (one.id, date(2026, 11, 25)),
        (two.id, None),
    ]


def test_web_preview_then_import_with_links(db, place, as_admin):
    response = upload(as_admin, GOOD.encode("gb18030"))
    assert response.status_code == 200 and "2 accounts to create" in response.text
    assert users(db) == 1  # only the admin
    staged = response.text.split('name="staged" value="')[1].split('"')[0]
    response = as_admin.post("/admin/import/confirm", data={"staged": staged, "output": "page"})
    assert response.status_code == 200 and response.text.count("/activate/") == 2
    assert users(db) == 3
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == (
        "members.imported"
    )
    # The staged file is gone: a second confirmation cannot import twice.
    assert as_admin.post("/admin/import/confirm", data={"staged": staged}).status_code == 404


def test_web_import_can_hand_out_links_as_csv(db, place, as_admin):
    response = upload(as_admin, GOOD.encode())
    staged = response.text.split('name="staged" value="')[1].split('"')[0]
    response = as_admin.post("/admin/import/confirm", data={"staged": staged, "output": "csv"})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(response.get_data(as_text=True).lstrip("\ufeff").splitlines()))
    assert [r[0] for r in rows] == ["student_no", "2026001", "2026002"]


@pytest.mark.config(TRACKER_BASE_URL="https://tracker.example.edu.cn")
def test_imported_activation_links_start_with_the_base_url(db, place, as_admin):
    response = upload(as_admin, GOOD.encode())
    staged = response.text.split('name="staged" value="')[1].split('"')[0]
    response = as_admin.post("/admin/import/confirm", data={"staged": staged, "output": "page"})
    assert response.text.count("https://tracker.example.edu.cn/activate/") == 2


def test_web_preview_of_a_300_row_file_with_bad_rows(db, place, as_admin):
    lines = [HEADER.strip()]
    for n in range(300):
        lines.append(f"2027{n:04d},学生{n},马克思主义学院,第{'一' if n % 2 else '二'}党支部,,,")
    lines[50] = "20270048,重复,马克思主义学院,第一党支部,,,"
    lines[120] = "20270119,错支部,马克思主义学院,不存在支部,,,"
    lines[200] = "20270199,坏邮箱,马克思主义学院,第一党支部,,,bad@"
    response = upload(as_admin, "\n".join(lines).encode())
    assert response.status_code == 422
    problems = response.text.split('id="problems"')[1]
    for row in (51, 121, 201):
        assert f"<td>{row}</td>" in problems
    assert 'name="staged"' not in response.text
    assert users(db) == 1


def test_not_a_spreadsheet_is_refused(db, place, as_admin):
    response = upload(as_admin, b"PK\x03\x04garbage", "members.xlsx")
    assert response.status_code == 422 and "cannot be read" in response.text
    response = upload(as_admin, bytes([0xFF, 0xFE, 0x00, 0x81]) * 10)
    assert response.status_code == 422


def test_confirm_needs_a_staged_file(as_admin):
    assert as_admin.post("/admin/import/confirm", data={"staged": "../x"}).status_code == 400
    assert as_admin.post("/admin/import/confirm", data={"staged": "0" * 32}).status_code == 404


def test_only_admins_import(make, login):
    client = login(make.committee())
    assert client.get("/admin/import").status_code == 403


CHINESE_HEADER = "学号,姓名,学院,支部,角色,发展阶段,邮箱\n"


def test_chinese_headers_and_every_chinese_role_and_stage_name(db, app, place, cli, tmp_path):
    from flask_babel import force_locale

    from tracker.i18n import ROLE_LABELS, STAGE_LABELS

    with app.test_request_context(), force_locale("zh_Hans_CN"):
        roles = {role: str(label) for role, label in ROLE_LABELS.items()}
        stages = {stage: str(label) for stage, label in STAGE_LABELS.items()}
    lines = [
        f"20260{i}{j},学生{i}{j},马克思主义学院,第一党支部,{roles[role]},{stages[stage]},"
        for i, role in enumerate((Role.MEMBER, Role.COMMITTEE))
        for j, stage in enumerate(Stage)
    ]
    lines += [
        "2026100,书记甲,马克思主义学院,第二党支部,书记,群众,",
        "2026101,老师甲,,,指导老师,,",
        "2026102,老师乙,,,管理员,,teacher@example.edu.cn",
    ]
    (tmp_path / "m.csv").write_text(CHINESE_HEADER + "\n".join(lines) + "\n", "utf-8")
    result = cli("import-members", str(tmp_path / "m.csv"), "--links", str(tmp_path / "l.csv"))
    assert result.exit_code == 0, result.output
    found = {u.student_no: u for u in db.session.scalars(select(User))}
    for i, role in enumerate((Role.MEMBER, Role.COMMITTEE)):
        for j, stage in enumerate(Stage):
            assert (found[f"20260{i}{j}"].role, found[f"20260{i}{j}"].stage) == (role, stage)
    secretary = found["2026100"]
    assert secretary.role == Role.COMMITTEE and secretary.stage is None
    assert secretary.branch_id == place[1].id
    assert found["2026101"].role == Role.ADVISOR and found["2026102"].role == Role.ADMIN


def test_row_problems_name_the_column_in_the_readers_language(db, make, place, login):
    admin = make.user(Role.ADMIN)
    client = login(admin)  # no locale of their own: Chinese
    data = CHINESE_HEADER + "2026001,,马克思主义学院,第一党支部,主席,,\n"
    response = upload(client, data.encode())
    assert response.status_code == 422
    problems = response.text.split('id="problems"')[1].split("</table>")[0]
    assert "<td>姓名</td>" in problems and "<td>角色</td>" in problems
    assert "student_no" not in problems and "<td>name</td>" not in problems


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_templates_to_fill_in_in_the_readers_language(db, make, login, place, locale):
    from openpyxl import load_workbook

    admin = make.user(Role.ADMIN)
    admin.locale = locale
    db.session.commit()
    client = login(admin)
    page = client.get("/admin/import").text
    assert "/admin/import/template.xlsx" in page and "/admin/import/template.csv" in page
    wanted = ["学号", "姓名", "学院", "支部", "角色", "发展阶段", "邮箱", "阶段时间", "职务"]
    if locale == "en":
        wanted = ["student_no", "name", "college", "branch", "role", "stage", "email"]
        wanted += ["stage_since", "committee_post"]
    response = client.get("/admin/import/template.csv")
    assert response.mimetype == "text/csv"
    assert 'filename="members-import-template.csv"' in response.headers["Content-Disposition"]
    assert response.get_data().decode("utf-8-sig").splitlines() == [",".join(wanted)]
    response = client.get("/admin/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    assert [c.value for c in sheet[1]] == wanted and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    # The template, filled in, is what the import reads.
    sheet.append(["2026001", "张三", "马克思主义学院", "第一党支部", None, None, None, None, None])
    out = io.BytesIO()
    sheet.parent.save(out)
    response = upload(client, out.getvalue(), "m.xlsx")
    assert response.status_code == 200 and 'name="staged"' in response.text
    assert client.get("/admin/import/template.pdf").status_code == 404


@pytest.mark.config(TRACKER_IMPORT_MAX_ROWS=3)
def test_the_row_limit_is_a_setting_stated_on_the_page(db, place, as_admin, cli, tmp_path):
    assert "At most 3 rows per file" in as_admin.get("/admin/import").text
    rows = "".join(f"202600{n},学生{n},马克思主义学院,第一党支部,,,\n" for n in range(4))
    response = upload(as_admin, (HEADER + rows).encode())
    assert response.status_code == 422
    assert "more than 3 rows" in response.text and "Split it into several files" in response.text
    (tmp_path / "m.csv").write_text(HEADER + rows)
    assert "more than 3 rows" in cli("import-members", str(tmp_path / "m.csv")).output
    (tmp_path / "m.csv").write_text(HEADER + rows.split("\n", 1)[1])
    assert cli("import-members", str(tmp_path / "m.csv"), "--dry-run").exit_code == 0


def _statements(db, make, size: int) -> int:
    """SQL statements one import of ``size`` rows runs: half new accounts, half existing
    ones whose name changes (a preview and the import itself)."""
    from sqlalchemy import event

    from tracker.audit import check_chain
    from tracker.people import importing

    college = make.college(f"学院{size}")
    branch = make.branch(college, "第一党支部")
    db.session.add_all(
        User(student_no=f"{size}E{n:05d}", name="旧名", role=Role.MEMBER, branch_id=branch.id)
        for n in range(size // 2)
    )
    db.session.commit()
    lines = [HEADER.strip()]
    lines += [f"{size}E{n:05d},新名{n},{college.name},第一党支部,,," for n in range(size // 2)]
    lines += [f"{size}N{n:05d},新人{n},{college.name},第一党支部,,," for n in range(size // 2)]
    data = "\n".join(lines).encode()
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        for dry_run in (True, False):
            report = importing.import_members(
                db.session,
                data,
                actor=None,
                today=date(2026, 11, 25),
                now=datetime(2026, 11, 25, 4, 0, tzinfo=UTC),
                activation_days=14,
                dry_run=dry_run,
            )
            assert not report.problems and report.count("create") == size // 2
            assert report.count("update") == size // 2
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert check_chain(db.session) == []  # the batched audit events chain as single ones do
    return count


def test_import_statements_do_not_grow_with_the_rows(db, make, clock):
    small, large = _statements(db, make, 50), _statements(db, make, 500)
    assert large <= small + 10, (small, large)


def test_stage_days_and_committee_posts_import_and_a_bad_day_is_named(
    db, make, place, cli, tmp_path
):
    header = "学号,姓名,学院,支部,角色,发展阶段,邮箱,阶段时间,职务\n"
    path = tmp_path / "m.csv"
    path.write_text(
        header
        + "2026001,张三,马克思主义学院,第一党支部,支委,预备党员,,2026年6月30日,组织委员\n"
        + "2026002,李四,马克思主义学院,第一党支部,,积极分子,,2026/3/1,\n",
        "utf-8",
    )
    assert cli("import-members", str(path)).exit_code == 0
    found = {u.student_no: u for u in db.session.scalars(select(User))}
    assert found["2026001"].stage_since == date(2026, 6, 30)
    assert found["2026002"].stage_since == date(2026, 3, 1)
    posts = dict(db.session.execute(select(Membership.user_id, Membership.committee_post)).all())
    assert posts[found["2026001"].id] == "组织委员" and posts[found["2026002"].id] is None

    # Again, as an update: a new post, and a day that is no day is refused by row.
    path.write_text(
        header
        + "2026001,张三,马克思主义学院,第一党支部,支委,预备党员,,2026-06-30,宣传委员\n"
        + "2026002,李四,马克思主义学院,第一党支部,,积极分子,,去年春天,\n",
        "utf-8",
    )
    refused = cli("import-members", str(path))
    assert refused.exit_code != 0 and "去年春天" in refused.output and "3" in refused.output
    path.write_text(
        "学号,姓名,学院,支部,角色,发展阶段,职务\n"
        + "2026001,张三,马克思主义学院,第一党支部,支委,预备党员,宣传委员\n",
        "utf-8",
    )
    assert cli("import-members", str(path)).exit_code == 0
    db.session.expire_all()
    # Without a 阶段时间 column the day stays; the post changed.
    assert db.session.get(User, found["2026001"].id).stage_since == date(2026, 6, 30)
    post = db.session.scalar(
        select(Membership.committee_post).where(Membership.user_id == found["2026001"].id)
    )
    assert post == "宣传委员"


def test_a_preview_on_one_app_server_is_confirmed_on_another(
    app, db, place, as_admin, tmp_path, monkeypatch
):
    """Behind a load balancer the confirmation may reach another server, with an instance
    folder of its own: the previewed file waits in the shared store, not in a folder."""
    from tracker import create_app

    from .conftest import BASE_CONFIG

    response = upload(as_admin, GOOD.encode("utf-8"))
    staged = response.text.split('name="staged" value="')[1].split('"')[0]
    db.session.rollback()  # this server's request is over: SQLite's write lock is let go
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "other-server"))
    other = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        }
    )
    assert other.instance_path != app.instance_path
    client = other.test_client()
    cookie = app.config["SESSION_COOKIE_NAME"]
    client.set_cookie(cookie, as_admin.get_cookie(cookie).value)
    confirmed = client.post("/admin/import/confirm", data={"staged": staged, "output": "page"})
    assert confirmed.status_code == 200, confirmed.text[-1500:]
    assert confirmed.text.count("/activate/") == 2
    db.session.expire_all()
    assert users(db) == 3


def test_a_stage_day_after_today_is_refused_in_a_file_and_on_the_profile(
    db, make, place, cli, tmp_path, clock, login
):
    """The day a member entered a stage has happened: a day to come is a typing slip, and
    the roster would print it."""
    path = tmp_path / "m.csv"
    path.write_text(
        "学号,姓名,学院,支部,角色,发展阶段,阶段时间\n"
        "2026001,张三,马克思主义学院,第一党支部,,积极分子,2026-11-25\n"
        "2026002,李四,马克思主义学院,第一党支部,,积极分子,2062-11-26\n",
        "utf-8",
    )
    refused = cli("import-members", str(path))
    assert refused.exit_code != 0 and "row 3 [stage_since]" in refused.output
    assert db.session.scalar(select(User).where(User.student_no == "2026001")) is None

    member = make.member(make.branch())
    client = login(make.user(Role.ADMIN))
    answer = client.post(
        f"/admin/users/{member.id}/profile",
        data={"name": member.name, "email": "", "stage": "activist", "stage_since": "2026-11-26"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "The date cannot be in the future." in page or "日期不能晚于今天。" in page
    db.session.expire_all()
    assert db.session.get(User, member.id).stage_since is None
