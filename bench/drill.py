"""The multi-node drill (`make drill`): three app servers behind nginx, PostgreSQL, Redis,
an S3 object store and a job worker, all on loopback; 90 s of load from 200 members and
10 committee members, during which one app server and the worker are killed and restarted.

It prints requests/s, p50/p95/p99 by endpoint and the errors, then checks the books:
``flask check-ledger``, and every write against what the clients were told (nothing
told "booked" is missing, nothing is booked twice, every job ends DONE).

    python bench/drill.py [--seconds 90] [--members 200] [--committee 10]

Environment: DRILL_POSTGRES (a server's URL whose user may create databases; default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), DRILL_REDIS_URL (default
redis://127.0.0.1:6379/15; the drill's keys carry a queue name of its own), DRILL_PORT
(nginx's port; the app servers take the next three; default 8100). The database
``tracker_multinode_drill`` is dropped and made anew. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

from tracker.devtools.processes import children

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "tracker_multinode_drill"
# Seconds a simulated person waits between two actions: 210 people offer ~40 requests/s.
THINK = (2.0, 8.0)
PASSWORD = "bench-pass-2026"  # noqa: S105  (tracker.devtools.synthetic.BENCH_PASSWORD)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


# The arrangement ------------------------------------------------------------------


class Site:
    """Every process of the drill, started and stopped by it."""

    def __init__(self, work: Path, port: int, redis_url: str, postgres: str):
        self.work = work
        self.port = port
        self.app_ports = [port + 1, port + 2, port + 3]
        self.servers: dict[int, subprocess.Popen] = {}
        self.worker: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None
        self.moto = None
        admin = sa.make_url(postgres)
        self.database_url = admin.set(database=DATABASE).render_as_string(hide_password=False)
        self._admin = admin
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.database_url,
            # Every server must sign sessions alike; the drill's own key.
            "SECRET_KEY": uuid.uuid4().hex,
            "TRACKER_INSTANCE_PATH": str(work / "instance"),
            "TRACKER_REDIS_URL": redis_url,
            "TRACKER_JOB_QUEUE": f"drill-{os.getpid()}",
            "TRACKER_JOB_HEARTBEAT_SECONDS": "5",
            "TRACKER_TRUSTED_PROXIES": "1",
            "TRACKER_LOG_FORMAT": "json",
            # Logins are not what the drill measures: hashes cheap enough for 210 at once.
            "TRACKER_PASSWORD_TIME_COST": "1",
            "TRACKER_PASSWORD_MEMORY_KIB": "1024",
            "LC_MESSAGES": "C",
        }

    def log(self, name: str):
        return (self.work / f"{name}.log").open("ab")

    def database(self) -> None:
        engine = sa.create_engine(self._admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
        engine.dispose()

    def object_store(self) -> None:
        import boto3
        from moto.server import ThreadedMotoServer

        port = _free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.moto.start()
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"aws_access_key_id": "drill", "aws_secret_access_key": "drill-secret"}
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
            Bucket="drill"
        )
        self.env.update(
            TRACKER_STORAGE_URL="s3://drill/evidence",
            TRACKER_S3_ENDPOINT_URL=endpoint,
            TRACKER_S3_ACCESS_KEY_ID=keys["aws_access_key_id"],
            TRACKER_S3_SECRET_ACCESS_KEY=keys["aws_secret_access_key"],
            TRACKER_S3_ADDRESSING_STYLE="path",
        )

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [str(BIN / "flask"), "--app", "tracker", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
        )

    def seed(self, members: int, committee: int) -> None:
        self.flask("db", "upgrade")
        self.flask(
            "bench-seed",
            *("--members", str(members + committee), "--branches", str(committee)),
            *("--entries", "2000"),
        )

    def start_server(self, port: int) -> None:
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "8",
            "GUNICORN_ACCESS_LOG": str(self.work / f"access-{port}.log"),
            "PROMETHEUS_MULTIPROC_DIR": str(self.work / f"metrics-{port}"),
        }
        self.servers[port] = subprocess.Popen(  # noqa: S603
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "tracker:create_app()"],
            env=env,
            cwd=ROOT,
            stdout=self.log(f"app-{port}"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_server(self, port: int) -> None:
        os.killpg(self.servers[port].pid, signal.SIGKILL)
        self.servers[port].wait()

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(  # noqa: S603
            [str(BIN / "flask"), "--app", "tracker", "jobs", "worker"],
            env=self.env,
            cwd=ROOT,
            stdout=self.log("worker"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_worker(self) -> None:
        """The worker and its work horse (which puts itself in a group of its own)."""
        horses = children(self.worker.pid)
        for pid in (self.worker.pid, *horses):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.worker.wait()

    def start_nginx(self) -> None:
        upstreams = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in self.app_ports
        )
        temp = self.work / "nginx"
        temp.mkdir(exist_ok=True)
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = self.work / "nginx.conf"
        conf.write_text(
            f"""{user}
