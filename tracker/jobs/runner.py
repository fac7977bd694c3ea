"""Submitting, queueing, running and recovering jobs."""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from datetime import timedelta
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.jobs.registry import Progress, beat_key, kinds, progress_key
from tracker.models import Job, JobState, User

# An export of the whole school or a rebuild can take minutes; past this RQ gives up.
JOB_TIMEOUT_SECONDS = 3600
# Jobs no person waits for (the reminders) are forgotten after this long.
KEEP_UNATTENDED = timedelta(days=7)


def redis_url(app: Flask) -> str:
    return app.config.get("TRACKER_REDIS_URL") or ""


def connection(app: Flask) -> redis.Redis:
    return redis.Redis.from_url(redis_url(app), socket_connect_timeout=5)


def queue_name(app: Flask) -> str:
    return app.config["TRACKER_JOB_QUEUE"]


def queue(app: Flask):
    from rq import Queue

    return Queue(queue_name(app), connection=connection(app))


def rq_id(app: Flask, job_id: int) -> str:
    return f"{queue_name(app)}-job-{job_id}"


def submit(
    session: Session, kind: str, user: User | None, params: dict[str, Any] | None = None
) -> Job:
    """A QUEUED job of ``kind`` for ``user`` (None: the schedule or a command), flushed.

    The door commits, then calls ``start``: a worker must find the row it is sent.
    """
    if kind not in kinds():
        raise ValueError(f"no job of kind {kind!r}")
    job = Job(kind=kind, user_id=user.id if user else None, params=params or {})
    session.add(job)
    session.flush()
    return job


def start(app: Flask, job: Job) -> bool:
    """Send a committed job to the queue; without TRACKER_REDIS_URL run it here and now.

    True when it went to the queue (the caller shows its page), False when it ran.
    """
    if not redis_url(app):
        run(job.id)
        return False
    _enqueue(app, job.id)
    return True


