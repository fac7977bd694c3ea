"""The branch leaderboard, term periods and the /me term figure through the API."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from tracker.clock import utcnow
from tracker.ledger import terms
from tracker.models import AdvisorScope, Role


@pytest.fixture
def board(make, branch, member, db, clock):
    """Three branches: ``branch`` (3 members, 3 points, 2 active) and ``near`` (1 member,
    3 points) in one college, ``far`` (2 members, 1 point, 1 active) in another."""
    from tracker.ledger import points as points_domain

    near = make.branch(branch.college)
    far = make.branch()
    neighbour = make.member(branch, name="王五")
    make.member(branch, name="闲人")
    star = make.member(near, name="钱七")
    farmer = make.member(far, name="赵六")
    make.member(far, name="孙八")
    for who, minutes in ((member, 60), (neighbour, 30), (star, 90), (farmer, 30)):
        entry = make.activity(who, quantity=minutes)
        points_domain.approve_activity(db.session, entry, None, utcnow())
    db.session.commit()
    return SimpleNamespace(near=near, far=far)


def _ranking(response):
    assert response.status_code == 200, response.json
    return [(row["rank"], row["branch"]["id"]) for row in response.json["items"]]


def test_branches_ranked_by_each_metric(api, member, branch, board, clock):
    call = api(member)
    total = call("GET", "/leaderboard/branches?period=month")
    assert _ranking(total)[2] == (3, board.far.id)
    assert sorted(_ranking(total)[:2]) == sorted([(1, branch.id), (1, board.near.id)])
    assert total.json["total"] == 3 and total.json["metric"] == "total"
    assert total.json["period"] == {
        "kind": "month",
        "first_day": "2026-11-01",
        "last_day": "2026-11-30",
    }
    mine = next(row for row in total.json["items"] if row["branch"]["id"] == branch.id)
    assert mine == {
        "rank": 1,
        "branch": {"id": branch.id, "name": branch.name},
        "college": branch.college.name,
        "members": 3,
        "points": 3,
        "per_capita": 1,
        # Pulled towards the college's mean (``adjusted_per_capita``; tested by hand in
        # test_branch_fairness.py).
        "adjusted_per_capita": mine["adjusted_per_capita"],
        "participation": pytest.approx(0.667),
    }
    for metric in ("per_capita", "participation"):
        ranked = call("GET", f"/leaderboard/branches?metric={metric}")
        assert _ranking(ranked) == [(1, board.near.id), (2, branch.id), (3, board.far.id)]
    second = call("GET", "/leaderboard/branches?metric=per_capita&per_page=1&page=2").json
    assert [row["branch"]["id"] for row in second["items"]] == [branch.id]
    assert second["total"] == 3 and second["page"] == 2


def test_college_filter_and_category(api, member, branch, board, clock):
    call = api(member)
    college = call("GET", f"/leaderboard/branches?college_id={branch.college_id}").json
    assert {row["branch"]["id"] for row in college["items"]} == {branch.id, board.near.id}
    assert college["college"] == {"id": branch.college_id, "name": branch.college.name}
    events_only = call("GET", "/leaderboard/branches?category=volunteer").json
    assert {row["points"] for row in events_only["items"]} == {0}


def test_branch_board_refusals(api, client, member, branch, board, clock):
    call = api(member)
    # A member reads their own college and the school, as on the page: not another college.
    assert call("GET", f"/leaderboard/branches?college_id={board.far.college_id}").status_code == (
        404
    )
    assert call("GET", "/leaderboard/branches?college_id=999999").status_code == 404
    for query in (
        "metric=best",
        "metric=",
        "period=decade",
        "college_id=abc",
        "college_id=0",
        "term_id=x",
        "period=custom&from=2026-11-25",
        "period=custom&from=2026-11-25&to=2026-11-01",
        "category=nosuch",
    ):
        response = call("GET", f"/leaderboard/branches?{query}")
        assert response.status_code == 400, query
        assert response.json["error"]["code"] == "bad_request"
    assert client.get("/api/v1/leaderboard/branches").status_code == 401


def test_advisor_reads_only_assigned_branches(api, make, db, branch, board, clock):
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=board.far.id))
    db.session.commit()
    call = api(advisor)
    assert _ranking(call("GET", "/leaderboard/branches")) == [(1, board.far.id)]
    mine = call("GET", f"/leaderboard/branches?college_id={board.far.college_id}")
    assert _ranking(mine) == [(1, board.far.id)]
    # The other college holds none of the advisor's branches.
    other = call("GET", f"/leaderboard/branches?college_id={branch.college_id}")
    assert other.status_code == 404
    admin = api(make.user(Role.ADMIN))
    assert len(admin("GET", "/leaderboard/branches").json["items"]) == 3


def test_term_period_without_a_term_is_422(api, member, branch, board, clock):
    call = api(member)
    for path in (
        "/leaderboard/members?period=term",
        "/leaderboard/branches?period=term",
        f"/branches/{branch.id}/stats?period=term",
    ):
        response = call("GET", path)
        assert response.status_code == 422, path
        assert response.json["error"]["code"] == "invalid"
        assert set(response.json["error"]["fields"]) == {"term"}
        assert call("GET", path + "&term_id=999999").status_code == 404, path
    me = call("GET", "/me").json
    assert me["term"] is None and "term" not in me["points"]


def test_current_and_named_terms(api, db, member, branch, board, clock):
    autumn = terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))
    spring = terms.create_term(db.session, "2026春季学期", date(2026, 2, 20), date(2026, 7, 10))
    db.session.commit()
    call = api(member)
    current = {"kind": "term", "first_day": "2026-09-01", "last_day": "2027-01-17"}
    members = call("GET", "/leaderboard/members?period=term").json
    assert members["period"] == current
    assert members["me"]["rank"] == 1 and members["me"]["points"] == 2
    branches = call("GET", "/leaderboard/branches?period=term").json
    assert branches["period"] == current and branches["total"] == 3
    stats = call("GET", f"/branches/{branch.id}/stats?period=term").json
    assert stats["period"] == current and stats["points"] == 3
    named = call("GET", f"/leaderboard/branches?period=term&term_id={spring.id}").json
    assert named["period"] == {"kind": "term", "first_day": "2026-02-20", "last_day": "2026-07-10"}
    assert {row["points"] for row in named["items"]} == {0}
    assert {row["rank"] for row in named["items"]} == {None} and named["ranked"] == 0
    # term_id names the current term explicitly, too.
    again = call("GET", f"/branches/{branch.id}/stats?period=term&term_id={autumn.id}").json
    assert again["period"] == current
    me = call("GET", "/me").json
    assert me["points"]["term"] == 2
    assert me["term"] == {
        "name": "2026秋季学期",
        "first_day": "2026-09-01",
        "last_day": "2027-01-17",
        "points": 2,
        "rank": 1,
        "of": 2,  # of the ranked: one member has no points this term
    }


def test_me_term_for_a_user_without_a_branch(api, make, db, clock):
    terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))
    db.session.commit()
    me = api(make.user(Role.ADMIN))("GET", "/me").json
    assert me["term"]["points"] == 0 and me["term"]["rank"] is None and me["term"]["of"] == 0
