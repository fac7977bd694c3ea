"""Ids, pages, digits, days and decimals at the edges: a refusal by the field, never a 500.

tests/test_hostile_input.py walks every page with such values; these name the
cases an attacker found first, one by one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from werkzeug.routing import IntegerConverter

from tracker.models import Activity, LedgerEntry, Role

from .conftest import TODAY

HUGE_IDS = ("2147483648", "9999999999", "9223372036854775808", "1" + "0" * 30, "9" * 5000)


@pytest.mark.slow
def test_path_ids_beyond_the_databases_range_are_404_on_every_route(app, make, login):
    client = login(make.user(Role.ADMIN))
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not ints:
            continue
        method = next(m for m in ("GET", "POST", "PATCH", "DELETE") if m in rule.methods)
        for huge in HUGE_IDS:
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", huge).replace(f"<{name}>", "csv")
            answer = client.open(url, method=method)
            assert answer.status_code == 404, (url, answer.status_code)
        checked += 1
    assert checked >= 40


BOARD_QUERIES = (
    "page=99999999999999999999",
    "page=100001",
    "page=0",
    "page=²",
    "branch=²",
    "branch=9223372036854775808",
    "category=99999999999999999999",
    "term=2147483648",
    "period=custom&from=9999-12-30&to=9999-12-31",
    "period=custom&from=0001-01-01&to=0001-01-02",
)


def test_board_queries_beyond_reach_are_400(make, login):
    client = login(make.user(Role.ADMIN))
    for path in ("/leaderboard/", "/dashboard/branch", "/export/members.csv"):
        for query in BOARD_QUERIES:
            assert client.get(f"{path}?{query}").status_code == 400, (path, query)


def test_list_pages_refuse_pages_ids_and_days_beyond_reach(make, login):
    client = login(make.user(Role.ADMIN))
    for path in (
        "/activities/?page=99999999999999999999",
        "/notifications/?page=9223372036854775808",
        "/events/?page=²",
        "/review/approved?page=99999999999999999999",
        "/admin/users?page=99999999999999999999",
        "/audit/?page=99999999999999999999",
        "/audit/?branch=²",
        "/audit/?branch=99999999999999999999",
        "/audit/?to=9999-12-31",
        "/audit/?from=0001-01-01",
    ):
        assert client.get(path).status_code == 400, path


def test_an_admin_scope_with_other_digits_is_404(make, login):
    advisor = make.user(Role.ADVISOR)
    client = login(make.user(Role.ADMIN))
    for target in ("college:²", "college:99999999999999999999", "branch:-1"):
        answer = client.post(f"/admin/users/{advisor.id}/scopes", data={"target": target})
        assert answer.status_code == 404


def test_activity_amounts_must_be_finite_numbers(clock, make, english_login, db):
    client = english_login(make.member())
    for quantity in ("NaN", "sNaN", "Infinity", "-Infinity", "1e999999999"):
        answer = client.post(
            "/activities/new/study",
            data={
                "occurred_on": TODAY.isoformat(),
                "start_time": "09:00",
                "quantity": quantity,
                "title": "学习党章",
                "submission_key": "k1",
            },
        )
        assert answer.status_code == 200
        assert "A number from -100000 to 100000, please." in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_adjustments_take_finite_points_and_ids_in_range(clock, make, english_login, db):
    branch = make.branch()
    member = make.member(branch)
    client = english_login(make.committee(branch))
    for points in ("NaN", "sNaN", "Infinity", "1e999999999", "0.05"):
        data = {"member_id": member.id, "points": points, "category_id": "0", "reason": "表彰"}
        assert client.post("/branch/adjustments", data=data).status_code < 500
    for member_id in ("2147483648", "99999999999999999999", "²"):
        data = {"member_id": member_id, "points": "1", "category_id": "0", "reason": "表彰"}
        assert client.post("/branch/adjustments", data=data).status_code < 500
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_rule_numbers_are_bounded(make, english_login):
    client = english_login(make.user(Role.ADMIN))
    rule = {
        "effective_from": TODAY.isoformat(),
        "per_quantity": "30",
        "points_per_unit": "1",
        "min_quantity": "10",
        "max_quantity": "120",
    }
    for field, value in (
        ("per_quantity", "1e999999999"),
        ("max_quantity", "99999999999"),
        ("daily_cap", "sNaN"),
        ("points_per_unit", "Infinity"),
    ):
        answer = client.post("/admin/categories/1", data={**rule, field: value})
        assert answer.status_code == 422, (field, value)
        assert "is-invalid" in answer.get_data(as_text=True)


def test_form_days_at_the_calendar_ends_are_refused(make, english_login):
    client = english_login(make.user(Role.ADMIN))
    for day in ("9999-12-31", "0001-01-01"):
        answer = client.post(
            "/admin/terms", data={"name": "远", "first_day": "2026-09-01", "last_day": day}
        )
        assert answer.status_code == 422
        assert "A day from 1970-01-01 to 2999-12-31, please." in answer.get_data(as_text=True)


def test_review_of_ids_beyond_reach_selects_nothing(make, login):
    branch = make.branch()
    client = login(make.committee(branch))
    for ids in ("9223372036854775808", "99999999999999999999", "²"):
        assert client.post("/review/approve-selected", data={"ids": ids}).status_code < 500


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_a_failed_statement_still_gets_the_error_page_with_the_user(app, make, english_login, db):
    """On PostgreSQL the failed statement aborts the transaction; the page must not fail again."""

    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/broken", "broken", broken)
    member = make.member(name="张三丰")
    answer = english_login(member).get("/broken")
    assert answer.status_code == 500
    page = answer.get_data(as_text=True)
    assert "Something went wrong on our side." in page  # in the member's language
    assert "张三丰" in page  # and signed in, as before the failure
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
