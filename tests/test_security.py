"""CSRF, headers, cookies, rate limits: the protections every page relies on."""

import re

import pytest

from .conftest import PASSWORD


def csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_every_post_route_refuses_a_request_without_csrf_token(app, make, db):
    member = make.member()
    client = app.test_client()
    token = csrf_token(client)
    assert (
        client.post(
            "/login", data={"student_no": member.student_no, "password": PASSWORD}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/login",
            data={"student_no": member.student_no, "password": PASSWORD, "csrf_token": token},
        ).status_code
        == 302
    )
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.build(
            {arg: 1 for arg in rule.arguments}
            | ({"key": "study"} if "key" in rule.arguments else {})
        )[1]
        response = client.post(url, data={"reason": "x", "title": "x"})
        assert response.status_code == 400, url
        checked += 1
    assert checked >= 10


def test_no_route_changes_state_on_get(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[-1] in {
            "logout",
            "withdraw",
            "approve",
            "reject",
            "revoke",
            "approve_selected",
            "adjust",
            "registration",
            "rotate_invite",
            "language",
        }:
            assert "GET" not in rule.methods, rule.rule


def test_security_headers_on_every_response(client):
    for path in ("/login", "/does-not-exist"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert "script-src 'self' https://cdn.jsdelivr.net" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.config(TRACKER_CHARTJS_URL="http://127.0.0.1:8123/chart.umd.min.js")
def test_csp_follows_the_chartjs_setting(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self' http://127.0.0.1:8123" in csp
    assert "jsdelivr" not in csp


def test_session_cookie_flags(make, app):
    member = make.member()
    plain = app.test_client()
    response = plain.post("/login", data={"student_no": member.student_no, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    response = secure.post(
        "/login",
        base_url="https://localhost",
        data={"student_no": member.student_no, "password": PASSWORD},
    )
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.config(
    TRACKER_LOGIN_LIMIT_PAIR="3 per 5 minutes", TRACKER_LOGIN_LIMIT_ADDRESS="100 per minute"
)
def test_failed_logins_are_limited_per_account_and_address(clock, client, make):
    member = make.member()
    for _ in range(3):
        response = client.post(
            "/login", data={"student_no": member.student_no, "password": "wrong-password"}
        )
        assert response.status_code == 200
    blocked = client.post("/login", data={"student_no": member.student_no, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "12:05" in blocked.get_data(as_text=True)  # says when to try again
    other = make.member()
    assert (
        client.post(
            "/login", data={"student_no": other.student_no, "password": PASSWORD}
        ).status_code
        == 302
    )


@pytest.mark.config(
    TRACKER_LOGIN_LIMIT_ADDRESS="2 per minute", TRACKER_LOGIN_LIMIT_PAIR="100 per minute"
)
def test_failed_logins_are_limited_per_address(client, make):
    for number in ("a1x", "b2y"):
        client.post("/login", data={"student_no": number, "password": "wrong-password"})
    assert (
        client.post("/login", data={"student_no": "c3z", "password": "wrong-password"}).status_code
        == 429
    )


def test_successful_logins_do_not_count(make, app):
    member = make.member()
    app.config["TRACKER_LOGIN_LIMIT_PAIR"] = "2 per minute"
    for _ in range(4):
        client = app.test_client()
        assert (
            client.post(
                "/login", data={"student_no": member.student_no, "password": PASSWORD}
            ).status_code
            == 302
        )


def test_passwords_are_hashed_with_argon2id(make, db):
    member = make.member()
    assert member.password_hash.startswith("$argon2id$")
    assert PASSWORD not in member.password_hash


def test_production_hash_settings_meet_owasp(monkeypatch):
    from tracker.config import SETTINGS

    defaults = {s.key: s.default for s in SETTINGS}
    # OWASP ASVS 5.0 / cheat sheet: argon2id with at least 19 MiB and 2 passes.
    assert defaults["TRACKER_PASSWORD_MEMORY_KIB"] >= 19 * 1024
    assert defaults["TRACKER_PASSWORD_TIME_COST"] >= 2


def test_malformed_query_parameters_are_400_not_500(make, login):
    client = login(make.member())
    assert client.get("/leaderboard/?period=decade").status_code == 400
    assert client.get("/leaderboard/?page=-3").status_code == 400
    assert client.get("/leaderboard/?branch=abc").status_code == 400
    assert client.get("/leaderboard/?period=custom&from=2026-13-01").status_code == 400
    assert client.get("/leaderboard/?branch=999999").status_code == 404


def test_nul_bytes_in_forms_and_queries_are_400_not_500(clock, make, login, db):
    from sqlalchemy import func, select

    from tracker.models import Activity

    client = login(make.member())
    response = client.post(
        "/activities/new/study",
        data={
            "occurred_on": "2026-11-25",
            "start_time": "09:00",
            "quantity": "30",
            "title": "a\x00b",
            "submission_key": "nul",
        },
    )
    assert response.status_code == 400
    assert client.get("/leaderboard/?period=week\x00").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.config(
    TRACKER_LOGIN_LIMIT_PAIR="4 per 5 minutes", TRACKER_LOGIN_LIMIT_ADDRESS="100 per minute"
)
@pytest.mark.parametrize("refused_at", ["/login", "/api/v1/tokens"])
def test_failed_logins_at_the_form_and_the_api_share_one_budget(client, make, refused_at):
    member = make.member()
    wrong = {"student_no": member.student_no, "password": "wrong-password"}
    for _ in range(2):
        assert client.post("/login", data=wrong).status_code == 200
        assert client.post("/api/v1/tokens", json=wrong).status_code == 401
    right = {"student_no": member.student_no, "password": PASSWORD}
    if refused_at == "/login":
        blocked = client.post("/login", data=right)
    else:
        blocked = client.post("/api/v1/tokens", json=right)
    assert blocked.status_code == 429


@pytest.mark.config(
    TRACKER_LOGIN_LIMIT_ADDRESS="3 per minute", TRACKER_LOGIN_LIMIT_PAIR="100 per minute"
)
def test_failed_logins_from_one_address_share_one_budget_across_doors(client, make):
    client.post("/login", data={"student_no": "a1x", "password": "wrong-password"})
    client.post("/api/v1/tokens", json={"student_no": "b2y", "password": "wrong-password"})
    client.post("/login", data={"student_no": "c3z", "password": "wrong-password"})
    refused = client.post("/api/v1/tokens", json={"student_no": "d4w", "password": "whatever"})
    assert refused.status_code == 429
