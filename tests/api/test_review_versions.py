"""Review through the API decides on the version the reviewer read (If-Match or ``version``)."""

from __future__ import annotations

from sqlalchemy import select

from tracker.ledger import totals
from tracker.models import ActivityMentee, ActivityStatus, LedgerEntry, MenteeResponse

from ..conftest import TODAY

VOLUNTEER = {
    "category": "volunteer",
    "occurred_on": TODAY.isoformat(),
    "quantity": 0.5,
    "title": "社区服务",
}


def ledger(db):
    return db.session.scalars(select(LedgerEntry)).all()


def logged(api, member) -> dict:
    created = api(member)("POST", "/activities", json=VOLUNTEER)
    assert created.status_code == 201, created.json
    return created.json


def test_the_activity_carries_its_version_and_etag(api, member, committee, clock):
    activity = logged(api, member)
    read = api(committee)("GET", f"/activities/{activity['id']}")
    assert read.json["version"] == activity["version"]
    assert read.headers["ETag"] == f'"{activity["version"]}"'
    changed = api(member)("PATCH", f"/activities/{activity['id']}", json={"quantity": 8})
    assert changed.json["version"] > activity["version"]


def test_approval_of_what_the_member_changed_after_the_reviewer_read_it_is_refused(
    api, member, committee, clock, db
):
    activity = logged(api, member)
    reviewer = api(committee, **{"Accept-Language": "en"})
    seen = reviewer("GET", f"/activities/{activity['id']}").headers["ETag"]
    api(member)("PATCH", f"/activities/{activity['id']}", json={"quantity": 8})
    refused = reviewer("POST", f"/activities/{activity['id']}/approve", headers={"If-Match": seen})
    assert refused.status_code == 409
    assert "changed after you" in refused.json["error"]["message"]
    assert ledger(db) == []
    # Read again, the reviewer decides on what is there now.
    fresh = reviewer("GET", f"/activities/{activity['id']}").headers["ETag"]
    approved = reviewer(
        "POST", f"/activities/{activity['id']}/approve", headers={"If-Match": fresh}
    )
    assert approved.status_code == 200 and approved.json["points"] == 16
    assert approved.headers["ETag"] == f'"{approved.json["version"]}"'
    assert totals.differences(db.session) == []


def test_a_stale_version_in_the_body_is_refused_for_approve_reject_and_revoke(
    api, member, committee, clock, db
):
    activity = logged(api, member)
    reviewer = api(committee)
    stale = activity["version"]
    api(member)("PATCH", f"/activities/{activity['id']}", json={"title": "改过的"})
    for action, body in (("approve", {}), ("reject", {"reason": "不符"})):
        refused = reviewer(
            "POST", f"/activities/{activity['id']}/{action}", json={**body, "version": stale}
        )
        assert refused.status_code == 409, action
    current = reviewer("GET", f"/activities/{activity['id']}").json["version"]
    approved = reviewer(
        "POST", f"/activities/{activity['id']}/approve", json={"version": current}
    ).json
    assert approved["status"] == "approved"
    stale_revoke = reviewer(
        "POST",
        f"/activities/{activity['id']}/revoke",
        json={"reason": "重复", "version": current},
    )
    assert stale_revoke.status_code == 409
    revoked = reviewer(
        "POST",
        f"/activities/{activity['id']}/revoke",
        json={"reason": "重复", "version": approved["version"]},
    )
    assert revoked.json["status"] == "revoked"
    assert totals.differences(db.session) == []


def test_approve_and_reject_without_a_version_answer_428(api, member, committee, clock, db):
    activity = logged(api, member)
    reviewer = api(committee, **{"Accept-Language": "zh-CN"})
    for action, body in (("approve", None), ("reject", {"reason": "不符"})):
        refused = reviewer("POST", f"/activities/{activity['id']}/{action}", json=body)
        assert refused.status_code == 428, action
        assert refused.json["error"]["code"] == "precondition_required"
        assert "版本" in refused.json["error"]["message"]
    assert ledger(db) == []


def test_if_match_and_version_must_name_one_version(api, member, committee, clock, db):
    activity = logged(api, member)
    reviewer = api(committee)
    path = f"/activities/{activity['id']}/approve"
    version = activity["version"]
    for header in ("*", '"abc"', 'W/"1"', '"1", "2"', '"99999999999"'):
        response = reviewer("POST", path, headers={"If-Match": header})
        assert response.status_code in (400, 428), header
    other = reviewer("POST", path, headers={"If-Match": f'"{version}"'}, json={"version": 99})
    assert other.status_code == 400
    assert ledger(db) == []
    assert reviewer("POST", path, headers={"If-Match": str(version)}).status_code == 200


def test_outsiders_are_refused_before_any_version_is_asked_for(api, member, make, clock):
    activity = logged(api, member)
    assert api(member)("POST", f"/activities/{activity['id']}/approve").status_code == 403
    stranger = api(make.committee(make.branch()))
    assert stranger("POST", f"/activities/{activity['id']}/approve").status_code == 404


def disputed_session(make, member, db):
    mentee = make.member(make.branch())
    activity = make.activity(member, "tutoring")
    db.session.add(
        ActivityMentee(
            activity_id=activity.id,
            mentee_id=mentee.id,
            response=MenteeResponse.DISPUTED,
            reason="没有辅导",
        )
    )
    db.session.commit()
    return activity


def test_approving_a_disputed_session_takes_a_reason_as_on_the_page(
    api, member, committee, make, clock, db
):
    activity = disputed_session(make, member, db)
    reviewer = api(committee)
    version = reviewer("GET", f"/activities/{activity.id}").json["version"]
    path = f"/activities/{activity.id}/approve"
    missing = reviewer("POST", path, json={"version": version})
    assert missing.status_code == 422 and "reason" in missing.json["error"]["fields"]
    approved = reviewer("POST", path, json={"version": version, "reason": "已与双方核实"})
    assert approved.status_code == 200, approved.json
    assert approved.json["review_reason"] == "已与双方核实"
    assert len(ledger(db)) == 1
    assert totals.differences(db.session) == []


def test_a_mentee_answer_after_the_reviewer_read_the_session_is_a_change(
    api, member, committee, make, clock, db
):
    mentee = make.member(make.branch())
    activity = make.activity(member, "tutoring")
    db.session.add(ActivityMentee(activity_id=activity.id, mentee_id=mentee.id))
    db.session.commit()
    reviewer = api(committee)
    version = reviewer("GET", f"/activities/{activity.id}").json["version"]
    api(mentee)(
        "POST",
        f"/activities/{activity.id}/confirmation",
        json={"decision": "dispute", "reason": "那天没有辅导"},
    )
    refused = reviewer("POST", f"/activities/{activity.id}/approve", json={"version": version})
    assert refused.status_code == 409
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PENDING and ledger(db) == []
