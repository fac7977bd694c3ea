"""Failed logins slow the guesser down, not the owner of the account."""

from datetime import timedelta

import pytest

from .conftest import PASSWORD

WRONG = "wrong-password"


def attempt(client, user, password, address, door="/login"):
    credentials = {"student_no": user.student_no, "password": password}
    environ = {"REMOTE_ADDR": address}
    if door == "/login":
        return client.post(door, data=credentials, environ_base=environ)
    return client.post(door, json=credentials, environ_base=environ)


@pytest.mark.parametrize("door", ["/login", "/api/v1/tokens"])
def test_a_guesser_elsewhere_does_not_lock_the_owner_out(door, clock, client, make):
    member = make.member()
    for _ in range(5):
        assert attempt(client, member, WRONG, "10.0.0.66", door).status_code in (200, 401)
    # The guesser's address is refused, even with the right password...
    assert attempt(client, member, PASSWORD, "10.0.0.66", door).status_code == 429
    # ...but the owner, from their own address, logs in.
    assert attempt(client, member, PASSWORD, "10.0.0.7", door).status_code in (302, 201)


@pytest.mark.config(TRACKER_LOGIN_DELAY_AFTER=3, TRACKER_LOGIN_DELAY_MAX_SECONDS=8)
def test_failures_from_many_addresses_slow_the_account_down_but_never_lock_it(clock, client, make):
    member = make.member()
    for n in range(3):
        assert attempt(client, member, WRONG, f"10.0.1.{n}").status_code == 200
    # Past the free failures, each further failure makes the next attempt wait 2, 4, 8 seconds...
    waits = []
    for n in range(5):
        assert attempt(client, member, WRONG, f"10.0.2.{n}").status_code == 200
        refused = attempt(client, member, PASSWORD, "10.0.0.7")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.shift(timedelta(seconds=waits[-1] - 1))
        assert attempt(client, member, PASSWORD, "10.0.0.7").status_code == 429
        clock.shift(timedelta(seconds=1))
    # ...doubling up to the largest delay, never a lock.
    assert waits == [2, 4, 8, 8, 8]
    assert attempt(client, member, PASSWORD, "10.0.0.7").status_code == 302


@pytest.mark.config(TRACKER_LOGIN_DELAY_AFTER=1, TRACKER_LOGIN_DELAY_MAX_SECONDS=60)
def test_a_delayed_attempt_does_not_count_and_says_when_to_try_again(clock, client, make):
    member = make.member()
    attempt(client, member, WRONG, "10.0.1.1")
    attempt(client, member, WRONG, "10.0.1.2")
    for _ in range(10):  # refused while waiting: not evaluated, so not counted
        refused = attempt(client, member, WRONG, "10.0.1.3")
        assert refused.status_code == 429
    assert "失败次数过多，请在 12:00:02 之后再试" in refused.text
    clock.shift(timedelta(seconds=2))
    assert attempt(client, member, PASSWORD, "10.0.0.7").status_code == 302


@pytest.mark.config(TRACKER_LOGIN_DELAY_AFTER=2, TRACKER_LOGIN_DELAY_MAX_SECONDS=60)
def test_the_account_delay_counts_the_form_and_the_api_together(clock, client, make):
    member = make.member()
    assert attempt(client, member, WRONG, "10.0.1.1", "/login").status_code == 200
    assert attempt(client, member, WRONG, "10.0.1.2", "/api/v1/tokens").status_code == 401
    assert attempt(client, member, WRONG, "10.0.1.3", "/login").status_code == 200
    refused = attempt(client, member, PASSWORD, "10.0.0.7", "/api/v1/tokens")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert refused.json["error"]["code"] == "rate_limited"


def test_the_numbers_are_settings(app):
    assert app.config["TRACKER_LOGIN_LIMIT_PAIR"] == "5 per 5 minutes"
    assert app.config["TRACKER_LOGIN_LIMIT_ADDRESS"] == "20 per 10 minutes"
    assert app.config["TRACKER_LOGIN_DELAY_AFTER"] == 10
    assert app.config["TRACKER_LOGIN_DELAY_MAX_SECONDS"] == 900
