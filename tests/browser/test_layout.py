"""Every page right for its reader: phone layout at 390 px, the top bar at 1366 px,
and axe-core finding no serious or critical accessibility problem.

Page loads are few on purpose: each test walks one person through several pages
and checks several things on each.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tracker import audit, notify
from tracker.clock import campus_today
from tracker.ledger import points
from tracker.models import AdvisorScope, Role

from .conftest import PHONE, TIMEOUT_MS, submit_login

# Layout and accessibility do not depend on the database: one run (on PostgreSQL,
# as CI has it) keeps the suite quick.
pytestmark = [pytest.mark.browser, pytest.mark.postgres_only]

LAPTOP = {**PHONE, "viewport": {"width": 1366, "height": 768}, "is_mobile": False}
LAPTOP.update(device_scale_factor=1, has_touch=False, locale="en-GB")

FITS_THE_WIDTH = "document.documentElement.scrollWidth <= window.innerWidth"


def log_in(page, live_server, user) -> None:
    submit_login(page, user.student_no)
    page.wait_for_url(f"{live_server.url}/")


def lines(locator) -> int:
    """How many lines the element's text takes."""
    return locator.evaluate(
        """e => {
            const range = document.createRange();
            range.selectNodeContents(e);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        }"""
    )


@pytest.fixture
def campus(db, make):
    college = make.college(name="马克思主义学院")
    branch = make.branch(college, name="马克思主义学院研究生第一党支部")
    committee = make.committee(branch, name="司马相如")
    member = make.member(branch, name="欧阳娜娜")
    activity = make.activity(member, "volunteer", quantity=2, occurred_on=campus_today())
    points.approve_activity(db.session, activity, committee, datetime.now(UTC))
    make.activity(member, "study")  # waits in the review queue
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=college.id))
    admin = make.user(Role.ADMIN)
    db.session.commit()
    return {"member": member, "committee": committee, "advisor": advisor, "admin": admin}


def test_member_on_a_phone(db, campus, new_phone, live_server, axe_check):
    member = campus["member"]
    for n in range(40):
        notify.notify(db.session, member, "leave_approved", title=f"第{n}次主题党日")
    db.session.commit()
    page = new_phone()
    log_in(page, live_server, member)

    # The tab bar: five labelled links, and the page's end scrolls clear of it.
    tabs = page.locator("#tabbar a")
    expect(tabs).to_have_count(5)
    expect(page.locator('#tabbar a[aria-current="page"]')).to_have_attribute("href", "/")
    for tab in tabs.all():
        assert tab.inner_text().strip()
        assert lines(tab) == 1
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last = page.locator("main > :last-child").bounding_box()
    assert last["y"] + last["height"] <= page.locator("#tabbar").bounding_box()["y"] + 1
    assert page.evaluate(FITS_THE_WIDTH)
    axe_check(page)

    for path in ("/activities/new/study", "/leaderboard/", "/leaderboard/branches"):
        page.goto(path)
        axe_check(page)
        assert page.evaluate(FITS_THE_WIDTH), path

    # 40 notifications (30 a page): each as tall as its text, not padded by template whitespace.
    page.goto("/notifications/")
    items = page.locator("#notifications > li")
    expect(items).to_have_count(30)
    per_item = page.locator("#notifications").bounding_box()["height"] / items.count()
    assert per_item < 90, f"{per_item:.0f} px per notification"
    text = page.locator("#notifications .user-text").first
    button = page.locator("#notifications button").first
    assert text.bounding_box()["x"] - button.bounding_box()["x"] < 60  # no indentation


def test_committee_on_a_phone_reviews_and_reads_the_audit_log(
    db, campus, new_phone, live_server, axe_check
):
    committee, member = campus["committee"], campus["member"]
    audit.record(
        db.session,
        "points.adjusted",
        actor=committee,
        subject=member,
        branch_id=member.branch_id,
        points="2.0",
        reason="补录上周在社区图书馆参加的志愿服务，当时系统暂时无法提交，由支部书记核实后补录",
    )
    db.session.commit()
    page = new_phone()
    log_in(page, live_server, committee)
    page.goto("/review/")
    axe_check(page)
    assert page.evaluate(FITS_THE_WIDTH)

    page.goto("/audit/")
    row = page.locator('#audit-log tr[data-action="points.adjusted"]')
    expect(row).to_be_visible()
    assert "points.adjusted" not in row.inner_text()
    for name in row.locator(".person-name, .audit-details dt").all():
        assert lines(name) == 1, name.inner_text()  # never a character per line
    # A row without details shows no empty "details" line.
    expect(page.locator('#audit-log tr[data-action="auth.login"] td:empty').first).to_be_hidden()
    assert page.evaluate(FITS_THE_WIDTH)


def test_admin_pages_in_chinese_on_a_phone(campus, new_phone, live_server):
    page = new_phone()
    log_in(page, live_server, campus["admin"])
    page.goto("/admin/organisation")
    rename = page.locator("form[action*='/rename'] button[type=submit]")
    for button in rename.all():
        assert lines(button) == 1, "改名 wraps"
    name = page.locator("form[action*='/branches/'] input[name=name]").first
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth"), "the branch name is cut"
    assert page.evaluate(FITS_THE_WIDTH)

    page.goto("/admin/users")
    assert lines(page.locator("form[role=search] button")) == 1, "搜索 wraps"
    assert page.evaluate(FITS_THE_WIDTH)


def test_the_top_bar_fits_a_laptop_in_english_for_every_role(
    db, campus, browser, live_server, axe_check
):
    for user in campus.values():
        user.locale = "en"
    db.session.commit()
    for role, user in campus.items():
        context = browser.new_context(base_url=live_server.url, **LAPTOP)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        log_in(page, live_server, user)
        tops = page.locator("#nav > .navbar-nav > .nav-item").evaluate_all(
            "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
        )
        assert max(tops) - min(tops) <= 8, f"{role}: the top bar wraps ({tops})"
        assert page.locator("nav.navbar").bounding_box()["height"] < 70, role
        assert page.locator("#tabbar").is_hidden()
        if role == "advisor":
            page.goto("/dashboard/advisor")
            axe_check(page)
        if role == "admin":
            # The language switch in the top bar, kept on the account.
            page.locator("nav form.lang-switch button[value=zh_CN]").click()
            expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
            db.session.expire_all()
            assert db.session.get(type(user), user.id).locale == "zh_CN"
        context.close()
