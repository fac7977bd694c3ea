"""Reverse proxies: X-Forwarded-For and -Proto are believed only from a trusted one.

Per-address login limits and the audit log's addresses depend on it.
"""

import pytest

from .conftest import PASSWORD


def _failed_logins_from(client, forwarded_for: list[str], **environ):
    for address in forwarded_for:
        response = client.post(
            "/login",
            data={"student_no": "nobody", "password": "wrong-password"},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": "10.0.0.5", **environ},
        )
    return response


def _audited_address(app, db, make, forwarded_for: str, peer: str = "10.0.0.5") -> str:
    """The address the audit log records for a sign-in sent with that header, from that peer."""
    from sqlalchemy import select

    from tracker.models import AuditEvent

    member = make.member()
    app.test_client().post(
        "/login",
        data={"student_no": member.student_no, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": peer},
    )
    return db.session.scalars(select(AuditEvent.ip_address).order_by(AuditEvent.id.desc())).first()


@pytest.mark.config(
    TRACKER_HTTPS=True,
    TRACKER_LOGIN_LIMIT_ADDRESS="2 per minute",
    TRACKER_LOGIN_LIMIT_ACCOUNT="100 per minute",
)
def test_by_default_a_clients_own_forwarded_for_is_ignored(client, app, db, make):
    blocked = _failed_logins_from(client, ["1.1.1.1", "2.2.2.2", "3.3.3.3"])
    assert blocked.status_code == 429
    assert _audited_address(app, db, make, "6.6.6.6") == "10.0.0.5"


@pytest.mark.config(
    TRACKER_TRUSTED_PROXIES=1,
    TRACKER_LOGIN_LIMIT_ADDRESS="2 per minute",
    TRACKER_LOGIN_LIMIT_ACCOUNT="100 per minute",
)
def test_one_trusted_hop_believes_the_address_the_proxy_added(client, app, db, make):
    # nginx appends the peer: a client's own value comes first and is passed over.
    spoofed = ["9.9.9.9, 1.1.1.1", "9.9.9.9, 2.2.2.2", "9.9.9.9, 3.3.3.3"]
    assert _failed_logins_from(client, spoofed).status_code == 200
    assert _failed_logins_from(client, ["5.5.5.5, 1.1.1.1", "6.6.6.6, 1.1.1.1"]).status_code == 429
    assert _audited_address(app, db, make, "6.6.6.6, 7.7.7.7") == "7.7.7.7"


@pytest.mark.config(TRACKER_TRUSTED_PROXIES="10.0.0.5, 192.168.0.0/16")
def test_forwarded_for_is_believed_only_from_a_listed_proxy(app, db, make):
    assert _audited_address(app, db, make, "7.7.7.7", peer="10.0.0.5") == "7.7.7.7"
    assert _audited_address(app, db, make, "8.8.8.8", peer="192.168.3.4") == "8.8.8.8"
    assert _audited_address(app, db, make, "7.7.7.7", peer="10.9.9.9") == "10.9.9.9"


def test_a_wrong_trusted_proxy_address_stops_the_start():
    from tracker.setting_values import trusted_proxies

    assert trusted_proxies("2") == 2
    assert trusted_proxies("") == ()
    assert trusted_proxies(["127.0.0.1"]) == ("127.0.0.1",)
    with pytest.raises(ValueError):
        trusted_proxies("10.0.0.300")


@pytest.mark.config(TRACKER_TRUSTED_PROXIES=1)
def test_a_trusted_proxy_passes_the_scheme_but_not_a_clients_host(app):
    from flask import request

    app.add_url_rule("/where", "where", lambda: request.url_root)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    assert app.test_client().get("/where", headers=headers).text == "https://localhost/"
