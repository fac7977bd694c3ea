"""Accounts under attack: tokens after a remedy, temporary passwords, weak passwords."""

from datetime import timedelta

import flask_babel
import pytest
from sqlalchemy import select

from tracker.ledger import totals
from tracker.models import ApiToken, Role, User

from .conftest import PASSWORD

NEW_PASSWORD = "a-new-password-7"


@pytest.fixture
def admin(make, db):
    user = make.user(Role.ADMIN)
    user.locale = "en"
    db.session.commit()
    return user


def token_for(client, user, password=PASSWORD) -> str:
    response = client.post(
        "/api/v1/tokens", json={"student_no": user.student_no, "password": password}
    )
    assert response.status_code == 201, response.json
    return response.json["token"]


def me_with(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def reset_by_admin(login, admin, member) -> str:
    """The temporary password an administrator's reset shows."""
    response = login(admin).post(f"/admin/users/{member.id}/password", data={"confirmed": "yes"})
    return response.text.split('<code class="fs-4">')[1].split("<")[0]


# Tokens do not outlive a remedy --------------------------------------------


@pytest.mark.parametrize(
    "remedy",
    [
        "password change",
        "logout on every device",
        "administrator's reset",
        "deactivation then reactivation",
        "role change",
        "set-password command",
    ],
)
def test_every_remedy_revokes_the_api_tokens(remedy, app, clock, client, make, login, admin, db):
    member = make.member()
    token = token_for(client, member)
    assert me_with(client, token).status_code == 200
    if remedy == "password change":
        login(member).post(
            "/account/password",
            data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
    elif remedy == "logout on every device":
        login(member).post("/account/logout-everywhere")
    elif remedy == "administrator's reset":
        reset_by_admin(login, admin, member)
    elif remedy == "deactivation then reactivation":
        as_admin = login(admin)
        as_admin.post(f"/admin/users/{member.id}/deactivate", data={"confirmed": "yes"})
        as_admin.post(f"/admin/users/{member.id}/reactivate")
    elif remedy == "role change":
        login(admin).post(
            f"/admin/users/{member.id}/role", data={"role": "committee", "branch_id": 0}
        )
    else:
        result = app.test_cli_runner().invoke(
            args=["users", "set-password", member.student_no, "--password", NEW_PASSWORD]
        )
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, member.id).is_active
    refused = me_with(client, token)
    assert refused.status_code == 401
    [stored] = db.session.scalars(select(ApiToken)).all()
    assert stored.revoked_at is not None
    assert client.get("/api/v1/tokens").status_code == 401
    assert totals.differences(db.session) == []


def test_revoked_tokens_leave_the_account_page(clock, client, make, login, db):
    member = make.member()
    token_for(client, member)
    [stored] = db.session.scalars(select(ApiToken)).all()
    page = login(member)
    page.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert stored.prefix not in page.get("/account").text


# Temporary passwords ----------------------------------------------------------


def test_a_temporary_password_cannot_obtain_a_token(clock, client, make, login, admin):
    member = make.member()
    temporary = reset_by_admin(login, admin, member)
    response = client.post(
        "/api/v1/tokens",
        json={"student_no": member.student_no, "password": temporary},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 403
    assert "new password" in response.json["error"]["message"]


def test_no_token_is_issued_or_honoured_while_a_password_change_is_pending(
    app, clock, client, make, db
):
    member = make.member()
    token = token_for(client, member)
    member.must_change_password = True
    db.session.commit()
    assert me_with(client, token).status_code == 401
    flask_babel.refresh()  # the command speaks the terminal's language, not the last request's
    result = app.test_cli_runner().invoke(args=["tokens", "create", member.student_no])
    assert result.exit_code != 0 and "new password" in result.output
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_the_api_refuses_a_session_whose_password_change_is_pending(
    clock, client, make, login, admin
):
    member = make.member()
    temporary = reset_by_admin(login, admin, member)
    client.post("/login", data={"student_no": member.student_no, "password": temporary})
    response = client.get("/api/v1/me")
    assert response.status_code == 403 and response.is_json


def test_a_temporary_password_works_for_a_day(clock, client, make, login, admin):
    member = make.member()
    temporary = reset_by_admin(login, admin, member)
    clock.shift(timedelta(hours=23, minutes=59))
    response = client.post("/login", data={"student_no": member.student_no, "password": temporary})
    assert response.headers["Location"].endswith("/account/password")
    changed = client.post(
        "/account/password",
        data={"current": temporary, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    clock.shift(timedelta(days=30))
    login(member, NEW_PASSWORD)  # the new password does not expire


@pytest.mark.parametrize("door", ["/login", "/api/v1/tokens"])
def test_an_expired_temporary_password_is_refused_with_advice(
    door, clock, client, make, login, admin, db
):
    member = make.member()
    member.locale = "en"
    db.session.commit()
    temporary = reset_by_admin(login, admin, member)
    clock.shift(timedelta(hours=24, seconds=1))
    credentials = {"student_no": member.student_no, "password": temporary}
    if door == "/login":
        response = client.post(door, data=credentials)
        assert response.status_code == 200
        assert "Ask an administrator" in response.text
        assert client.get("/").status_code == 302
    else:
        response = client.post(door, json=credentials)
        assert response.status_code == 403
        assert "Ask an administrator" in response.json["error"]["message"]


@pytest.mark.config(TRACKER_TEMP_PASSWORD_HOURS=2)
def test_the_temporary_password_lifetime_is_a_setting(clock, client, make, login, admin):
    member = make.member()
    temporary = reset_by_admin(login, admin, member)
    clock.shift(timedelta(hours=2, seconds=1))
    response = client.post("/login", data={"student_no": member.student_no, "password": temporary})
    assert response.status_code == 200


def test_a_session_opened_with_a_temporary_password_cannot_change_it_once_expired(
    clock, client, make, login, admin, db
):
    member = make.member()
    temporary = reset_by_admin(login, admin, member)
    client.post("/login", data={"student_no": member.student_no, "password": temporary})
    clock.shift(timedelta(hours=25))
    client.post(
        "/account/password",
        data={"current": temporary, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    db.session.expire_all()
    assert db.session.get(User, member.id).must_change_password
    assert (
        client.post(
            "/login", data={"student_no": member.student_no, "password": NEW_PASSWORD}
        ).status_code
        == 200
    )


# Weak passwords -----------------------------------------------------------------

WEAK = {
    "12345678": "common",
    "password": "common",
    "PassWord1": "common",
    "iloveyou": "common",
    "woaini1314": "common",
    "2026000777": "student number",
    "2026000777ab": "student number",
    "zhangsanfeng": "name",
    "Zhang San Feng!": "name",
}


@pytest.mark.parametrize("weak", list(WEAK))
def test_weak_passwords_are_refused_with_the_reason(weak, clock, make, english_login, db):
    member = make.member(student_no="2026000777", name="Zhang Sanfeng")
    client = english_login(member)
    response = client.post(
        "/account/password", data={"current": PASSWORD, "password": weak, "confirm": weak}
    )
    assert response.status_code == 200 and "is-invalid" in response.text
    reason = {
        "common": "too common",
        "student number": "student number or name",
        "name": "student number or name",
    }[WEAK[weak]]
    assert reason in response.text
    english_login(member)  # the old password still works


def test_the_current_password_cannot_be_chosen_again(clock, make, english_login):
    member = make.member()
    client = english_login(member)
    response = client.post(
        "/account/password", data={"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 200 and "your current password" in response.text


def test_the_reason_is_given_in_the_users_language(clock, make, login):
    client = login(make.member())
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "12345678", "confirm": "12345678"},
    )
    assert "这个密码太常见" in response.text


def test_a_long_password_holding_the_student_number_is_accepted(clock, make, login):
    member = make.member(student_no="2026000778")
    client = login(member)
    chosen = "violet-2026000778-harbour"
    response = client.post(
        "/account/password", data={"current": PASSWORD, "password": chosen, "confirm": chosen}
    )
    assert response.status_code == 302
    login(member, chosen)


def test_registration_refuses_a_common_password(client, make, db):
    branch = make.branch()
    response = client.post(
        "/register",
        data={
            "invite_code": branch.invite_code,
            "student_no": "2026000125",
            "name": "王小明",
            "password": "qwertyuiop",
            "confirm": "qwertyuiop",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200 and "is-invalid" in response.text
    assert db.session.scalars(select(User).where(User.student_no == "2026000125")).first() is None


def test_set_password_command_refuses_a_weak_password(app, make, db):
    member = make.member()
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", member.student_no, "--password", "password1"]
    )
    assert result.exit_code != 0 and "too common" in result.output
