"""Logging in and out, registration, passwords, sessions ending everywhere."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tracker.models import AccountStatus, AuditEvent, EndedSession, User

from .conftest import PASSWORD


def test_login_with_student_number_and_password(client, make):
    member = make.member()
    response = client.post("/login", data={"student_no": member.student_no, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert member.name in client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(client, make, db):
    member = make.member()
    response = client.post(
        "/login", data={"student_no": member.student_no, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).one()
    assert failed.subject_id == member.id


def test_unknown_account_gets_the_same_message(client, make):
    make.member()
    response = client.post("/login", data={"student_no": "nobody", "password": "whatever1"})
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)


def test_account_without_password_cannot_log_in(client, make, db):
    member = make.member()
    member.password_hash = None
    db.session.commit()
    response = client.post("/login", data={"student_no": member.student_no, "password": ""})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "case", ["unknown", "wrong password", "no password yet", "pending", "deactivated", "right"]
)
@pytest.mark.parametrize("door", ["/login", "/api/v1/tokens"])
def test_every_login_attempt_costs_one_password_check(client, make, db, monkeypatch, case, door):
    """Timing must not tell whether an account exists, has a password yet, or is refused."""
    member = make.member()
    password = "wrong-password" if case == "wrong password" else PASSWORD
    if case == "no password yet":
        member.password_hash = None
    if case == "pending":
        member.status = AccountStatus.PENDING
    if case == "deactivated":
        member.status = AccountStatus.DEACTIVATED
    db.session.commit()
    checks = []
    verify = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, *args: checks.append(1) or verify(self, *args)
    )
    credentials = {
        "student_no": "nobody" if case == "unknown" else member.student_no,
        "password": password,
    }
    if door == "/login":
        client.post(door, data=credentials)
    else:
        client.post(door, json=credentials)
    assert len(checks) == 1


def test_fresh_database_has_no_account(db):
    assert db.session.scalar(select(User)) is None


def test_logout_ends_this_session_only(db, make, login):
    member = make.member()
    phone, laptop = login(member), login(member)
    # A copy of the phone's cookie, as a shared computer or a thief might keep.
    copy = phone.get_cookie("session").value
    assert laptop.get("/").status_code == 200
    logged_out = phone.post("/logout", follow_redirects=True)
    assert "你已退出登录" in logged_out.text
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    phone.set_cookie("session", copy)
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(EndedSession)) == 1


def test_log_out_everywhere_ends_every_session_and_token(db, make, login, client):
    member = make.member()
    phone, laptop = login(member), login(member)
    token = client.post(
        "/api/v1/tokens", json={"student_no": member.student_no, "password": PASSWORD}
    ).json["token"]
    page = laptop.get("/account").text
    assert "退出所有设备" in page and 'action="/account/logout-everywhere"' in page
    assert laptop.post("/account/logout-everywhere").status_code == 302
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    # Both can log in again.
    assert login(member).get("/").status_code == 200


def test_ended_sessions_are_forgotten_once_they_would_have_expired(clock, db, make, login):
    member = make.member()
    login(member).post("/logout")
    clock.shift(timedelta(days=8))
    login(member).post("/logout")
    assert db.session.scalar(select(func.count()).select_from(EndedSession)) == 1


def test_logout_is_not_possible_by_get(make, login):
    client = login(make.member())
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_changing_password_keeps_this_session_and_ends_others(make, login):
    member = make.member()
    here, elsewhere = login(member), login(member)
    response = here.post(
        "/account/password",
        data={"current": PASSWORD, "password": "a-new-password-7", "confirm": "a-new-password-7"},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    login(member, "a-new-password-7")


def test_change_password_refuses_wrong_current_and_short_new(make, login):
    member = make.member()
    client = login(member)
    wrong = client.post(
        "/account/password",
        data={
            "current": "not-it-at-all",
            "password": "a-new-password-7",
            "confirm": "a-new-password-7",
        },
    )
    assert wrong.status_code == 200 and "is-invalid" in wrong.get_data(as_text=True)
    short = client.post(
        "/account/password", data={"current": PASSWORD, "password": "short", "confirm": "short"}
    )
    assert short.status_code == 200 and "is-invalid" in short.get_data(as_text=True)
    login(member)


def test_deactivated_account_loses_its_session(make, login, db):
    member = make.member()
    client = login(member)
    member.status = AccountStatus.DEACTIVATED
    db.session.commit()
    assert client.get("/").status_code == 302


def test_registration_waits_for_committee_confirmation(client, make, login, db):
    branch = make.branch()
    committee = make.committee(branch)
    response = client.post(
        "/register",
        data={
            "invite_code": branch.invite_code.lower(),
            "student_no": "2026000123",
            "name": "王小明",
            "email": "",
            "password": "my-password-1",
            "confirm": "my-password-1",
        },
    )
    assert response.status_code == 302
    newcomer = db.session.scalars(select(User).where(User.student_no == "2026000123")).one()
    assert newcomer.status == AccountStatus.PENDING and newcomer.branch_id == branch.id
    refused = client.post("/login", data={"student_no": "2026000123", "password": "my-password-1"})
    assert refused.status_code == 200 and client.get("/").status_code == 302

    board = login(committee)
    assert "王小明" in board.get("/branch/").get_data(as_text=True)
    assert (
        board.post(f"/branch/registrations/{newcomer.id}", data={"decision": "confirm"}).status_code
        == 302
    )
    login(newcomer, "my-password-1")


def test_registration_with_a_bad_code_stores_nothing(client, make, db):
    make.branch()
    response = client.post(
        "/register",
        data={
            "invite_code": "NOPE1234",
            "student_no": "2026000124",
            "name": "李四",
            "password": "my-password-1",
            "confirm": "my-password-1",
        },
    )
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalars(select(User).where(User.student_no == "2026000124")).first() is None


def test_committee_of_another_branch_cannot_confirm(make, login, db):
    branch = make.branch()
    newcomer = make.member(branch, status=AccountStatus.PENDING)
    outsider = login(make.committee())
    assert (
        outsider.post(
            f"/branch/registrations/{newcomer.id}", data={"decision": "confirm"}
        ).status_code
        == 404
    )
    db.session.refresh(newcomer)
    assert newcomer.status == AccountStatus.PENDING


def test_rotating_the_invitation_code(make, login, db):
    branch = make.branch()
    old = branch.invite_code
    client = login(make.committee(branch))
    assert client.post("/branch/invite-code", data={"confirmed": "yes"}).status_code == 302
    db.session.refresh(branch)
    assert branch.invite_code != old


def test_login_redirects_only_to_local_pages(client, make):
    member = make.member()
    response = client.post(
        "/login?next=https://evil.example/",
        data={"student_no": member.student_no, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_language_is_a_user_preference(make, login, db):
    member = make.member()
    client = login(member)
    client.post("/account", data={"locale": "en"})
    db.session.refresh(member)
    assert member.locale == "en"


def test_members_meet_api_tokens_only_in_a_folded_advanced_section(client, make, login):
    page = login(make.member()).get("/account").text
    main, advanced = page.split('<details class="mt-4" id="tokens">', 1)
    assert "API" not in main and "令牌" not in main
    assert "<summary" in advanced and "高级：接口访问令牌" in advanced
    assert "（技术文档，英文）" in advanced
    reference = client.get("/api/v1/docs").text
    assert "这是供编写脚本调用本系统的人阅读的技术文档，下面的说明为英文。" in reference
    assert '<div lang="en">' in reference


@pytest.mark.config(TRACKER_BASE_URL="http://192.168.1.20:5000")
def test_the_invitation_link_and_its_qr_code_open_registration_on_a_phone(make, login, client):
    committee = make.committee()
    page = login(committee).get("/branch/").text
    link = f"http://192.168.1.20:5000/register?code={committee.branch.invite_code}"
    assert f'<a href="{link}">' in page and f"<title>{link}</title>" in page
    form = client.get(link.removeprefix("http://192.168.1.20:5000")).text
    assert f'value="{committee.branch.invite_code}"' in form
