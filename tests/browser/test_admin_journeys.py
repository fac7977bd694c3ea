"""An administrator sets a year up from a spreadsheet; a new member activates their account."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tracker.models import Role, User

from .conftest import submit_login
from .test_journeys import fresh, shoot

pytestmark = pytest.mark.browser

SHEET = (
    "student_no,name,college,branch,role,stage,email\n"
    "2026101,赵一,理学院,物理支部,成员,积极分子,zhao@example.edu.cn\n"
    "2026102,钱二,理学院,物理支部,,,\n"
)


def test_admin_imports_members_and_a_new_member_activates(
    db, make, live_server, new_phone, screenshots, tmp_path
):
    college = make.college("理学院")
    make.branch(college, "物理支部")
    admin_no = make.user(Role.ADMIN).student_no
    fresh(db)
    bad = tmp_path / "bad.csv"
    bad.write_bytes((SHEET + "2026101,重复,理学院,物理支部,,,\n").encode("gb18030"))
    good = tmp_path / "good.csv"
    good.write_bytes(SHEET.encode("gb18030"))

    page = new_phone()
    submit_login(page, admin_no)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/admin/import")
    page.set_input_files("input[name=file]", str(bad))
    page.locator("form[enctype] [type=submit]").click()
    expect(page.locator("#problems td").first).to_have_text("4")
    expect(page.locator("input[name=staged]")).to_have_count(0)
    shoot(page, screenshots, "admin-01-import-problems")
    assert fresh(db).scalar(select(func.count(User.id))) == 1

    page.set_input_files("input[name=file]", str(good))
    page.locator("form[enctype] [type=submit]").click()
    expect(page.locator("#plan tbody tr")).to_have_count(2)
    shoot(page, screenshots, "admin-02-import-preview")
    page.locator("button[name=output][value=page]").click()
    links = page.locator("code.text-break")
    expect(links).to_have_count(2)
    shoot(page, screenshots, "admin-03-activation-links")
    link = links.first.inner_text()
    live_server.wait_idle()
    assert fresh(db).scalar(select(func.count(User.id))) == 3

    newcomer = new_phone()
    newcomer.goto(link)
    newcomer.locator("input[name=password]").fill("zhao-yi-2026")
    newcomer.locator("input[name=confirm]").fill("zhao-yi-2026")
    newcomer.locator("main [type=submit]").click()
    newcomer.wait_for_url("**/login")
    submit_login(newcomer, "2026101", "zhao-yi-2026")
    newcomer.wait_for_url(f"{live_server.url}/")
    expect(newcomer.locator("[data-period=week]")).to_be_visible()
    newcomer.goto(link)
    expect(newcomer.locator("input[name=password]")).to_have_count(0)  # spent
