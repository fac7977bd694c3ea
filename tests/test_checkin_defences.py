"""Check-in you can defend: device and session facts, suspicious check-ins, voiding, scanning."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker.events import attendance, checkin_checks, scanning
from tracker.ledger import totals
from tracker.models import (
    Activity,
    ActivityStatus,
    AuditEvent,
    CheckinDoor,
    LedgerEntry,
    Notification,
    Role,
)
from tracker.models import AttendanceStatus as Status

from .conftest import FROZEN_NOW, PASSWORD
from .test_events import attendances, check_in, code_now, new_event


@pytest.fixture
def login(english_login):
    return english_login


def sign_in(client, user) -> None:
    response = client.post("/login", data={"student_no": user.student_no, "password": PASSWORD})
    assert response.status_code == 302


def suspicious_section(page: str) -> str:
    assert 'id="suspicious"' in page, "no list of suspicious check-ins"
    return page.split('id="suspicious"', 1)[1].split("</ul>", 1)[0]


def record_of(db, event, member):
    db.session.expire_all()
    return attendance.attendance_of(db.session, event, member.id)


# --- what a check-in records --------------------------------------------------


def test_a_check_in_records_its_door_device_and_session_age(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee)
    client = login(member)
    device = client.get_cookie("tracker_device")
    assert device is not None and device.http_only and device.same_site == "Lax"
    clock.shift(timedelta(minutes=20))
    assert check_in(client, event, code_now(event)).status_code == 302
    record = record_of(db, event, member)
    assert record.door == CheckinDoor.WEB
    assert record.session_age == 20 * 60
    # Only a keyed hash of the device id is stored, never the id itself.
    assert record.device_hash and device.value not in record.device_hash
    assert record.device_hash == checkin_checks.device_hash(device.value, "test-secret")


def test_a_check_in_through_the_api_from_the_browser_records_the_same_device(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee)
    client = login(member)
    device = client.get_cookie("tracker_device")
    clock.shift(timedelta(minutes=10))
    response = client.post(f"/api/v1/events/{event.id}/checkin", json={"code": code_now(event)})
    assert response.status_code == 200, response.json
    record = record_of(db, event, member)
    assert record.door == CheckinDoor.API_SESSION
    assert record.device_hash == checkin_checks.device_hash(device.value, "test-secret")
    assert record.session_age == 10 * 60


def test_the_member_downloads_what_a_check_in_recorded_and_anonymising_forgets_the_device(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee)
    client = login(member)
    clock.shift(timedelta(minutes=20))
    check_in(client, event, code_now(event))
    archive = zipfile.ZipFile(io.BytesIO(client.post("/account/data").data))
    [row] = json.loads(archive.read("check_ins.json"))
    assert (row["door"], row["session_age_seconds"]) == ("web", 20 * 60)
    assert row["device_hash"] == record_of(db, event, member).device_hash
    admin = make.user(Role.ADMIN)
    assert (
        login(admin)
        .post(f"/admin/users/{member.id}/anonymise", data={"confirmed": "yes"})
        .status_code
        == 302
    )
    assert record_of(db, event, member).device_hash is None


def test_one_device_checking_in_two_members_is_listed_as_suspicious(
    clock, db, make, committee, member, login
):
    roommate = make.member(committee.branch, name="王五")
    honest = make.member(committee.branch, name="赵六")
    event = new_event(db, make, committee)
    phone = login(member)  # one phone: the member's own account first
    clock.shift(timedelta(minutes=20))
    check_in(phone, event, code_now(event))
    phone.post("/logout")
    sign_in(phone, roommate)  # then the roommate's, on the same phone
    clock.shift(timedelta(minutes=15))
    assert check_in(phone, event, code_now(event)).status_code == 302
    honest_phone = login(honest)
    clock.shift(timedelta(minutes=10))
    check_in(honest_phone, event, code_now(event))
    page = login(committee).get(f"/events/{event.id}").get_data(as_text=True)
    listed = suspicious_section(page)
    for who in (member, roommate):
        assert f'data-member="{who.id}"' in listed
    assert f'data-member="{honest.id}"' not in listed
    assert "The same device also checked in" in listed
    assert "王五" in listed
    # Members never see the list.
    assert 'id="suspicious"' not in login(honest).get(f"/events/{event.id}").get_data(as_text=True)


def test_a_check_in_from_a_session_signed_in_minutes_before_is_listed(
    clock, db, make, committee, member, login
):
    settled = make.member(committee.branch)
    event = new_event(db, make, committee)
    settled_phone = login(settled)
    clock.shift(timedelta(minutes=20))
    check_in(settled_phone, event, code_now(event))
    fresh_phone = login(member)  # signed in just to check in
    clock.shift(timedelta(minutes=1))
    assert check_in(fresh_phone, event, code_now(event)).status_code == 302
    listed = suspicious_section(login(committee).get(f"/events/{event.id}").get_data(as_text=True))
    assert f'data-member="{member.id}"' in listed
    assert f'data-member="{settled.id}"' not in listed
    assert "Signed in 1 minute before checking in" in listed


def test_many_check_ins_seconds_after_the_code_changed_are_listed(clock, db, make, committee):
    event = new_event(db, make, committee, rotating=True)
    early = make.member(committee.branch)
    burst = [make.member(committee.branch) for _ in range(checkin_checks.BURST_MIN_CHECKINS)]
    # 12:00:00 is a minute boundary: the rotating code has just changed.
    clock.move_to(FROZEN_NOW + timedelta(seconds=30))
    attendance.check_in(db.session, early, event, code_now(event), clock_now())
    for n, who in enumerate(burst):
        clock.move_to(FROZEN_NOW + timedelta(minutes=5, seconds=1 + n))
        attendance.check_in(db.session, who, event, code_now(event), clock_now())
    db.session.commit()
    found = {s.attendance.user_id: s for s in checkin_checks.suspicious_checkins(db.session, event)}
    assert set(found) == {m.id for m in burst}
    assert all(any("code changed" in str(r) for r in s.reasons) for s in found.values())


def clock_now():
    from tracker.clock import utcnow

    return utcnow()


# --- voiding ------------------------------------------------------------------


def test_voiding_before_the_close_keeps_the_points_from_being_booked(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee, start=timedelta(minutes=10))
    check_in(login(member), event, code_now(event))
    record = record_of(db, event, member)
    manager = login(committee)
    page = manager.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/events/{event.id}/attendance/{record.id}/void" in page
    no_reason = manager.post(f"/events/{event.id}/attendance/{record.id}/void", data={})
    assert no_reason.status_code == 302 and record_of(db, event, member).status == Status.CHECKED_IN
    assert (
        login(member)
        .post(f"/events/{event.id}/attendance/{record.id}/void", data={"reason": "x"})
        .status_code
        == 403
    )
    voided = manager.post(
        f"/events/{event.id}/attendance/{record.id}/void", data={"reason": "室友代签"}
    )
    assert voided.status_code == 302
    record = record_of(db, event, member)
    assert record.status == Status.VOIDED and record.void_reason == "室友代签"
    assert record.voided_by_id == committee.id
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "event.attendance_voided"))
        .one()
        .subject_id
        == member.id
    )
    note = db.session.scalars(
        select(Notification).where(
            Notification.user_id == member.id, Notification.kind == "attendance_voided"
        )
    ).one()
    assert note.params["reason"] == "室友代签"
    # The member cannot simply check in again with the code.
    again = check_in(login(member), event, code_now(event))
    assert "voided" in again.get_data(as_text=True)
    assert record_of(db, event, member).status == Status.VOIDED
    clock.shift(timedelta(minutes=30))
    assert manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Activity).where(Activity.event_id == event.id)).all() == []
    assert totals.differences(db.session) == []


def test_voiding_after_the_close_revokes_the_booked_activity_through_the_ledger(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee, start=timedelta(minutes=10))
    check_in(login(member), event, code_now(event))
    clock.shift(timedelta(minutes=30))
    manager = login(committee)
    manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"})
    record = record_of(db, event, member)
    response = manager.post(
        f"/events/{event.id}/attendance/{record.id}/void", data={"reason": "视频代签"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    activity = db.session.scalars(select(Activity).where(Activity.event_id == event.id)).one()
    assert activity.status == ActivityStatus.REVOKED
    assert activity.review_reason == "视频代签"
    kinds = db.session.scalars(
        select(LedgerEntry.kind).where(LedgerEntry.activity_id == activity.id)
    ).all()
    assert sorted(k.value for k in kinds) == ["award", "reversal"]
    assert record_of(db, event, member).status == Status.VOIDED
    assert totals.differences(db.session) == []
    twice = manager.post(
        f"/events/{event.id}/attendance/{record.id}/void", data={"reason": "视频代签"}
    )
    assert "already voided" in manager.get(twice.location).get_data(as_text=True)
    assert totals.differences(db.session) == []


# --- the organiser scans the member ---------------------------------------------


def scan_only_event(db, make, committee, login, **overrides):
    event = new_event(db, make, committee, **overrides)
    response = login(committee).post(f"/events/{event.id}/scan-only", data={"scan_only": "y"})
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.scan_only
    return event


def test_a_scan_only_event_refuses_the_code(clock, db, make, committee, member, login):
    event = scan_only_event(db, make, committee, login)
    refused = check_in(login(member), event, code_now(event))
    assert "scanning" in refused.get_data(as_text=True)
    by_code = login(member).post("/events/checkin", data={"code": code_now(event)})
    assert "scanning" in by_code.get_data(as_text=True)
    assert attendances(db, event) == []


def test_the_committee_scans_a_members_personal_code(clock, db, make, committee, member, login):
    event = scan_only_event(db, make, committee, login)
    mine = login(member).get(f"/events/{event.id}/my-code")
    assert mine.status_code == 200
    page = mine.get_data(as_text=True)
    payload = scanning.personal_payload(event, member, clock_now())
    assert f'data-payload="{payload}"' in page and "<svg" in page
    short = scanning.personal_code(event, member.id, clock_now())
    assert short in page
    scanner = login(committee)
    assert scanner.get(f"/events/{event.id}/scan").status_code == 200
    scanned = scanner.post(
        f"/events/{event.id}/scan", data={"code": payload}, headers={"Accept": "application/json"}
    )
    assert scanned.status_code == 200 and scanned.json["ok"] is True
    assert member.name in scanned.json["message"]
    record = record_of(db, event, member)
    assert record.status == Status.SCANNED and record.recorded_by_id == committee.id
    assert record.status.attended
    # The manual fallback: the member's short code typed on the same page.
    other = make.member(committee.branch)
    typed = scanner.post(
        f"/events/{event.id}/scan",
        data={"code": scanning.personal_code(event, other.id, clock_now()).lower()},
    )
    assert typed.status_code == 302
    assert record_of(db, event, other).status == Status.SCANNED
    clock.shift(timedelta(minutes=30))
    scanner.post(f"/events/{event.id}/close", data={"confirmed": "yes"})
    db.session.expire_all()
    booked = db.session.scalars(select(Activity.user_id).where(Activity.event_id == event.id))
    assert sorted(booked) == sorted([member.id, other.id])
    assert totals.differences(db.session) == []


def test_scanning_refuses_expired_foreign_and_non_manager_codes(
    clock, db, make, committee, member, login
):
    event = scan_only_event(db, make, committee, login)
    other_event = new_event(db, make, committee, title="党小组会")
    scanner = login(committee)
    stale = scanning.personal_payload(event, member, clock_now())
    clock.shift(timedelta(minutes=2))
    expired = scanner.post(
        f"/events/{event.id}/scan", data={"code": stale}, headers={"Accept": "application/json"}
    )
    assert expired.status_code == 422 and expired.json["ok"] is False
    assert "Wrong or expired code." in expired.json["message"]
    foreign = scanner.post(
        f"/events/{event.id}/scan",
        data={"code": scanning.personal_payload(other_event, member, clock_now())},
        headers={"Accept": "application/json"},
    )
    assert foreign.status_code == 422
    assert "another event" in foreign.json["message"]
    fresh = scanning.personal_payload(event, member, clock_now())
    as_member = login(make.member(committee.branch)).post(
        f"/events/{event.id}/scan", data={"code": fresh}
    )
    assert as_member.status_code == 403
    assert (
        login(make.committee()).post(f"/events/{event.id}/scan", data={"code": fresh}).status_code
        == 404
    )
    assert attendances(db, event) == []
    page = scanner.get(f"/events/{event.id}/scan").get_data(as_text=True)
    # No inline script: the camera code is a file served from static/.
    assert "<script>" not in page and "/static/js/scan.js" in page
    assert "/static/vendor/jsqr/jsQR.js" in page
