"""Background jobs: on a real Redis and a real RQ worker, and inline without Redis.

A large export and a points import run on the worker while their page shows
progress; the file is its requester's only; a worker killed mid-job (a real
process, SIGKILL) leaves nothing booked, and the job, put back on the queue,
books once.
"""

from __future__ import annotations

import html
import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from decimal import Decimal

import pytest
import redis
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker import create_app
from tracker.config import PROJECT_ROOT
from tracker.devtools.processes import children
from tracker.jobs import runner
from tracker.jobs.builtin import REBUILD_TOTALS, REMINDERS
from tracker.ledger import points, totals
from tracker.models import AuditEvent, EntryKind, Job, JobState, LedgerEntry, MemberTotal
from tracker.probes import redis_urls

from .conftest import BASE_CONFIG, missing
from .conftest import FROZEN_NOW as NOW
from .files import xlsx

REDIS_URL = "redis://127.0.0.1:6379/5"


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        missing("Redis not reachable at 127.0.0.1:6379 (Debian: apt install redis-server)")
    return client


@pytest.fixture
def queue(app):
    """The app on Redis db 5, with a queue of this test's own (xdist workers share the db)."""
    client = _redis_or_skip()
    name = f"test-{uuid.uuid4().hex[:12]}"
    app.config.update(TRACKER_REDIS_URL=REDIS_URL, TRACKER_JOB_QUEUE=name)
    yield name
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)
    client.srem("rq:queues", f"rq:queue:{name}")  # RQ's list of every queue
    client.close()


def _work(app) -> None:
    """Every job on the queue, by an RQ worker in this process (SimpleWorker: no fork)."""
    from rq import SimpleWorker

    from tracker.extensions import db

    db.session.commit()  # the test's own transaction ends: SQLite has one writer
    SimpleWorker([runner.queue(app)], connection=runner.connection(app)).work(
        burst=True, logging_level="WARNING"
    )


def _job(db, job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


# Settings ----------------------------------------------------------------------


def test_one_redis_setting_serves_the_limits_the_queue_and_readyz(tmp_path, monkeypatch):
    config = {k: v for k, v in BASE_CONFIG.items() if k != "RATELIMIT_STORAGE_URI"}
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 't.db'}"
    app = create_app({**config, "TRACKER_REDIS_URL": REDIS_URL})
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert redis_urls(app.config) == [REDIS_URL]  # checked once, not twice
    # A separate store for the limits still wins, and /readyz asks both.
    monkeypatch.setenv("TRACKER_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")
    app = create_app({**config, "TRACKER_REDIS_URL": REDIS_URL})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    assert redis_urls(app.config) == [REDIS_URL, "redis://127.0.0.1:1/0"]
    monkeypatch.delenv("TRACKER_RATELIMIT_STORAGE_URI")
    assert create_app(config).config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_readyz_checks_the_queues_redis(app, client):
    _redis_or_skip()
    app.config["TRACKER_REDIS_URL"] = "redis://127.0.0.1:1/0"
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["checks"]["redis"] == "unreachable"
    app.config["TRACKER_REDIS_URL"] = REDIS_URL
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.json["checks"]["redis"] == "ok"


# Without Redis: inline --------------------------------------------------------------


def test_without_redis_a_job_runs_in_the_request_and_only_once(app, db, make, member):
    points.approve_activity(db.session, make.activity(member, quantity=60), None, NOW)
    db.session.commit()
    job = runner.submit(db.session, REBUILD_TOTALS, None)
    db.session.commit()
    assert runner.start(app, job) is False  # ran here, no queue
    job = _job(db, job.id)
    assert job.state == JobState.DONE and job.attempts == 1 and job.result["rows"] > 0
    assert job.done_steps == job.total_steps > 0  # the tables rebuilt, one by one
    assert totals.differences(db.session) == []
    # Run again (a re-delivery): a DONE job is not done again.
    assert runner.run(job.id) is None and _job(db, job.id).attempts == 1

    reminders = runner.submit(db.session, REMINDERS, None, {"within": 60})
    db.session.commit()
    runner.start(app, reminders)
    assert _job(db, reminders.id).result == {"events": 0, "meetings": 0}


