"""Notifications: who is told what, the unread count, the list, opening one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tracker.models import Notification


@pytest.fixture
def login(login, db):
    def _login(user):
        user.locale = "en"
        db.session.commit()
        return login(user)

    return _login


def unread_badge(page: str) -> str | None:
    match = re.search(r'id="unread-count">(\d+)<', page)
    return match.group(1) if match else None


def notes(db, user) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_review_decisions_reach_the_member_with_the_reason(clock, db, make, login):
    branch = make.branch()
    member, committee = make.member(branch), make.committee(branch)
    approved = make.activity(member, title="学习党章")
    rejected = make.activity(member, title="观看党史微课堂", start=None)
    reviewer = login(committee)
    reviewer.post(f"/review/{approved.id}/approve", data={"version": approved.version})
    reviewer.post(
        f"/review/{rejected.id}/reject",
        data={"reason": "缺少学习内容的说明", "version": rejected.version},
    )
    reviewer.post(
        f"/review/{approved.id}/revoke", data={"confirmed": "yes", "reason": "与签到记录不一致"}
    )
    assert [n.kind for n in notes(db, member)] == [
        "activity_approved",
        "activity_rejected",
        "activity_revoked",
    ]
    client = login(member)
    home = client.get("/").get_data(as_text=True)
    assert unread_badge(home) == "3"
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Your activity “学习党章” was approved: 2 points." in page
    assert "缺少学习内容的说明" in page and "与签到记录不一致" in page
    assert unread_badge(page) == "3"  # reading the list marks nothing (a GET changes no state)


def test_opening_marks_read_and_leads_to_the_subject(clock, db, make, login):
    branch = make.branch()
    member, committee = make.member(branch), make.committee(branch)
    activity = make.activity(member)
    login(committee).post(f"/review/{activity.id}/approve", data={"version": activity.version})
    (note,) = notes(db, member)
    client = login(member)
    assert login(make.member(branch)).post(f"/notifications/{note.id}/open").status_code == 404
    opened = client.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 302 and opened.location == f"/activities/{activity.id}"
    assert notes(db, member)[0].read_at is not None
    assert unread_badge(client.get("/").get_data(as_text=True)) is None
    assert client.get(f"/notifications/{note.id}/open").status_code == 405


def test_mark_all_read(clock, db, make, login):
    branch = make.branch()
    member, committee = make.member(branch), make.committee(branch)
    for _ in range(2):
        activity = make.activity(member, start=None)
        login(committee).post(f"/review/{activity.id}/approve", data={"version": activity.version})
    client = login(member)
    assert len(notes(db, member)) == 2
    assert client.post("/notifications/read").status_code == 302
    assert all(n.read_at for n in notes(db, member))


def test_message_is_worded_in_the_readers_language_when_read(clock, db, make, login):
    from tracker import notify

    branch = make.branch()
    member = make.member(branch)
    notify.notify(db.session, member, "leave_approved", event_id=1, title="支委会")
    db.session.commit()
    (note,) = notes(db, member)
    assert note.params == {"event_id": 1, "title": "支委会"}  # no finished text is stored
    page = login(member).get("/notifications/").get_data(as_text=True)
    assert "Your leave from “支委会” was approved." in page
