"""One claim per real thing: an attended event is not logged again, one hour is not claimed twice.

Where a second claim cannot be refused when it is logged (the member checked
in after logging, or one of two activities has no time), the review queue
and the API show the reviewer a warning saying why.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

from sqlalchemy import select

from tracker.events import attendance, codes, planning
from tracker.events.planning import EventInput
from tracker.ledger import totals
from tracker.models import Activity, LedgerEntry

from ..conftest import FROZEN_NOW, TODAY

MEETING = {
    "category": "meeting",
    "occurred_on": TODAY.isoformat(),
    "quantity": 1,
    "title": "主题党日",
}


def theme_day(db, make, committee, category="meeting"):
    """An event from 12:30 to 14:00 campus time today; check-in is open at the frozen noon."""
    event = planning.create_event(
        db.session,
        committee,
        EventInput(
            title="重温入党誓词",
            category=make.category(category),
            place="201",
            starts_at=FROZEN_NOW + timedelta(minutes=30),
            ends_at=FROZEN_NOW + timedelta(minutes=120),
        ),
        FROZEN_NOW,
    )
    db.session.commit()
    return event


def checked_in(db, event, member):
    attendance.check_in(db.session, member, event, codes.code_for(event, FROZEN_NOW), FROZEN_NOW)
    db.session.commit()


def test_a_meeting_the_member_checked_in_to_cannot_be_logged_again(
    clock, api, make, member, committee, db
):
    event = theme_day(db, make, committee)
    checked_in(db, event, member)
    refused = api(member)("POST", "/activities", json=MEETING)
    assert refused.status_code == 422
    assert "重温入党誓词" in refused.json["error"]["message"]
    assert db.session.scalars(select(Activity)).all() == []
    # Another day is another meeting.
    other_day = {**MEETING, "occurred_on": (TODAY - timedelta(days=1)).isoformat()}
    assert api(member)("POST", "/activities", json=other_day).status_code == 201


def test_a_meeting_the_committee_marked_the_member_present_at_is_refused_on_the_page(
    clock, english_login, make, member, committee, db
):
    event = theme_day(db, make, committee)
    attendance.mark_present(db.session, committee, event, member, FROZEN_NOW)
    db.session.commit()
    response = english_login(member).post(
        "/activities/new/meeting",
        data={"occurred_on": TODAY.isoformat(), "quantity": "1", "title": "主题党日"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You attended" in page and "重温入党誓词" in page
    assert db.session.scalars(select(Activity)).all() == []


def test_time_spent_at_an_attended_event_is_not_claimed_again(
    clock, api, make, member, committee, db
):
    event = theme_day(db, make, committee)
    checked_in(db, event, member)
    clock.shift(timedelta(hours=4))
    during = {
        "category": "study",
        "occurred_on": TODAY.isoformat(),
        "quantity": 60,
        "title": "学习党章",
        "start_time": "13:00",
    }
    refused = api(member)("POST", "/activities", json=during)
    assert refused.status_code == 422 and "重温入党誓词" in refused.json["error"]["message"]
    before = {**during, "start_time": "10:00"}
    assert api(member)("POST", "/activities", json=before).status_code == 201


def test_leave_is_no_attendance(clock, api, make, member, committee, db):
    event = theme_day(db, make, committee)
    attendance.request_leave(db.session, member, event, "生病", FROZEN_NOW)
    db.session.commit()
    assert api(member)("POST", "/activities", json=MEETING).status_code == 201


def flags_of(api, user, activity_id) -> list[dict] | None:
    return api(user)("GET", f"/activities/{activity_id}").json["flags"]


def test_a_meeting_logged_before_checking_in_is_flagged_for_the_reviewer(
    clock, api, english_login, make, member, committee, db
):
    event = theme_day(db, make, committee)
    logged = api(member)("POST", "/activities", json=MEETING).json
    checked_in(db, event, member)
    [flag] = flags_of(api, committee, logged["id"])
    assert flag["kind"] == "attended_event" and flag["params"] == {"event_id": event.id}
    assert "重温入党誓词" in flag["message"]
    # Warnings are for reviewers.
    assert flags_of(api, member, logged["id"]) is None
    queue = english_login(committee).get("/review/").get_data(as_text=True)
    card = queue[queue.index(f'id="activity-{logged["id"]}"') :]
    assert "重温入党誓词" in card and "also attended" in card
    # A flagged activity is approved on its own, after a look.
    assert f'id="pick-{logged["id"]}"' not in queue


def test_overlapping_sessions_that_got_past_the_check_are_flagged(
    clock, api, make, member, committee, db
):
    # As two requests at the same moment would leave them: neither saw the other.
    first = make.activity(member, quantity=60, start=time(9, 0), title="第一次")
    second = make.activity(member, "tutoring", quantity=30, start=time(9, 30), title="第二次")
    [flag] = flags_of(api, committee, first.id)
    assert flag["kind"] == "overlap" and flag["params"] == {"activity_id": second.id}
    assert "第二次" in flag["message"]
    assert [f["kind"] for f in flags_of(api, committee, second.id)] == ["overlap"]
    listed = api(committee)("GET", "/activities?status=pending").json["items"]
    assert {a["id"]: len(a["flags"]) for a in listed} == {first.id: 1, second.id: 1}


def test_an_untimed_activity_on_the_day_of_another_of_its_category_is_flagged(
    clock, api, make, member, committee, db
):
    timed = make.activity(member, quantity=60, start=time(9, 0), title="有时间的")
    untimed = make.activity(member, quantity=60, start=None, title="没有时间的")
    volunteering = [make.activity(member, "volunteer", quantity=3, title=t) for t in "甲乙"]
    elsewhere = make.activity(member, occurred_on=TODAY - timedelta(days=1), start=None)
    assert [f["kind"] for f in flags_of(api, committee, timed.id)] == ["same_day"]
    assert [f["params"] for f in flags_of(api, committee, untimed.id)] == [
        {"activity_id": timed.id}
    ]
    assert [f["kind"] for f in flags_of(api, committee, volunteering[0].id)] == ["same_day"]
    assert flags_of(api, committee, elsewhere.id) == []


def test_bulk_approval_skips_flagged_activities_and_says_why(
    clock, english_login, make, member, committee, branch, db
):
    timed = make.activity(member, quantity=60, start=time(9, 0), title="有时间的")
    untimed = make.activity(member, quantity=60, start=None, title="没有时间的")
    plain = make.activity(make.member(branch), quantity=60, title="普通的")
    reviewer = english_login(committee)
    page = reviewer.get("/review/").get_data(as_text=True)
    versions = {
        f"version_{a.id}": re.search(rf'name="version_{a.id}" value="(\d+)"', page).group(1)
        for a in (timed, untimed, plain)
    }
    response = reviewer.post(
        "/review/approve-selected", data={"ids": [timed.id, untimed.id, plain.id], **versions}
    )
    page = reviewer.get(response.location).get_data(as_text=True)
    assert "1 activity approved" in page
    # Named once in the message and once beside each activity still in the queue.
    assert "2 activities were skipped and are still in the queue" in page
    assert page.count("has warnings") == 4
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1
    assert totals.differences(db.session) == []
