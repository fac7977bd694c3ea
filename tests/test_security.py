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
            "logout_everywhere",
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
    from tracker.setting_table import SETTINGS

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


# Request bodies: refused by their announced length, before anything reads them ---


class UnreadableBody:
    """A body of ``size`` bytes that fails the test if the app reads it."""

    def __init__(self, size: int):
        self.size, self.position = size, 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size if whence == 2 else offset
        return self.position

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readlines = read


def _announced(client, path: str, megabytes: int, content_type: str):
    """A POST whose Content-Length says ``megabytes``; the bytes never come."""
    return client.post(
        path,
        input_stream=UnreadableBody(megabytes * 1024 * 1024),
        content_type=content_type,
        headers={"Accept-Language": "en"},
    )


def test_a_huge_json_body_to_the_token_endpoint_is_413_unread(client):
    response = _announced(client, "/api/v1/tokens", 150, "application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_json_or_form_body_over_a_megabyte_is_413(client):
    assert _announced(client, "/api/v1/tokens", 2, "application/json").status_code == 413
    page = _announced(client, "/login", 2, "application/x-www-form-urlencoded")
    assert page.status_code == 413
    assert "The request is too large." in page.get_data(as_text=True)


def test_uploads_may_be_larger_than_forms_up_to_the_files_limit(make, login, app):
    client = login(make.member())
    multipart = "multipart/form-data; boundary=x"
    assert _announced(client, "/activities/new/study", 27, multipart).status_code == 413
    # Under the limit the body is read (and, being empty, refused as a bad form, not as too large).
    small = client.post(
        "/activities/new/study",
        data=b"--x--\r\n",
        headers={"Content-Type": multipart},
    )
    assert small.status_code != 413


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_size_is_checked_before_the_csrf_token(client):
    assert _announced(client, "/login", 2, "application/x-www-form-urlencoded").status_code == 413


# Caching: nothing a signed-in person sees is kept ------------------------------


def test_signed_in_pages_exports_and_api_answers_are_not_stored(make, login, db):
    from tracker.clock import utcnow
    from tracker.people import tokens

    member = make.member()
    client = login(member)
    for path in ("/", "/activities/", "/export/members.csv", "/api/v1/me", "/does-not-exist"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    issued = tokens.issue_token(db.session, member, name="t", now=utcnow(), lifetime_days=1)
    db.session.commit()
    bearer = {"Authorization": f"Bearer {issued.token}"}
    assert (
        client.application.test_client().get("/api/v1/me", headers=bearer).headers["Cache-Control"]
        == "no-store"
    )


def test_static_files_and_the_public_login_page_keep_their_own_caching(client):
    assert client.get("/login").headers.get("Cache-Control") is None
    static = client.get("/static/css/tracker.css")
    assert static.headers.get("Cache-Control") != "no-store"
    static.close()


# Content Security Policy and the Chart.js tag -------------------------------------


def test_csp_allows_the_chartjs_file_not_its_whole_host(client):
    from tracker.setting_table import CHARTJS_URL

    csp = client.get("/login").headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'", CHARTJS_URL]


def _chart_tag(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return next(line for line in page.splitlines() if "<script" in line and "chart" in line)


def test_chartjs_is_loaded_with_its_hash_and_cors(make, login):
    tag = _chart_tag(login(make.member()))
    assert 'integrity="sha384-' in tag and 'crossorigin="anonymous"' in tag


@pytest.mark.config(
    TRACKER_CHARTJS_URL="http://127.0.0.1:8123/chart.umd.min.js", TRACKER_CHARTJS_INTEGRITY=""
)
def test_a_mirror_without_a_hash_gets_no_crossorigin(make, login):
    tag = _chart_tag(login(make.member()))
    assert "integrity" not in tag and "crossorigin" not in tag
