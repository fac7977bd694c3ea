"""Configuration, the secret key, and the schema coming only from migrations."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracker import create_app
from tracker.config import load_secret_key
from tracker.extensions import db as _db
from tracker.setting_table import SETTINGS


def test_migrations_match_the_models(app, db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, _db.metadata)
    assert differences == []


def test_migrations_seed_the_five_categories_with_rules(app, db):
    from sqlalchemy import select

    from tracker.models import Category

    everything = db.session.scalars(select(Category).order_by(Category.sort_order)).all()
    categories = [c for c in everything if not c.external]
    assert [c.key for c in categories] == ["study", "red_site", "volunteer", "tutoring", "meeting"]
    assert all(c.rules for c in categories)
    # The built-in systems of record, whose points are imported, never logged (no rules).
    assert [(c.key, c.rules) for c in everything if c.external] == [
        ("xuexi", []),
        ("zyh", []),
        ("pu", []),
    ]
    red_site = categories[1]
    assert red_site.rules[0].evidence_required and red_site.needs_reflection


def test_creating_the_app_does_not_touch_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    create_app({"SECRET_KEY": "x"})
    assert not (tmp_path / "tracker.db").exists()


def test_secret_key_is_generated_once_and_reused(tmp_path):
    first = load_secret_key(tmp_path)
    assert len(first) >= 64
    assert load_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_come_from_environment_and_instance_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text(
        'TRACKER_TIMEZONE = "Asia/Urumqi"\nTRACKER_BACKDATE_DAYS = 7\n'
    )
    monkeypatch.setenv("TRACKER_BACKDATE_DAYS", "30")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "other.db"))
    app = create_app()
    assert app.config["TRACKER_TIMEZONE"] == "Asia/Urumqi"
    assert app.config["TRACKER_BACKDATE_DAYS"] == 30
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "uploads")


def test_every_setting_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme, setting.env


@pytest.mark.parametrize("kind", ["week", "month", "year", "all"])
def test_periods_contain_their_own_start(kind):
    from datetime import date

    from tracker.periods import standard_period

    period = standard_period(kind, date(2026, 11, 29))
    assert period.contains(date(2026, 11, 29)) and period.contains(period.start)
    assert not period.contains(period.end)


def test_upgrading_fills_the_school_and_branch_totals_from_the_member_totals(app, db, make):
    """Migrations 0006 and 0007 derive their tables from member_total: after
    upgrading a database that already holds points, every total agrees with
    the ledger."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from tracker.ledger import points, totals
    from tracker.models import BranchTotal, SchoolTotal

    now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    kept, revoked = (
        make.activity(member, "volunteer", quantity=1, occurred_on=date(2026, 11, d))
        for d in (23, 24)
    )
    for activity in (kept, revoked):
        points.approve_activity(db.session, activity, reviewer, now)
    points.revoke_approval(db.session, revoked, reviewer, "重复", now)
    points.adjust_points(db.session, member, reviewer, Decimal(-5), "扣分", date(2026, 11, 24))
    db.session.commit()
    db.session.close()
    try:
        downgrade(revision="rankings")
    finally:
        upgrade()
    assert totals.differences(db.session) == []
    assert db.session.scalar(select(func.count()).select_from(SchoolTotal)) > 0
    assert db.session.scalar(select(func.count()).select_from(BranchTotal)) > 0


def test_upgrading_renames_notifications_about_activities(app, db, make, login):
    """Migration 0009: notifications stored as entry_* before read as activity_* after."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tracker.models import User

    member = make.member(make.branch())
    db.session.commit()
    member_id = member.id
    db.session.close()
    try:
        downgrade(revision="branch_member_index")
        db.session.execute(
            text(
                "INSERT INTO notification (user_id, kind, params, created_at) "
                "VALUES (:user, 'entry_approved', :params, CURRENT_TIMESTAMP)"
            ),
            {"user": member_id, "params": '{"title": "学习党章", "points": "2.0"}'},
        )
        db.session.commit()
        db.session.close()
    finally:
        upgrade()
    kinds = db.session.scalars(text("SELECT kind FROM notification")).all()
    assert kinds == ["activity_approved"]
    page = login(db.session.get(User, member_id)).get("/notifications/").get_data(as_text=True)
    assert "学习党章" in page


@pytest.mark.slow
@pytest.mark.postgres_only
def test_two_upgrades_at_once_both_succeed_on_postgresql(app, tmp_path):
    """The second `flask db upgrade` waits for the first's lock, then has nothing to do."""
    import os
    import subprocess
    import sys

    import sqlalchemy as sa

    base = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"{base.database}_upgrades"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        env = {
            **os.environ,
            "DATABASE_URL": base.set(database=name).render_as_string(hide_password=False),
            "TRACKER_INSTANCE_PATH": str(tmp_path),
        }
        command = [sys.executable, "-m", "flask", "--app", "tracker", "db", "upgrade"]
        runs = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert not any("Traceback" in out for out in outputs), outputs
        engine = sa.create_engine(base.set(database=name))
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        assert len(versions) == 1
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_sqlite_writes_ahead_and_waits_for_its_turn(app, db):
    """WAL (readers never block the writer) and a busy timeout on every SQLite connection."""
    from sqlalchemy import text

    from tracker.database import BUSY_TIMEOUT_MS

    if db.engine.dialect.name != "sqlite":
        assert db.session.scalar(text("SELECT 1")) == 1  # PostgreSQL needs none of it
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
