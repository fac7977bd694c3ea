"""Sessions end when idle and after a fixed life; admin changes ask for the password again."""

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tracker.ledger import totals
from tracker.models import AuditEvent, Role, SettingOverride, User

from .conftest import FROZEN_NOW, PASSWORD


def signed_out(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# Idle timeout and absolute lifetime -------------------------------------------


def test_a_member_session_ends_after_three_idle_days(clock, make, login):
    client = login(make.member())
    clock.shift(timedelta(hours=71))
    assert client.get("/").status_code == 200
    clock.shift(timedelta(hours=71))  # each request starts the idle time again
    assert client.get("/").status_code == 200
    clock.shift(timedelta(hours=72, minutes=1))
    assert signed_out(client.get("/"))
    assert signed_out(client.get("/"))  # ended for good, not just for one request


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.ADVISOR, Role.ADMIN])
def test_committee_advisor_and_admin_sessions_end_after_four_idle_hours(role, clock, make, login):
    client = login(make.user(role))
    clock.shift(timedelta(hours=3, minutes=59))
    assert client.get("/").status_code == 200
    clock.shift(timedelta(hours=4, minutes=1))
    assert signed_out(client.get("/"))


@pytest.mark.config(TRACKER_SESSION_IDLE_HOURS=1, TRACKER_SESSION_IDLE_HOURS_PRIVILEGED=1)
def test_the_idle_times_are_settings(clock, make, login):
    member, committee = login(make.member()), login(make.committee())
    clock.shift(timedelta(minutes=61))
    assert signed_out(member.get("/"))
    assert signed_out(committee.get("/"))


def test_the_ended_session_says_why(clock, make, login):
    client = login(make.member())
    clock.shift(timedelta(days=4))
    page = client.get("/", follow_redirects=True)
    assert "登录已过期" in page.text


def test_a_session_ends_after_seven_days_however_busy(clock, make, login):
    client = login(make.member())
    for _ in range(13):
        clock.shift(timedelta(hours=12))
        assert client.get("/").status_code == 200
    clock.shift(timedelta(hours=12, minutes=1))
    assert signed_out(client.get("/"))


def test_the_session_cookie_lives_no_longer_than_a_session(app, clock, make):
    member = make.member()
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=7)
    response = app.test_client().post(
        "/login", data={"student_no": member.student_no, "password": PASSWORD}
    )
    session_cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    expires = re.search(r"Expires=([^;]+)", session_cookie).group(1)
    assert parsedate_to_datetime(expires) == FROZEN_NOW + timedelta(days=7)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_logging_in_gives_a_new_csrf_token(app, clock, make):
    member = make.member()
    client = app.test_client()
    before = _csrf(client.get("/login").text)
    client.post(
        "/login",
        data={"student_no": member.student_no, "password": PASSWORD, "csrf_token": before},
    )
    after = _csrf(client.get("/account").text)
    assert after != before
    assert client.post("/language", data={"locale": "en", "csrf_token": before}).status_code == 400
    assert client.post("/language", data={"locale": "en", "csrf_token": after}).status_code == 302


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


# The password step before sensitive admin changes ----------------------------------


@pytest.fixture
def admin(make, db):
    user = make.user(Role.ADMIN)
    user.locale = "en"
    db.session.commit()
    return user


def sensitive_changes(member_id: int) -> dict[str, dict]:
    return {
        f"/admin/users/{member_id}/role": {"role": "committee", "branch_id": 0},
        f"/admin/users/{member_id}/password": {},
        f"/admin/users/{member_id}/scopes": {"target": "college:1"},
        "/admin/users/new": {"student_no": "20269999", "name": "新", "role": "admin"},
        "/admin/import": {},
        "/admin/import/confirm": {"staged": "0" * 32},
        "/admin/settings": {"TRACKER_BACKDATE_DAYS": 30, "TRACKER_INACTIVE_DAYS": 30},
        "/admin/settings/TRACKER_BACKDATE_DAYS/reset": {},
    }


@pytest.mark.parametrize("change", range(8))
def test_sensitive_admin_changes_ask_for_the_password_after_ten_minutes(
    change, clock, make, login, admin, db
):
    member = make.member()
    client = login(admin)
    path, data = list(sensitive_changes(member.id).items())[change]
    clock.shift(timedelta(minutes=10, seconds=1))
    response = client.post(path, data=data, headers={"Referer": f"http://localhost{path}"})
    assert response.status_code == 302, path
    location = urlsplit(response.headers["Location"])
    assert location.path == "/admin/confirm-password", path
    db.session.expire_all()
    assert db.session.get(User, member.id).role == Role.MEMBER
    assert db.session.scalars(select(User).where(User.student_no == "20269999")).first() is None
    assert db.session.scalar(select(SettingOverride)) is None


def test_the_password_step_then_lets_the_change_through(clock, make, login, admin, db):
    member = make.member()
    client = login(admin)
    clock.shift(timedelta(minutes=30))
    role_change = f"/admin/users/{member.id}/role"
    refused = client.post(
        role_change,
        data={"role": "committee", "branch_id": 0},
        headers={"Referer": f"http://localhost/admin/users/{member.id}"},
    )
    step = refused.headers["Location"]
    assert parse_qs(urlsplit(step).query)["next"] == [f"/admin/users/{member.id}"]
    assert "password again" in client.get(step).text
    wrong = client.post(step, data={"password": "not-my-password"})
    assert wrong.status_code == 200 and "is-invalid" in wrong.text
    right = client.post(step, data={"password": PASSWORD})
    assert right.headers["Location"] == f"/admin/users/{member.id}"
    assert client.post(role_change, data={"role": "committee", "branch_id": 0}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).role == Role.COMMITTEE
    clock.shift(timedelta(minutes=10, seconds=1))
    assert urlsplit(
        client.post(f"/admin/users/{member.id}/password", data={"confirmed": "yes"}).headers[
            "Location"
        ]
    ).path == ("/admin/confirm-password")
    assert totals.differences(db.session) == []


def test_a_fresh_login_counts_as_the_password_step(clock, make, login, admin, db):
    member = make.member()
    client = login(admin)
    clock.shift(timedelta(minutes=9))
    response = client.post(
        f"/admin/users/{member.id}/role", data={"role": "committee", "branch_id": 0}
    )
    assert urlsplit(response.headers["Location"]).path == f"/admin/users/{member.id}"


def test_the_password_step_only_returns_to_admin_pages(clock, login, admin):
    client = login(admin)
    response = client.post(
        "/admin/confirm-password?next=https://evil.example/admin/", data={"password": PASSWORD}
    )
    assert response.headers["Location"] == "/admin/"


def test_wrong_passwords_at_the_step_are_throttled_and_recorded(clock, login, admin, db):
    client = login(admin)
    for _ in range(5):
        assert client.post("/admin/confirm-password", data={"password": "nope"}).status_code == 200
    assert client.post("/admin/confirm-password", data={"password": PASSWORD}).status_code == 429
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.password_step_failed")
    ).all()
    assert len(failed) == 5 and failed[0].actor_id == admin.id


@pytest.mark.config(TRACKER_SUDO_MINUTES=2)
def test_the_password_step_lasts_a_setting(clock, make, login, admin):
    member = make.member()
    client = login(admin)
    clock.shift(timedelta(minutes=2, seconds=1))
    response = client.post(
        f"/admin/users/{member.id}/role", data={"role": "committee", "branch_id": 0}
    )
    assert urlsplit(response.headers["Location"]).path == "/admin/confirm-password"
