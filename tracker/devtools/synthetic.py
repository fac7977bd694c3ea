"""Synthetic data for the ranking benchmark (``flask bench-seed``).

Rows are written in bulk, then the stored totals are rebuilt from the ledger
by ``totals.rebuild`` — the same rollup path as ``flask rebuild-totals`` —
so the data obeys every invariant ``check-ledger`` checks. Awards are booked
to the branch the member belonged to on the day, including for the members
who move branch mid-way.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import (
    ForeignKeyConstraint,
    TypeDecorator,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint

from tracker.devtools.demo import GIVEN, SURNAMES
from tracker.ledger import terms, totals
from tracker.ledger.totals import rollup
from tracker.ledger.totals.keeping import chunks
from tracker.models import (
    Activity,
    ActivityStatus,
    AdvisorScope,
    Branch,
    Category,
    College,
    EntryKind,
    LedgerEntry,
    Membership,
    PointRule,
    Role,
    Stage,
    User,
)
from tracker.people.passwords import hash_password

BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105 - printed for the benchmark script
CHUNK = 10_000
DAYS = 365
MOVED_SHARE = 0.02
PENDING = 400


@dataclass(frozen=True)
class BenchLogins:
    member: str
    committee: str
    advisor: str
    admin: str


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def _next_id(session: Session, model) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _fix_sequences(session: Session, *models) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT max(id) FROM "{table}"))'
            )
        )


@contextmanager
def _unindexed(session: Session, models: tuple) -> Iterator[None]:
    """The tables' indexes and (on PostgreSQL) their unique and foreign keys dropped
    while bulk rows go in, and made again after: building an index over millions of
    rows at once is many times faster than keeping it row by row once it outgrows
    the database's cache. SQLite cannot drop a table's constraints; its indexes go."""
    connection = session.connection()
    tables = [model.__table__ for model in models]
    indexes = [index for table in tables for index in table.indexes]
    constraints = []
    if connection.dialect.name == "postgresql":
        constraints = [
            constraint
            for table in tables
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint | ForeignKeyConstraint)
        ]
    for index in indexes:
        index.drop(connection)
    for constraint in constraints:
        connection.execute(DropConstraint(constraint))
    yield
    for index in indexes:
        index.create(connection)
    for constraint in constraints:
        connection.execute(AddConstraint(constraint))


def _bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """``insert(model)`` of ``rows`` (attribute names as keys); on PostgreSQL by COPY,
    many times faster than INSERT at a million rows. Columns left out take their
    default, as the ORM would give it."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    mapper = inspect(model)
    given = [mapper.attrs[key].columns[0] for key in rows[0]]
    defaulted = [
        column
        for column in model.__table__.c
        if column not in given and column.default is not None and not column.primary_key
    ]
    columns = given + defaulted
    defaults = [
        column.default.arg if column.default.is_scalar else column.default.arg(None)
        for column in defaulted
    ]
    dialect = connection.dialect

    def stored(column, value):
        if isinstance(column.type, TypeDecorator):
            value = column.type.process_bind_param(value, dialect)
        return value.value if isinstance(value, enum.Enum) else value

    names = ", ".join(f'"{column.name}"' for column in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{model.__tablename__}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = [*row.values(), *defaults]
            copy.write_row([stored(c, v) for c, v in zip(columns, values, strict=True)])


def seed(
    session: Session,
    *,
    members: int,
    branches: int,
    entries: int,
    today: date,
    progress: Callable[[int], None] = lambda n: None,
    seed_value: int = 2026,
) -> BenchLogins:
    """Fill an empty database: colleges of ~20 branches, ``members`` people spread over
    ``branches``, ``entries`` approved activities over the last year (2% of members move
    branch half-way), a term containing ``today``, and pending activities to approve."""
    rng = random.Random(seed_value)
    password = hash_password(BENCH_PASSWORD)
    now = datetime.now(UTC)
    first_day = today - timedelta(days=DAYS - 1)
    moved_on = today - timedelta(days=DAYS // 2)

    college_ids = []
    for i in range(max(1, branches // 20)):
        college = College(name=f"基准学院{i + 1:03d}")
        session.add(college)
        session.flush()
        college_ids.append(college.id)
    branch_rows = [
        {"name": f"基准支部{i + 1:04d}", "college_id": college_ids[i % len(college_ids)]}
        for i in range(branches)
    ]
    session.execute(insert(Branch), branch_rows)
    branch_ids = list(session.scalars(select(Branch.id).order_by(Branch.id)))

    user_id = _next_id(session, User)
    people, home, moves = [], {}, {}
    for n in range(members):
        uid = user_id + n
        branch_id = branch_ids[n % branches]
        role = Role.COMMITTEE if n < branches else Role.MEMBER
        if n >= branches and rng.random() < MOVED_SHARE:
            moves[uid] = (branch_id, rng.choice(branch_ids))
            branch_id = moves[uid][1]
        home[uid] = branch_id
        people.append(
            {
                "id": uid,
                "student_no": f"B{n + 1:07d}",
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "role": role,
                "stage": Stage.ACTIVIST,
                "branch_id": branch_id,
                "password_hash": password,
                "created_at": now,
            }
        )
    for chunk in chunks(people, CHUNK):
        session.execute(insert(User), chunk)
    memberships = []
    for uid, branch_id in home.items():
        if uid in moves:
            old, new = moves[uid]
            memberships.append(
                {"user_id": uid, "branch_id": old, "start_on": first_day, "end_on": moved_on}
            )
            memberships.append({"user_id": uid, "branch_id": new, "start_on": moved_on})
        else:
            memberships.append({"user_id": uid, "branch_id": branch_id, "start_on": first_day})
    for chunk in chunks(memberships, CHUNK):
        session.execute(insert(Membership), chunk)
    # The ids above were given explicitly; PostgreSQL's sequence must catch up
    # before the ORM adds the staff accounts.
    _fix_sequences(session, User)
    staff = [
        User(student_no="Badvisor", name="基准老师", role=Role.ADVISOR, password_hash=password),
        User(student_no="Badmin", name="基准管理员", role=Role.ADMIN, password_hash=password),
    ]
    session.add_all(staff)
    session.flush()
    session.add(AdvisorScope(user_id=staff[0].id, college_id=college_ids[0]))
    terms.create_term(session, "基准学期", today - timedelta(days=90), today + timedelta(days=60))

    rules = {
        rule.category_id: rule
        for rule in session.scalars(select(PointRule).order_by(PointRule.effective_from))
    }
    categories = [c for c in session.scalars(select(Category)) if c.id in rules]
    activity_id = _next_id(session, Activity)
    ledger_id = _next_id(session, LedgerEntry)
    reviewer_of = {branch_ids[i]: user_id + i for i in range(min(branches, members))}
    uids = list(home)

    def branch_on(uid: int, day: date) -> int:
        if uid in moves:
            return moves[uid][0] if day < moved_on else moves[uid][1]
        return home[uid]

    with _unindexed(session, (Activity, LedgerEntry, *rollup.TABLES)):
        written = 0
        while written < entries:
            batch = min(CHUNK, entries - written)
            activities, ledger = [], []
            for k in range(batch):
                uid = rng.choice(uids)
                day = first_day + timedelta(days=rng.randrange(DAYS))
                category = rng.choice(categories)
                branch_id = branch_on(uid, day)
                points = Decimal(rng.randint(5, 60)) / 10
                aid = activity_id + written + k
                activities.append(
                    {
                        "id": aid,
                        "user_id": uid,
                        "branch_id": branch_id,
                        "category_id": category.id,
                        "occurred_on": day,
                        "quantity": Decimal(rng.randint(1, 4)),
                        "title": category.name_zh,
                        "description": "",
                        "status": ActivityStatus.APPROVED,
                        "submitted_at": now,
                        "updated_at": now,
                        "reviewed_by_id": reviewer_of.get(branch_id),
                        "reviewed_at": now,
                        "rule_id": rules[category.id].id,
                    }
                )
                ledger.append(
                    {
                        "id": ledger_id + written + k,
                        "kind": EntryKind.AWARD,
                        "user_id": uid,
                        "branch_id": branch_id,
                        "category_id": category.id,
                        "activity_id": aid,
                        "rule_id": rules[category.id].id,
                        "points": points,
                        "uncapped_points": points,
                        "earned_on": day,
                        "actor_id": reviewer_of.get(branch_id),
                        "created_at": now,
                    }
                )
            _bulk_insert(session, Activity, activities)
            _bulk_insert(session, LedgerEntry, ledger)
            written += batch
            progress(batch)

        pending = []
        volunteer = next(c for c in categories if c.key == "volunteer")
        for k in range(PENDING):
            uid = uids[(k * 7919) % len(uids)]
            pending.append(
                {
                    "id": activity_id + entries + k,
                    "user_id": uid,
                    "branch_id": home[uid],
                    "category_id": volunteer.id,
                    "occurred_on": today,
                    "start_time": time(9, 0),
                    "quantity": Decimal(1),
                    "title": "社区志愿服务",
                    "description": "",
                    "status": ActivityStatus.PENDING,
                    "submitted_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(Activity), pending)
        _fix_sequences(session, User, Activity, LedgerEntry)
        totals.rebuild(session)
    return BenchLogins(
        member=people[-1]["student_no"],
        committee=people[0]["student_no"],
        advisor="Badvisor",
        admin="Badmin",
    )
