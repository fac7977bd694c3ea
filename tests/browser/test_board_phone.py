"""The boards on a phone (390 px): every table fits the screen, the filters ask only
for what the period needs, and charts draw from the tracker's own Chart.js (no
internet in these tests) in the theme's colours, their tables folded under 数据."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tracker.clock import campus_today
from tracker.config import vendored_chartjs
from tracker.ledger import points, terms
from tracker.models import AdvisorScope, Role

from .conftest import submit_login
from .test_charts import chartjs_file  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

# Long names, as real ones are: the tables were 627–978 px wide with them.
BRANCHES = (
    "马克思主义学院第一学生党支部",
    "计算机科学与技术学院研究生第二党支部",
    "外国语学院本科生党支部",
)

TABLES_WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('table')]
    .filter(t => t.getBoundingClientRect().width > document.documentElement.clientWidth)
    .map(t => t.id || t.className)"""


def _campus(db, make):
    """Three branches of one college with points this term; an advisor of the college."""
    college = make.college("马克思主义学院与计算机科学与技术学院联合学院")
    today = campus_today()
    terms.create_term(db.session, "本学期", today - timedelta(days=60), today + timedelta(days=60))
    for n, name in enumerate(BRANCHES):
        branch = make.branch(college, name=name)
        reviewer = make.committee(branch)
        for days in range(n + 1):
            member = make.member(branch)
            day = today - timedelta(days=days)
            activity = make.activity(member, "volunteer", quantity=2, occurred_on=day)
            points.approve_activity(db.session, activity, reviewer, datetime.now(UTC))
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=college.id))
    db.session.commit()
    return advisor


def test_boards_fit_a_phone(
    app,
    db,
    make,
    phone,
    live_server,
    chartjs_file,  # noqa: F811 - the fixture imported above
    tmp_path,
    monkeypatch,
    screenshots,
):
    # The campus's own copy of Chart.js, as `flask vendor-chartjs` leaves it.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    vendored_chartjs(tmp_path).parent.mkdir(parents=True)
    vendored_chartjs(tmp_path).write_bytes(chartjs_file.read_bytes())
    advisor = _campus(db, make)
    submit_login(phone, advisor.student_no)
    phone.wait_for_url(f"{live_server.url}/")

    # The advisor's dashboard: drawn with no internet, tables folded once drawn.
    expect(phone.locator('canvas[data-chart="branches"]')).to_have_attribute("data-drawn", "true")
    expect(phone.locator("#chart-branches details.chart-data")).not_to_have_attribute("open", "")
    theme = phone.evaluate(
        """() => {
          const chart = Chart.getChart(document.querySelector('canvas[data-chart="branches"]'));
          const css = getComputedStyle(document.documentElement);
          return [chart.data.datasets[0].backgroundColor, css.getPropertyValue('--chart-1').trim()];
        }"""
    )
    assert theme[0] == theme[1] and theme[0]
    phone.screenshot(path=str(screenshots / "phone-advisor-dashboard.png"), full_page=True)
    assert phone.evaluate(TABLES_WIDER_THAN_THE_SCREEN) == []
    # Unfolded (as without Chart.js), every table still fits: a card per row.
    phone.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    assert phone.evaluate(TABLES_WIDER_THAN_THE_SCREEN) == []
    first = phone.locator("#advisor-branches tbody tr").first
    expect(first.locator("[data-label]").nth(1)).to_be_in_viewport()

    # The branch leaderboard: cards, the days only for a custom period, the rest folded.
    phone.goto("/leaderboard/branches")
    assert phone.evaluate(TABLES_WIDER_THAN_THE_SCREEN) == []
    expect(phone.locator("#branch-leaderboard")).to_contain_text(BRANCHES[2])
    expect(phone.locator("details.board-filters-more")).not_to_have_attribute("open", "")
    expect(phone.locator("#f-from")).to_be_hidden()
    expect(phone.locator("#f-to")).to_be_hidden()
    phone.screenshot(path=str(screenshots / "phone-branch-leaderboard.png"), full_page=True)
    phone.select_option("#f-period", "custom")
    expect(phone.locator("#f-from")).to_be_visible()
    expect(phone.locator("#f-to")).to_be_visible()
    phone.select_option("#f-period", "year")
    expect(phone.locator("#f-from")).to_be_hidden()

    # The member leaderboard of the school, long branch names and all.
    phone.goto("/leaderboard/?scope=school")
    assert phone.evaluate(TABLES_WIDER_THAN_THE_SCREEN) == []
    phone.screenshot(path=str(screenshots / "phone-member-leaderboard.png"), full_page=True)
