"""Leaderboards and branch statistics through the API."""

from __future__ import annotations

import pytest

from tracker.clock import utcnow
from tracker.models import Role

# Leaderboards and statistics ---------------------------------------------------------


@pytest.fixture
def scored(make, branch, member, db, clock):
    """member 2 points, a neighbour 1 point, a member of another college's branch 3 points."""
    from tracker.ledger import points as points_domain

    neighbour = make.member(branch, name="王五")
    far = make.member(make.branch(), name="赵六")
    for who, minutes in ((member, 60), (neighbour, 30), (far, 90)):
        entry = make.activity(who, quantity=minutes)
        points_domain.approve_activity(db.session, entry, None, utcnow())
    db.session.commit()
    return neighbour, far


def test_member_sees_masked_names_and_own_standing(api, member, scored, clock):
    neighbour, _ = scored
    board = api(member)("GET", "/leaderboard/members?period=week").json
    assert [(i["rank"], i["member"]["name"], i["points"]) for i in board["items"]] == [
        (1, "张三丰", 2),
        (2, "王*", 1),
    ]
    assert board["me"]["rank"] == 1 and board["total"] == 2
    assert board["scope"] == {"kind": "branch", "id": member.branch_id}
    assert board["period"] == {"kind": "week", "first_day": "2026-11-23", "last_day": "2026-11-29"}


@pytest.mark.config(TRACKER_SHOW_FULL_NAMES=True)
def test_full_names_when_the_campus_allows(api, member, scored, clock):
    board = api(member)("GET", "/leaderboard/members").json
    assert {i["member"]["name"] for i in board["items"]} == {"张三丰", "王五"}


def test_committee_sees_own_branch_in_full(api, committee, scored, clock):
    names = {
        i["member"]["name"] for i in api(committee)("GET", "/leaderboard/members").json["items"]
    }
    assert "王五" in names


def test_school_and_custom_period_and_category(api, member, scored, clock):
    call = api(member)
    school = call("GET", "/leaderboard/members?scope=school&period=all").json
    assert [i["points"] for i in school["items"][:3]] == [3, 2, 1]
    assert school["items"][0]["member"]["name"] == "赵*"
    custom = call(
        "GET", "/leaderboard/members?scope=school&period=custom&from=2026-11-26&to=2026-11-30"
    ).json
    assert {i["points"] for i in custom["items"]} == {0}
    assert call("GET", "/leaderboard/members?category=volunteer").json["me"]["points"] == 0


def test_malformed_leaderboard_queries_are_400(api, member, clock):
    call = api(member)
    for query in (
        "period=custom",
        "period=custom&from=2026-11-25",
        "period=custom&from=2026-11-25&to=2026-11-01",
        "period=term1",
        "period=",
        "scope=galaxy",
        "category=nope",
        "per_page=500",
    ):
        assert call("GET", f"/leaderboard/members?{query}").status_code == 400, query


def test_leaderboards_only_within_what_the_caller_may_read(api, make, member, scored, clock, db):
    from tracker.people.accounts import add_advisor_scope

    _, far = scored
    call = api(member)
    # As on the leaderboard pages: what the caller may not read does not exist for them.
    assert call("GET", f"/leaderboard/members?scope_id={far.branch_id}").status_code == 404
    foreign_college = far.branch.college_id
    assert (
        call("GET", f"/leaderboard/members?scope=college&scope_id={foreign_college}").status_code
        == 404
    )
    assert call("GET", "/leaderboard/members?scope=college").status_code == 200
    assert call("GET", "/leaderboard/members?scope_id=999999").status_code == 404
    advisor = make.user(Role.ADVISOR)
    add_advisor_scope(db.session, advisor, branch=far.branch)
    db.session.commit()
    reader = api(advisor)
    assert reader("GET", f"/leaderboard/members?scope_id={far.branch_id}").status_code == 200
    assert reader("GET", f"/leaderboard/members?scope_id={member.branch_id}").status_code == 404
    # The whole school, for an advisor, is the branches they advise.
    school = reader("GET", "/leaderboard/members?scope=school").json
    assert {item["branch"]["id"] for item in school["items"]} == {far.branch_id}
    # With no branch of their own, an advisor starts on the first branch they advise.
    assert reader("GET", "/leaderboard/members").json["items"][0]["branch"]["id"] == far.branch_id
    full = reader("GET", f"/leaderboard/members?scope_id={far.branch_id}").json
    assert full["items"][0]["member"]["name"] == "赵六" and full["me"] is None


def test_branch_stats(api, member, committee, scored, make, clock):
    make.activity(member, start=__import__("datetime").time(15, 0))
    stats = api(committee)("GET", f"/branches/{member.branch_id}/stats?period=month").json
    assert stats["members"] == 3 and stats["participants"] == 2
    assert stats["points"] == 3 and stats["per_capita"] == 1 and stats["entries"] == 2
    # The share as the page shows it (66.7 %), with no binary noise: 0.667, not 0.6670000001.
    assert repr(stats["participation"]) == "0.667"
    assert stats["pending"] == 1
    assert stats["categories"] == [{"category": "study", "points": 3, "entries": 2}]


def test_branch_stats_refusals(api, member, scored, clock):
    _, far = scored
    call = api(member)
    assert call("GET", f"/branches/{member.branch_id}/stats").status_code == 200
    assert call("GET", f"/branches/{far.branch_id}/stats").status_code == 404
    assert call("GET", "/branches/999999/stats").status_code == 404
    assert call("GET", f"/branches/{member.branch_id}/stats?period=decade").status_code == 400


def test_no_points_no_rank(api, make, member, branch, committee, clock, db):
    """Nobody with no points in the period is ranked: ``rank`` is null, ``ranked`` and
    the "of" of /me count the ranked only."""
    from datetime import UTC, datetime

    from tracker.ledger import points as points_domain

    entry = make.activity(member, quantity=60)
    points_domain.approve_activity(db.session, entry, None, utcnow())
    db.session.commit()
    # The first day of the next month: nobody has points this month yet.
    clock.move_to(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    call = api(member)
    board = call("GET", "/leaderboard/members?period=month").json
    assert board["total"] == 2 and board["ranked"] == 0
    assert {row["rank"] for row in board["items"]} == {None} and board["me"]["rank"] is None
    branches = call("GET", "/leaderboard/branches?period=month").json
    assert {row["rank"] for row in branches["items"]} == {None} and branches["ranked"] == 0
    assert call("GET", "/me").json["rank_in_branch"] == {"period": "month", "rank": None, "of": 0}
    board = call("GET", "/leaderboard/members?period=all").json
    assert [row["rank"] for row in board["items"]] == [1, None] and board["ranked"] == 1
