"""The people and things tests/test_access_map.py walks every route with.

Two branches in two colleges: A (the home branch) and B. Each has a member,
a committee member and a mentor, and one of each object a route names (an
entry with evidence, a tutoring session naming the member, an event with a
leave request, a pairing request, a registration waiting for the committee).
Around them: an advisor of branch A, an advisor of college Y (B's, not A's)
and an administrator. Everyone signs in once; the database is copied so it
can be put back after a request that changed it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import time_machine

from tracker import create_app
from tracker.events import attendance, planning
from tracker.events.planning import EventInput
from tracker.extensions import db
from tracker.models import (
    AccountStatus,
    Activity,
    ActivityMentee,
    AdvisorScope,
    ApiToken,
    Attendance,
    Branch,
    Certificate,
    College,
    Event,
    Evidence,
    Job,
    Milestone,
    Minutes,
    MinutesAttachment,
    Notification,
    Pairing,
    PairingStatus,
    Role,
    Term,
    User,
)
from tracker.notify import notify
from tracker.people import activation, password_reset, tokens
from tracker.periods import custom_period
from tracker.ranking import certificates

from .conftest import (
    BASE_CONFIG,
    FROZEN_NOW,
    PASSWORD,
    TODAY,
    Factory,
    _database_url,
    _prepare,
    _reset,
)

ANONYMOUS = "anonymous"
ROLES = (
    ANONYMOUS,
    "member",
    "committee",
    "committee_elsewhere",
    "advisor_in_scope",
    "advisor_out_of_scope",
    "admin",
)
OWN, FOREIGN, NO_ID = "own", "foreign", "-"
# The kinds of object a route's id names, and what they are.
MODELS = {
    "activity": Activity,
    "session": Activity,
    "evidence": Evidence,
    "attachment": MinutesAttachment,
    "event": Event,
    "leave": Attendance,
    "member": User,
    "registrant": User,
    "pairing": Pairing,
    "note": Notification,
    "job": Job,
    "token": ApiToken,
    "branch": Branch,
    "college": College,
    "certificate": Certificate,
}
# A 1×1 PNG: evidence on disk, and an upload the API accepts.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class World:
    app: Any
    users: dict[str, int]  # role -> user id
    own: dict[str, Any]  # kind -> id, or role -> id for what each person has of their own
    foreign: dict[str, int]  # kind -> id of branch B's
    fixed: dict[str, Any]  # what the administration pages and some bodies name
    student_no: dict[str, str]
    tokens: dict[str, str]  # role -> API token
    cookies: dict[str, str] = field(default_factory=dict)  # role -> session cookie
    answers: dict[tuple[str, str, str], bool] = field(default_factory=dict)
    snapshot: Snapshot | None = None

    def pick(self, kind: str, role: str, variant: str) -> int:
        found = (self.own if variant == OWN else self.foreign)[kind]
        return found.get(role, found["member"]) if isinstance(found, dict) else found


def _evidence(activity: Activity, folder: Path) -> Evidence:
    name = f"evidence-{activity.id}.png"
    (folder / name).write_bytes(PNG)
    found = Evidence(
        activity_id=activity.id,
        stored_name=name,
        original_name="合影.png",
        content_type="image/png",
        size=len(PNG),
    )
    db.session.add(found)
    db.session.flush()
    return found


def _attachment(event: Event, committee: User, folder: Path) -> MinutesAttachment:
    """Minutes of the event with one photo attached (written straight in: the event is ahead)."""
    minutes = Minutes(event_id=event.id, topic="学习党章", updated_by_id=committee.id)
    db.session.add(minutes)
    db.session.flush()
    name = f"minutes-{event.id}.png"
    (folder / name).write_bytes(PNG)
    found = MinutesAttachment(
        minutes_id=minutes.id,
        stored_name=name,
        original_name="会议合影.png",
        content_type="image/png",
        size=len(PNG),
        added_by_id=committee.id,
    )
    db.session.add(found)
    db.session.flush()
    return found


def _event(make: Factory, committee: User) -> Event:
    data = EventInput(
        title="主题党日",
        category=make.category("meeting"),
        place="201",
        starts_at=FROZEN_NOW + timedelta(days=1),
        ends_at=FROZEN_NOW + timedelta(days=1, hours=2),
    )
    return planning.create_event(db.session, committee, data, FROZEN_NOW)


def _branch_things(make: Factory, folder: Path, committee: User) -> dict[str, int]:
    """A member, a mentor and one of each object a route names, in the committee's branch."""
    branch = committee.branch
    member, mentor = make.member(branch), make.member(branch)
    entry = make.activity(member)
    session = make.activity(mentor, "tutoring", title="高数辅导")
    db.session.add(ActivityMentee(activity_id=session.id, mentee_id=member.id))
    pairing = Pairing(mentor_id=mentor.id, mentee_id=member.id, status=PairingStatus.REQUESTED)
    event = _event(make, committee)
    db.session.add(pairing)
    db.session.flush()
    leave = attendance.request_leave(db.session, member, event, "病假", FROZEN_NOW)
    note = notify(db.session, member, "leave_approved", event_id=event.id, title="会")
    token = tokens.issue_token(db.session, member, name="spare", now=FROZEN_NOW, lifetime_days=30)
    period = custom_period(TODAY - timedelta(days=30), TODAY)
    certificate = certificates.issue(db.session, member, member, period, "近30天", FROZEN_NOW)
    job = _job(member, folder)
    db.session.flush()
    return {
        "activity": entry.id,
        "evidence": _evidence(entry, folder).id,
        "session": session.id,
        "event": event.id,
        "attachment": _attachment(event, committee, folder).id,
        "leave": leave.id,
        "member": member.id,
        "registrant": make.member(branch, status=AccountStatus.PENDING).id,
        "pairing": pairing.id,
        "note": note.id,
        "token": token.record.id,
        "job": job.id,
        "branch": branch.id,
        "college": branch.college_id,
        "certificate": certificate.id,
        "certificate_code": certificate.code,
    }


