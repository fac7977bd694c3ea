"""The review queue decides on the version the reviewer saw, and bulk approval says what it did."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.errors import Conflict
from tracker.ledger import points, terms, totals
from tracker.models import ActivityMentee, ActivityStatus, LedgerEntry, MenteeResponse

from .conftest import TODAY


def ledger(db):
    return db.session.scalars(select(LedgerEntry)).all()


def shown_version(page: str, activity_id: int) -> str:
    return re.search(rf'name="version_{activity_id}" value="(\d+)"', page).group(1)


def edit_to_eight_hours(client, activity):
    response = client.post(
        f"/activities/{activity.id}/edit",
        data={"occurred_on": TODAY.isoformat(), "quantity": "8", "title": "社区服务"},
    )
    assert response.status_code == 302


def test_approval_of_an_activity_changed_since_the_page_was_shown_is_409(
    clock, make, english_login, member, committee, db
):
    activity = make.activity(member, "volunteer", quantity=Decimal("0.5"), title="社区服务")
    reviewer = english_login(committee)
    version = shown_version(reviewer.get("/review/").get_data(as_text=True), activity.id)
    edit_to_eight_hours(english_login(member), activity)
    refused = reviewer.post(f"/review/{activity.id}/approve", data={"version": version})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "alert-danger" in page and "changed after you opened it" in page
    # The queue shown with the refusal carries the new version.
    assert shown_version(page, activity.id) != version
    assert ledger(db) == []


def test_a_stale_version_is_409_for_reject_and_revoke_too(
    clock, make, english_login, member, committee, db
):
    activity = make.activity(member)
    reviewer = english_login(committee)
    stale = shown_version(reviewer.get("/review/").get_data(as_text=True), activity.id)
    clock.shift(5)
    english_login(member).post(
        f"/activities/{activity.id}/edit",
        data={
            "occurred_on": TODAY.isoformat(),
            "start_time": "09:00",
            "quantity": "60",
            "title": "改了标题",
        },
    )
    rejected = reviewer.post(
        f"/review/{activity.id}/reject", data={"reason": "不符", "version": stale}
    )
    assert rejected.status_code == 409
    fresh = shown_version(reviewer.get("/review/").get_data(as_text=True), activity.id)
    assert reviewer.post(f"/review/{activity.id}/approve", data={"version": fresh}).status_code == (
        302
    )
    revoked = reviewer.post(
        f"/review/{activity.id}/revoke",
        data={"confirmed": "yes", "reason": "重复", "version": fresh},
    )
    assert revoked.status_code == 409
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.APPROVED
    assert totals.differences(db.session) == []


def test_a_review_without_the_version_seen_is_refused(
    clock, make, english_login, member, committee, db
):
    activity = make.activity(member)
    reviewer = english_login(committee)
    refused = reviewer.post(f"/review/{activity.id}/approve")
    assert refused.status_code == 428
    assert "Reload the page" in refused.get_data(as_text=True)
    for garbled in ("abc", "²", "9" * 40):
        response = reviewer.post(f"/review/{activity.id}/approve", data={"version": garbled})
        assert response.status_code == 428, garbled
    assert ledger(db) == []


def test_the_domain_refuses_a_version_older_than_the_one_it_books(
    clock, make, member, committee, db
):
    """The version is part of the conditional update that claims the activity."""
    activity = make.activity(member, quantity=30)
    seen = activity.version
    activity.quantity = Decimal(300)
    activity.version = seen + 1
    db.session.commit()
    with pytest.raises(Conflict):
        points.approve_activity(db.session, activity, committee, datetime.now(UTC), seen=seen)
    db.session.rollback()
    assert ledger(db) == []


def dispute(db, activity, mentee):
    db.session.add(
        ActivityMentee(
            activity_id=activity.id,
            mentee_id=mentee.id,
            response=MenteeResponse.DISPUTED,
            reason="那天没有辅导",
        )
    )
    db.session.commit()


def test_bulk_approval_lists_what_it_skipped_and_why(
    clock, make, english_login, member, committee, branch, db
):
    # One member each: their activities raise no warnings about one another.
    plain = make.activity(member, quantity=30, title="普通学习")
    changed = make.activity(make.member(branch), quantity=30, title="后来改过")
    reviewed = make.activity(make.member(branch), quantity=30, title="已经审过")
    disputed = make.activity(make.member(branch), "tutoring", title="有异议的辅导")
    dispute(db, disputed, make.member(make.branch()))
    reviewer = english_login(committee)
    page = reviewer.get("/review/").get_data(as_text=True)
    versions = {a.id: shown_version(page, a.id) for a in (plain, changed, reviewed, disputed)}
    # Disputed sessions offer no checkbox: they are approved on their own, with a reason.
    assert f'id="pick-{disputed.id}"' not in page and f'id="pick-{plain.id}"' in page
    assert f'data-hold="{disputed.id}"' in page and "approve it on its own, with a reason" in page
    changed.title = "后来改过的标题"
    changed.version += 1
    db.session.commit()
    other = english_login(make.committee(branch))
    assert (
        other.post(
            f"/review/{reviewed.id}/approve", data={"version": versions[reviewed.id]}
        ).status_code
        == 302
    )
    ids = [plain.id, changed.id, reviewed.id, disputed.id]
    response = reviewer.post(
        "/review/approve-selected",
        data={"ids": ids, **{f"version_{i}": v for i, v in versions.items()}},
    )
    page = reviewer.get(response.location).get_data(as_text=True)
    assert re.search(r"alert-success[^>]*>\s*1 activity approved", page)
    assert "3 activities were skipped and are still in the queue" in page
    skipped = re.findall(r"alert-warning[^>]*>\s*(.*?)\s*<button", page, re.S)
    assert any("后来改过" in s and "changed after you opened it" in s for s in skipped)
    assert any("已经审过" in s and "already approved" in s for s in skipped)
    assert any("有异议的辅导" in s and "A mentee disputed this session" in s for s in skipped)
    assert len(ledger(db)) == 2
    assert totals.differences(db.session) == []


def test_bulk_approval_of_nothing_is_never_green(clock, make, english_login, member, committee, db):
    activity = make.activity(member)
    reviewer = english_login(committee)
    version = shown_version(reviewer.get("/review/").get_data(as_text=True), activity.id)
    reviewer.post(
        f"/review/{activity.id}/approve", data={"version": version}, follow_redirects=True
    )
    response = reviewer.post(
        "/review/approve-selected", data={"ids": [activity.id], f"version_{activity.id}": version}
    )
    page = reviewer.get(response.location).get_data(as_text=True)
    assert "alert-success" not in page
    assert "No activity was approved." in page and "already approved" in page
    nothing = reviewer.post("/review/approve-selected", data={})
    page = reviewer.get(nothing.location).get_data(as_text=True)
    assert "alert-success" not in page and "Choose at least one activity" in page
    assert len(ledger(db)) == 1


def test_an_activity_bulk_approval_would_refuse_is_not_offered_for_it(
    clock, make, english_login, member, committee, db
):
    """A day of a closed term books nothing: no checkbox, a note why, no bulk button."""
    activity = make.activity(member, title="期末前的学习")
    term = terms.create_term(db.session, "已结束的学期", TODAY.replace(day=1), TODAY)
    terms.close_term(db.session, term, datetime.now(UTC))
    db.session.commit()
    reviewer = english_login(committee)
    page = reviewer.get("/review/").get_data(as_text=True)
    assert f'id="pick-{activity.id}"' not in page
    assert f'data-hold="{activity.id}"' in page and "is closed" in page
    assert "Approve selected" not in page
    version = shown_version(page, activity.id)
    response = reviewer.post(
        "/review/approve-selected", data={"ids": [activity.id], f"version_{activity.id}": version}
    )
    page = reviewer.get(response.location).get_data(as_text=True)
    assert "alert-success" not in page and "No activity was approved." in page
    assert "1 activity was skipped" in page and "is closed" in page
    assert ledger(db) == []