def _enqueue(app: Flask, job_id: int) -> None:
    from rq.job import Job as RqJob

    conn = connection(app)
    # A job sent again (recovered) replaces the record RQ kept of its last try.
    if RqJob.exists(rq_id(app, job_id), connection=conn):
        RqJob.fetch(rq_id(app, job_id), connection=conn).delete()
    queue(app).enqueue(
        "tracker.jobs.runner.perform",
        job_id,
        job_id=rq_id(app, job_id),
        job_timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


# Running ---------------------------------------------------------------------


def _claim(session: Session, job_id: int, progress: Progress) -> bool:
    """Mark the job RUNNING (committed, so its page says so); False when there is nothing
    to do: it is gone, or DONE already."""
    job = session.scalar(select(Job).where(Job.id == job_id).with_for_update())
    if job is None or job.state == JobState.DONE:
        session.rollback()
        return False
    now = utcnow()
    job.state = JobState.RUNNING.value
    job.attempts += 1
    job.started_at = now
    job.heartbeat_at = now
    job.error = None
    # Beating before RUNNING is visible: recovery never takes a job just claimed for lost.
    progress.beat()
    session.commit()
    return True


class _Beat(threading.Thread):
    """Tells Redis the job's worker lives, until the job ends; a killed worker stops."""

    def __init__(self, progress: Progress):
        super().__init__(daemon=True)
        self.progress = progress
        self.stopped = threading.Event()

    def run(self) -> None:
        every = max(self.progress.beat_seconds / 3, 0.2)
        while not self.stopped.wait(every):
            with contextlib.suppress(redis.RedisError):
                self.progress.beat()


def run(job_id: int) -> JobState | None:
    """Do the job once, whoever calls (a worker, or the request without a queue).

    Guarantees: a DONE job is not done again; the handler's writes commit together with
    the DONE state and the result, or not at all; a failure leaves the job FAILED with
    its reason and nothing of its work. Returns the state it ended in (None: nothing done).
    """
    session = db.session
    app = current_app._get_current_object()
    client = connection(app) if redis_url(app) else None
    progress = Progress(
        job_id, client, app.config["TRACKER_JOB_HEARTBEAT_SECONDS"], queue_name(app)
    )
    if not _claim(session, job_id, progress):
        if client is not None:
            client.close()
        return None
    # The row stays locked until the work commits: a second runner of the same job
    # (a recovery racing a slow worker) waits here, then finds it DONE.
    job = session.scalar(select(Job).where(Job.id == job_id).with_for_update())
    if job.state == JobState.DONE:
        session.rollback()
        return None
    beat = _Beat(progress)
    if client is not None:
        beat.start()
    kind = job.kind
    try:
        # Words a job writes (a file's headings, a failure) are in its requester's language.
        with force_locale(job.params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
            kinds()[kind](session, job, progress)
        job.state = JobState.DONE.value
        job.done_steps, job.total_steps = progress.done, progress.total
        job.finished_at = utcnow()
        session.commit()
        return JobState.DONE
    except Exception as error:  # noqa: BLE001  (any failure is the job's, shown on its page)
        session.rollback()
        current_app.logger.error("job %s (%s) failed: %s", job_id, kind, error)
        failed = session.get(Job, job_id)
        failed.state = JobState.FAILED.value
        # A domain error is worded for the requester; anything else is named for the operator.
        told = str(error) if isinstance(error, DomainError) else None
        failed.error = (told or "".join(traceback.format_exception_only(error)).strip())[:2000]
        failed.finished_at = utcnow()
        session.commit()
        return JobState.FAILED
    finally:
        beat.stopped.set()
        if client is not None:
            client.delete(beat_key(queue_name(app), job_id))
            client.close()


_forked = False


def _note_fork() -> None:
    global _forked
    _forked = True


# RQ forks a work horse for each job from the worker, whose pool may hold connections:
# a horse must open its own (two processes on one connection corrupt each other's state).
os.register_at_fork(after_in_child=_note_fork)


def _fresh_connections_after_fork() -> None:
    global _forked
    if _forked:
        db.engine.dispose(close=False)
        _forked = False


def _worker_app() -> Flask:
    # ``flask jobs worker`` built the app and pushed its context; each job's process is
    # forked from it. A bare ``rq worker`` would have neither the app nor its settings.
    if not has_app_context():
        raise RuntimeError("run jobs with `flask --app tracker jobs worker`, not `rq worker`")
    return current_app._get_current_object()


def perform(job_id: int) -> str | None:
    """RQ's entry point: run the job in an app context of its own."""
    app = _worker_app()
    with app.app_context():
        _fresh_connections_after_fork()
        state = run(job_id)
        db.session.remove()
    return state.value if state else None


# Progress and recovery ---------------------------------------------------------


def live_progress(app: Flask, job: Job) -> tuple[int, int]:
    """Steps done and to do: from Redis while the job runs, else from its row."""
    if job.state == JobState.RUNNING and redis_url(app):
        try:
            told = connection(app).hgetall(progress_key(queue_name(app), job.id))
        except redis.RedisError:
            told = {}
        if told:
            return int(told[b"done"]), int(told[b"total"])
    return job.done_steps, job.total_steps


def recover(app: Flask, session: Session) -> list[int]:
    """Put back on the queue each job whose worker went away: RUNNING with no beat, or
    QUEUED for longer than a beat with no RQ job behind it (Redis was restarted).
    Returns their ids; the door commits."""
    from rq.job import Job as RqJob

    if not redis_url(app):
        return []
    conn = connection(app)
    patience = timedelta(seconds=app.config["TRACKER_JOB_HEARTBEAT_SECONDS"])
    unfinished = session.scalars(
        select(Job).where(Job.state.in_([JobState.RUNNING.value, JobState.QUEUED.value]))
    ).all()
    lost = []
    for job in unfinished:
        if job.state == JobState.RUNNING:
            gone = not conn.exists(beat_key(queue_name(app), job.id))
        else:
            gone = job.created_at < utcnow() - patience and not RqJob.exists(
                rq_id(app, job.id), connection=conn
            )
        if gone:
            job.state = JobState.QUEUED.value
            lost.append(job.id)
    session.flush()
    return lost


def requeue(app: Flask, job_ids: list[int]) -> None:
    """After the door committed ``recover``'s answer."""
    for job_id in job_ids:
        _enqueue(app, job_id)


def forget_old(session: Session) -> int:
    """Delete finished jobs nobody asked for (the schedule's), older than KEEP_UNATTENDED."""
    old = session.scalars(
        select(Job).where(
            Job.user_id.is_(None),
            Job.state.in_([JobState.DONE.value, JobState.FAILED.value]),
            Job.created_at < utcnow() - KEEP_UNATTENDED,
        )
    ).all()
    for job in old:
        session.delete(job)
    session.flush()
    return len(old)


# What the scheduler sends -------------------------------------------------------


def scheduled_reminders() -> str | None:
    """On the worker, every few minutes: a reminders job, recorded and run here."""
    from tracker.jobs.builtin import REMINDERS

    app = _worker_app()
    with app.app_context():
        _fresh_connections_after_fork()
        job = submit(db.session, REMINDERS, None, {"within": 60})
        db.session.commit()
        state = run(job.id)
        db.session.remove()
    return state.value if state else None


def scheduled_recovery() -> list[int]:
    """On the worker, every minute: lost jobs back on the queue, old unattended ones gone."""
    app = _worker_app()
    with app.app_context():
        _fresh_connections_after_fork()
        lost = recover(app, db.session)
        forget_old(db.session)
        db.session.commit()
        requeue(app, lost)
        db.session.remove()
    return lost
