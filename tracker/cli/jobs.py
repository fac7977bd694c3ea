"""``flask jobs ...``: the job worker, the scheduler, and putting lost jobs back."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import text

from tracker.cli.failures import CommandFailed
from tracker.extensions import db
from tracker.jobs import runner

# How often the scheduler sends each of its jobs, in seconds.
REMINDERS_EVERY = 300
RECOVERY_EVERY = 60


def _queue_or_refuse():
    app = current_app._get_current_object()
    # The database first: a worker that cannot reach it could only fail every job.
    db.session.execute(text("SELECT 1"))
    db.session.remove()
    # The worker forks a process per job: it keeps no connection for them to inherit.
    db.engine.dispose()
    if not runner.redis_url(app):
        raise CommandFailed(
            _(
                "TRACKER_REDIS_URL is not set: jobs run in the request or command that asks "
                "for them, and no worker or scheduler is needed."
            )
        )
    return app


@click.group("jobs")
def jobs() -> None:
    """Background jobs on Redis (TRACKER_REDIS_URL): worker, scheduler, recovery."""


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run jobs from the queue (each in a process of its own) until stopped."""
    from rq import Worker

    app = _queue_or_refuse()
    Worker([runner.queue(app)], connection=runner.connection(app)).work(
        burst=burst, logging_level="INFO"
    )


@jobs.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Send the reminders every 5 minutes and recover lost jobs every minute (run one)."""
    from rq.cron import CronScheduler

    app = _queue_or_refuse()
    cron = CronScheduler(connection=runner.connection(app))
    cron.register(runner.scheduled_reminders, runner.queue_name(app), interval=REMINDERS_EVERY)
    cron.register(runner.scheduled_recovery, runner.queue_name(app), interval=RECOVERY_EVERY)
    cron.start()


@jobs.command("recover")
@with_appcontext
def recover() -> None:
    """Put back on the queue each job whose worker stopped (the scheduler does it too)."""
    app = _queue_or_refuse()
    lost = runner.recover(app, db.session)
    db.session.commit()
    runner.requeue(app, lost)
    click.echo(
        ngettext(
            "Put %(num)d job back on the queue.", "Put %(num)d jobs back on the queue.", len(lost)
        )
    )
