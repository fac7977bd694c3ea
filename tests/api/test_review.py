"""Reviewing, tutoring answers and adjustments through the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.ledger import totals
from tracker.models import ActivityMentee, ActivityStatus, EntryKind, LedgerEntry, MenteeResponse

# Review ----------------------------------------------------------------------------


def test_member_cannot_approve(api, make, member, branch, clock):
    own = make.activity(member)
    neighbour = make.activity(make.member(branch), start=None)
    call = api(member)
    refused = call("POST", f"/activities/{own.id}/approve")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert call("POST", f"/activities/{neighbour.id}/approve").status_code == 404


def test_committee_cannot_touch_another_branchs_activities(api, make, committee, clock, db):
    stranger = make.activity(make.member(make.branch()))
    call = api(committee)
    for action, body in (
        ("approve", None),
        ("reject", {"reason": "x"}),
        ("revoke", {"reason": "x"}),
    ):
        response = call("POST", f"/activities/{stranger.id}/{action}", json=body)
        assert response.status_code == 404, action
    db.session.refresh(stranger)
    assert stranger.status == ActivityStatus.PENDING
    assert db.session.scalars(select(LedgerEntry)).all() == []


def test_committee_never_reviews_own_activity(api, committee, clock, make):
    own = make.activity(committee)
    assert api(committee)("POST", f"/activities/{own.id}/approve").status_code == 403


def test_approve_twice_books_once(api, member, committee, clock, make, db):
    entry = make.activity(member)
    call = api(committee)
    seen = {"version": entry.version}
    assert call("POST", f"/activities/{entry.id}/approve", json=seen).status_code == 200
    again = call("POST", f"/activities/{entry.id}/approve", json=seen)
    assert again.status_code == 409
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1


def test_reject_needs_a_reason_and_reaches_the_member(api, member, committee, clock, make):
    entry = make.activity(member)
    call = api(committee)
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}):
        assert call("POST", f"/activities/{entry.id}/reject", json=body).status_code == 422
    rejected = call(
        "POST", f"/activities/{entry.id}/reject", json={"reason": "请补充内容", "version": 1}
    )
    assert rejected.json["status"] == "rejected"
    seen = api(member)("GET", f"/activities/{entry.id}").json
    assert seen["review_reason"] == "请补充内容"
    resubmitted = api(member)("PATCH", f"/activities/{entry.id}", json={"title": "补充后"})
    assert resubmitted.json["status"] == "pending"


def test_revoke_books_a_reversal(api, member, committee, clock, make, db):
    entry = make.activity(member)
    call = api(committee)
    call("POST", f"/activities/{entry.id}/approve", json={"version": entry.version})
    revoked = call("POST", f"/activities/{entry.id}/revoke", json={"reason": "重复登记"})
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert revoked.json["points"] == 0
    kinds = [e.kind for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert kinds == [EntryKind.AWARD, EntryKind.REVERSAL]
    assert totals.differences(db.session) == []


# Tutoring confirmation ----------------------------------------------------------


@pytest.fixture
def session_with_mentee(make, member, db):
    mentee = make.member(make.branch())
    entry = make.activity(member, "tutoring")
    db.session.add(ActivityMentee(activity_id=entry.id, mentee_id=mentee.id))
    db.session.commit()
    return entry, mentee


def test_named_mentee_confirms_once(api, session_with_mentee, clock, db):
    entry, mentee = session_with_mentee
    call = api(mentee)
    confirmed = call("POST", f"/activities/{entry.id}/confirmation", json={"decision": "confirm"})
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["response"] == "confirmed"
    again = call(
        "POST",
        f"/activities/{entry.id}/confirmation",
        json={"decision": "dispute", "reason": "改主意了"},
    )
    assert again.status_code == 409
    [link] = db.session.scalars(select(ActivityMentee)).all()
    db.session.refresh(link)
    assert link.response == MenteeResponse.CONFIRMED


def test_named_mentee_disputes_with_a_reason(api, session_with_mentee, clock, db):
    entry, mentee = session_with_mentee
    call = api(mentee)
    no_reason = call("POST", f"/activities/{entry.id}/confirmation", json={"decision": "dispute"})
    assert no_reason.status_code == 422
    disputed = call(
        "POST",
        f"/activities/{entry.id}/confirmation",
        json={"decision": "dispute", "reason": "那天没有辅导"},
    )
    assert disputed.json["response"] == "disputed"
    [link] = db.session.scalars(select(ActivityMentee)).all()
    db.session.refresh(link)
    assert link.response == MenteeResponse.DISPUTED and link.reason == "那天没有辅导"


def test_only_a_named_mentee_answers(api, session_with_mentee, committee, make, clock):
    entry, _ = session_with_mentee
    body = {"decision": "confirm"}
    assert api(committee)(
        "POST", f"/activities/{entry.id}/confirmation", json=body
    ).status_code == (403)
    stranger = make.member(make.branch())
    assert api(stranger)("POST", f"/activities/{entry.id}/confirmation", json=body).status_code == (
        404
    )


def test_no_answer_after_review(api, session_with_mentee, committee, clock):
    entry, mentee = session_with_mentee
    api(committee)("POST", f"/activities/{entry.id}/approve", json={"version": entry.version})
    late = api(mentee)("POST", f"/activities/{entry.id}/confirmation", json={"decision": "confirm"})
    assert late.status_code == 409


# Adjustments ---------------------------------------------------------------------


def test_committee_adjusts_a_member_of_the_branch(api, member, committee, clock, db):
    body = {"member_id": member.id, "points": -1.5, "reason": "重复计分", "category": "study"}
    booked = api(committee)("POST", "/adjustments", json=body)
    assert booked.status_code == 201, booked.json
    assert booked.json["points"] == -1.5 and booked.json["category"] == "study"
    assert booked.json["earned_on"] == "2026-11-25"
    assert api(member)("GET", "/me").json["points"]["week"] == -1.5


def test_bad_adjustments_are_refused(api, member, committee, clock, db):
    call = api(committee)
    for body in (
        {"points": 1.55, "reason": "x"},
        {"points": 0, "reason": "x"},
        {"points": 101, "reason": "x"},
        {"points": 1, "reason": ""},
        {"points": 1, "reason": "x", "role": "admin"},
        {"points": 1, "reason": "x", "category": "nope"},
    ):
        response = call("POST", "/adjustments", json={"member_id": member.id, **body})
        assert response.status_code == 422, body
    assert db.session.scalars(select(LedgerEntry)).all() == []


def test_adjustments_only_by_committee_of_the_branch(api, make, member, committee, clock):
    body = {"member_id": member.id, "points": 1, "reason": "x"}
    assert api(member)("POST", "/adjustments", json=body).status_code == 403
    other_committee = make.committee(make.branch())
    assert api(other_committee)("POST", "/adjustments", json=body).status_code == 404
    assert api(committee)(
        "POST", "/adjustments", json={**body, "member_id": committee.id}
    ).status_code == (403)


def test_mentee_finds_the_sessions_that_name_them(api, session_with_mentee, committee, member):
    entry, mentee = session_with_mentee
    listed = api(mentee)("GET", "/confirmations").json
    assert [(i["activity_id"], i["mentor"]["id"], i["response"]) for i in listed["items"]] == [
        (entry.id, member.id, "pending")
    ]
    assert api(committee)("GET", "/confirmations").json["total"] == 0
    api(committee)("POST", f"/activities/{entry.id}/approve", json={"version": entry.version})
    assert api(mentee)("GET", "/confirmations").json["total"] == 0
    answered = api(mentee)("GET", "/confirmations?open=false").json["items"]
    assert answered[0]["status"] == "approved"
    assert api(mentee)("GET", "/confirmations?open=maybe").status_code == 400