def _job(user: User, folder: Path) -> Job:
    """A finished export of ``user``'s, its file in the store."""
    job = Job(kind="export-activities", user_id=user.id, params={"fmt": "csv"}, state="done")
    db.session.add(job)
    db.session.flush()
    job.result_file, job.result_filename = f"export-{job.id}.csv", "导出.csv"
    (folder / job.result_file).write_bytes(b"a,b\r\n")
    return job


def _own_things(people: dict[str, User], event_id: int, folder: Path) -> dict[str, dict[str, int]]:
    """What every person has of their own: a notification, a spare API token, a job."""
    notes, spares, jobs = {}, {}, {}
    for role, user in people.items():
        jobs[role] = _job(user, folder)
        notes[role] = notify(db.session, user, "leave_approved", event_id=event_id, title="会")
        spares[role] = tokens.issue_token(
            db.session, user, name="spare", now=FROZEN_NOW, lifetime_days=30
        )
    db.session.flush()
    return {
        "note": {role: note.id for role, note in notes.items()},
        "job": {role: job.id for role, job in jobs.items()},
        "token": {role: issued.record.id for role, issued in spares.items()},
    }


def build_world(app) -> World:
    make = Factory(db)
    branch_a = make.branch(make.college("学院X"), "A支部")
    branch_b = make.branch(make.college("学院Y"), "B支部")
    people = {
        "committee": make.committee(branch_a),
        "committee_elsewhere": make.committee(branch_b),
        "advisor_in_scope": make.user(Role.ADVISOR),
        "advisor_out_of_scope": make.user(Role.ADVISOR),
        "admin": make.user(Role.ADMIN),
    }
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    home = _branch_things(make, folder, people["committee"])
    foreign = _branch_things(make, folder, people["committee_elsewhere"])
    people["member"] = db.session.get(User, home["member"])
    scope = AdvisorScope(user_id=people["advisor_in_scope"].id, branch_id=branch_a.id)
    elsewhere = AdvisorScope(
        user_id=people["advisor_out_of_scope"].id, college_id=branch_b.college_id
    )
    term = Term(
        name="2026秋",
        first_day=TODAY.replace(month=9, day=1),
        last_day=TODAY.replace(month=12, day=31),
    )
    milestone = Milestone(name="志愿服务 10 分", threshold=10, period_kind="all")
    db.session.add_all([scope, elsewhere, term, milestone])
    db.session.flush()
    own = {**home, **_own_things(people, home["event"], folder)}
    registrant = db.session.get(User, home["registrant"])
    fixed = {
        "advisor": people["advisor_in_scope"].id,
        "scope": scope.id,
        "college": branch_a.college_id,
        "branch": branch_a.id,
        "category": make.category("study").id,
        "term": term.id,
        "milestone": milestone.id,
        "activation": activation.issue_token(db.session, registrant, FROZEN_NOW, 7),
        "password_reset": password_reset.issue_token(people["member"], app.config["SECRET_KEY"]),
        "mentee_no": db.session.get(User, foreign["member"]).student_no,
        "certificate_code": home["certificate_code"],
    }
    walk_tokens = {
        role: tokens.issue_token(
            db.session, user, name="walk", now=FROZEN_NOW, lifetime_days=30
        ).token
        for role, user in people.items()
    }
    db.session.commit()
    student_no = {role: user.student_no for role, user in people.items()}
    return World(
        app=app,
        users={role: user.id for role, user in people.items()},
        own=own,
        foreign=foreign,
        fixed=fixed,
        student_no={**student_no, ANONYMOUS: student_no["member"]},
        tokens=walk_tokens,
    )


