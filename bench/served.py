"""Boards, dashboards, exports and approvals timed through HTTP, where users meet them.

Seeds a database with ``flask bench-seed`` (unless --reuse; the same data as
bench/rankings.py), serves it with gunicorn (2 workers) on 127.0.0.1, logs in
as a member, a committee member, an advisor and an administrator over HTTP
(forms and CSRF tokens as a browser sends them) and times every board,
dashboard, JSON endpoint, export and approval: p50, p95 and p99 in ms. In the
same run the naive GROUP BY over the ledger answers the same questions, and
each line says how many times slower it is than the page.

--mixed SECONDS then runs a bounded mixed load (80 % reads, 20 % writes: a
member logging an activity through the API, the committee approving one through
the review page) from --clients threads, prints requests/s, p95 and errors,
and ends with ``check-ledger``.

    python bench/served.py --url sqlite:////tmp/bench.db --entries 1000000
    python bench/served.py --reuse --mixed 60 \\
      --url 'postgresql+psycopg://postgres@127.0.0.1:5432/DB?options=-csearch_path%3Dbench'

Loopback only; benchmark figures, not tests: nothing here fails on a slow result.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

os.environ.setdefault("TRACKER_INSTANCE_PATH", tempfile.mkdtemp(prefix="tracker-bench-"))

import rankings  # noqa: E402  (bench/rankings.py: the same data, seeded the same way)
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.clock import campus_today  # noqa: E402
from tracker.devtools.synthetic import BENCH_PASSWORD  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.ledger import totals  # noqa: E402
from tracker.models import Activity, ActivityStatus, Role, Term, User  # noqa: E402
from tracker.people.tokens import issue_token  # noqa: E402
from tracker.settings import setting  # noqa: E402

TIMEOUT = 60
# Members of the committee's branch who log what it approves: each of their logs
# takes a half-hour slot on one of the days they may log, and two logs of one member
# must not overlap (the product refuses that), so the slots are shared out among them.
LOGGERS = 20
SLOTS = [f"{hour:02d}:{minute:02d}" for hour in range(6, 23) for minute in (0, 30)]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NAIVE = {
    # The questions the naive way: one GROUP BY over the ledger rows of the period.
    "school": """SELECT user_id, SUM(points_tenths) AS s,
                 RANK() OVER (ORDER BY SUM(points_tenths) DESC) AS r
                 FROM ledger_entry WHERE earned_on BETWEEN :a AND :b
                 GROUP BY user_id ORDER BY s DESC LIMIT 50""",
    "branch": """SELECT user_id, SUM(points_tenths) AS s FROM ledger_entry
                 WHERE earned_on BETWEEN :a AND :b AND branch_id = :branch
                 GROUP BY user_id ORDER BY s DESC""",
    "branches": """SELECT branch_id, SUM(points_tenths) AS s, COUNT(DISTINCT user_id) AS m
                   FROM ledger_entry WHERE earned_on BETWEEN :a AND :b
                   GROUP BY branch_id ORDER BY s DESC""",
}


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return at(0.5), at(0.95), at(0.99)


def line(name: str, samples: list[float], extra: str = "") -> float:
    p50, p95, p99 = percentiles(samples)
    figures = f"{p50 * 1000:8.1f} {p95 * 1000:8.1f} {p99 * 1000:8.1f} {len(samples):5d}"
    print(f"{name:<62} {figures} {extra}", flush=True)
    return p95


def timed(call, repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


class Server:
    """gunicorn with 2 workers on loopback, serving the database at ``url``."""

    def __init__(self, url: str, port: int, workers: int = 2, threads: int = 4):
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-http",
            "TRACKER_HTTPS": "false",
            "PYTHONPATH": str(ROOT),
            # Failed logins counted per worker in memory are harmless here (one
            # client, right passwords); the app refuses several workers that way.
            "TRACKER_WORKERS": "1",
        }
        # Started from an empty folder: the project's gunicorn.conf.py (logs,
        # metrics folders) is the server's, not the benchmark's.
        self.cwd = tempfile.mkdtemp(prefix="tracker-bench-gunicorn-")
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(  # noqa: S603  (fixed arguments, no shell)
            [
                str(gunicorn),
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "-k",
                "gthread",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "tracker:create_app()",
            ],
            env=env,
            cwd=self.cwd,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                # Not listening yet, or its workers still starting.
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def login(base: str, student_no: str) -> requests.Session:
    client = requests.Session()
    page = client.get(base + "/login", timeout=TIMEOUT)
    token = CSRF.search(page.text).group(1)
    answer = client.post(
        base + "/login",
        data={"student_no": student_no, "password": BENCH_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, (student_no, answer.status_code)
    return client


def api_token(base: str, student_no: str) -> str:
    answer = requests.post(
        base + "/api/v1/tokens",
        json={"student_no": student_no, "password": BENCH_PASSWORD, "name": "bench"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def people(app) -> dict:
    """The logins: the committee member of the first branch, a member of the same
    branch (so the committee approves what the member logs), an advisor, an admin."""
    with app.app_context():
        committee = db.session.scalars(
            sa.select(User).where(User.role == Role.COMMITTEE).order_by(User.id)
        ).first()
        member = db.session.scalars(
            sa.select(User)
            .where(User.role == Role.MEMBER, User.branch_id == committee.branch_id)
            .order_by(User.id.desc())
        ).first()
        loggers = db.session.scalars(
            sa.select(User)
            .where(User.role == Role.MEMBER, User.branch_id == committee.branch_id)
            .order_by(User.id)
            .limit(LOGGERS)
        ).all()
        # API tokens made here, not through POST /api/v1/tokens: twenty sign-ins from
        # one address would meet the login limits the benchmark is not about.
        now = datetime.now(UTC)
        tokens = [
            issue_token(db.session, user, name="bench", now=now, lifetime_days=1).token
            for user in loggers
        ]
        db.session.commit()
        term = db.session.scalars(sa.select(Term)).first()
        return {
            "tokens": tokens,
            "member": member.student_no,
            "committee": committee.student_no,
            "committee_id": committee.id,
            "branch_id": committee.branch_id,
            "advisor": "Badvisor",
            "admin": "Badmin",
            "term": (term.first_day, term.last_day),
            "backdate_days": setting("TRACKER_BACKDATE_DAYS", db.session),
            "today": campus_today(),
        }


def custom_range(today) -> str:
    """The custom range the benchmark asks for: the last 90 days."""
    return f"period=custom&from={today - timedelta(days=89)}&to={today}"


def read_cases(today) -> list[tuple[str, str, str | None]]:
    """(who, path, naive question it answers) for every board, dashboard, JSON and export."""
    custom = custom_range(today)
    cases = []
    for period in ("week", "month", "term", "year", "all"):
        for scope in ("branch", "college", "school"):
            naive = scope if period == "term" and scope != "college" else None
            cases.append(("member", f"/leaderboard/?period={period}&scope={scope}", naive))
        cases.append(
            (
                "member",
                f"/leaderboard/branches?period={period}&scope=school",
                "branches" if period == "term" else None,
            )
        )
    cases += [
        ("member", "/leaderboard/?period=term&scope=school&page=40", None),
        ("member", "/leaderboard/branches?period=term&scope=school&sort=participation", None),
        ("member", f"/leaderboard/?{custom}&scope=branch", None),
        ("member", f"/leaderboard/?{custom}&scope=school", None),
        ("member", f"/leaderboard/branches?{custom}&scope=school", None),
        ("member", "/", None),
        ("member", "/dashboard/member.json", None),
        ("committee", "/dashboard/branch?period=month", None),
        ("committee", "/dashboard/branch.json?period=month", None),
        ("committee", "/review/", None),
        ("advisor", "/dashboard/advisor?period=term&scope=school", None),
        ("advisor", "/dashboard/advisor.json?period=term&scope=school", None),
        ("admin", "/dashboard/advisor?period=term&scope=school", None),
        ("admin", "/dashboard/advisor.json?period=term&scope=school", None),
        ("committee", "/export/members.csv?period=term&scope=branch", None),
        ("advisor", "/export/branches.csv?period=term&scope=school", None),
    ]
    for period in ("week", "term", "all"):
        naive = "school" if period == "term" else None
        cases.append(("api", f"/api/v1/leaderboard/members?period={period}&scope=school", naive))
        cases.append(("api", f"/api/v1/leaderboard/branches?period={period}", None))
    cases.append(("api", f"/api/v1/leaderboard/members?{custom}&scope=school", None))
    return cases


def naive_p95(app, who: dict, repeat: int) -> dict[str, float]:
    with app.app_context():
        first, last = who["term"]
        bounds = {"a": first, "b": last, "branch": who["branch_id"]}
        found = {}
        for name, sql in NAIVE.items():
            statement = sa.text(sql)
            samples = timed(lambda s=statement: db.session.execute(s, bounds).all(), repeat)
            found[name] = line(f"naive GROUP BY: {name} (term, SQL only)", samples)
        return found


class Clients:
    def __init__(self, base: str, who: dict):
        self.base = base
        self.sessions = {role: login(base, who[role]) for role in ("member", "committee")}
        self.sessions |= {role: login(base, who[role]) for role in ("advisor", "admin")}
        self.token = api_token(base, who["member"])
        # A script keeps its connection open, as a browser does.
        self.sessions["api"] = requests.Session()
        self.sessions["api"].headers["Authorization"] = f"Bearer {self.token}"
        self.loggers = []
        for token in who["tokens"]:
            logger = requests.Session()
            logger.headers["Authorization"] = f"Bearer {token}"
            self.loggers.append(logger)
        self.csrf: str | None = None

    def copy(self) -> Clients:
        """The same logins on connections of their own, for another thread (logging in
        again from one address would meet the login limits)."""
        other = object.__new__(Clients)
        other.base, other.token, other.csrf = self.base, self.token, self.csrf
        other.sessions = {}
        for role, session in self.sessions.items():
            copy = requests.Session()
            copy.cookies.update(session.cookies)
            copy.headers.update(session.headers)
            other.sessions[role] = copy
        other.loggers = []
        for session in self.loggers:
            copy = requests.Session()
            copy.headers.update(session.headers)
            other.loggers.append(copy)
        return other

    def get(self, who: str, path: str, **headers) -> requests.Response:
        return self.sessions[who].get(
            self.base + path, allow_redirects=False, headers=headers, timeout=TIMEOUT
        )


def pending(app, who: dict) -> list[tuple[int, int]]:
    """(id, version) of what waits for the committee member (not their own)."""
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(Activity.id, Activity.version)
                .where(
                    Activity.branch_id == who["branch_id"],
                    Activity.status == ActivityStatus.PENDING,
                    Activity.user_id != who["committee_id"],
                )
                .order_by(Activity.id)
            ).all()
        )


def approve(clients: Clients, activity_id: int, version: int) -> int:
    """The committee member's approval as their review page posts it (its CSRF token
    read once from the page: a session's token stays valid)."""
    committee = clients.sessions["committee"]
    if clients.csrf is None:
        queue = committee.get(clients.base + "/review/", timeout=TIMEOUT)
        clients.csrf = CSRF.search(queue.text).group(1)
    base, token = clients.base, clients.csrf
    answer = committee.post(
        f"{base}/review/{activity_id}/approve",
        data={"csrf_token": token, "version": str(version)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return answer.status_code


def log_activity(clients: Clients, who: dict, rng: random.Random) -> int:
    """One of the branch's members logs half an hour of study on a day they may log."""
    day = who["today"] - timedelta(days=rng.randrange(who["backdate_days"] + 1))
    answer = rng.choice(clients.loggers).post(
        clients.base + "/api/v1/activities",
        timeout=TIMEOUT,
        json={
            "category": "study",
            "occurred_on": day.isoformat(),
            "quantity": 30,
            "title": "基准学习",
            "start_time": rng.choice(SLOTS),
        },
    )
    return answer.status_code


def endpoints(app, clients: Clients, who: dict, repeat: int) -> None:
    heads = f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'n':>5}"
    print(f"{'through HTTP (gunicorn, 2 workers)':<62} {heads}")
    rows = []
    custom_query = custom_range(who["today"])
    for role, path, question in read_cases(who["today"]):

        def call(role=role, path=path):
            answer = clients.get(role, path)
            assert answer.status_code == 200, (path, answer.status_code)

        rows.append((role, path, question, timed(call, repeat)))
    naive = naive_p95(app, who, max(5, repeat // 3))
    for role, path, question, samples in rows:
        p95 = percentiles(samples)[1]
        extra = f"naive/page {naive[question] / p95:5.1f}x" if question else ""
        shown = path.replace(custom_query, "period=custom(90 days)")
        line(f"{role:9} {shown}"[:62], samples, extra)
    # Conditional requests: the same board asked again with the ETag it gave.
    path = "/api/v1/leaderboard/members?period=term&scope=school"
    tag = clients.get("api", path).headers.get("ETag")

    def again():
        answer = clients.get("api", path, **{"If-None-Match": tag})
        assert answer.status_code == 304, answer.status_code

    line("api       same school board, If-None-Match (304)", timed(again, repeat))
    # Something to approve: the member logs through the API what the committee approves.
    # Not seeded: on a database used before, the same slots would all be taken.
    rng = random.Random()
    # The first approvals of each worker compile its statements: warm-up, as for reads.
    warmup = 4
    logged = [log_activity(clients, who, rng) for _ in range(repeat * 2 + warmup)]
    waiting = pending(app, who)[: repeat * 2 + warmup]
    if not waiting:
        print(f"committee approve: nothing pending (the member's logs answered {set(logged)})")
    samples = []
    for n, (activity_id, version) in enumerate(waiting):
        start = time.perf_counter()
        status = approve(clients, activity_id, version)
        if n >= warmup:
            samples.append(time.perf_counter() - start)
        assert status == 302, status
    if samples:
        line("committee approve (POST from the review page)", samples)


def mixed(app, clients: Clients, who: dict, seconds: float, threads: int) -> None:
    """80 % reads, 20 % writes from ``threads`` clients for ``seconds``."""
    reads = [(r, p) for r, p, _q in read_cases(who["today"]) if "/export/" not in p]
    lock = threading.Lock()
    samples: list[float] = []
    errors: list[str] = []
    refused: dict[str, int] = {}
    stop = time.monotonic() + seconds

    def worker() -> None:
        rng = random.Random()
        own = clients.copy()
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                if rng.random() < 0.8:
                    kind = "read"
                    role, path = rng.choice(reads)
                    status = own.get(role, path).status_code
                elif rng.random() < 0.5:
                    kind = "log"
                    status = log_activity(own, who, rng)
                else:
                    waiting = pending(app, who)
                    if not waiting:
                        continue
                    activity_id, version = rng.choice(waiting)
                    kind = "approve"
                    status = approve(own, activity_id, version)
            except requests.RequestException as error:
                status = repr(error)
            elapsed = time.perf_counter() - start
            with lock:
                samples.append(elapsed)
                if not isinstance(status, int) or status >= 500:
                    errors.append(str(status))
                elif status >= 400:
                    # A business refusal (an approval another thread made first): not an error.
                    refused[f"{kind} {status}"] = refused.get(f"{kind} {status}", 0) + 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    p50, p95, p99 = percentiles(samples) if samples else (0, 0, 0)
    print(
        f"mixed load, {threads} clients, {wall:.0f} s: {len(samples) / wall:.1f} req/s, "
        f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"errors {len(errors)}, refusals {refused or 0}",
        flush=True,
    )
    if errors:
        print("  first errors:", errors[:5])
    with app.app_context():
        problems = totals.differences(db.session)
    print(
        "check-ledger:",
        "the stored totals equal the ledger" if not problems else f"{len(problems)} differences",
        flush=True,
    )


def main() -> None:
    parser = rankings.data_options(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--mixed", type=float, default=0, help="seconds of mixed load (0: none)")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    if not args.reuse:
        rankings.build(app, args)
        rankings.analyse(app)
    if args.seed_only:
        return
    with app.app_context():
        entries = db.session.scalar(sa.text("SELECT count(*) FROM ledger_entry"))
    print(f"database: {args.url.split(':')[0]}, ledger entries: {entries}")
    rankings.calibration()
    who = people(app)
    server = Server(args.url, args.port)
    try:
        clients = Clients(server.base, who)
        endpoints(app, clients, who, args.repeat)
        if args.mixed:
            mixed(app, clients, who, args.mixed, args.clients)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
