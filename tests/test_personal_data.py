"""Personal data: a member downloads everything; an admin anonymises a leaver."""

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tracker.ledger import totals
from tracker.ledger.points import approve_activity
from tracker.models import AccountStatus, Activity, AuditEvent, Evidence, LedgerEntry, Role, User


@pytest.fixture
def member_with_records(db, make, app, store):
    """A member with an approved activity and its evidence, in the folder and in S3."""
    member = make.member(name="张三丰", student_no="2026123")
    member.email = "zsf@example.edu.cn"
    activity = make.activity(member, description="我的学习心得", location="图书馆")
    store.put("e1.png", b"\x89PNG evidence", "image/png")
    db.session.add(
        Evidence(
            activity_id=activity.id,
            stored_name="e1.png",
            original_name="合影.png",
            content_type="image/png",
            size=14,
        )
    )
    approve_activity(db.session, activity, make.committee(member.branch), datetime.now(UTC))
    db.session.commit()
    return member


def test_member_downloads_all_their_data(db, make, login, member_with_records):
    other = make.member(name="别人")
    make.activity(other, title="别人的活动")
    client = login(member_with_records)
    assert 'action="/account/data"' in client.get("/account").text
    response = client.post("/account/data")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    for section in (
        "profile",
        "activities",
        "evidence",
        "ledger",
        "memberships",
        "check_ins",
        "pairings",
        "notifications",
    ):
        assert f"{section}.json" in names and f"{section}.csv" in names
    notices = json.loads(archive.read("notifications.json"))
    assert [n["kind"] for n in notices] == ["activity_approved"]
    assert archive.read("evidence/e1.png") == b"\x89PNG evidence"
    profile = json.loads(archive.read("profile.json"))
    assert profile[0]["student_no"] == "2026123" and profile[0]["email"] == "zsf@example.edu.cn"
    activities = json.loads(archive.read("activities.json"))
    assert [a["title"] for a in activities] == ["学习党章"]
    ledger = json.loads(archive.read("ledger.json"))
    assert ledger[0]["kind"] == "award" and ledger[0]["points"] == "2.0"
    assert archive.read("ledger.csv").decode("utf-8-sig").startswith("kind,points")
    assert "别人的活动" not in archive.read("activities.csv").decode("utf-8-sig")
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "personal_data.exported"))
        == 1
    )


def test_download_needs_a_post_with_login(client, login, make):
    assert client.post("/account/data").status_code == 302
    assert login(make.member()).get("/account/data").status_code == 405


def test_admin_anonymises_a_leaver_and_totals_stay(db, make, login, store, member_with_records):
    member = member_with_records
    admin = make.user(Role.ADMIN)
    session = login(member)
    points_before = db.session.scalar(select(func.sum(LedgerEntry.points)))
    response = login(admin).post(f"/admin/users/{member.id}/anonymise", data={"confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    gone = db.session.get(User, member.id)
    assert "张三丰" not in gone.name and gone.student_no != "2026123" and gone.email is None
    assert gone.status == AccountStatus.DEACTIVATED and gone.password_hash is None
    assert db.session.scalar(select(func.count(Evidence.id))) == 0
    assert not store.exists("e1.png") and list(store.list()) == []
    activity = db.session.scalars(select(Activity)).one()
    assert activity.description == "" and activity.location is None
    assert db.session.scalar(select(func.sum(LedgerEntry.points))) == points_before
    assert totals.differences(db.session) == []
    assert session.get("/").status_code == 302  # their session ended
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == (
        "user.anonymised"
    )


def test_only_admins_anonymise(db, make, login, member_with_records):
    committee = make.committee(member_with_records.branch)
    assert (
        login(committee)
        .post(f"/admin/users/{member_with_records.id}/anonymise", data={"confirmed": "yes"})
        .status_code
        == 403
    )
    db.session.refresh(member_with_records)
    assert member_with_records.name == "张三丰"


def test_admin_cannot_anonymise_themself(db, make, login):
    admin = make.user(Role.ADMIN)
    login(admin).post(f"/admin/users/{admin.id}/anonymise", data={"confirmed": "yes"})
    db.session.refresh(admin)
    assert admin.status == AccountStatus.ACTIVE and admin.password_hash


def test_exported_csv_never_holds_a_live_formula(db, make, login):
    member = make.member()
    make.activity(member, title='=HYPERLINK("http://evil")')
    archive = zipfile.ZipFile(io.BytesIO(login(member).post("/account/data").data))
    text = archive.read("activities.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert json.loads(archive.read("activities.json"))[0]["title"].startswith("=HYPERLINK")
