"""The audit log page, and the audit table refusing to be rewritten."""

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from tracker import audit
from tracker.models import AuditEvent, Role


@pytest.fixture
def admin(make, db):
    user = make.user(Role.ADMIN)
    user.locale = "en"
    db.session.commit()
    return user


def test_the_application_cannot_update_or_delete_audit_events(db, make):
    member = make.member()
    audit.record(db.session, "test.event", actor=member, subject=member)
    db.session.commit()
    for statement in (
        sa.update(AuditEvent).values(action="rewritten"),
        sa.delete(AuditEvent),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["test.event"]
    event = db.session.scalars(select(AuditEvent)).one()
    event.details = {"changed": True}
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_admin_sees_every_event_and_filters(db, make, login, admin):
    one, two = make.branch(), make.branch()
    alice = make.member(one, name="甲同学", student_no="A1001")
    bob = make.member(two, name="乙同学", student_no="B2002")
    audit.record(db.session, "points.adjusted", actor=admin, subject=alice, branch_id=one.id)
    audit.record(db.session, "user.moved", actor=admin, subject=bob, branch_id=two.id)
    db.session.commit()
    client = login(admin)
    page = client.get("/audit/").text
    assert "甲同学" in page and "乙同学" in page
    page = client.get("/audit/?person=A1001").text
    assert "甲同学" in page and "乙同学" not in page
    page = client.get("/audit/?action=user.moved").text
    assert "乙同学" in page and "甲同学" not in page
    page = client.get(f"/audit/?branch={one.id}").text
    assert "甲同学" in page and "乙同学" not in page
    page = client.get("/audit/?from=2000-01-01&to=2000-01-02").text
    assert "甲同学" not in page and "乙同学" not in page


def test_committee_sees_only_its_own_branch(db, make, login):
    one, two = make.branch(), make.branch()
    committee = make.committee(one)
    audit.record(
        db.session,
        "points.adjusted",
        actor=committee,
        subject=make.member(one, name="本支部"),
        branch_id=one.id,
    )
    audit.record(
        db.session,
        "points.adjusted",
        actor=None,
        subject=make.member(two, name="外支部"),
        branch_id=two.id,
    )
    db.session.commit()
    client = login(committee)
    page = client.get("/audit/").text
    assert "本支部" in page and "外支部" not in page
    assert client.get(f"/audit/?branch={two.id}").status_code == 404


def test_members_and_advisors_cannot_read_the_audit_log(make, login):
    for role in (Role.MEMBER, Role.ADVISOR):
        assert login(make.user(role)).get("/audit/").status_code == 403


def test_malformed_filters_are_400(login, admin):
    client = login(admin)
    for query in ("from=2026-13-01", "to=yesterday", "branch=abc", "page=0", "person=" + "x" * 65):
        assert client.get(f"/audit/?{query}").status_code == 400, query


def test_audit_log_is_paginated(db, login, admin):
    for n in range(55):
        audit.record(db.session, "test.event", actor=admin, n=n)
    db.session.commit()
    client = login(admin)
    first = client.get("/audit/?action=test.event").text
    assert first.count("<code>test.event</code>") == 50
    second = client.get("/audit/?action=test.event&page=2").text
    assert second.count("<code>test.event</code>") == 5
