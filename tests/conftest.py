"""Fixtures: an app on SQLite and (when configured) on PostgreSQL, factories, logins.

Every test that uses ``app`` runs once per database. The schema is built by
the migrations, once per database and session; each test starts from the
freshly migrated contents (the seeded categories and rules).
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa
from flask import g

_TMP = Path(tempfile.mkdtemp(prefix="tracker-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["TRACKER_INSTANCE_PATH"] = str(_TMP / "instance")
for leaked in ("DATABASE_URL", "SECRET_KEY", "TRACKER_SHOW_FULL_NAMES", "LC_ALL"):
    os.environ.pop(leaked, None)
# The command line speaks the terminal's language; the tests read English.
os.environ["LC_MESSAGES"] = "C"

from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.extensions import db as _db  # noqa: E402
from tracker.models import (  # noqa: E402
    AccountStatus,
    Activity,
    ActivityStatus,
    Branch,
    Category,
    College,
    Membership,
    Role,
    Stage,
    User,
)
from tracker.people.passwords import hash_password  # noqa: E402

PASSWORD = "correct-horse-42"
REQUIRE_ALL = bool(os.environ.get("TRACKER_REQUIRE_ALL_TESTS"))
POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
# 2026-11-25 is a Wednesday; noon in Shanghai.
FROZEN_NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "TRACKER_PASSWORD_TIME_COST": 1,
    "TRACKER_PASSWORD_MEMORY_KIB": 64,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
}


def _remember_url_builders() -> None:
    """Build each URL rule's builder once per test process, not once per app.

    Every test gets a fresh app, and Werkzeug compiles two Python functions per
    URL rule (through ``ast`` and ``compile``) each time: about two thirds of
    creating an app, and so of the whole suite. The generated function depends
    only on the rule's text, parts and defaults (converters are looked up on
    the bound rule when it runs), so one compiled function serves every app.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:  # a Werkzeug without it: nothing to save
        return
    builders: dict = {}

    def remembered(self, append_unknown: bool = True):
        key = (
            self.rule,
            self.host or self.subdomain,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = remembered


_remember_url_builders()

_engines: dict[str, sa.engine.Engine] = {}


def _shared_engine(bind_key, options: dict, app) -> sa.engine.Engine:
    """One engine per database address and options for the whole test process.

    Every test gets a fresh app; a fresh engine would ask PostgreSQL what it
    is (a dialect's first connection runs several queries) and compile every
    statement again (the compiled cache lives on the engine): together a
    third of a short test's time. PostgreSQL's connections stay in the pool
    (each test's reset empties the tables); SQLite's are closed before its
    file is put back (``_reset``).
    """
    key = repr(sorted((name, repr(value)) for name, value in options.items()))
    if key not in _engines:
        _engines[key] = sa.engine_from_config(options, prefix="")
    return _engines[key]


_db._make_engine = _shared_engine


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compile each template once per test process, not once per app.

    Every test gets a fresh app, hence a fresh Jinja environment that would
    compile every template it renders again: a third of a page test's time.
    The bucket's key holds the template's checksum, so an edited template is
    compiled anew.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


def missing(reason: str):
    """Skip on a developer's machine; fail in CI, where everything must run."""
    if REQUIRE_ALL:
        pytest.fail(f"required test could not run: {reason}", pytrace=False)
    pytest.skip(reason)


def _database_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{_TMP / 'tracker-test.db'}"
    if not POSTGRES_URL:
        missing(
            "PostgreSQL not configured: set TRACKER_TEST_POSTGRES_URL "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/tracker_test)"
        )
    return _worker_database(POSTGRES_URL)


_worker_databases: list[str] = []


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database next to the configured one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    if name not in _worker_databases:
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        _worker_databases.append(name)
        atexit.register(_drop_database, base, name)
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(base, name: str) -> None:
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_prepared: dict[str, dict[str, list[dict]]] = {}


def _prepare(app) -> dict[str, list[dict]]:
    """Migrate the database once; remember what the migrations seeded."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _prepared:
        with app.app_context():
            _db.drop_all()
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            seeded = {}
            with _db.engine.connect() as conn:
                for table in _db.metadata.sorted_tables:
                    rows = [dict(r._mapping) for r in conn.execute(table.select())]
                    if rows:
                        seeded[table.name] = rows
            if _db.engine.dialect.name == "sqlite":
                _keep_pristine(_db.engine)
        _prepared[url] = seeded
    return _prepared[url]


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _keep_pristine(engine) -> None:
    """A copy of the freshly migrated SQLite file, which each test starts from."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    path = Path(engine.url.database)
    shutil.copyfile(path, path.with_name(path.name + ".pristine"))


