"""A secretary brings the branch's 学习强国 report in on a phone: problems, preview, booking."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tracker.models import EntryKind, LedgerEntry

from .conftest import submit_login
from .test_journeys import fresh, shoot

pytestmark = pytest.mark.browser

HEADER = "学习强国积分统计,,,\n姓名,学号,所属组织,总积分\n"


def test_committee_imports_a_xuexi_report_on_a_phone(
    db, make, branch, live_server, new_phone, screenshots, tmp_path
):
    committee = make.committee(branch)
    make.member(branch, name="张三", student_no="2023001")
    make.member(branch, name="李四", student_no="2023002")
    fresh(db)
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER + "张三,2023001,,5321\n孙八,,,800\n").encode("gb18030"))
    good = tmp_path / "good.csv"
    good.write_bytes((HEADER + "张三,2023001,,5321\n李四,,,800\n").encode("gb18030"))

    page = new_phone()
    submit_login(page, committee.student_no)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/points/import")
    page.set_input_files("input[name=file]", str(bad))
    page.locator("form[enctype] [type=submit]").click()
    expect(page.locator("#problems td").first).to_have_text("4")
    expect(page.locator("input[name=staged]")).to_have_count(0)
    shoot(page, screenshots, "points-01-problems")

    page.set_input_files("input[name=file]", str(good))
    page.locator("form[enctype] [type=submit]").click()
    expect(page.locator("#plan tbody tr")).to_have_count(2)
    # The preview fits the phone: the table scrolls inside its box, the page does not.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, screenshots, "points-02-preview")
    assert not fresh(db).scalar(select(func.count()).where(LedgerEntry.kind == EntryKind.EXTERNAL))

    page.locator("form[action$='/points/import/confirm'] [type=submit]").click()
    expect(page.locator("#reconcile tbody tr")).to_have_count(3)
    shoot(page, screenshots, "points-03-reconcile")
    live_server.wait_idle()
    booked = fresh(db).scalar(
        select(func.sum(LedgerEntry.points)).where(LedgerEntry.kind == EntryKind.EXTERNAL)
    )
    assert booked == 5321 + 800
