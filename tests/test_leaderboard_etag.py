"""Conditional requests on the boards, the dashboards' charts and their JSON: an ETag
per viewer and data, 304 when the viewer's copy is current, never another's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.clock import utcnow
from tracker.ledger import points
from tracker.models import AdvisorScope, Role
from tracker.people import tokens

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
PAGES = (
    "/leaderboard/?period=month",
    "/leaderboard/?period=month&scope=school",
    "/leaderboard/branches?period=month",
    "/dashboard/member.json",
)


@pytest.fixture
def board(db, make, clock):
    college = make.college()
    mine, other = make.branch(college), make.branch(college)
    committee = make.committee(mine, name="委员")
    members = [make.member(mine, name=f"成员{i}") for i in range(3)]
    stranger = make.member(other, name="他人")
    for i, member in enumerate(members):
        activity = make.activity(
            member, "volunteer", quantity=i + 1, occurred_on=date(2026, 11, 20)
        )
        points.approve_activity(db.session, activity, committee, NOW)
    db.session.commit()
    return {"committee": committee, "members": members, "stranger": stranger, "branch": mine}


def _approve_one_more(db, make, board):
    activity = make.activity(
        board["members"][0], "volunteer", quantity=1, occurred_on=date(2026, 11, 24)
    )
    points.approve_activity(db.session, activity, board["committee"], NOW)
    db.session.commit()


def test_a_current_copy_is_answered_with_304_until_a_booking(db, make, login, board):
    client = login(board["members"][1])
    tags = {}
    for path in PAGES:
        first = client.get(path)
        assert first.status_code == 200 and first.headers.get("ETag"), path
        tags[path] = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": tags[path]})
        assert again.status_code == 304 and again.get_data() == b"", path
        # Signed-in answers are still never stored by a browser.
        assert first.headers["Cache-Control"] == "no-store"
    _approve_one_more(db, make, board)
    for path, tag in tags.items():
        after = client.get(path, headers={"If-None-Match": tag})
        assert after.status_code == 200 and after.headers["ETag"] != tag, path


def test_viewers_who_see_differently_never_share_an_etag(db, login, board):
    viewers = [board["members"][1], board["members"][2], board["committee"], board["stranger"]]
    for path in PAGES[:3]:
        seen = {}
        for viewer in viewers:
            response = login(viewer).get(path)
            assert response.status_code == 200
            seen[viewer.id] = response.headers["ETag"]
        assert len(set(seen.values())) == len(viewers), path
        # One viewer's tag is no good to another: the full board, not a 304.
        other = login(board["members"][2]).get(path, headers={"If-None-Match": seen[viewers[0].id]})
        assert other.status_code == 200


def test_a_changed_setting_changes_the_tag(db, login, board, make):
    from tracker.settings import change_setting

    admin = make.user(Role.ADMIN)
    client = login(board["members"][1])
    before = client.get("/leaderboard/?period=month").headers["ETag"]
    change_setting(db.session, "TRACKER_BOARD_BRANCH", "own", admin)
    db.session.commit()
    after = client.get("/leaderboard/?period=month", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before


def test_the_api_and_the_advisor_dashboard_answer_304_too(app, db, make, login, board):
    member = board["members"][1]
    issued = tokens.issue_token(db.session, member, name="etag", now=utcnow(), lifetime_days=30)
    db.session.commit()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {issued.token}"}
    for path in ("/api/v1/leaderboard/members?period=month", "/api/v1/leaderboard/branches"):
        first = client.get(path, headers=auth)
        assert first.status_code == 200, path
        again = client.get(path, headers={**auth, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path

    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=board["branch"].id))
    db.session.commit()
    advisor_client = login(advisor)
    path = f"/dashboard/advisor.json?period=month&branch={board['branch'].id}"
    first = advisor_client.get(path)
    assert first.status_code == 200
    assert (
        advisor_client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    _approve_one_more(db, make, board)
    assert (
        advisor_client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 200
    )
