"""gunicorn's settings for the tracker: ``gunicorn -c gunicorn.conf.py 'tracker:create_app()'``.

Every value can be changed without editing this file, by an environment
variable (the systemd unit reads them from /etc/tracker/tracker.env):

GUNICORN_BIND          where to listen; 127.0.0.1:8000 (nginx in front)
WEB_CONCURRENCY        worker processes; default: one per CPU (at least 2) when failed
                       logins are counted in Redis, else 1 (see below)
GUNICORN_THREADS       threads per worker; 8
GUNICORN_TIMEOUT       seconds a request may take before its worker is restarted; 60
GUNICORN_ACCESS_LOG    file for the access log, "-" for standard output; "-"
GUNICORN_ERROR_LOG     file for gunicorn's own log and the app's, "-" for standard error; "-"
GUNICORN_LOG_LEVEL     info
PROMETHEUS_MULTIPROC_DIR  a folder of its own for the metrics of every worker (see
                       docs/deploy.md); emptied when gunicorn starts

GUNICORN_CMD_ARGS (gunicorn's own) still wins over all of these.
``systemctl reload tracker`` (SIGHUP) re-reads this file and replaces the
workers one by one with new ones running the new code: the app is not
preloaded, so a reload after ``git pull`` serves the new version.
"""

import os
import shutil

# Counted in memory, failed logins would be counted per worker (each would give
# an attacker a budget of its own), and the app refuses to start that way.
# As the app reads them: TRACKER_REDIS_URL is the limits' store unless another is named.
_LIMITS_STORE = os.environ.get("TRACKER_RATELIMIT_STORAGE_URI") or (
    os.environ.get("TRACKER_REDIS_URL") or "memory://"
)
_SHARED_LIMITS = not _LIMITS_STORE.startswith("memory://")
_DEFAULT_WORKERS = max(2, os.cpu_count() or 1) if _SHARED_LIMITS else 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or _DEFAULT_WORKERS)
# Threads, not more processes: most of a request's time is spent waiting for
# PostgreSQL, and a thread costs far less memory than a worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# A reload or stop lets requests in flight finish (an export may take a while).
graceful_timeout = 30
# nginx keeps connections to the app open (the upstream's keepalive).
keepalive = 5
# A worker is replaced after this many requests, so a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
preload_app = False

# systemctl reload and stop manage the server; no control socket in the app user's home
# (gunicorn 25.1 and later make one there unless told).
control_socket_disable = True

# The app alone decides which proxies to believe (TRACKER_TRUSTED_PROXIES);
# gunicorn believes none, so the two cannot disagree.
forwarded_allow_ips = ""

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address as the app believed it (behind a trusted proxy, from
# X-Forwarded-For), and the request id the app answered with, also in nginx's log.
access_log_format = (
    '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms request_id=%({x-request-id}o)s'
)


def on_starting(server):
    # Files of workers from an earlier run would be added to this run's counts.
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def pre_fork(server, worker):
    # The app checks at start that several workers do not count failed logins in
    # memory (tracker.limits); gunicorn knows best how many it runs.
    os.environ["TRACKER_WORKERS"] = str(server.num_workers)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
