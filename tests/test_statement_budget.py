"""How many SQL statements each page that is read most runs: a budget per page.

On PostgreSQL a statement is a round trip (0.3 to 0.5 ms here) before it does
any work, so a board that runs twenty of them misses its 20 ms before reading a
row. Every statement sent on the app's engine during one request is counted
(the ``before_cursor_execute`` event), login and navigation included, and a
page fails when it runs more than its budget. Raise a budget only with a reason
in the commit; lower it when a merge allows.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from tracker.ledger import points
from tracker.models import AdvisorScope, Role, Term, User

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)

# Budgets per page: {path: budget}. The standard period is the default one
# (the current term); a custom range and a category are asked explicitly.
#
# A board page runs: the signed-in user (with their session's end, the unread
# count and the settings' overrides: ``security.load_user``), the terms, the
# colleges and branches (scope and form), the categories (form), and the board:
# one statement for a branch, a college, a custom range or the branches; two
# for the whole school (its counts and the viewer's place, then the page with
# the viewer's neighbours: ``school_index``).
BOARDS = {
    "/leaderboard/": 6,
    "/leaderboard/?scope=school": 6,
    "/leaderboard/?scope=college": 6,
    "/leaderboard/?period=custom&from=2026-11-01&to=2026-11-25": 6,
    "/leaderboard/?scope=school&period=month&category=1": 6,
    "/leaderboard/branches": 6,
    "/leaderboard/branches?scope=college&sort=participation": 6,
}
# The token (with its user and the settings), the colleges and branches, the
# board; the school's board reads the terms and runs two statements (see above).
API = {
    "/api/v1/leaderboard/members": 3,
    "/api/v1/leaderboard/members?scope=school&period=term": 5,
    "/api/v1/leaderboard/members?period=custom&from=2026-11-01&to=2026-11-25": 3,
    "/api/v1/leaderboard/branches": 3,
}


@pytest.fixture
def world(db, make, clock):
    """Two branches of one college, a term, members with points, every role."""
    college = make.college()
    mine, other = make.branch(college), make.branch(college)
    committee = make.committee(mine, name="委员")
    theirs = make.committee(other, name="他委")
    members = [make.member(mine, name=f"成员{i}") for i in range(6)]
    members += [make.member(other, name=f"他人{i}") for i in range(4)]
    db.session.add(Term(name="2026秋", first_day=date(2026, 9, 1), last_day=date(2027, 1, 20)))
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=mine.id))
    admin = make.user(Role.ADMIN)
    db.session.commit()
    for i, member in enumerate(members):
        activity = make.activity(
            member, "volunteer", quantity=i + 1, occurred_on=date(2026, 11, 20)
        )
        reviewer = committee if member.branch_id == mine.id else theirs
        points.approve_activity(db.session, activity, reviewer, NOW)
    # One waiting for review, so the queue and the nav count have something.
    make.activity(members[0], "volunteer", quantity=1, occurred_on=date(2026, 11, 24))
    db.session.commit()
    # Plain values: the tests start each request with a new database session.
    people = {"member": members[1], "committee": committee, "advisor": advisor, "admin": admin}
    world = {role: SimpleNamespace(id=u.id, student_no=u.student_no) for role, u in people.items()}
    world.update(mine=mine.id, college=college.id, users=people)
    return world


@pytest.fixture
def counted(db):
    """``counted(client, path)``: the response and the statements it ran."""
    engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)

    def run(client, path, **kwargs):
        # A real server starts each request with a new session: nothing read before.
        db.session.remove()
        seen.clear()
        response = client.get(path, **kwargs)
        return response, list(seen)

    yield run
    event.remove(engine, "before_cursor_execute", count)


class Budget:
    """Every page over its budget, reported together with the statements it ran."""

    def __init__(self):
        self.over: list[str] = []

    def check(self, response, statements, budget, path):
        assert response.status_code == 200, (path, response.status_code)
        print(f"{len(statements):3d} / {budget:2d}  {path}")  # noqa: T201  (with -s: the figures)
        if len(statements) > budget:
            self.over.append(
                f"{path}: {len(statements)} statements, budget {budget}:\n"
                + "\n".join(f"  - {' '.join(s.split())[:160]}" for s in statements)
            )

    def verify(self):
        assert not self.over, "\n".join(self.over)


def _token_client(app, db, user):
    from tracker.clock import utcnow
    from tracker.people import tokens

    issued = tokens.issue_token(db.session, user, name="budget", now=utcnow(), lifetime_days=30)
    db.session.commit()
    client = app.test_client()
    return client, {"Authorization": f"Bearer {issued.token}"}


@pytest.mark.parametrize("role", ["member", "committee"])
def test_boards_stay_within_their_budget(world, login, counted, role):
    client = login(world[role])
    budget = Budget()
    for path, allowed in BOARDS.items():
        budget.check(*counted(client, path), allowed, f"{role} {path}")
    budget.verify()


def test_board_json_stays_within_its_budget(app, db, world, counted):
    client, headers = _token_client(app, db, world["users"]["member"])
    # A token records its last use once a minute: the first call writes, as a script's
    # first call does; the budget is for the calls after it.
    assert client.get("/api/v1/leaderboard/members", headers=headers).status_code == 200
    budget = Budget()
    for path, allowed in API.items():
        budget.check(*counted(client, path, headers=headers), allowed, path)
    budget.verify()


def test_dashboards_home_and_review_stay_within_their_budget(world, login, counted):
    mine = world["mine"]
    # As measured once the reference rows and the user were merged: a regression
    # shows here. The home pages carry milestones and events too.
    pages = {
        "member": {"/": 10, "/dashboard/member.json": 5},
        "committee": {
            "/": 12,
            "/dashboard/branch": 12,
            "/dashboard/branch.json": 5,
            "/review/": 12,
        },
        "advisor": {
            "/": 9,
            f"/dashboard/advisor?branch={mine}": 9,
            f"/dashboard/advisor.json?branch={mine}": 8,
        },
        "admin": {"/": 9, "/dashboard/advisor": 9, "/dashboard/advisor.json": 7},
    }
    budget = Budget()
    for role, budgets in pages.items():
        client = login(world[role])
        for path, allowed in budgets.items():
            budget.check(*counted(client, path), allowed, f"{role} {path}")
    budget.verify()


def test_navigation_counts_come_with_the_user(world, login, counted):
    """The navigation's unread count is read with the signed-in user: no page runs
    a statement of its own for it."""
    client = login(world["committee"])
    for path in ("/leaderboard/", "/review/", "/"):
        response, statements = counted(client, path)
        assert response.status_code == 200
        reading_notifications = [s for s in statements if "FROM notification" in s]
        assert len(reading_notifications) == 1, reading_notifications
        # The statement that loads the user (and whether their session was ended).
        assert re.search(r'FROM "?user"?\s*(WHERE|$)', reading_notifications[0]), statements
        assert "ended_session" in reading_notifications[0]


def test_the_review_queue_costs_the_same_for_one_waiting_or_twelve(world, db, make, login, counted):
    """Each waiting activity's estimate, flags and attendance are read for all of
    them at once: a committee with a week's backlog waits no longer than one
    without (measured: 58 statements for 16 waiting, before)."""
    client = login(world["committee"])
    _response, one = counted(client, "/review/")
    member = db.session.get(User, world["member"].id)
    for day in range(1, 12):
        make.activity(
            member,
            "study" if day % 2 else "volunteer",
            quantity=30,
            occurred_on=date(2026, 11, day),
        )
    db.session.commit()
    response, twelve = counted(client, "/review/")
    assert response.status_code == 200 and response.get_data(as_text=True).count("/approve") >= 12
    assert len(twelve) == len(one), "\n".join([s[:150].replace("\n", " ") for s in twelve])
