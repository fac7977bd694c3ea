"""Events through the API: create, list, check in, mark attendance, leave, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker.events import codes
from tracker.models import Activity, Attendance, AttendanceStatus, Event, LedgerEntry, Role

from ..conftest import FROZEN_NOW

EN = {"Accept-Language": "en"}


def when(delta: timedelta) -> str:
    """A time relative to the frozen noon, as a client would send it (campus offset)."""
    return (FROZEN_NOW + delta).astimezone().isoformat()


def new_event(**overrides):
    return {
        "title": "主题党日：重温入党誓词",
        "category": "meeting",
        "place": "学生活动中心 201",
        "starts_at": "2026-11-25T12:30:00+08:00",
        "ends_at": "2026-11-25T14:00:00+08:00",
        **overrides,
    }


@pytest.fixture
def event(api, committee, clock):
    """An event of the branch starting at 12:30 campus time; check-in 12:00-13:00."""
    response = api(committee)("POST", "/events", json=new_event())
    assert response.status_code == 201, response.json
    return response.json


def code_of(db, event_id: int) -> str:
    return codes.code_for(db.session.get(Event, event_id), FROZEN_NOW)


def test_committee_creates_an_event_and_sees_its_code(api, committee, member, clock, db):
    response = api(committee)("POST", "/events", json=new_event(points=1.5, capacity=30))
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/events/{body['id']}")
    assert body["starts_at"] == "2026-11-25T12:30:00+08:00"
    assert body["checkin_opens_at"] == "2026-11-25T12:00:00+08:00"
    assert body["checkin_closes_at"] == "2026-11-25T13:00:00+08:00"
    assert (body["points"], body["capacity"], body["category"]) == (1.5, 30, "meeting")
    assert [b["id"] for b in body["branches"]] == [committee.branch_id]
    assert body["code"] == code_of(db, body["id"])
    # The member sees the event, never its code.
    listed = api(member)("GET", "/events")
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert listed.json["items"][0]["code"] is None
    assert api(member)("GET", f"/events/{body['id']}").json["code"] is None
    assert api(committee)("GET", f"/events/{body['id']}").json["code"] == body["code"]


def test_the_rule_gives_the_points_when_none_are_sent(api, committee, clock):
    body = api(committee)("POST", "/events", json=new_event()).json
    assert body["points"] > 0


def test_bad_event_input_is_refused_field_by_field(api, committee, clock, db):
    call = api(committee, **EN)
    response = call(
        "POST",
        "/events",
        json=new_event(starts_at="2026-11-25 12:30", ends_at="2026-11-25T12:00:00+08:00"),
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "starts_at": "A time as ISO 8601 with an offset, please."
    }
    response = call("POST", "/events", json=new_event(ends_at="2026-11-25T12:00:00+08:00"))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"ends_at": "The end must come after the start."}
    response = call("POST", "/events", json=new_event(category="nonsense"))
    assert response.status_code == 422 and "category" in response.json["error"]["fields"]
    assert db.session.scalars(select(Event)).all() == []


def test_errors_come_in_the_callers_language(api, committee, clock):
    response = api(committee, **{"Accept-Language": "zh-CN"})(
        "POST", "/events", json=new_event(ends_at="2026-11-25T12:00:00+08:00")
    )
    assert response.status_code == 422
    message = response.json["error"]["fields"]["ends_at"]
    assert message and message != "The end must come after the start."


def test_mass_assignment_on_create_is_refused(api, committee, make, clock, db):
    other = make.branch()
    call = api(committee)
    for extra in (
        {"branch_id": other.id},
        {"branch_ids": [other.id]},
        {"closed_at": "2026-11-25T12:00:00+08:00"},
        {"secret": "x"},
        {"created_by_id": 1},
    ):
        response = call("POST", "/events", json=new_event(**extra))
        assert response.status_code == 422, extra
        assert list(response.json["error"]["fields"]) == list(extra)
    assert db.session.scalars(select(Event)).all() == []


def test_members_and_advisors_cannot_create(api, member, make, clock, db):
    advisor = make.user(Role.ADVISOR)
    for user in (member, advisor):
        response = api(user)("POST", "/events", json=new_event())
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
    assert db.session.scalars(select(Event)).all() == []


def test_admin_creates_one_event_for_several_branches(api, make, branch, clock):
    admin = make.user(Role.ADMIN)
    second = make.branch()
    call = api(admin, **EN)
    response = call("POST", "/events", json=new_event(branch_id=branch.id, branch_ids=[second.id]))
    assert response.status_code == 201
    assert {b["id"] for b in response.json["branches"]} == {branch.id, second.id}
    assert response.json["code"]
    missing = call("POST", "/events", json=new_event())
    assert missing.status_code == 422
    assert missing.json["error"]["fields"] == {"branch_ids": "Choose at least one branch."}


def test_check_in_once_in_the_window(api, member, event, clock, db):
    call = api(member)
    code = code_of(db, event["id"])
    first = call("POST", f"/events/{event['id']}/checkin", json={"code": code.lower()})
    assert first.status_code == 200
    assert first.json["new"] is True
    assert first.json["attendance"]["status"] == "checked_in"
    assert first.json["attendance"]["recorded_at"] == "2026-11-25T12:00:00+08:00"
    assert first.json["event"]["attendance"] == "checked_in"
    assert first.json["event"]["code"] is None
    again = call("POST", f"/events/{event['id']}/checkin", json={"code": code})
    assert again.status_code == 200 and again.json["new"] is False
    assert len(db.session.scalars(select(Attendance)).all()) == 1


def test_check_in_outside_the_window_is_a_conflict(api, member, event, clock, db):
    code = code_of(db, event["id"])
    call = api(member, **EN)
    clock.move_to(FROZEN_NOW - timedelta(minutes=1))
    early = call("POST", f"/events/{event['id']}/checkin", json={"code": code})
    assert early.status_code == 409
    assert early.json["error"]["message"] == "Check-in has not opened yet."
    clock.move_to(FROZEN_NOW + timedelta(minutes=61))
    late = call("POST", f"/events/{event['id']}/checkin", json={"code": code})
    assert late.status_code == 409
    assert late.json["error"]["message"] == "Check-in has closed."
    assert db.session.scalars(select(Attendance)).all() == []


def test_wrong_or_expired_code_is_refused(api, committee, member, clock, db):
    body = api(committee)("POST", "/events", json=new_event(rotating=True)).json
    call = api(member, **EN)
    for code in ("ZZZZZZ", "签到码"):
        wrong = call("POST", f"/events/{body['id']}/checkin", json={"code": code})
        assert wrong.status_code == 422
        assert wrong.json["error"]["fields"] == {"code": "Wrong or expired code."}
    # A rotating code is good for its minute and the next one, not longer.
    clock.move_to(FROZEN_NOW + timedelta(minutes=2))
    expired = call("POST", f"/events/{body['id']}/checkin", json={"code": body["code"]})
    assert expired.status_code == 422
    assert expired.json["error"]["fields"] == {"code": "Wrong or expired code."}
    assert db.session.scalars(select(Attendance)).all() == []


def test_other_branches_and_advisors_cannot_check_in(api, make, event, clock, db):
    outsider = make.member(make.branch())
    code = code_of(db, event["id"])
    response = api(outsider)("POST", f"/events/{event['id']}/checkin", json={"code": code})
    assert response.status_code == 404
    assert api(outsider)("GET", "/events").json["total"] == 0
    assert api(make.user(Role.ADMIN))("GET", "/events").json["total"] == 1
    assert db.session.scalars(select(Attendance)).all() == []


def test_an_advisor_reads_but_does_not_touch(api, make, branch, event, clock, db):
    from tracker.models import AdvisorScope

    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    db.session.commit()
    call = api(advisor)
    assert call("GET", "/events").json["total"] == 1
    shown = call("GET", f"/events/{event['id']}")
    assert shown.status_code == 200 and shown.json["code"] is None
    code = code_of(db, event["id"])
    assert call("POST", f"/events/{event['id']}/checkin", json={"code": code}).status_code == 403
    assert call("POST", f"/events/{event['id']}/close").status_code == 403
    marked = call(
        "POST", f"/events/{event['id']}/attendance", json={"member_ids": [1], "status": "present"}
    )
    assert marked.status_code == 403


def test_committee_marks_members_present_once(api, committee, member, event, clock, db):
    call = api(committee)
    path = f"/events/{event['id']}/attendance"
    first = call("POST", path, json={"member_ids": [member.id], "status": "present"})
    assert first.status_code == 200
    assert first.json["items"] == [
        {"member": {"id": member.id, "name": member.name}, "status": "present", "changed": True}
    ]
    again = call("POST", path, json={"member_ids": [member.id], "status": "present"})
    assert again.json["items"][0]["changed"] is False
    # The member's own check-in afterwards changes nothing either.
    checkin = api(member)(
        "POST", f"/events/{event['id']}/checkin", json={"code": code_of(db, event["id"])}
    )
    assert checkin.status_code == 200 and checkin.json["new"] is False


def test_marking_refuses_members_of_other_branches_and_members(
    api, committee, member, make, event, clock, db
):
    outsider = make.member(make.branch())
    path = f"/events/{event['id']}/attendance"
    response = api(committee, **EN)(
        "POST", path, json={"member_ids": [member.id, outsider.id], "status": "present"}
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"member_ids": f"No student with id {outsider.id}."}
    assert db.session.scalars(select(Attendance)).all() == []  # all or nothing
    refused = api(member)("POST", path, json={"member_ids": [member.id], "status": "present"})
    assert refused.status_code == 403
    mass = api(committee)(
        "POST", path, json={"member_ids": [member.id], "status": "present", "points": 5}
    )
    assert mass.status_code == 422 and list(mass.json["error"]["fields"]) == ["points"]


def test_a_committee_of_another_branch_cannot_touch_the_event(api, make, member, event, clock, db):
    stranger = make.committee(make.branch())
    call = api(stranger)
    assert call("GET", f"/events/{event['id']}").status_code == 404
    assert call("POST", f"/events/{event['id']}/close").status_code == 404
    marked = call(
        "POST",
        f"/events/{event['id']}/attendance",
        json={"member_ids": [member.id], "status": "present"},
    )
    assert marked.status_code == 404
    assert db.session.get(Event, event["id"]).closed_at is None


def test_leave_asked_by_the_member_and_approved_by_the_committee(
    api, committee, member, event, clock, db
):
    asked = api(member)("POST", f"/events/{event['id']}/leave", json={"reason": "考试"})
    assert asked.status_code == 200 and asked.json["status"] == "leave_requested"
    path = f"/events/{event['id']}/attendance"
    approved = api(committee)("POST", path, json={"member_ids": [member.id], "status": "leave"})
    assert approved.status_code == 200
    assert approved.json["items"][0]["status"] == "on_leave"
    assert approved.json["items"][0]["changed"] is True
    again = api(committee)("POST", path, json={"member_ids": [member.id], "status": "leave"})
    assert again.json["items"][0]["changed"] is False
    record = db.session.scalars(select(Attendance)).one()
    assert record.status == AttendanceStatus.ON_LEAVE


def test_leave_needs_a_request(api, committee, member, event, clock):
    response = api(committee, **EN)(
        "POST",
        f"/events/{event['id']}/attendance",
        json={"member_ids": [member.id], "status": "leave"},
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "member_ids": f"{member.name} has not asked for leave."
    }


def test_close_books_each_attendee_once(api, committee, member, event, clock, db):
    code = code_of(db, event["id"])
    api(member)("POST", f"/events/{event['id']}/checkin", json={"code": code})
    call = api(committee, **EN)
    early = call("POST", f"/events/{event['id']}/close")
    assert early.status_code == 409
    assert early.json["error"]["message"] == "An event can be closed once it has started."
    assert api(member)("POST", f"/events/{event['id']}/close").status_code == 403
    clock.move_to(FROZEN_NOW + timedelta(hours=2))
    closed = call("POST", f"/events/{event['id']}/close")
    assert closed.status_code == 200
    assert closed.json["booked"] == 1
    assert closed.json["event"]["closed_at"] == "2026-11-25T14:00:00+08:00"
    assert closed.json["event"]["code"] is None
    again = call("POST", f"/events/{event['id']}/close")
    assert again.status_code == 409
    entry = db.session.scalars(select(Activity)).one()
    assert (entry.user_id, entry.event_id) == (member.id, event["id"])
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1
    late = api(member)("POST", f"/events/{event['id']}/checkin", json={"code": code})
    assert late.status_code == 409


def test_list_pages_and_filters(api, committee, member, clock):
    call = api(committee)
    for hours in (1, 2, 3):
        body = new_event(
            title=f"会议{hours}",
            starts_at=when(timedelta(hours=hours)),
            ends_at=when(timedelta(hours=hours, minutes=30)),
        )
        assert call("POST", "/events", json=body).status_code == 201
    page = api(member)("GET", "/events?per_page=2&page=2")
    assert (page.json["total"], page.json["page"], page.json["per_page"]) == (3, 2, 2)
    assert [e["title"] for e in page.json["items"]] == ["会议1"]
    upcoming = api(member)("GET", "/events?when=upcoming")
    assert [e["title"] for e in upcoming.json["items"]] == ["会议1", "会议2", "会议3"]
    assert api(member)("GET", "/events?when=past").json["total"] == 0
    bad = api(member)("GET", "/events?when=soon&per_page=101")
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"when", "per_page"}


def test_unknown_events_answer_404(api, member, clock):
    call = api(member)
    assert call("GET", "/events/999").status_code == 404
    assert call("POST", "/events/999/checkin", json={"code": "ABCDEF"}).status_code == 404


def test_check_in_by_code_alone(api, committee, member, make, event, clock, db):
    code = code_of(db, event["id"])
    first = api(member)("POST", "/events/checkin", json={"code": f" {code} "})
    assert first.status_code == 200
    assert (first.json["event"]["id"], first.json["new"]) == (event["id"], True)
    again = api(member)("POST", "/events/checkin", json={"code": code})
    assert again.json["new"] is False
    outsider = api(make.member(make.branch()), **EN)("POST", "/events/checkin", json={"code": code})
    assert outsider.status_code == 403
    assert outsider.json["error"]["message"] == "This code belongs to an event of another branch."
    wrong = api(member, **EN)("POST", "/events/checkin", json={"code": "ZZZZZZ"})
    assert wrong.status_code == 422
    assert wrong.json["error"]["fields"] == {"code": "Wrong or expired code."}
    assert api(committee)("POST", "/events/checkin", json={"code": code}).json["new"] is True
    advisor = api(make.user(Role.ADVISOR))("POST", "/events/checkin", json={"code": code})
    assert advisor.status_code == 403


def test_a_new_code_retires_the_old_one(api, committee, member, event, clock, db):
    old = event["code"]
    assert api(member)("POST", f"/events/{event['id']}/code").status_code == 403
    rotated = api(committee)("POST", f"/events/{event['id']}/code")
    assert rotated.status_code == 200 and rotated.json["code"] != old
    refused = api(member)("POST", f"/events/{event['id']}/checkin", json={"code": old})
    assert refused.status_code == 422
    ok = api(member)("POST", f"/events/{event['id']}/checkin", json={"code": rotated.json["code"]})
    assert ok.status_code == 200