class Snapshot:
    """The world's database as built, put back after a request that may have changed it.

    SQLite copies its pages back (a few milliseconds); PostgreSQL reloads the rows.
    """

    def __init__(self, app):
        self.app = app
        url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.path = url.database if url.get_backend_name() == "sqlite" else None
        self.rows: dict[str, list[dict]] = {}
        self.pages: sqlite3.Connection | None = None
        if self.path:
            self.pages = sqlite3.connect(":memory:")
            with closing(sqlite3.connect(self.path)) as source:
                source.backup(self.pages)
            return
        with app.app_context(), db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                found = [dict(r._mapping) for r in conn.execute(table.select())]
                if found:
                    self.rows[table.name] = found

    def put_back(self) -> None:
        if self.pages is not None:
            with closing(sqlite3.connect(self.path)) as target:
                target.execute("PRAGMA synchronous = OFF")
                self.pages.backup(target)
            return
        with self.app.app_context():
            _reset(self.rows)
            db.session.remove()

    def close(self) -> None:
        if self.pages is not None:
            self.pages.close()


def _no_fsync(dbapi_connection, _record) -> None:
    # The walk commits hundreds of times; waiting for the disk would be most of its time.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")


def _sign_in(world: World) -> None:
    for role in world.users:
        client = world.app.test_client()
        response = client.post(
            "/login", data={"student_no": world.student_no[role], "password": PASSWORD}
        )
        assert response.status_code == 302, f"{role} could not sign in"
        cookie = client.get_cookie(world.app.config["SESSION_COOKIE_NAME"])
        world.cookies[role] = cookie.value


@contextmanager
def world_on(backend: str, uploads: Path) -> Iterator[World]:
    """The world on a fresh database of that backend, the clock frozen, everyone signed in."""
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": _database_url(backend),
            "UPLOAD_FOLDER": str(uploads),
            # Everyone signs in once; the walk is not about rate limits.
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        sa.event.listen(db.engine, "connect", _no_fsync)
    seeded = _prepare(app)
    try:
        with time_machine.travel(FROZEN_NOW, tick=False):
            with app.app_context():
                _reset(seeded)
                world = build_world(app)
                db.session.remove()
            _sign_in(world)
            world.snapshot = Snapshot(app)
            yield world
            world.snapshot.close()
    finally:
        with app.app_context():
            _reset(seeded)
            db.session.remove()
            sa.event.remove(db.engine, "connect", _no_fsync)
            db.engine.dispose()
