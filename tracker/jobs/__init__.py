"""Background jobs on RQ (Redis Queue), or inline when there is no Redis.

Why RQ: of the three queues on Redis (RQ, Dramatiq, Celery) it is the
simplest: no broker to configure beyond the Redis the app already uses for
rate limits, pure Python, and a job is a plain function with arguments. The
tracker's jobs are few and coarse (an export, a rebuild, an import, the
reminders), so Celery's routing, canvas and result backends would be weight
without use.

The door that asks for work (a page, a command) calls ``submit`` (a ``Job``
row, flushed with the request's own writes), commits, then ``start``:

- with ``TRACKER_REDIS_URL`` the job goes on the queue and ``flask jobs
  worker`` runs it; the page polls the row for progress and the file;
- without it (a laptop, ``make run``, the tests on SQLite) ``start`` runs the
  job at once, in the request, so nothing needs a worker to work.

A job is safe to run twice (``runner.run``): the work and the DONE state
commit in one transaction, so a job found DONE is skipped, and a worker
killed mid-job left nothing committed. ``runner.recover`` puts a job whose
worker stopped beating back on the queue; ``flask jobs scheduler`` (RQ's
cron scheduler) runs it every minute, and the event and compliance
reminders every five.
"""

from tracker.jobs import builtin  # noqa: F401  (registers the built-in kinds)
from tracker.jobs.registry import Progress, handler, kinds
from tracker.jobs.runner import recover, run, start, submit

__all__ = ["Progress", "handler", "kinds", "recover", "run", "start", "submit"]
