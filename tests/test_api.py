"""The JSON API: tokens, entries, review, rankings, errors and the document."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker import tokens, totals
from tracker.clock import utcnow
from tracker.models import (
    ActivityMentee,
    ActivityStatus,
    ApiToken,
    EntryKind,
    LedgerEntry,
    MenteeResponse,
    Role,
)

from .conftest import PASSWORD, TODAY


@pytest.fixture
def branch(make):
    return make.branch()


@pytest.fixture
def member(make, branch):
    return make.member(branch, name="张三丰")


@pytest.fixture
def committee(make, branch):
    return make.committee(branch, name="李四")


@pytest.fixture
def api(app, db):
    """``api(user)`` returns a function ``call(method, path, **kwargs)`` with the user's token."""

    def _for(user, **headers):
        issued = tokens.issue_token(db.session, user, name="test", now=utcnow(), lifetime_days=30)
        db.session.commit()
        client = app.test_client()
        auth = {"Authorization": f"Bearer {issued.token}", **headers}

        def call(method: str, path: str, **kwargs):
            kwargs.setdefault("headers", {}).update(auth)
            return client.open("/api/v1" + path, method=method, **kwargs)

        return call

    return _for


STUDY = {
    "category": "study",
    "occurred_on": TODAY.isoformat(),
    "quantity": 60,
    "title": "学习党章",
    "start_time": "09:00",
}


def test_token_then_log_then_approve_then_leaderboard(clock, client, api, member, committee, db):
    response = client.post(
        "/api/v1/tokens", json={"student_no": member.student_no, "password": PASSWORD}
    )
    assert response.status_code == 201, response.json
    token = response.json["token"]
    assert response.json["expires_at"].endswith("+08:00")
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/activities", json=STUDY, headers=auth)
    assert created.status_code == 201, created.json
    entry = created.json
    assert entry["status"] == "pending" and entry["quantity"] == 60 and entry["points"] is None
    approved = api(committee)("POST", f"/activities/{entry['id']}/approve")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved" and approved.json["points"] == 2
    board = client.get("/api/v1/leaderboard/members?period=week", headers=auth).json
    assert board["me"]["points"] == 2 and board["me"]["rank"] == 1
    assert board["items"][0]["member"] == {"id": member.id, "name": "张三丰"}
    assert totals.differences(db.session) == []