def test_without_redis_a_large_export_is_sent_at_once(app, db, make, committee, login):
    app.config["TRACKER_EXPORT_JOB_ROWS"] = 0
    make.activity(make.member(committee.branch))
    answer = login(committee).get("/export/activities.csv?period=month")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_job_that_fails_says_why_and_books_nothing(app, db, queue):
    job = runner.submit(
        db.session,
        "import-points",
        None,
        {"staged": "points-import-gone.upload", "source": "xuexi", "locale": "en"},
    )
    db.session.commit()
    assert runner.start(app, job) is True
    _work(app)
    job = _job(db, job.id)
    # Worded in the requester's language (the job's), not the worker's.
    assert job.state == JobState.FAILED and "upload it again" in job.error, job.error


# On a real queue -------------------------------------------------------------


def test_metrics_tell_the_queues_length(app, db, client, queue):
    assert b"tracker_job_queue_length 0" in client.get("/metrics").data
    for _ in range(2):
        job = runner.submit(db.session, REBUILD_TOTALS, None)
        db.session.commit()
        runner.start(app, job)
    assert b"tracker_job_queue_length 2" in client.get("/metrics").data
    _work(app)
    assert b"tracker_job_queue_length 0" in client.get("/metrics").data


def test_a_large_export_runs_on_the_worker_and_only_its_requester_gets_the_file(
    app, db, make, branch, committee, login, queue, clock
):
    app.config["TRACKER_EXPORT_JOB_ROWS"] = 2
    members = [make.member(branch) for _ in range(3)]
    for person in members:
        make.activity(person, title=f"学习 {person.name}")
    client = login(committee)
    answer = client.get("/export/activities.xlsx?period=month")
    assert answer.status_code == 302
    job_id = int(re.search(r"/jobs/(\d+)$", answer.headers["Location"]).group(1))
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-state="queued"' in page and 'http-equiv="refresh"' in page
    assert client.get(f"/jobs/{job_id}/file").status_code == 404  # not ready yet
    # Another person, even of the same branch, has neither the page nor the file.
    other = login(make.committee(branch))
    assert other.get(f"/jobs/{job_id}").status_code == 404

    _work(app)

    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-state="done"' in page and "http-equiv" not in page and "3 " in page
    got = client.get(f"/jobs/{job_id}/file")
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    body = got.get_data()
    got.close()  # the file the store opened for sending
    rows = list(load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))
    assert sorted(r[5] for r in rows[2:]) == sorted(f"学习 {p.name}" for p in members)
    assert rows[1][0] == "日期"  # in the requester's language
    assert other.get(f"/jobs/{job_id}/file").status_code == 404
    assert login(members[0]).get(f"/jobs/{job_id}/file").status_code == 404
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [e.details["rows"] for e in exported] == [3]


def _preview_and_confirm(client) -> int:
    """A 志愿汇 report previewed and accepted on the pages; the job's id."""
    data = xlsx([("学号", "姓名", "时长"), ("2023001", "张三", 2), ("2023002", "李四", 1.5)])
    form = {"source": "zyh", "period": "week", "day": date.today().isoformat()}
    page = client.post(
        "/points/import",
        data={**form, "file": (io.BytesIO(data), "h.xlsx")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    staged = re.search(r'name="staged" value="([0-9a-f]{32})"', text).group(1)
    params = html.unescape(re.search(r'name="params" value="([^"]*)"', text).group(1))
    done = client.post("/points/import/confirm", data={"staged": staged, "params": params})
    assert done.status_code == 302 and "/jobs/" in done.headers["Location"]
    return int(done.headers["Location"].rsplit("/", 1)[1])


def _external(db) -> tuple[int, Decimal]:
    db.session.expire_all()
    return db.session.execute(
        select(func.count(), func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.kind == EntryKind.EXTERNAL
        )
    ).one()


def _worker(app, tmp_path, *extra: str) -> subprocess.Popen:
    """``flask jobs worker`` in a process (and process group) of its own: it forks a work
    horse for each job, as on a server."""
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TRACKER_INSTANCE_PATH": str(tmp_path),  # uploads/ there, as the app's
        "TRACKER_REDIS_URL": REDIS_URL,
        "TRACKER_JOB_QUEUE": app.config["TRACKER_JOB_QUEUE"],
        "TRACKER_JOB_HEARTBEAT_SECONDS": "1",
    }
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "uploads")
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "tracker", "jobs", "worker", *extra],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _until(check, seconds: float = 30, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"waited {seconds} s for {what}")


