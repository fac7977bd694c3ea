"""The committee's review queue and what it may and may not do."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.ledger import totals
from tracker.models import ActivityStatus, AuditEvent, EntryKind, LedgerEntry
from tracker.storage import FolderStorage

from .conftest import TODAY


def ledger(db):
    return db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()


def test_queue_shows_branch_activities_oldest_first(clock, make, login, member, committee, branch):
    first = make.activity(member, title="第一条")
    clock.shift(60)
    second = make.activity(make.member(branch), title="第二条")
    make.activity(make.member(), title="别的支部")
    html = login(committee).get("/review/").get_data(as_text=True)
    assert html.index("第一条") < html.index("第二条")
    assert "别的支部" not in html
    assert f"/review/{first.id}/approve" in html and f"/review/{second.id}/approve" in html


def test_approve_books_points_on_member_page_and_leaderboard(
    clock, make, login, member, committee, db
):
    activity = make.activity(member, quantity=45)
    reviewer = login(committee)
    approve = reviewer.post(f"/review/{activity.id}/approve", data={"version": activity.version})
    assert approve.status_code == 302
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.APPROVED
    assert activity.reviewed_by_id == committee.id
    [award] = ledger(db)
    assert award.points == Decimal("1.5") and award.kind == EntryKind.AWARD
    member_client = login(member)
    home = member_client.get("/").get_data(as_text=True)
    assert 'data-period="week">1.5<' in home
    board = member_client.get("/leaderboard/?period=week").get_data(as_text=True)
    assert "1.5" in board
    assert totals.differences(db.session) == []


def test_approving_twice_books_once(clock, make, login, member, committee, db):
    activity = make.activity(member)
    reviewer = login(committee)
    seen = {"version": activity.version}
    reviewer.post(f"/review/{activity.id}/approve", data=seen)
    again = reviewer.post(f"/review/{activity.id}/approve", data=seen)
    assert again.status_code == 409 and "alert-danger" in again.get_data(as_text=True)
    assert len(ledger(db)) == 1


def test_reject_with_reason_reaches_the_member(clock, make, login, member, committee, db):
    activity = make.activity(member)
    reviewer = login(committee)
    seen = activity.version
    no_reason = reviewer.post(
        f"/review/{activity.id}/reject", data={"reason": " ", "version": seen}
    )
    assert no_reason.status_code == 422
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PENDING
    reviewer.post(
        f"/review/{activity.id}/reject", data={"reason": "请补充学习内容", "version": seen}
    )
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.REJECTED
    assert "请补充学习内容" in login(member).get("/activities/").get_data(as_text=True)
    assert ledger(db) == []


def test_committee_never_reviews_own_activities(clock, make, login, committee, db):
    own = make.activity(committee)
    client = login(committee)
    html = client.get("/review/").get_data(as_text=True)
    assert f"/review/{own.id}/approve" not in html
    assert client.post(f"/review/{own.id}/approve", data={"version": 1}).status_code == 403
    db.session.refresh(own)
    assert own.status == ActivityStatus.PENDING and ledger(db) == []


def test_waiting_counts_match_the_queue_of_a_committee_member_with_own_activity(
    clock, make, english_login, member, committee, branch
):
    make.activity(committee, title="我自己的")
    make.activity(member, title="第一条")
    make.activity(make.member(branch), title="第二条")
    make.activity(make.member(), title="别的支部")
    client = english_login(committee)
    queue = client.get("/review/").get_data(as_text=True)
    rows = queue.count('id="activity-')

    def waiting(page: str) -> int:
        return int(re.search(r"(\d+) activit(?:y|ies) waits? for review", page).group(1))

    home = waiting(client.get("/").get_data(as_text=True))
    dashboard = waiting(client.get("/dashboard/branch").get_data(as_text=True))
    assert (home, dashboard) == (rows, rows)
    # What the member can act on: the two of their branch, not their own.
    assert rows == 2 and "我自己的" not in queue
    assert re.search(r'badge text-bg-secondary">(\d+)<', queue).group(1) == "2"


def test_other_branch_committee_gets_404_and_changes_nothing(clock, make, login, member, db):
    activity = make.activity(member)
    outsider = login(make.committee())
    for action, data in (("approve", {}), ("reject", {"reason": "x"}), ("revoke", {"reason": "x"})):
        assert outsider.post(f"/review/{activity.id}/{action}", data=data).status_code == 404
    assert outsider.get(f"/activities/{activity.id}").status_code == 404
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PENDING and ledger(db) == []
    assert outsider.post("/review/424242/approve").status_code == 404


def test_members_and_advisors_cannot_review(clock, make, login, member, branch, db):
    from tracker.models import Role

    activity = make.activity(member)
    for user in (make.member(branch), make.user(Role.ADVISOR), make.user(Role.ADMIN)):
        client = login(user)
        assert client.get("/review/").status_code == 403
        assert client.post(f"/review/{activity.id}/approve").status_code == 403
    assert ledger(db) == []


def test_approve_several_at_once_skips_own_and_foreign(
    clock, make, login, member, committee, branch, db
):
    ids = [make.activity(make.member(branch), quantity=30, start=None).id for _ in range(3)]
    own = make.activity(committee).id
    foreign = make.activity(make.member()).id
    client = login(committee)
    versions = {f"version_{i}": 1 for i in [*ids, own]}
    response = client.post("/review/approve-selected", data={"ids": [*ids, own], **versions})
    assert response.status_code == 302
    assert len(ledger(db)) == 3
    assert client.post("/review/approve-selected", data={"ids": [foreign]}).status_code == 404


def test_revoke_books_a_reversal_with_reason(clock, make, login, member, committee, db):
    activity = make.activity(member, quantity=60)
    client = login(committee)
    client.post(f"/review/{activity.id}/approve", data={"version": activity.version})
    assert client.get("/review/approved").status_code == 200
    client.post(
        f"/review/{activity.id}/revoke", data={"confirmed": "yes", "reason": "与签到记录不符"}
    )
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.REVOKED
    award, reversal = ledger(db)
    assert reversal.kind == EntryKind.REVERSAL and reversal.points == -award.points
    assert reversal.reason == "与签到记录不符" and reversal.actor_id == committee.id
    assert db.session.scalar(select(func.sum(LedgerEntry.points))) == 0
    assert totals.differences(db.session) == []
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"activity.approved", "activity.revoked"} <= actions


def test_adjustment_from_the_branch_page(clock, make, login, member, committee, db):
    client = login(committee)
    response = client.post(
        "/branch/adjustments",
        data={"member_id": member.id, "points": "2.5", "category_id": 0, "reason": "组织读书会"},
    )
    assert response.status_code == 302
    [entry] = ledger(db)
    assert entry.kind == EntryKind.ADJUSTMENT and entry.points == Decimal("2.5")
    assert entry.earned_on == TODAY
    no_reason = client.post(
        "/branch/adjustments",
        data={"member_id": member.id, "points": "1", "category_id": 0, "reason": ""},
    )
    assert no_reason.status_code == 422 and len(ledger(db)) == 1
    outsider = make.member()
    assert (
        client.post(
            "/branch/adjustments",
            data={"member_id": outsider.id, "points": "1", "category_id": 0, "reason": "x"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/branch/adjustments",
            data={"member_id": "abc", "points": "1", "category_id": 0, "reason": "x"},
        ).status_code
        == 422
    )
    assert len(ledger(db)) == 1


def test_member_edit_after_reviewer_loaded_is_not_approved_blindly(
    clock, make, member, committee, db, tmp_path
):
    """The reviewer read the activity, then its owner changed it: approval is refused."""
    from datetime import UTC, datetime

    from sqlalchemy.orm.attributes import set_committed_value

    from tracker.activities import checks, lifecycle
    from tracker.errors import Conflict
    from tracker.ledger import points

    activity = make.activity(member, quantity=30)
    seen = activity.version
    lifecycle.update_activity(
        db.session,
        member,
        activity,
        checks.ActivityInput(
            occurred_on=TODAY,
            quantity=Decimal(300),
            title="改成五小时",
            start_time=activity.start_time,
        ),
        files=[],
        remove_ids=[],
        today=TODAY,
        now=datetime.now(UTC),
        backdate_days=14,
        storage=FolderStorage(tmp_path),
    )
    # The reviewer's copy still carries the version the page was built from.
    set_committed_value(activity, "version", seen)
    with pytest.raises(Conflict):
        points.approve_activity(db.session, activity, committee, datetime.now(UTC))
    db.session.rollback()
    assert ledger(db) == []


def test_approval_of_an_activity_edited_since_the_page_was_shown_is_refused(
    clock, make, login, member, committee, db
):
    activity = make.activity(member, quantity=30)
    reviewer = login(committee)
    html = reviewer.get("/review/").get_data(as_text=True)
    version = str(activity.version)
    assert f'name="version" value="{version}"' in html
    login(member).post(
        f"/activities/{activity.id}/edit",
        data={
            "occurred_on": TODAY.isoformat(),
            "start_time": "09:00",
            "quantity": "300",
            "title": "改成五小时",
        },
    )
    response = reviewer.post(f"/review/{activity.id}/approve", data={"version": version})
    assert response.status_code == 409
    assert "alert-danger" in response.get_data(as_text=True)
    assert ledger(db) == []