def _restore_sqlite(url: str) -> None:
    """Puts the freshly migrated file back: a copy of a few hundred kilobytes
    costs a tenth of deleting from every table and re-inserting the seeds."""
    path = Path(sa.engine.make_url(url).database)
    pristine = path.with_name(path.name + ".pristine")
    if not pristine.exists():
        return
    for leftover in _sqlite_files(path)[1:]:
        leftover.unlink(missing_ok=True)
    shutil.copyfile(pristine, path)


@functools.cache
def _reset_statements() -> str:
    """One script that empties every table and starts each id where a freshly
    migrated database starts it: PostgreSQL runs it in one round trip (a
    statement each cost a quarter of a test's time). The audit table refuses
    DELETE (triggers, so the application cannot rewrite history); the harness,
    as the tables' owner, lifts that for the reset only (the app's database
    user cannot)."""
    tables = _db.metadata.sorted_tables
    deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(tables))
    counters = ", ".join(
        f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false)"
        for t in tables
        if "id" in t.c and t.c.id.autoincrement is not False
    )
    return (
        "ALTER TABLE audit_event DISABLE TRIGGER USER; "
        f"{deletes}; ALTER TABLE audit_event ENABLE TRIGGER USER; SELECT {counters}"
    )


def _reset(seeded: dict[str, list[dict]]) -> None:
    if _db.engine.dialect.name == "sqlite":
        _db.engine.dispose()  # no connection may hold the file that is put back
        _restore_sqlite(str(_db.engine.url))
        return
    script = _reset_statements()
    tables = _db.metadata.sorted_tables
    with _db.engine.begin() as conn:
        conn.exec_driver_sql(script)
        for table in tables:
            if table.name in seeded:
                conn.execute(table.insert(), seeded[table.name])
        counters = ", ".join(
            f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "
            f'(SELECT max(id) FROM "{t.name}") + 1, false)'
            for t in tables
            if t.name in seeded and "id" in t.c
        )
        if counters:
            conn.exec_driver_sql(f"SELECT {counters}")


def _in_browser(item) -> bool:
    return "/browser/" in str(item.path)


