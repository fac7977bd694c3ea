"""API errors, the current user, categories and the OpenAPI document."""

from __future__ import annotations

import re

from tracker.clock import utcnow
from tracker.models import ActivityStatus

from .conftest import STUDY

# Errors --------------------------------------------------------------------


def test_errors_are_json_in_the_request_language(api, member):
    call = api(member)
    english = call("GET", "/nowhere", headers={"Accept-Language": "en"})
    assert english.status_code == 404 and english.is_json
    assert english.json["error"] == {
        "code": "not_found",
        "message": "There is nothing here.",
        "fields": {},
    }
    chinese = call("GET", "/nowhere", headers={"Accept-Language": "zh-CN"})
    assert chinese.json["error"]["message"] != "There is nothing here."
    assert call("PUT", "/me").status_code == 405
    assert call("PUT", "/me").json["error"]["code"] == "method_not_allowed"


def test_user_locale_applies_without_accept_language(api, member, db, clock):
    member.locale = "en"
    db.session.commit()
    response = api(member)("POST", "/activities", json={**STUDY, "occurred_on": "2030-01-01"})
    assert response.json["error"]["fields"]["occurred_on"] == "The date cannot be in the future."


# Many cases in one test: each case needs no set-up of its own, and a test
# costs a fresh database on both backends.
MALFORMED_QUERIES = [
    "page=0",
    "per_page=101",
    "page=abc",
    "status=lost",
    "from=2026-13-01",
    "from=25.11.2026",
    "member_id=-1",
    "branch_id=99999999999999",
]


def test_malformed_query_parameters_are_400(api, member):
    call = api(member)
    for query in MALFORMED_QUERIES:
        response = call("GET", f"/activities?{query}")
        assert response.status_code == 400, query
        assert response.json["error"]["fields"], query


def test_days_at_the_calendar_ends_are_refused_not_overflowed(api, member, clock):
    """A custom period ends the day after its last: 9999-12-31 would overflow."""
    call = api(member, **{"Accept-Language": "en"})
    for query in ("from=9999-12-30&to=9999-12-31", "from=0001-01-01&to=0001-01-02"):
        answer = call("GET", f"/leaderboard/members?period=custom&{query}")
        assert answer.status_code == 400, answer.json
        assert "A day from 1970-01-01 to 2999-12-31" in str(answer.json["error"]["fields"])
    late = call("POST", "/activities", json={"category": "study", "occurred_on": "9999-12-31"})
    assert late.status_code in (400, 422)


def test_malformed_bodies_are_400(api, member):
    call = api(member)
    for data, content_type in (
        ("not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"quantity": NaN}', "application/json"),
        ("category=study", "text/plain"),
    ):
        response = call("POST", "/activities", data=data, content_type=content_type)
        assert response.status_code == 400, data


# Me and categories -----------------------------------------------------------


def test_me_gives_points_per_period_and_rank_in_branch(api, make, member, branch, clock):
    make.activity(make.member(branch), status=ActivityStatus.PENDING)
    from tracker.extensions import db
    from tracker.ledger import points as points_domain

    activity = make.activity(member, quantity=45)
    points_domain.approve_activity(db.session, activity, None, utcnow())
    db.session.commit()
    me = api(member)("GET", "/me").json
    assert me["student_no"] == member.student_no and me["role"] == "member"
    assert me["branch"] == {"id": branch.id, "name": branch.name}
    assert me["points"] == {"week": 1.5, "month": 1.5, "year": 1.5, "all": 1.5}
    # "of" counts the ranked: the other member has no points yet.
    assert me["rank_in_branch"] == {"period": "month", "rank": 1, "of": 1}
    assert me["stage"] == "activist"


def test_categories_with_their_current_rule(api, member, clock):
    listed = api(member)("GET", "/categories", headers={"Accept-Language": "en"}).json
    study = next(c for c in listed["items"] if c["key"] == "study")
    assert study["unit"] == "minutes" and study["needs_start_time"] is True
    assert study["rule"]["points_per_unit"] == 1 and study["rule"]["daily_cap"] == 6
    assert "30" in study["rule"]["summary"]
    assert listed["total"] == len(listed["items"]) == 5


# The document ------------------------------------------------------------------------


def test_every_api_route_is_in_the_document(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<[^>]*?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


def test_document_describes_parameters_bodies_and_errors(client):
    doc = client.get("/api/v1/openapi.json").json
    create = doc["paths"]["/activities"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert {"category", "occurred_on", "quantity", "title", "mentee_ids"} <= set(body["properties"])
    assert body["additionalProperties"] is False
    assert {"201", "400", "401", "403", "422"} <= set(create["responses"])
    board = doc["paths"]["/leaderboard/members"]["get"]
    assert {p["name"] for p in board["parameters"]} == {
        "scope",
        "scope_id",
        "period",
        "term_id",
        "from",
        "to",
        "category",
        "page",
        "per_page",
    }
    assert doc["paths"]["/tokens"]["post"]["security"] == []
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_reference_page_renders_every_operation(client):
    doc = client.get("/api/v1/openapi.json").json
    html = client.get("/api/v1/docs").get_data(as_text=True)
    for ops in doc["paths"].values():
        for op in ops.values():
            assert f'id="{op["operationId"]}"' in html
    assert "cdn" not in html.lower()


def test_nul_characters_are_refused_not_stored(api, member, clock):
    call = api(member)
    created = call("POST", "/activities", json={**STUDY, "title": "a\x00b"})
    assert created.status_code == 422 and "title" in created.json["error"]["fields"]
    assert call("GET", "/activities?category=%00").status_code == 400
