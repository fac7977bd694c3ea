"""The issue's "done when", as the README's script does it: nothing but tokens and JSON."""

from __future__ import annotations

from datetime import timedelta

from ..conftest import FROZEN_NOW, PASSWORD, TODAY


def test_a_script_with_only_tokens(app, make, branch, clock):
    client = app.test_client()
    member, committee = make.member(branch), make.committee(branch)
    mentee = make.member(make.branch())

    def token(user) -> dict[str, str]:
        issued = client.post(
            "/api/v1/tokens", json={"student_no": user.student_no, "password": PASSWORD}
        )
        assert issued.status_code == 201, issued.json
        return {"Authorization": f"Bearer {issued.json['token']}"}

    def call(auth, method, path, **kwargs):
        response = client.open("/api/v1" + path, method=method, headers=auth, **kwargs)
        assert response.status_code < 300, (path, response.json)
        return response.json

    me, boss, other = token(member), token(committee), token(mentee)
    study = {
        "category": "study",
        "occurred_on": TODAY.isoformat(),
        "start_time": "08:00",
        "quantity": 45,
        "title": "学习党章",
    }
    entry = call(me, "POST", "/activities", json=study)
    # The committee reads it, then approves the version it read.
    seen = client.get(f"/api/v1/activities/{entry['id']}", headers=boss).headers["ETag"]
    approved = call({**boss, "If-Match": seen}, "POST", f"/activities/{entry['id']}/approve")
    assert approved["points"] == 1.5

    event = call(
        boss,
        "POST",
        "/events",
        json={
            "title": "主题党日",
            "category": "meeting",
            "starts_at": "2026-11-25T12:15:00+08:00",
            "ends_at": "2026-11-25T13:30:00+08:00",
        },
    )
    checked = call(me, "POST", f"/events/{event['id']}/checkin", json={"code": event["code"]})
    assert checked["new"] is True
    clock.move_to(FROZEN_NOW + timedelta(hours=2))
    assert call(boss, "POST", f"/events/{event['id']}/close")["booked"] == 1

    pairing = call(me, "POST", "/pairings", json={"student_no": mentee.student_no})
    call(other, "POST", f"/pairings/{pairing['id']}/accept")
    session = {
        **study,
        "category": "tutoring",
        "start_time": "10:00",
        "quantity": 60,
        "title": "辅导高数",
        "mentee_ids": [mentee.id],
    }
    logged = call(me, "POST", "/activities", json=session)
    waiting = call(other, "GET", "/confirmations")["items"]
    assert [s["activity_id"] for s in waiting] == [logged["id"]]
    call(other, "POST", f"/activities/{logged['id']}/confirmation", json={"decision": "confirm"})

    members = call(me, "GET", "/leaderboard/members?period=week")
    assert members["me"]["points"] == 1.5 + 2  # the study session and the event
    stats = call(boss, "GET", f"/branches/{branch.id}/stats?period=week")
    assert stats["points"] == 1.5 + 2
    branches = call(me, "GET", f"/leaderboard/branches?period=week&college_id={branch.college_id}")
    assert [(b["branch"]["id"], b["points"]) for b in branches["items"]] == [(branch.id, 1.5 + 2)]
