"""What the boards open on and how they rank: no rank without points, the current
term (or the last 30 days) by default, the viewer's last period remembered, and
a filter that cannot be used answered in the form, not with a bare error page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from tracker.ledger import points, terms
from tracker.models import AdvisorScope, Role

# The first day of a month: "this month" has no points yet for anyone.
FIRST_OF_DECEMBER = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _branch_with_points(db, make):
    """A branch where 甲 earned points in November, 乙 and the committee member none."""
    college = make.college()
    branch = make.branch(college)
    reviewer = make.committee(branch, name="委员")
    earner = make.member(branch, name="甲")
    idle = make.member(branch, name="乙")
    activity = make.activity(earner, "volunteer", quantity=2, occurred_on=date(2026, 11, 20))
    points.approve_activity(db.session, activity, reviewer, FIRST_OF_DECEMBER)
    db.session.commit()
    return college, branch, earner, idle


def _row_ranks(html: str, table_id: str) -> list[str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>\s*<td[^>]*>([^<]*)</td>", table)


def test_members_without_points_are_not_ranked_on_pages_and_exports(db, make, login, clock):
    clock.move_to(FIRST_OF_DECEMBER)
    _college, branch, earner, idle = _branch_with_points(db, make)
    client = login(idle)

    # Over the last 30 days 甲 is first of one; the others are listed, unranked.
    page = client.get("/leaderboard/").get_data(as_text=True)
    assert _row_ranks(page, "member-leaderboard") == ["1", "未上榜", "未上榜"]
    home = login(earner).get("/").get_data(as_text=True)
    assert "第 1 名（共 1 人）" in home
    assert "未上榜" in client.get("/").get_data(as_text=True)

    # This month nobody has points: nobody is "第 1 名（共 3 人）".
    page = client.get("/leaderboard/?period=month").get_data(as_text=True)
    assert _row_ranks(page, "member-leaderboard") == ["未上榜"] * 3
    assert "你在这段时间还没有积分，暂未上榜。" in page
    assert "第 1 名" not in page

    export = client.get("/export/members.csv?period=month").get_data(as_text=True)
    assert export.count("未上榜") == 3


def test_boards_open_on_the_current_term_else_the_last_30_days_and_remember_a_choice(
    db, make, login, clock
):
    clock.move_to(FIRST_OF_DECEMBER)
    _college, _branch, earner, _idle = _branch_with_points(db, make)
    client = login(earner)

    page = client.get("/leaderboard/").get_data(as_text=True)
    assert '<option value="custom" selected' in page
    assert 'value="2026-11-02"' in page and 'value="2026-12-01"' in page
    assert "近 30 天" in client.get("/").get_data(as_text=True)

    terms.create_term(db.session, "2026-2027学年第一学期", date(2026, 9, 1), date(2027, 1, 17))
    db.session.commit()
    page = client.get("/leaderboard/").get_data(as_text=True)
    assert '<option value="term" selected' in page
    assert _row_ranks(page, "member-leaderboard")[0] == "1"
    assert "2026-2027学年第一学期" in client.get("/").get_data(as_text=True)

    # A period chosen on one board is where that board opens next time, not another.
    client.get("/leaderboard/?period=week")
    assert '<option value="week" selected' in client.get("/leaderboard/").get_data(as_text=True)
    branches = client.get("/leaderboard/branches").get_data(as_text=True)
    assert '<option value="term" selected' in branches


def test_an_unusable_period_is_shown_in_the_form_with_the_viewers_filters(db, make, login, clock):
    clock.move_to(FIRST_OF_DECEMBER)
    college, _branch, earner, _idle = _branch_with_points(db, make)
    client = login(earner)
    client.get("/leaderboard/?period=week")

    response = client.get(f"/leaderboard/?period=custom&scope=college&college={college.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="member-leaderboard"' in page and 'id="f-period"' in page
    assert '<option value="custom" selected' in page
    assert '<option value="college" selected' in page
    assert "is-invalid" in page and 'id="filter-errors"' in page
    # The links on the page show the board it does show; the bad choice is not remembered.
    assert f"period=custom&amp;scope=college&amp;college={college.id}&amp;from=2026-11-02" in page
    assert '<option value="week" selected' in client.get("/leaderboard/").get_data(as_text=True)

    reversed_range = client.get("/leaderboard/branches?period=custom&from=2026-11-30&to=2026-11-01")
    assert reversed_range.status_code == 400
    assert 'id="branch-leaderboard"' in reversed_range.get_data(as_text=True)


def test_the_advisors_top_members_have_points(db, make, login, clock):
    clock.move_to(FIRST_OF_DECEMBER)
    college, _branch, _earner, _idle = _branch_with_points(db, make)
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=college.id))
    db.session.commit()
    client = login(advisor)

    page = client.get("/dashboard/advisor").get_data(as_text=True)
    top = page.split('id="top-members"', 1)[1].split("</table>", 1)[0]
    assert "甲" in top and "乙" not in top and "委员" not in top
    # The branch's details open on the same period (the last 30 days here).
    details = r'/dashboard/branch\?period=custom&amp;scope=branch[^"]*&amp;branch=\d+"'
    assert re.search(details, page)
    page = client.get("/dashboard/advisor?period=month").get_data(as_text=True)
    top = page.split('id="top-members"', 1)[1].split("</table>", 1)[0]
    assert "甲" not in top and "乙" not in top and "委员" not in top