@pytest.mark.slow
@pytest.mark.postgres_only
def test_a_worker_killed_mid_import_leaves_nothing_and_the_rerun_books_once(
    app, db, make, branch, login, queue, tmp_path
):
    app.config["TRACKER_JOB_HEARTBEAT_SECONDS"] = 1
    committee = make.committee(branch)
    make.member(branch, name="张三", student_no="2023001")
    make.member(branch, name="李四", student_no="2023002")
    job_id = _preview_and_confirm(login(committee))
    assert _job(db, job_id).state == JobState.QUEUED

    # Hold the ledger: the job gets as far as booking and waits there, mid-transaction.
    locker = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"]).connect()
    locker.execute(sa.text("LOCK TABLE ledger_entry IN ACCESS EXCLUSIVE MODE"))
    worker = _worker(app, tmp_path)
    waiting = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'ledger_entry' AND NOT l.granted"
    )
    try:
        _until(lambda: db.session.scalar(waiting), what="the job to wait on the ledger")
        assert _job(db, job_id).state == JobState.RUNNING
        # The machine is lost: the worker and the work horse running the job, at once.
        horses = children(worker.pid)
        assert horses, "the worker forks a work horse for the job"
        for pid in (worker.pid, *horses):
            os.kill(pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        locker.rollback()
        locker.close()
        locker.engine.dispose()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        worker.stdout.close()
    db.session.rollback()
    assert _external(db) == (0, 0)  # nothing of the killed run stands
    assert _job(db, job_id).state == JobState.RUNNING  # as the killed worker left it

    # Its beat stops: the scheduler's recovery puts it back on the queue.
    def recovered():
        lost = runner.recover(app, db.session)
        db.session.commit()
        return lost

    assert _until(recovered, 10, "the job to be recovered") == [job_id]
    runner.requeue(app, [job_id])
    # A second job behind it: one worker forks a work horse for each, and the two must not
    # share the worker's database connection.
    rebuild = runner.submit(db.session, REBUILD_TOTALS, None)
    db.session.commit()
    runner.start(app, rebuild)
    again = _worker(app, tmp_path, "--burst")
    output = again.communicate(timeout=90)[0].decode()
    assert again.returncode == 0, output

    job = _job(db, job_id)
    assert job.state == JobState.DONE and job.attempts == 2, (job.error, output)
    assert _job(db, rebuild.id).state == JobState.DONE, _job(db, rebuild.id).error
    assert job.result["applied"] and job.result["rows"] == 2
    assert _external(db) == (2, Decimal("3.5"))
    assert totals.differences(db.session) == []
    # Delivered once more (RQ at-least-once): DONE, so nothing is booked again.
    assert runner.run(job_id) is None and _external(db) == (2, Decimal("3.5"))
    page = login(committee).get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-state="done"' in page and "/points/reconcile" in page


def test_rebuild_totals_in_the_background_and_the_worker_command(app, db, make, member, queue):
    points.approve_activity(db.session, make.activity(member, quantity=60), None, NOW)
    db.session.execute(sa.delete(MemberTotal))  # damaged: the rebuild mends it
    db.session.commit()
    assert totals.differences(db.session)
    cli = app.test_cli_runner()
    result = cli.invoke(args=["rebuild-totals", "--background"])
    assert result.exit_code == 0 and "on the queue" in result.output, result.output
    job = db.session.scalars(select(Job)).one()
    assert job.kind == REBUILD_TOTALS and job.state == JobState.QUEUED
    _work(app)
    assert _job(db, job.id).state == JobState.DONE
    assert totals.differences(db.session) == []

    app.config["TRACKER_REDIS_URL"] = ""
    result = cli.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 1 and "TRACKER_REDIS_URL is not set" in result.output


def test_the_schedule_sends_reminders_and_forgets_nothing_a_person_asked_for(app, db, queue):
    assert runner.scheduled_reminders() == "done"
    job = db.session.scalars(select(Job)).one()
    assert job.kind == REMINDERS and job.user_id is None and job.state == JobState.DONE
    assert runner.scheduled_recovery() == []
