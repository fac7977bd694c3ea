"""Hostile values in every field of every page: a clear refusal, never a 5xx.

The walk sends each route of the pages (not the API: tests/api/test_schema.py
fuzzes that from its document) once with good values and notes which form
fields and query arguments the route reads; then it sends each of those, one
at a time, with each value of ``HOSTILE`` in place of the good one. No answer
may be a 5xx or an exception. Each route is walked by the most privileged of
a member, a committee member and an administrator whom access lets in (so
members walk theirs, the committee theirs, the administrator the rest), or
by a visitor for the public pages.

The world is tests/access_map_world.py's; ``Rewind`` puts it back after a
request that wrote to it. tests/test_bounds.py names the first cases found.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Request, request
from werkzeug.datastructures import ImmutableMultiDict

from tracker.extensions import db
from tracker.limits import page_in_reach

from .access_map_world import ANONYMOUS, OWN, World, world_on
from .conftest import PASSWORD, TODAY
from .test_access_map import RULES, entry_for, expected

# Values an attacker tries first: numbers beyond every integer type, digits
# that are not ASCII, decimals that are not numbers, the ends of the calendar.
HOSTILE = (
    "",
    "-1",
    "2147483648",
    "1" + "0" * 30,
    "²",
    "NaN",
    "sNaN",
    "Infinity",
    "1e999999999",
    "0.05",
    "9999-12-31",
    "0001-01-01",
    "x" * 5000,
)
# Free text, flags and choices from a list take any string: only its length
# can break them (NUL is refused before any view, tests/test_security.py).
TEXT_HOSTILE = ("", "x" * 5000)
TEXT = {
    *("student_no", "password", "confirm", "current", "invite_code", "name", "email", "next"),
    *("code", "submission_key", "title", "description", "location", "mentees", "reason"),
    *("place", "key", "name_zh", "name_en", "version", "staged", "q", "person", "action"),
    *("mandatory", "rotating", "scan_only", "needs_start_time", "needs_location"),
    "needs_reflection",
    *("evidence_required", "auto_approve", "enabled", "baseline", "TRACKER_SHOW_FULL_NAMES"),
    *("period", "scope", "sort", "status", "output", "decision", "role", "stage", "unit"),
    "locale",
    "confirmed",
    *("source", "value_column", "student_no_column", "name_column"),
    *("short", "shown", "period_kind", "kind", "content", "decisions", "host", "recorder", "topic"),
    *("TRACKER_BOARD_BRANCH", "TRACKER_BOARD_COLLEGE", "TRACKER_BOARD_SCHOOL"),
}
ROLES = ("member", "committee", "admin")
SKIPPED = {"csrf_token", "submit"}


def good_values(world: World, role: str) -> dict[str, str]:
    """A plausible value for every field and query argument a page reads."""
    later = TODAY + timedelta(days=3)
    fixed, own = world.fixed, world.own
    return {
        # Signing in, accounts, passwords.
        "student_no": world.student_no[role] if role != ANONYMOUS else "N20260001",
        "password": "a-new-password-42",
        "confirm": "a-new-password-42",
        "current": PASSWORD,
        "invite_code": "ABCD2345",
        "name": "新名字",
        "email": "someone@example.com",
        "locale": "en",
        "next": "/",
        "code": "123456",
        # The answer to a confirmation page (tracker/web/confirm.py).
        "confirmed": "yes",
        # Activities.
        "submission_key": "k" * 32,
        "occurred_on": TODAY.isoformat(),
        "quantity": "30",
        "title": "学习党章",
        "description": "笔记",
        "start_time": "09:00",
        "location": "图书馆",
        "mentees": fixed["mentee_no"],
        "remove_evidence": str(own["evidence"]),
        "evidence": "",
        "status": "pending",
        # Review and the branch page.
        "version": "",
        f"version_{own['activity']}": "",
        "ids": str(own["activity"]),
        "reason": "理由",
        "decision": "confirm",
        "member_id": str(own["member"]),
        "points": "1.5",
        "category_id": str(fixed["category"]),
        # Events.
        "day": later.isoformat(),
        "start": "10:00",
        "end": "11:00",
        "opens_before": "30",
        "closes_after": "30",
        "capacity": "10",
        "mandatory": "y",
        "rotating": "",
        "scan_only": "",
        "branch_ids": str(fixed["branch"]),
        "place": "201",
        # Administration.
        "college_id": str(fixed["college"]),
        "branch_id": str(fixed["branch"]),
        "role": "member",
        "stage": "",
        "from_day": TODAY.isoformat(),
        "target": f"college:{fixed['college']}",
        "key": "reading",
        "name_zh": "读书",
        "name_en": "Reading",
        "unit": "minutes",
        "needs_start_time": "y",
        "needs_location": "",
        "needs_reflection": "",
        "effective_from": TODAY.isoformat(),
        "per_quantity": "30",
        "points_per_unit": "1",
        "min_quantity": "10",
        "max_quantity": "120",
        "daily_cap": "4",
        "weekly_cap": "10",
        "evidence_required": "",
        "auto_approve": "",
        "enabled": "1",
        "baseline": "",
        "TRACKER_SHOW_FULL_NAMES": "",
        "TRACKER_BACKDATE_DAYS": "14",
        "TRACKER_INACTIVE_DAYS": "30",
        "file": "",
        "staged": "0" * 32,
        "output": "csv",
        "first_day": TODAY.isoformat(),
        "last_day": (TODAY + timedelta(days=100)).isoformat(),
        # Filters of boards, dashboards, exports and the audit log.
        "page": "1",
        "period": "custom",
        "scope": "branch",
        "branch": str(fixed["branch"]),
        "college": str(fixed["college"]),
        "category": str(fixed["category"]),
        "term": str(fixed["term"]),
        "from": (TODAY - timedelta(days=30)).isoformat(),
        "to": TODAY.isoformat(),
        "sort": "total",
        "q": "成员",
        "person": "成员",
        "action": "activity.approve",
        # Points from other systems of record.
        "source": "xuexi",
        "value_column": "",
        "student_no_column": "",
        "name_column": "",
        "matching_category_id": str(fixed["category"]),
        # Meetings (三会一课): kinds, groups, compliance, minutes.
        "kind": "theme_day",
        "group_id": "",
        "on": TODAY.isoformat(),
        "short": "",
        "topic": "学习党章",
        "host": "书记",
        "recorder": "委员",
        "content": "内容",
        "decisions": "决定",
        "files": "",
        "committee_post": "组织委员",
        "stage_since": TODAY.isoformat(),
        "TRACKER_COMPLIANCE_REMIND_DAYS": "7",
        # Milestones, leaderboard visibility and consent.
        "period_kind": "all",
        "threshold": "50",
        "shown": "y",
        "TRACKER_BOARD_BRANCH": "full",
        "TRACKER_BOARD_COLLEGE": "full",
        "TRACKER_BOARD_SCHOOL": "full",
        "TRACKER_BOARD_NEIGHBOURS": "5",
    }


HOOKS = {page_in_reach.__code__}


class _Reads(set):
    """The names a request looked up where its method carries data (query or form)."""

    carrier = "args"


READ = _Reads()


class RecordingMultiDict(ImmutableMultiDict):
    def _note(self, key) -> None:
        # ?page= on every page is checked in one place (tracker.limits, tests/test_bounds.py):
        # a route does not read it by having that check run before it.
        if self is getattr(request, READ.carrier, None) and sys._getframe(2).f_code not in HOOKS:
            READ.add(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (MultiDict's own signature)
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type)


class RecordingRequest(Request):
    parameter_storage_class = RecordingMultiDict


class Rewind:
    """Puts the world back after each request that wrote to it.

    PostgreSQL: the app's sessions run on one connection, each request inside
    a savepoint rolled back after it (the sessions join with savepoints of
    their own); reloading every table would take most of a second each time.
    SQLite: the world's pages are copied back after a POST that wrote (an
    export's audit row changes nothing the walk depends on).
    """

    def __init__(self, world: World):
        self.world, self.wrote, self.savepoint = world, False, None
        with world.app.app_context():
            self.engine = db.engine
            self.connection = None
            if self.engine.dialect.name == "postgresql":
                db.session.remove()
                self.connection = self.engine.connect()
                self.outer = self.connection.begin()
                db.engines[None] = self.connection
                db.session.configure(join_transaction_mode="create_savepoint")
        sa.event.listen(self.engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.wrote = True

    def before(self) -> None:
        self.wrote = False
        if self.connection is not None:
            self.savepoint = self.connection.begin_nested()

    def after(self, method: str) -> None:
        if self.connection is not None:
            self.savepoint.rollback()
        elif self.wrote and method == "POST":
            self.world.snapshot.put_back()

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._note)
        if self.connection is None:
            return
        with self.world.app.app_context():
            db.session.remove()
            self.outer.rollback()
            self.connection.close()
            db.engines[None] = self.engine
            db.session.configure(join_transaction_mode="conditional_savepoint")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with world_on(request.param, tmp_path_factory.mktemp("uploads")) as found:
        found.app.request_class = RecordingRequest
        found.rewind = Rewind(found)
        try:
            yield found
        finally:
            found.rewind.close()


def _person(world: World, endpoint: str) -> str:
    """Who walks the route: the most privileged of ROLES whom access lets in (who reaches
    the most of it), else a visitor. Members walk their own pages, the committee theirs."""
    with world.app.app_context():
        allowed = [role for role in ROLES if expected(world, endpoint, role, OWN)]
        public = expected(world, endpoint, ANONYMOUS, OWN)
        db.session.remove()
    return ANONYMOUS if public or not allowed else allowed[-1]


def _url(world: World, rule, role: str) -> tuple[str, dict[str, str]]:
    """The rule's URL with the role's own ids, and the ids it takes in the query or body."""
    entry = entry_for(rule.endpoint)
    values = {
        name: value(world) if callable(value) else value
        for name, value in entry.args.items()
        if name in rule.arguments
    }
    extra = {}
    for name, kind in entry.ids.items():
        found = world.pick(kind, role if role != ANONYMOUS else "member", OWN)
        (values if name in rule.arguments else extra)[name] = str(found)
    return rule.build(values, append_unknown=False)[1], extra


def _send(world: World, role: str, method: str, url: str, data: dict[str, str]) -> str:
    """Sends one request; returns what went wrong ("" if the answer is below 500)."""
    client = world.app.test_client()
    if role in world.cookies:
        client.set_cookie(world.app.config["SESSION_COOKIE_NAME"], world.cookies[role])
    READ.clear()
    READ.carrier = "args" if method == "GET" else "form"
    world.rewind.before()
    try:
        if method == "GET":
            response = client.get(url, query_string=data)
        else:
            response = client.post(url, data=data)
        response.close()
    except Exception as error:  # the app's own, propagated while testing
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
    finally:
        world.rewind.after(method)
    return str(response.status_code) if response.status_code >= 500 else ""


def _hostile(name: str) -> tuple[str, ...]:
    return TEXT_HOSTILE if name in TEXT or name.startswith("version_") else HOSTILE


def _walk(world: World, endpoint: str, method: str, walked: set) -> list[str]:
    """One route as one person: good values first, then each name it read, each hostile value.

    Pages that read the same query names read them with one parser
    (tracker.web.filters); the first of them is walked, the others are sent
    their good values only.
    """
    rule, role = RULES[endpoint], _person(world, endpoint)
    good = good_values(world, role)
    url, ids = _url(world, rule, role)
    sent = {**good, **ids} if method == "POST" else dict(ids)
    failures = (
        [f"{method} {url} as {role}, good values: {p}"]
        if (p := _send(world, role, method, url, sent))
        else []
    )
    names = frozenset(READ) - SKIPPED
    if unknown := sorted(names - set(good) - set(ids)):
        failures.append(f"{method} {url} reads {unknown}: add good values for them")
    if method == "GET":
        sent = {n: good[n] for n in names if n in good} | ids
        if (p := _send(world, role, method, url, sent)) or names in walked:
            return [*failures, *([f"GET {url} as {role}, good query: {p}"] if p else [])]
        walked.add(names)
    for name in sorted(names):
        for value in _hostile(name):
            if problem := _send(world, role, method, url, {**sent, name: value}):
                failures.append(f"{method} {url} as {role}, {name}={value[:20]!r}: {problem}")
    return failures


WEB_ROUTES = [
    (endpoint, method)
    for endpoint, rule in sorted(RULES.items())
    if not endpoint.startswith(("api.", "static", "bootstrap."))
    for method in sorted(rule.methods & {"GET", "POST"})
]


# The walk is cut into parts that pytest-xdist can hand to different workers.
PARTS = 4
# Query names already walked (pages reading the same names share one parser),
# per process: a worker that walks several parts walks each parser once.
_walked: set[frozenset[str]] = set()


@pytest.mark.one_database  # PostgreSQL is the stricter; tests/test_bounds.py runs on both
@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS))
def test_no_hostile_value_in_a_field_or_query_makes_a_page_fail(world, part):
    failures = [
        f
        for endpoint, method in WEB_ROUTES[part::PARTS]
        for f in _walk(world, endpoint, method, _walked)
    ]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
