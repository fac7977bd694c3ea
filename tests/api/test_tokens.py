"""API tokens and how requests are authenticated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tracker.ledger import totals
from tracker.models import AccountStatus, ApiToken
from tracker.people.passwords import needs_rehash, verify_password

from ..conftest import PASSWORD
from .conftest import STUDY


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
    approved = api(committee)(
        "POST", f"/activities/{entry['id']}/approve", json={"version": entry["version"]}
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved" and approved.json["points"] == 2
    board = client.get("/api/v1/leaderboard/members?period=week", headers=auth).json
    assert board["me"]["points"] == 2 and board["me"]["rank"] == 1
    assert board["items"][0]["member"] == {"id": member.id, "name": "张三丰"}
    assert totals.differences(db.session) == []


# Tokens and authentication -------------------------------------------------


def test_token_is_stored_hashed_and_shown_once(client, member, db):
    response = client.post(
        "/api/v1/tokens",
        json={"student_no": member.student_no, "password": PASSWORD, "name": "手机"},
    )
    raw = response.json["token"]
    [stored] = db.session.scalars(select(ApiToken)).all()
    assert raw not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    assert stored.name == "手机" and response.headers["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {raw}"}).json
    assert listed["total"] == 1 and "token" not in listed["items"][0]


@pytest.mark.parametrize(
    "body",
    [
        {"student_no": "nobody", "password": PASSWORD},
        {"student_no": "S00001", "password": "wrong-password"},
    ],
)
def test_token_refused_for_wrong_credentials(client, member, body):
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_token_refused_for_a_pending_account(client, make, branch):

    waiting = make.member(branch, status=AccountStatus.PENDING)
    response = client.post(
        "/api/v1/tokens", json={"student_no": waiting.student_no, "password": PASSWORD}
    )
    assert response.status_code == 403


@pytest.mark.config(
    TRACKER_LOGIN_LIMIT_PAIR="2 per 5 minutes", TRACKER_LOGIN_LIMIT_ADDRESS="100 per minute"
)
def test_token_requests_are_rate_limited_like_the_login_form(client, member):
    wrong = {"student_no": member.student_no, "password": "nope-nope-nope"}
    assert [client.post("/api/v1/tokens", json=wrong).status_code for _ in range(2)] == [401, 401]
    blocked = client.post(
        "/api/v1/tokens", json={"student_no": member.student_no, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "rate_limited" and "Retry-After" in blocked.headers


@pytest.mark.parametrize("door", ["/login", "/api/v1/tokens"])
def test_an_outdated_password_hash_is_renewed_at_either_door(client, member, db, door):
    # Made with other Argon2 settings than the configured ones, as after raising the cost.
    member.password_hash = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1).hash(
        PASSWORD
    )
    db.session.commit()
    assert needs_rehash(member.password_hash)
    credentials = {"student_no": member.student_no, "password": PASSWORD}
    if door == "/login":
        assert client.post(door, data=credentials).status_code == 302
    else:
        assert client.post(door, json=credentials).status_code == 201
    db.session.refresh(member)
    assert not needs_rehash(member.password_hash)
    assert verify_password(member.password_hash, PASSWORD)


def test_requests_without_or_with_a_bad_token_are_refused(client, api, member, db, clock):
    assert client.get("/api/v1/me").status_code == 401
    for header in ("Bearer trk_wrong", "Basic abc", "Bearer ", "trk_x"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    call = api(member)
    assert call("GET", "/me").status_code == 200
    clock.shift(timedelta(days=31))
    assert call("GET", "/me").status_code == 401  # expired


def test_revoked_token_and_deactivated_user_are_refused(api, member, db):

    call = api(member)
    [token] = db.session.scalars(select(ApiToken)).all()
    assert call("DELETE", f"/tokens/{token.id}").status_code == 204
    assert call("GET", "/me").status_code == 401
    other = api(member)
    member.status = AccountStatus.DEACTIVATED
    db.session.commit()
    assert other("GET", "/me").status_code == 401


def test_a_token_of_another_user_cannot_be_revoked(api, member, committee, db):
    api(member)
    [theirs] = db.session.scalars(select(ApiToken)).all()
    assert api(committee)("DELETE", f"/tokens/{theirs.id}").status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_last_use_is_recorded(api, member, db, clock):
    call = api(member)
    call("GET", "/me")
    [token] = db.session.scalars(select(ApiToken)).all()
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_account_page_lists_and_revokes_tokens(api, login, member, committee, db):
    api(member)
    [token] = db.session.scalars(select(ApiToken)).all()
    assert (
        login(committee)
        .post(f"/account/tokens/{token.id}/revoke", data={"confirmed": "yes"})
        .status_code
        == 404
    )
    page = login(member)
    html = page.get("/account").get_data(as_text=True)
    assert token.prefix in html and f'data-token="{token.id}"' in html
    assert (
        page.post(f"/account/tokens/{token.id}/revoke", data={"confirmed": "yes"}).status_code
        == 302
    )
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert token.prefix not in page.get("/account").get_data(as_text=True)


def test_cli_creates_a_token(app, member, client):
    result = app.test_cli_runner().invoke(args=["tokens", "create", member.student_no])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[0]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.json["student_no"] == member.student_no
    missing = app.test_cli_runner().invoke(args=["tokens", "create", "nobody"])
    assert missing.exit_code != 0 and "nobody" in missing.output


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_session_writes_need_the_csrf_header(app, member, clock):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login", data={"student_no": member.student_no, "password": PASSWORD, "csrf_token": csrf}
    )
    # Logging in gives a new CSRF token; the pages carry it.
    page = client.get("/account").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.get("/api/v1/me").status_code == 200
    refused = client.post("/api/v1/activities", json=STUDY)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    accepted = client.post("/api/v1/activities", json=STUDY, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201, accepted.json
