"""Forgot password: a reset link mailed through a real SMTP server on loopback."""

from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tracker.models import ApiToken, AuditEvent

from .conftest import PASSWORD

NEW_PASSWORD = "violet-harbour-2026"
LINK = re.compile(r"http://phone\.example:5000/password/reset/(\S+)")


class Inbox:
    """What the SMTP server received; ``wait`` blocks until ``count`` messages are in."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int) -> list[EmailMessage]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=10)
        return self.messages


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1, and the app configured to mail through it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        TRACKER_MAIL_SERVER="127.0.0.1",
        TRACKER_MAIL_PORT=controller.port,
        TRACKER_MAIL_SENDER="学习积分 <tracker@example.edu.cn>",
        TRACKER_BASE_URL="http://phone.example:5000",
    )
    yield inbox
    controller.stop()


def _without_csrf(text: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", text)


def ask(client, student_no: str):
    client.get("/password/forgot")
    return client.post("/password/forgot", data={"student_no": student_no}, follow_redirects=True)


def test_the_whole_journey_from_forgetting_to_logging_in(smtp, app, db, make, login):
    member = make.member(name="李四")
    member.email = "lisi@example.edu.cn"
    db.session.commit()
    laptop = login(member)  # left logged in somewhere
    client = app.test_client()
    assert 'href="/password/forgot"' in client.get("/login").text
    answer = ask(client, member.student_no)
    assert "设置新密码的链接已在发送途中" in answer.text

    [mail] = smtp.wait(1)
    assert smtp.recipients == [["lisi@example.edu.cn"]]
    assert mail["Subject"] == "设置新密码"
    assert mail["From"].addresses[0].display_name == "学习积分"
    assert mail["Message-ID"].endswith("@example.edu.cn>")
    body = mail.get_content()
    assert "李四，你好" in body and member.student_no in body
    token = LINK.search(body).group(1)

    page = client.get(f"/password/reset/{token}")
    assert page.status_code == 200 and member.student_no in page.text
    # The same rules as everywhere: a common password is refused, the link still works.
    weak = client.post(
        f"/password/reset/{token}", data={"password": "password1", "confirm": "password1"}
    )
    assert weak.status_code == 200 and "太常见" in weak.text
    done = client.post(
        f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert login(member, NEW_PASSWORD).get("/").status_code == 200
    # Other sessions ended; the link is spent.
    assert laptop.get("/").status_code == 302
    assert client.get(f"/password/reset/{token}").status_code == 404
    again = client.post(
        f"/password/reset/{token}",
        data={"password": "another-pass-77", "confirm": "another-pass-77"},
    )
    assert again.status_code == 404
    assert login(member, NEW_PASSWORD).get("/").status_code == 200
    assert db.session.query(AuditEvent).filter_by(action="user.password_changed").count() == 1


def test_the_answer_is_the_same_whatever_the_account(smtp, app, db, make):
    with_mail, without_mail = make.member(), make.member()
    with_mail.email = "a@example.edu.cn"
    db.session.commit()
    pages = [
        _without_csrf(ask(app.test_client(), student_no).text)
        for student_no in ("nobody-here", without_mail.student_no, with_mail.student_no)
    ]
    assert pages[0] == pages[1] == pages[2]
    # Only the account with an address got a mail, and only one.
    assert len(smtp.wait(1)) == 1 and smtp.recipients == [["a@example.edu.cn"]]


def test_the_mail_is_in_the_members_language(smtp, app, db, make):
    member = make.member(name="Li Si")
    member.email, member.locale = "lisi@example.edu.cn", "en"
    db.session.commit()
    ask(app.test_client(), member.student_no)
    [mail] = smtp.wait(1)
    assert mail["Subject"] == "Choose a new password"
    assert "Hello Li Si," in mail.get_content()


def test_one_account_receives_a_few_mails_an_hour_at_most(smtp, app, db, make):
    member, other = make.member(), make.member()
    member.email, other.email = "a@example.edu.cn", "b@example.edu.cn"
    db.session.commit()
    for _ in range(5):
        ask(app.test_client(), member.student_no)
    # Mails leave in order: once the other's has arrived, no more of the first's are coming.
    ask(app.test_client(), other.student_no)
    assert len(smtp.wait(4)) == 4
    assert smtp.recipients == [["a@example.edu.cn"]] * 3 + [["b@example.edu.cn"]]


def test_a_link_dies_when_it_expires_or_the_password_changes(smtp, app, clock, db, make, login):
    member = make.member()
    member.email = "a@example.edu.cn"
    db.session.commit()
    client = app.test_client()
    ask(client, member.student_no)
    ask(client, member.student_no)
    first, second = (LINK.search(m.get_content()).group(1) for m in smtp.wait(2))
    clock.shift(timedelta(minutes=59))
    assert client.get(f"/password/reset/{first}").status_code == 200
    login(member).post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert client.get(f"/password/reset/{first}").status_code == 404
    ask(client, member.student_no)
    third = LINK.search(smtp.wait(3)[2].get_content()).group(1)
    assert third != second
    clock.shift(timedelta(minutes=61))
    assert client.get(f"/password/reset/{third}").status_code == 404
    assert client.get("/password/reset/not-a-token").status_code == 404


def test_a_reset_revokes_the_api_tokens(smtp, app, db, make, client):
    member = make.member()
    member.email = "a@example.edu.cn"
    db.session.commit()
    client.post("/api/v1/tokens", json={"student_no": member.student_no, "password": PASSWORD})
    ask(app.test_client(), member.student_no)
    token = LINK.search(smtp.wait(1)[0].get_content()).group(1)
    client.post(
        f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert all(t.revoked_at is not None for t in db.session.query(ApiToken))


def test_without_a_mail_server_the_login_page_says_whom_to_ask(client):
    page = client.get("/login").text
    assert "请联系支委，由管理员为你重置" in page
    assert "/password/forgot" not in page
    forgot = client.get("/password/forgot")
    assert forgot.status_code == 200 and 'name="student_no"' not in forgot.text