def _on_one_database(item) -> bool:
    """Journeys in a browser, the API's conformance to its document, the demo
    and the walk of hostile values through every page are about pages and
    flows, not about a database's behaviour (every other test covers that on
    both): they run once, on PostgreSQL, the production database and the
    stricter about values, when it is configured, else on SQLite. Keeps the
    suite in budget."""
    return bool(item.get_closest_marker("one_database")) or _in_browser(item)


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only exist only in their PostgreSQL variant, sqlite_only in
    their SQLite one; tests on one database only in the variant of the database at hand.
    Tests marked slow go first: pytest-xdist hands out tests in this order, so a long
    one started last would keep the suite waiting for one worker."""
    other = "[sqlite" if POSTGRES_URL else "[postgresql"

    def dropped(item) -> bool:
        if item.get_closest_marker("postgres_only"):
            return "[sqlite" in item.name
        if item.get_closest_marker("sqlite_only"):
            return "[postgresql" in item.name
        return _on_one_database(item) and other in item.name

    gone = [item for item in items if dropped(item)]
    if gone:
        config.hook.pytest_deselected(items=gone)
        items[:] = [item for item in items if not dropped(item)]
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or _in_browser(item)))


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    config = {
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": _database_url(request.param),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    config.update(getattr(request, "param_config", {}))
    marker = request.node.get_closest_marker("config")
    if marker:
        config.update(marker.kwargs)
    application = create_app(config)
    application.jinja_env.bytecode_cache = _COMPILED_TEMPLATES

    # Requests made while this fixture's app context is pushed reuse it (and
    # its ``g``); forget the previous request's user as a real server would,
    # before any other hook asks who is signed in.
    def _forget_previous_user():
        g.pop("_login_user", None)

    application.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_user)

    seeded = _prepare(application)
    with application.app_context():
        _reset(seeded)
        yield application
        _db.session.remove()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock():
    """The clock frozen at FROZEN_NOW (a Wednesday noon in Shanghai); ``move_to`` shifts it."""
    import time_machine

    with time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        yield traveller


@dataclass
class Factory:
    """Builds colleges, branches, people and activities directly in the database."""

    db: object
    counter: int = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def college(self, name: str | None = None) -> College:
        college = College(name=name or f"学院{self._next()}")
        self.db.session.add(college)
        self.db.session.commit()
        return college

    def branch(self, college: College | None = None, name: str | None = None) -> Branch:
        branch = Branch(
            name=name or f"第{self._next()}党支部", college_id=(college or self.college()).id
        )
        self.db.session.add(branch)
        self.db.session.commit()
        return branch

    def user(
        self,
        role: Role = Role.MEMBER,
        branch: Branch | None = None,
        *,
        name: str | None = None,
        student_no: str | None = None,
        status: AccountStatus = AccountStatus.ACTIVE,
        joined_on: date = date(2025, 9, 1),
    ) -> User:
        if role in (Role.MEMBER, Role.COMMITTEE) and branch is None:
            branch = self.branch()
        n = self._next()
        user = User(
            student_no=student_no or f"S{n:05d}",
            name=name or f"成员{n}",
            role=role,
            status=status,
            stage=Stage.ACTIVIST,
            branch_id=branch.id if branch and role in (Role.MEMBER, Role.COMMITTEE) else None,
            password_hash=hash_password(PASSWORD),
        )
        self.db.session.add(user)
        self.db.session.flush()
        if user.branch_id:
            self.db.session.add(
                Membership(user_id=user.id, branch_id=user.branch_id, start_on=joined_on)
            )
        self.db.session.commit()
        return user

    def member(self, branch: Branch | None = None, **kwargs) -> User:
        return self.user(Role.MEMBER, branch, **kwargs)

    def committee(self, branch: Branch | None = None, **kwargs) -> User:
        return self.user(Role.COMMITTEE, branch, **kwargs)

    def category(self, key: str) -> Category:
        return self.db.session.scalars(sa.select(Category).where(Category.key == key)).one()

    def activity(
        self,
        member: User,
        key: str = "study",
        *,
        occurred_on: date = TODAY,
        quantity: Decimal | int = 60,
        start: time | None = time(9, 0),
        status: ActivityStatus = ActivityStatus.PENDING,
        title: str = "学习党章",
        description: str = "",
        location: str | None = None,
    ) -> Activity:
        category = self.category(key)
        now = datetime.now(UTC)
        activity = Activity(
            user_id=member.id,
            branch_id=member.branch_id,
            category_id=category.id,
            occurred_on=occurred_on,
            quantity=Decimal(quantity),
            title=title,
            description=description,
            location=location,
            status=status,
            start_time=start if category.needs_start_time else None,
            submitted_at=now,
            updated_at=now,
        )
        self.db.session.add(activity)
        self.db.session.commit()
        return activity


@pytest.fixture
def make(db):
    return Factory(db)


@pytest.fixture
def branch(make):
    """A branch of its own college (tests/api/conftest.py gives the API tests theirs)."""
    return make.branch()


@pytest.fixture
def committee(make, branch):
    return make.committee(branch)


@pytest.fixture
def member(make, branch):
    return make.member(branch)


@pytest.fixture
def login(app):
    """``login(user)`` returns a new test client logged in as that user."""

    def _login(user: User, password: str = PASSWORD):
        client = app.test_client()
        response = client.post("/login", data={"student_no": user.student_no, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def english_login(login, db):
    """``login`` for a user who reads English, so messages can be checked by their source text."""

    def _login(user: User, password: str = PASSWORD):
        user.locale = "en"
        db.session.commit()
        return login(user, password)

    return _login


# --- Evidence storage: the instance folder, or an S3 API served on loopback ----

S3_KEYS = {"TRACKER_S3_ACCESS_KEY_ID": "tracker-test", "TRACKER_S3_SECRET_ACCESS_KEY": "secret"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server (moto's, over real HTTP) on 127.0.0.1, for the whole run."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing("moto[server] not installed: pip install -e '.[dev]'")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_settings(endpoint: str, bucket: str, prefix: str = "evidence") -> dict:
    """The settings that point the app at a bucket of that server, as an operator writes them."""
    return {
        "TRACKER_STORAGE_URL": f"s3://{bucket}/{prefix}",
        "TRACKER_S3_ENDPOINT_URL": endpoint,
        "TRACKER_S3_REGION": "us-east-1",
        "TRACKER_S3_ADDRESSING_STYLE": "path",
        **S3_KEYS,
    }


_buckets = iter(range(1, 1_000_000))


def new_bucket(endpoint: str) -> str:
    """A bucket of its own for one test, so tests never see each other's objects."""
    from tracker.storage import s3_client

    name = f"tracker-{os.getpid()}-{next(_buckets)}"
    s3_client(s3_settings(endpoint, name)).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["folder", "s3"])
def store(request, app):
    """The app's evidence store, once the instance folder and once a fresh S3 bucket.

    Only the tests that read or write files through the store take this
    fixture, so the rest of the suite runs once, on the folder.
    """
    from tracker import storage

    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        settings = s3_settings(endpoint, new_bucket(endpoint))
        app.config.update(settings)
        storage.init_app(app)
    return storage.of(app)


def pytest_collection_finish(session):
    """Everything imported so far (the app's modules, SQLAlchemy, the collected
    tests: some 270,000 objects) lives to the end: taken out of the garbage
    collector's reach, each full collection stops walking it again."""
    gc.collect()
    gc.freeze()
