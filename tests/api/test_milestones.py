"""Milestones: an administrator defines them; a member reaches one from the ledger, is told
once, sees progress on the home page and through the API; the committee lists who reached
it; a revoked approval takes it back."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from tracker.ledger import points
from tracker.models import Milestone, Notification, Role

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def approve(db, make, member, reviewer, hours):
    activity = make.activity(member, "volunteer", quantity=hours, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    return activity


def test_a_milestone_is_reached_told_once_and_taken_back(db, make, login, api, clock):
    admin = make.user(Role.ADMIN)
    volunteer = make.category("volunteer")
    as_admin = login(admin)
    answer = as_admin.post(
        "/admin/milestones",
        data={
            "name": "志愿服务 4 分",
            "threshold": "4",
            "category_id": volunteer.id,
            "period_kind": "all",
        },
    )
    assert answer.status_code == 302
    as_admin.post(
        "/admin/milestones",
        data={"name": "本学年 100 分", "threshold": "100", "category_id": 0, "period_kind": "year"},
    )
    # A bad threshold is refused by its field, nothing stored.
    refused = as_admin.post(
        "/admin/milestones",
        data={"name": "零", "threshold": "0", "category_id": 0, "period_kind": "all"},
    )
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Milestone)) == 2
    first = db.session.scalar(select(Milestone).where(Milestone.threshold == 4))

    branch = make.branch()
    committee = make.committee(branch)
    member = make.member(branch, name="王小明")
    approve(db, make, member, committee, 1)  # 2 points: not yet
    told = select(func.count()).where(
        Notification.user_id == member.id, Notification.kind == "milestone_reached"
    )
    assert db.session.scalar(told) == 0
    second = approve(db, make, member, committee, 1)  # 4 points: reached
    assert db.session.scalar(told) == 1

    home = login(member).get("/").get_data(as_text=True)
    assert f'data-milestone="{first.id}" data-reached="yes"' in home
    account = login(member).get("/account").get_data(as_text=True)
    assert "✓ 志愿服务 4 分" in account.split('id="account-milestones"', 1)[1]
    body = api(member)("GET", "/me/milestones").get_json()
    mine = {item["name"]: item for item in body["items"]}
    assert mine["志愿服务 4 分"]["reached"] and mine["志愿服务 4 分"]["category"] == "volunteer"
    assert mine["本学年 100 分"] == {
        **mine["本学年 100 分"],
        "reached": False,
        "points": 4,
        "threshold": 100,
        "period": "year",
    }
    board = login(committee).get("/dashboard/branch").get_data(as_text=True)
    assert "王小明 (4" in board.split('id="milestones-reached"', 1)[1]

    points.revoke_approval(db.session, second, committee, "重复提交", NOW)
    db.session.commit()
    home = login(member).get("/").get_data(as_text=True)
    assert f'data-milestone="{first.id}" data-reached="no"' in home
    assert not api(member)("GET", "/me/milestones").get_json()["items"][0]["reached"]
    assert (
        "王小明"
        not in login(committee)
        .get("/dashboard/branch")
        .get_data(as_text=True)
        .split('id="milestones-reached"', 1)[1]
    )
    # Reached again: no second notification for the same milestone and period.
    approve(db, make, member, committee, 1)
    assert db.session.scalar(told) == 1

    # Retired: no longer shown.
    token = as_admin.get("/admin/milestones")
    assert token.status_code == 200
    as_admin.post(f"/admin/milestones/{first.id}/retire")
    db.session.expire_all()
    assert first.retired_at is not None
    names = [i["name"] for i in api(member)("GET", "/me/milestones").get_json()["items"]]
    assert names == ["本学年 100 分"]
