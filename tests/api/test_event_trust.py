"""Points from events through the API: a second person confirms one's own or hand-marked
attendance, back-dated events are refused, defaulted points are capped, closes are limited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.ledger import totals
from tracker.models import Activity, ActivityStatus, AdvisorScope, LedgerEntry, Role

EN = {"Accept-Language": "en"}


def meeting(**overrides):
    return {
        "title": "支委会",
        "category": "meeting",
        "starts_at": "2026-11-20T19:00:00+08:00",
        "ends_at": "2026-11-20T20:30:00+08:00",
        **overrides,
    }


def ledger(db, user_id: int) -> list[LedgerEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id)))


def test_an_organiser_marking_themselves_present_books_nothing_until_an_advisor_confirms(
    api, make, branch, committee, clock, db
):
    call = api(committee, **EN)
    event = call("POST", "/events", json=meeting()).json
    marked = call(
        "POST",
        f"/events/{event['id']}/attendance",
        json={"member_ids": [committee.id], "status": "present"},
    )
    assert marked.status_code == 200
    closed = call("POST", f"/events/{event['id']}/close")
    assert closed.status_code == 200
    assert ledger(db, committee.id) == []
    assert (closed.json["booked"], closed.json["waiting"]) == (0, 1)
    activity = db.session.scalars(select(Activity).where(Activity.event_id == event["id"])).one()
    assert activity.status == ActivityStatus.PENDING
    own = call("POST", f"/activities/{activity.id}/approve")
    assert own.status_code == 403 and ledger(db, committee.id) == []
    outsider = make.user(Role.ADVISOR)
    assert api(outsider)("POST", f"/activities/{activity.id}/approve").status_code == 404
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=branch.college_id))
    db.session.commit()
    seen = {"version": activity.version}
    assert api(advisor)("POST", f"/activities/{activity.id}/approve", json=seen).status_code == 200
    (entry,) = ledger(db, committee.id)
    assert (entry.actor_id, entry.points) == (advisor.id, Decimal(2))
    assert totals.differences(db.session) == []


def test_a_back_dated_event_is_refused(api, committee, clock, db):
    refused = api(committee, **EN)(
        "POST",
        "/events",
        json=meeting(starts_at="2026-11-10T19:00:00+08:00", ends_at="2026-11-10T20:00:00+08:00"),
    )
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {
        "starts_at": "Events can start at most 14 days back."
    }
    assert totals.differences(db.session) == []


def test_a_defaulted_day_long_tutoring_event_gives_at_most_one_entry(api, committee, clock, db):
    body = api(committee)(
        "POST",
        "/events",
        json=meeting(
            category="tutoring",
            starts_at="2026-11-24T08:00:00+08:00",
            ends_at="2026-11-25T08:00:00+08:00",
        ),
    ).json
    assert body["points"] == 8  # not 48: the rule allows 240 minutes an entry
    too_many = api(committee, **EN)("POST", "/events", json=meeting(points=5))
    assert too_many.status_code == 422
    assert too_many.json["error"]["fields"] == {
        "points": "At most 2 points: what the category's rule gives for one entry."
    }
    assert totals.differences(db.session) == []


@pytest.mark.config(TRACKER_EVENT_CLOSES_PER_DAY=3)
def test_a_fourth_close_on_one_day_is_a_conflict(api, committee, clock, db):
    call = api(committee, **EN)
    ids = [call("POST", "/events", json=meeting(title=f"会{i}")).json["id"] for i in range(4)]
    for event_id in ids[:3]:
        assert call("POST", f"/events/{event_id}/close").status_code == 200
    fourth = call("POST", f"/events/{ids[3]}/close")
    assert fourth.status_code == 409
    assert fourth.json["error"]["message"] == (
        f"{committee.branch.name} has already closed 3 events today; close the others tomorrow."
    )
