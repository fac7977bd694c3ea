"""Prometheus metrics: request latency by endpoint, ledger rows committed, the job queue.

prometheus_client is the Prometheus project's own client: it writes the
exposition format, and its multiprocess mode adds up what gunicorn's workers
counted (each worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR,
and whichever worker answers /metrics reads them all; gunicorn.conf.py
empties the folder at start and marks dead workers). Without that variable
each process counts for itself, as the development server and tests do.

/metrics answers only the addresses in TRACKER_METRICS_ALLOW (loopback by
default), as the app sees them: behind a trusted proxy, the client's.
"""

from __future__ import annotations

import ipaddress
import os
import time

import redis
from flask import Flask, g, request, request_finished, request_started
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.models import LedgerEntry

REQUEST_SECONDS = Histogram(
    "tracker_request_duration_seconds",
    "Time from a request's start to its answer, by endpoint",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RESPONSES = Counter(
    "tracker_responses_total", "Answers given, by endpoint and status", ["endpoint", "status"]
)
LEDGER_ENTRIES = Counter("tracker_ledger_entries_total", "Ledger rows committed, by kind", ["kind"])
# A path no route matches: one label for all of them, so a scan cannot grow the series.
UNMATCHED = "unmatched"
_PENDING = "tracker.metrics.ledger_kinds"


def allowed_networks(value: str | list[str] | tuple[str, ...]) -> tuple:
    """TRACKER_METRICS_ALLOW: addresses or networks separated by commas; empty allows none."""
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in parts if p.strip())


def may_read(remote_addr: str | None, networks: tuple) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def exposition() -> tuple[bytes, str]:
    """Every worker's numbers under gunicorn's multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def queue_length(config) -> bytes:
    """The jobs waiting for a worker, read from Redis at each scrape (RQ keeps a queue as a
    list under ``rq:queue:<name>``); nothing when there is no queue or Redis is away."""
    url = config.get("TRACKER_REDIS_URL")
    if not url:
        return b""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        waiting = client.llen(f"rq:queue:{config['TRACKER_JOB_QUEUE']}")
    except (redis.RedisError, OSError):
        return b""
    finally:
        client.close()
    return (
        b"# HELP tracker_job_queue_length Jobs waiting for a worker\n"
        b"# TYPE tracker_job_queue_length gauge\n"
        + f"tracker_job_queue_length {waiting}\n".encode()
    )


def _started(_app, **_extra) -> None:
    g.metrics_started = time.perf_counter()


def _finished(_app, response, **_extra) -> None:
    started = g.pop("metrics_started", None)
    endpoint = request.endpoint or UNMATCHED
    if started is not None:
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
    RESPONSES.labels(endpoint, str(response.status_code)).inc()


# Ledger rows count when their transaction commits: a rolled-back award was never booked.
def _remember_flushed(session, _context) -> None:
    kinds = [str(row.kind) for row in session.new if isinstance(row, LedgerEntry)]
    if kinds:
        session.info.setdefault(_PENDING, []).extend(kinds)


def _count_committed(session) -> None:
    for kind in session.info.pop(_PENDING, []):
        LEDGER_ENTRIES.labels(kind).inc()


def _forget_rolled_back(session) -> None:
    session.info.pop(_PENDING, None)


def _listen_to_sessions() -> None:
    for name, listener in (
        ("after_flush", _remember_flushed),
        ("after_commit", _count_committed),
        ("after_rollback", _forget_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def init_app(app: Flask) -> None:
    request_started.connect(_started, app)
    request_finished.connect(_finished, app)
    _listen_to_sessions()
