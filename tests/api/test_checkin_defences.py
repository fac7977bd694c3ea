"""Check-in defences through the API: what a token check-in records, voiding, scan-only events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker.events import attendance
from tracker.ledger import totals
from tracker.models import Activity, ActivityStatus, AttendanceStatus, CheckinDoor, Event

from .test_events import EN, code_of, new_event


@pytest.fixture
def event(api, committee, clock):
    """An event of the branch starting at 12:30 campus time; check-in 12:00-13:00."""
    response = api(committee)("POST", "/events", json=new_event())
    assert response.status_code == 201, response.json
    return response.json


def checked_in(api, member, event, db):
    response = api(member)(
        "POST", f"/events/{event['id']}/checkin", json={"code": code_of(db, event["id"])}
    )
    assert response.status_code == 200, response.json
    return attendance.attendance_of(db.session, db.session.get(Event, event["id"]), member.id)


def test_a_token_check_in_records_its_door_and_the_tokens_age(api, member, event, clock, db):
    call = api(member)  # the token is issued now
    clock.shift(timedelta(minutes=3))
    call("POST", f"/events/{event['id']}/checkin", json={"code": code_of(db, event["id"])})
    record = attendance.attendance_of(db.session, db.session.get(Event, event["id"]), member.id)
    assert record.door == CheckinDoor.API_TOKEN
    assert record.device_hash is None
    assert record.session_age == 3 * 60


def test_committee_voids_a_check_in_before_the_close(api, committee, member, event, clock, db):
    record = checked_in(api, member, event, db)
    path = f"/events/{event['id']}/attendance/{record.id}/void"
    assert api(member)("POST", path, json={"reason": "代签"}).status_code == 403
    assert api(committee, **EN)("POST", path, json={}).status_code == 422
    assert (
        api(committee)(
            "POST", f"/events/{event['id']}/attendance/999999/void", json={"reason": "代签"}
        ).status_code
        == 404
    )
    response = api(committee)("POST", path, json={"reason": "室友代签"})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "voided"
    again = api(committee, **EN)("POST", path, json={"reason": "室友代签"})
    assert again.status_code == 409
    db.session.expire_all()
    assert (
        attendance.attendance_of(db.session, db.session.get(Event, event["id"]), member.id).status
        == AttendanceStatus.VOIDED
    )
    clock.shift(timedelta(minutes=45))
    closed = api(committee)("POST", f"/events/{event['id']}/close")
    assert closed.json["booked"] == 0
    assert totals.differences(db.session) == []


def test_committee_voids_a_check_in_after_the_close(api, committee, member, event, clock, db):
    record = checked_in(api, member, event, db)
    clock.shift(timedelta(minutes=45))
    assert api(committee)("POST", f"/events/{event['id']}/close").json["booked"] == 1
    response = api(committee)(
        "POST", f"/events/{event['id']}/attendance/{record.id}/void", json={"reason": "视频代签"}
    )
    assert response.status_code == 200, response.json
    db.session.expire_all()
    activity = db.session.scalars(select(Activity).where(Activity.event_id == event["id"])).one()
    assert activity.status == ActivityStatus.REVOKED
    assert totals.differences(db.session) == []


def test_void_is_in_the_openapi_document(api, member, clock):
    document = api(member)("GET", "/openapi.json").json
    operation = document["paths"]["/events/{event_id}/attendance/{attendance_id}/void"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "reason"
    ]


def test_a_scan_only_event_refuses_code_check_ins(api, committee, member, clock, db):
    created = api(committee)("POST", "/events", json=new_event(scan_only=True))
    assert created.status_code == 201, created.json
    assert created.json["scan_only"] is True
    refused = api(member, **EN)(
        "POST",
        f"/events/{created.json['id']}/checkin",
        json={"code": code_of(db, created.json["id"])},
    )
    assert refused.status_code == 409
    assert "scanning" in refused.json["error"]["message"]


def test_nobody_voids_their_own_check_in(api, committee, event, clock, db):
    record = checked_in(api, committee, event, db)
    path = f"/events/{event['id']}/attendance/{record.id}/void"
    assert api(committee)("POST", path, json={"reason": "自己"}).status_code == 403
    db.session.expire_all()
    assert record.status == AttendanceStatus.CHECKED_IN
