"""Dashboards: each chart's JSON matches the table under it; empty states; inactive
members; who may open which dashboard; Chart.js loaded with its integrity hash."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tracker.ledger import points
from tracker.models import AdvisorScope, Role

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def approved(db, make, member, reviewer, hours=2, day=date(2026, 11, 24)):
    activity = make.activity(member, "volunteer", quantity=hours, occurred_on=day)
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()


def test_member_dashboard_charts_match_their_tables(db, make, login, clock, app):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    approved(db, make, member, reviewer, hours=2, day=date(2026, 11, 24))
    approved(db, make, member, reviewer, hours=1, day=date(2026, 11, 10))
    client = login(member)
    page = client.get("/").get_data(as_text=True)
    assert 'data-chart="trend"' in page and 'data-chart="categories"' in page
    assert f'src="{app.config["TRACKER_CHARTJS_URL"]}"' in page
    assert f'integrity="{app.config["TRACKER_CHARTJS_INTEGRITY"]}"' in page
    assert 'crossorigin="anonymous"' in page and "<script>" not in page
    charts = client.get("/dashboard/member.json").get_json()["charts"]
    trend = charts["trend"]
    # Weeks are written as the page writes days (its table), not as ISO dates.
    assert len(trend["labels"]) == 12 and trend["labels"][-1] == "2026/11/23"
    assert ">2026/11/23</td>" in page
    assert trend["datasets"][0]["data"][-1] == 4.0 and trend["datasets"][0]["data"][-3] == 2.0
    assert charts["categories"]["datasets"][0]["data"] == [6.0]
    assert ">6<" in page.replace(" ", "")  # the category table holds the same number


def test_empty_dashboard_says_so_instead_of_drawing(make, login, clock):
    page = login(make.member()).get("/").get_data(as_text=True)
    assert "empty-state" in page and "<canvas" not in page


@pytest.mark.config(TRACKER_INACTIVE_DAYS=10)
def test_committee_dashboard_lists_members_and_the_inactive(db, make, login, clock):
    branch = make.branch()
    reviewer = make.committee(branch, name="李支委")
    busy = make.member(branch, name="忙碌者")
    quiet = make.member(branch, name="沉默者")
    approved(db, make, busy, reviewer, day=date(2026, 11, 24))
    approved(db, make, quiet, reviewer, day=date(2026, 11, 10))
    make.activity(busy, "volunteer", quantity=1)  # pending
    undone = make.member(branch, name="撤销者")
    recent = make.activity(undone, "volunteer", quantity=1, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, recent, reviewer, NOW)
    points.revoke_approval(db.session, recent, reviewer, "撤销", NOW)
    db.session.commit()
    client = login(reviewer)
    page = client.get("/dashboard/branch").get_data(as_text=True)
    roster, inactive = page.split('id="roster"')[1].split('id="inactive"')
    assert "忙碌者" in roster and "沉默者" in roster
    assert "沉默者" in inactive and "李支委" in inactive and "忙碌者" not in inactive
    assert "撤销者" in inactive  # a revoked approval is no longer an approved activity
    assert "1 activity waits" in page or "1 条" in page
    charts = client.get("/dashboard/branch.json").get_json()["charts"]
    assert charts["trend_by_category"]["datasets"][0]["data"][-1] == 4.0


def test_dashboards_are_refused_outside_the_viewer_scope(db, make, login, clock):
    branch, other = make.branch(), make.branch()
    member = make.member(branch)
    reviewer = make.committee(branch)
    assert login(member).get("/dashboard/branch").status_code == 403
    assert login(member).get("/dashboard/advisor.json").status_code == 403
    assert login(reviewer).get(f"/dashboard/branch?branch={other.id}").status_code == 404
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=other.id))
    db.session.commit()
    client = login(advisor)
    assert client.get(f"/dashboard/branch?branch={branch.id}").status_code == 404
    assert client.get(f"/dashboard/branch?branch={other.id}").status_code == 200
    assert client.get("/dashboard/advisor?period=week&scope=branch").status_code == 400


def test_advisor_counts_every_activity_waiting_in_the_branch(db, make, english_login, clock):
    """A committee member's own activity is not in their queue, but it does wait for review."""
    branch = make.branch()
    reviewer = make.committee(branch)
    make.activity(reviewer)
    make.activity(make.member(branch))
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    db.session.commit()
    page = english_login(advisor).get(f"/dashboard/branch?branch={branch.id}")
    assert "2 activities wait for review" in page.get_data(as_text=True)
    mine = english_login(reviewer).get("/dashboard/branch").get_data(as_text=True)
    assert "1 activity waits for review" in mine


def test_advisor_dashboard_shows_only_assigned_branches(db, make, login, clock):
    college = make.college()
    mine, sibling = make.branch(college, name="甲支部"), make.branch(college, name="乙支部")
    elsewhere = make.branch(name="丙支部")
    reviewer = make.committee(mine)
    approved(db, make, make.member(mine, name="甲成员"), reviewer, hours=3)
    approved(db, make, make.member(elsewhere, name="丙成员"), make.committee(elsewhere))
    make.member(sibling)
    advisor = make.user(Role.ADVISOR)
    db.session.add_all(
        [
            AdvisorScope(user_id=advisor.id, college_id=college.id),
        ]
    )
    db.session.commit()
    client = login(advisor)
    page = client.get("/").get_data(as_text=True)
    assert "甲支部" in page and "乙支部" in page and "丙支部" not in page
    assert "甲成员" in page and "丙成员" not in page
    charts = client.get("/dashboard/advisor.json?period=month").get_json()["charts"]
    assert charts["branches"]["labels"] == ["甲支部", "乙支部"]
    assert charts["branches"]["datasets"][0]["data"] == [6.0, 0.0]
    assert charts["per_capita"]["datasets"][0]["data"] == [3.0, 0.0]
    assert charts["participation"]["datasets"][0]["data"] == [50.0, 0.0]
    assert [d["label"] for d in charts["trend"]["datasets"]] == ["甲支部"]
    admin = login(make.user(Role.ADMIN)).get("/dashboard/advisor.json?period=month").get_json()
    assert "丙支部" in admin["charts"]["branches"]["labels"]
    assert Decimal(str(admin["charts"]["branches"]["datasets"][0]["data"][0])) == 6


def test_admin_pages_open_on_a_branch_and_a_college_without_being_told(make, login, clock):
    branch = make.branch()
    make.member(branch, name="张三")
    client = login(make.user(Role.ADMIN))
    assert "张三" in client.get("/leaderboard/").get_data(as_text=True)
    assert client.get("/dashboard/branch").status_code == 200
    assert client.get("/dashboard/advisor?scope=college").status_code == 200
