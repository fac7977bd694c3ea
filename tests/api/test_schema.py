"""Schemathesis over the whole OpenAPI document, against the Flask app through WSGI.

Every operation gets a few generated requests (valid and invalid): none may
answer 5xx, every answer must match the document, and secured operations
must refuse requests without a token or with a wrong one.
"""

from __future__ import annotations

import os
from datetime import timedelta

import flask_babel
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tracker.api.views import api
from tracker.clock import utcnow
from tracker.events import planning
from tracker.events.planning import EventInput
from tracker.people import tokens

# Examples per operation: enough to reach each operation's refusals and
# typical successes, few enough to keep the suite fast on both databases.
# TRACKER_API_FUZZ_EXAMPLES=200 runs a deeper search before a release.
MAX_EXAMPLES = int(os.environ.get("TRACKER_API_FUZZ_EXAMPLES", "5"))


@pytest.fixture
def seeded_token(app, db, make):
    """A committee member's token, in a branch with a member, a pending activity, an open event."""
    branch = make.branch()
    member = make.member(branch)
    make.activity(member)
    committee = make.committee(branch)
    now = utcnow()
    event = EventInput(
        title="主题党日",
        category=make.category("meeting"),
        place="",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
    )
    planning.create_event(db.session, committee, event, now)
    issued = tokens.issue_token(db.session, committee, name="fuzz", now=utcnow(), lifetime_days=1)
    db.session.commit()
    return issued.token


# A request can fit the schema and still break a domain rule (an unknown
# category, a date outside the back-dating window, a foreign id): those get a
# documented 404/409/422, so "valid data must be accepted" cannot hold.
RULES_NOT_IN_THE_SCHEMA = [schemathesis.checks.positive_data_acceptance]
CASES = sorted(
    (op.path, op.method.upper(), mode)
    for op in api.operations.values()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    # Invalid requests need something to be invalid: parameters or a body.
    if mode == GenerationMode.POSITIVE or op.query or op.body or op.multipart or op.path_params
)


@pytest.mark.one_database
@pytest.mark.parametrize(
    "path, method, mode", CASES, ids=[f"{m} {p} {mode.value}" for p, m, mode in CASES]
)
def test_api_matches_its_document(app, seeded_token, path, method, mode):
    # Strategies are drawn by hand rather than through schema.parametrize():
    # its lazy fixture loader reads a pytest attribute that pytest 9.2 removed.
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    strategy = operation.as_strategy(generation_mode=mode)
    headers = {"Authorization": f"Bearer {seeded_token}"}

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        # Examples share the test's database and app on purpose.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case):
        flask_babel.refresh()
        case.call_and_validate(headers=headers, excluded_checks=RULES_NOT_IN_THE_SCHEMA)

    run()


def test_every_secured_operation_refuses_missing_and_wrong_tokens(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, operations in doc["paths"].items():
        url = "/api/v1" + path.replace("{activity_id}", "1").replace("{branch_id}", "1")
        for name in ("token_id", "event_id", "pairing_id", "attendance_id"):
            url = url.replace("{" + name + "}", "1")
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            for headers in ({}, {"Authorization": "Bearer trk_wrong-token"}):
                response = client.open(url, method=method.upper(), headers=headers, json={})
                assert response.status_code == 401, (method, path, headers)
                assert response.json["error"]["code"] == "unauthorized"