worker_processes 1;
daemon off;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream tracker_app {{
{upstreams}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        client_max_body_size 26m;
        location / {{
            proxy_pass http://tracker_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            # A server that refuses the connection: the next one (a request already
            # sent is never sent twice: POST is not retried once it reached a server).
            proxy_next_upstream error timeout;
            proxy_connect_timeout 1s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""
        )
        self.nginx = subprocess.Popen(  # noqa: S603
            ["/usr/sbin/nginx", "-c", str(conf), "-p", str(self.work)],
            stdout=self.log("nginx"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        for process in [*self.servers.values(), self.worker, self.nginx]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if self.moto is not None:
            self.moto.stop()
        import redis

        client = redis.Redis.from_url(self.env["TRACKER_REDIS_URL"])
        for key in client.scan_iter(f"*{self.env['TRACKER_JOB_QUEUE']}*"):
            client.delete(key)
        client.srem("rq:queues", f"rq:queue:{self.env['TRACKER_JOB_QUEUE']}")
        client.close()


# The load ------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the clients were told, and every request's time and outcome."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # (sent, answered, endpoint, answer), in seconds from the start of the load.
    error_times: list[tuple[float, float, str, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # submission key -> activity id
    sent_keys: set[str] = field(default_factory=set)
    approved: set[int] = field(default_factory=set)

    def note(self, endpoint: str, seconds: float, problem: str | None, at: float) -> None:
        with self.lock:
            self.timings[endpoint].append(seconds)
            if problem:
                self.errors[endpoint] += 1
                self.error_times.append((at, at + seconds, endpoint, problem))


class Client:
    """One simulated person: a token, then actions with think time until ``until``."""

    def __init__(self, base: str, student_no: str, ledger: Ledger, start: float, seed: int):
        self.base = base
        self.student_no = student_no
        self.ledger = ledger
        self.start = start
        self.rng = random.Random(seed)
        self.http = requests.Session()

    def call(self, endpoint: str, method: str, path: str, ok=(200, 201), **kwargs):
        began = time.monotonic()
        problem, answer = None, None
        try:
            answer = self.http.request(method, self.base + path, timeout=30, **kwargs)
            if answer.status_code not in ok:
                problem = str(answer.status_code)
        except requests.RequestException as error:
            problem = type(error).__name__
        self.ledger.note(endpoint, time.monotonic() - began, problem, began - self.start)
        return answer if problem is None else None

    def sign_in(self) -> bool:
        for _attempt in range(5):
            answer = self.call(
                "POST /tokens",
                "POST",
                "/api/v1/tokens",
                json={"student_no": self.student_no, "password": PASSWORD, "name": "drill"},
            )
            if answer is not None:
                self.http.headers["Authorization"] = f"Bearer {answer.json()['token']}"
                return True
            time.sleep(1)
        return False

    def think(self) -> None:
        time.sleep(self.rng.uniform(THINK[0], THINK[1]))


class Member(Client):
    def log_activity(self, day: date) -> None:
        key = uuid.uuid4().hex
        with self.ledger.lock:
            self.ledger.sent_keys.add(key)
        body = {
            "category": "volunteer",
            "occurred_on": day.isoformat(),
            "quantity": 1,
            "title": "社区志愿服务",
            "submission_key": key,
        }
        # At least once: a request whose answer was lost is sent again with the same key.
        for _attempt in range(3):
            answer = self.call("POST /activities", "POST", "/api/v1/activities", json=body)
            if answer is not None:
                with self.ledger.lock:
                    self.ledger.created[key] = answer.json()["id"]
                return
            time.sleep(0.5)

    def run(self, until: float) -> None:
        today = date.today()
        while time.monotonic() < until:
            roll = self.rng.random()
            if roll < 0.35:
                self.log_activity(today - timedelta(days=self.rng.randint(0, 3)))
            elif roll < 0.7:
                self.call("GET /activities", "GET", "/api/v1/activities?per_page=20")
            else:
                self.call("GET /leaderboard/members", "GET", "/api/v1/leaderboard/members")
            self.think()


class Committee(Client):
    me: int = 0

    def review_one(self) -> None:
        listed = self.call(
            "GET /activities?status=pending", "GET", "/api/v1/activities?status=pending"
        )
        if listed is None or not listed.json().get("items"):
            return
        # Never one's own: a committee member does not review their own activity.
        items = [i for i in listed.json()["items"] if i["member"]["id"] != self.me][:10]
        if not items:
            return
        item = self.rng.choice(items)
        path = f"/api/v1/activities/{item['id']}"
        read = self.call("GET /activities/{id}", "GET", path)
        if read is None:
            return
        answer = self.call(
            "POST /activities/{id}/approve",
            "POST",
            f"{path}/approve",
            ok=(200, 409),  # 409: another committee member or an edit was first
            headers={"If-Match": read.headers["ETag"]},
        )
        if answer is not None and answer.status_code == 200:
            with self.ledger.lock:
                self.ledger.approved.add(item["id"])

    def sign_in(self) -> bool:
        if not super().sign_in():
            return False
        me = self.call("GET /me", "GET", "/api/v1/me")
        self.me = me.json()["id"] if me is not None else 0
        return me is not None

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            if self.rng.random() < 0.7:
                self.review_one()
            else:
                self.call("GET /leaderboard/branches", "GET", "/api/v1/leaderboard/branches")
            self.think()


# The drill ---------------------------------------------------------------------------


def _people(site: Site, committee: int) -> tuple[list[str], list[str]]:
    engine = sa.create_engine(site.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT student_no, role FROM \"user\" WHERE student_no LIKE 'B0%'")
        ).all()
    engine.dispose()
    staff = sorted(no for no, role in rows if role.lower() == "committee")
    members = sorted(no for no, role in rows if role.lower() == "member")
    return members, staff[:committee]


def _wait_running(site: Site, seconds: float = 15) -> int:
    engine = sa.create_engine(site.database_url)
    deadline = time.monotonic() + seconds
    running = 0
    with engine.connect() as conn:
        while time.monotonic() < deadline and not running:
            running = conn.execute(
                sa.text("SELECT count(*) FROM job WHERE state = 'running'")
            ).scalar()
            conn.rollback()
            time.sleep(0.05)
    engine.dispose()
    return running


def _incidents(site: Site, seconds: float, events: list[tuple[float, str]]) -> None:
    """Kill and restart one app server at 1/3 of the run and the worker at 1/2."""
    started = time.monotonic()

    def at(fraction: float) -> None:
        time.sleep(max(0.0, started + seconds * fraction - time.monotonic()))

    victim = site.app_ports[1]
    at(1 / 3)
    site.kill_server(victim)
    events.append((time.monotonic() - started, f"killed app server :{victim}"))
    at(1 / 3 + 0.1)
    site.start_server(victim)
    events.append((time.monotonic() - started, f"restarted app server :{victim}"))
    at(1 / 2)
    # In the middle of a job: the rebuild asked for just before is running.
    running = _wait_running(site)
    site.kill_worker()
    events.append(
        (
            time.monotonic() - started,
            f"killed the job worker and its work horse ({running} job running)",
        )
    )
    at(1 / 2 + 0.05)
    site.start_worker()
    events.append((time.monotonic() - started, "restarted the job worker"))


def _jobs_during(site: Site, seconds: float, stop: threading.Event) -> None:
    """Stored-totals rebuilds on the queue at a fifth, just before half (so the worker is
    killed in the middle of one) and three quarters of the run; asked for as
    `rebuild-totals --background` does, from this process."""
    from tracker import create_app
    from tracker.extensions import db
    from tracker.jobs import runner
    from tracker.jobs.builtin import REBUILD_TOTALS

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": site.database_url,
            "TRACKER_REDIS_URL": site.env["TRACKER_REDIS_URL"],
            "TRACKER_JOB_QUEUE": site.env["TRACKER_JOB_QUEUE"],
            "SECRET_KEY": site.env["SECRET_KEY"],
        }
    )
    started = time.monotonic()
    with app.app_context():
        for fraction in (0.2, 0.49, 0.75):
            if stop.wait(max(0.0, started + seconds * fraction - time.monotonic())):
                break
            job = runner.submit(db.session, REBUILD_TOTALS, None)
            db.session.commit()
            runner.start(app, job)
        db.session.remove()
        db.engine.dispose()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(ledger: Ledger, seconds: float, events) -> None:
    total = sum(len(v) for v in ledger.timings.values())
    print(f"\n{total} requests in {seconds:.0f} s: {total / seconds:.1f} requests/s")
    print(f"{'endpoint':34} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for endpoint in sorted(ledger.timings):
        values = ledger.timings[endpoint]
        print(
            f"{endpoint:34} {len(values):6d} {statistics.median(values) * 1000:8.0f} "
            f"{_percentile(values, 0.95):8.0f} {_percentile(values, 0.99):8.0f} "
            f"{ledger.errors.get(endpoint, 0):6d}"
        )
    for moment, what in events:
        print(f"  {moment:5.1f} s  {what}")
    if ledger.error_times:
        print("errors (sent, answered: seconds into the run; endpoint, answer):")
        for sent, answered, endpoint, problem in sorted(ledger.error_times):
            print(f"  {sent:5.1f} s -> {answered:5.1f} s  {endpoint}  {problem}")


def verify(site: Site, ledger: Ledger) -> list[str]:
    """Every write against what the clients were told; the ledger against its totals."""
    problems = []
    checked = site.flask("check-ledger", check=False)
    print(checked.stdout.strip() or checked.stderr.strip())
    if checked.returncode != 0:
        problems.append("check-ledger found differences")
    engine = sa.create_engine(site.database_url)
    with engine.connect() as conn:
        booked = dict(
            conn.execute(
                sa.text("SELECT submission_key, id FROM activity WHERE submission_key IS NOT NULL")
            ).all()
        )
        awards = dict(
            conn.execute(
                sa.text(
                    "SELECT activity_id, count(*) FROM ledger_entry "
                    "WHERE kind = 'award' AND activity_id IS NOT NULL GROUP BY activity_id"
                )
            ).all()
        )
        approved = {
            row[0]
            for row in conn.execute(sa.text("SELECT id FROM activity WHERE status = 'approved'"))
        }
        unfinished = conn.execute(
            sa.text("SELECT count(*) FROM job WHERE state <> 'done'")
        ).scalar()
        jobs = conn.execute(sa.text("SELECT count(*), max(attempts) FROM job")).one()
    engine.dispose()
    lost = [k for k, i in ledger.created.items() if booked.get(k) != i]
    unknown = [k for k in booked if k not in ledger.created]
    stray = [k for k in booked if k not in ledger.sent_keys]
    double = [a for a, n in awards.items() if n > 1]
    unbooked = [a for a in ledger.approved if a not in approved or awards.get(a) != 1]
    print(
        f"activities: {len(ledger.created)} told created, {len(booked)} in the database "
        f"({len(unknown)} whose answer the client never got, each booked once), "
        f"{len(lost)} told but missing"
    )
    print(
        f"approvals: {len(ledger.approved)} told approved, {len(unbooked)} without exactly one "
        f"award; {len(double)} activities with more than one award"
    )
    print(f"jobs: {jobs[0]} run, at most {jobs[1]} attempts each, {unfinished} not done")
    for name, found in (
        ("lost", lost),
        ("stray", stray),
        ("double", double),
        ("unbooked", unbooked),
    ):
        if found:
            problems.append(f"{len(found)} {name}: {found[:5]}")
    if unfinished:
        problems.append(f"{unfinished} jobs not done")
    return problems


def _finish_jobs(site: Site, seconds: float = 180) -> None:
    """Recover the job the killed worker held (once its beat has stopped), and wait for
    the worker to empty the queue."""
    engine = sa.create_engine(site.database_url)
    deadline = time.monotonic() + seconds
    recovered_at = 0.0
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                left = conn.execute(
                    sa.text("SELECT count(*) FROM job WHERE state <> 'done'")
                ).scalar()
            if not left:
                return
            if time.monotonic() - recovered_at > 20:
                time.sleep(6)  # TRACKER_JOB_HEARTBEAT_SECONDS and a little more
                site.flask("jobs", "recover", check=False)
                recovered_at = time.monotonic()
            time.sleep(1)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--committee", type=int, default=10)
    options = parser.parse_args()
    postgres = os.environ.get(
        "DRILL_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("DRILL_REDIS_URL", "redis://127.0.0.1:6379/15")
    port = int(os.environ.get("DRILL_PORT", "8100"))
    work = Path(tempfile.mkdtemp(prefix="tracker-drill-"))
    site = Site(work, port, redis_url, postgres)
    print(f"drill: logs in {work}")
    try:
        site.database()
        site.object_store()
        site.seed(options.members, options.committee)
        for app_port in site.app_ports:
            site.start_server(app_port)
        site.start_worker()
        site.start_nginx()
        for app_port in site.app_ports:
            _wait_for(f"http://127.0.0.1:{app_port}/readyz")
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        members, staff = _people(site, options.committee)
        ledger = Ledger()
        base = f"http://127.0.0.1:{port}"
        start = time.monotonic()
        people = [Member(base, no, ledger, start, n) for n, no in enumerate(members)]
        people += [Committee(base, no, ledger, start, -n - 1) for n, no in enumerate(staff)]
        # Everyone signs in first (a token each), twenty at a time; then the load begins.
        with ThreadPoolExecutor(20) as pool:
            signed = sum(pool.map(lambda p: p.sign_in(), people))
        print(f"signed in: {signed} of {len(people)} in {time.monotonic() - start:.1f} s")
        people = [p for p in people if "Authorization" in p.http.headers]
        ledger.timings.clear()
        start = time.monotonic()
        until = start + options.seconds
        for person in people:
            person.start = start
        print(f"load: {len(members)} members, {len(staff)} committee members, {options.seconds} s")
        events: list[tuple[float, str]] = []
        stop = threading.Event()
        threads = [threading.Thread(target=p.run, args=(until,), daemon=True) for p in people]
        threads.append(threading.Thread(target=_incidents, args=(site, options.seconds, events)))
        jobs = threading.Thread(target=_jobs_during, args=(site, options.seconds, stop))
        for thread in (*threads, jobs):
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        jobs.join()
        elapsed = time.monotonic() - start
        report(ledger, elapsed, events)
        _finish_jobs(site)
        problems = verify(site, ledger)
    finally:
        site.stop()
    if problems:
        print("DRILL FAILED: " + "; ".join(problems))
        return 1
    print("drill passed: nothing lost, nothing booked twice")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
