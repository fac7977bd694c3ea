"""Leaderboard and dashboard latency, against the naive GROUP BY, at scale.

Builds the data with ``flask bench-seed`` (unless --reuse), then requests each
leaderboard and dashboard endpoint through the Flask test client (so the
figure includes the view, the template or JSON, and the queries) and prints
p50 and p95 in milliseconds; beside them the same rankings computed the naive
way (one GROUP BY over the ledger rows of the period), and the time to
approve an entry with all its bookkeeping.

    python bench/rankings.py --url sqlite:////tmp/bench.db --entries 1000000
    python bench/rankings.py --url 'postgresql+psycopg://postgres@127.0.0.1:5432/DB?options=-csearch_path%3Dbench'

Benchmark figures, not tests: nothing here fails on a slow result.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TRACKER_INSTANCE_PATH", tempfile.mkdtemp(prefix="tracker-bench-"))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.clock import campus_today  # noqa: E402
from tracker.devtools.synthetic import BENCH_PASSWORD  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.ledger import points
from tracker.models import Activity, ActivityStatus, Term, User  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def report(name: str, samples: list[float]) -> None:
    p50, p95 = percentiles(samples)
    print(f"{name:<58} {p50 * 1000:9.1f} {p95 * 1000:9.1f} {len(samples):5d}", flush=True)


def timed(func, repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return samples


def build(app, args) -> None:
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS bench CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA bench"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    runner = app.test_cli_runner()
    start = time.perf_counter()
    result = runner.invoke(
        args=[
            "bench-seed",
            "--members",
            str(args.members),
            "--branches",
            str(args.branches),
            "--entries",
            str(args.entries),
        ]
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    print(result.output.strip().splitlines()[-1])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    print(f"seeded in {time.perf_counter() - start:.0f} s", flush=True)


def analyse(app) -> None:
    """Fresh planner statistics after a bulk load, as an operator would take them."""
    start = time.perf_counter()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
    print(f"analysed in {time.perf_counter() - start:.0f} s", flush=True)


def login(app, student_no: str):
    client = app.test_client()
    response = client.post("/login", data={"student_no": student_no, "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def get(client, url: str):
    def run():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return run


def endpoints(app, repeat: int) -> None:
    with app.app_context():
        member = db.session.scalars(
            sa.select(User).where(User.student_no.like("B0%")).order_by(User.id.desc())
        ).first()
        branch_id = member.branch_id
    clients = {
        "member": login(app, member.student_no),
        "committee": login(app, "B0000001"),
        "advisor": login(app, "Badvisor"),
        "admin": login(app, "Badmin"),
    }
    today = datetime.now(UTC).date()
    custom = f"period=custom&from={today - timedelta(days=89)}&to={today}"
    cases = []
    for period in ("week", "month", "term", "year", "all"):
        for scope in ("branch", "college", "school"):
            cases.append(("member", f"/leaderboard/?period={period}&scope={scope}"))
    cases.append(("member", "/leaderboard/?period=term&scope=school&page=40"))
    for period in ("week", "month", "term", "year", "all"):
        cases.append(("member", f"/leaderboard/branches?period={period}&scope=school"))
    cases.append(("member", "/leaderboard/branches?period=term&scope=school&sort=per_capita"))
    cases.append(("member", "/leaderboard/branches?period=term&scope=school&sort=participation"))
    # The same data through the JSON API: the view and serialisation, no page around it.
    for period in ("week", "term", "all"):
        cases.append(("member", f"/api/v1/leaderboard/members?period={period}&scope=school"))
        cases.append(("member", f"/api/v1/leaderboard/branches?period={period}&scope=school"))
    cases.append(("member", f"/leaderboard/?{custom}&scope=branch"))
    cases.append(("member", f"/leaderboard/?{custom}&scope=school"))
    cases.append(("member", f"/leaderboard/branches?{custom}&scope=school"))
    cases.append(("member", "/"))
    cases.append(("member", "/dashboard/member.json"))
    cases.append(("committee", "/dashboard/branch?period=month"))
    cases.append(("committee", "/dashboard/branch.json?period=month"))
    for period in ("month", "term", "year"):
        cases.append(("advisor", f"/dashboard/advisor.json?period={period}&scope=school"))
    cases.append(("advisor", "/dashboard/advisor?period=term&scope=school"))
    cases.append(("admin", "/dashboard/advisor.json?period=term&scope=school"))
    cases.append(("admin", "/dashboard/advisor?period=term&scope=school"))
    print(f"{'endpoint (through the test client)':<58} {'p50 ms':>9} {'p95 ms':>9} {'n':>5}")
    for who, url in cases:
        report(f"{who:9} {url}"[:58], timed(get(clients[who], url), repeat))
    naive(app, repeat, branch_id)
    approvals(app, min(repeat * 3, 150))


def naive(app, repeat: int, branch_id: int) -> None:
    """The same rankings the way most leaderboards compute them: a GROUP BY over
    every ledger row of the period, each time."""
    with app.app_context():
        term = db.session.scalars(sa.select(Term)).first()
        bounds = {"a": term.first_day, "b": term.last_day, "branch": branch_id}
        queries = {
            "naive school member leaderboard, term": """
                SELECT user_id, SUM(points_tenths) AS s,
                       RANK() OVER (ORDER BY SUM(points_tenths) DESC) AS r
                FROM ledger_entry WHERE earned_on BETWEEN :a AND :b
                GROUP BY user_id ORDER BY s DESC LIMIT 50""",
            "naive branch member leaderboard, term": """
                SELECT user_id, SUM(points_tenths) AS s
                FROM ledger_entry WHERE earned_on BETWEEN :a AND :b AND branch_id = :branch
                GROUP BY user_id ORDER BY s DESC""",
            "naive branch leaderboard, term": """
                SELECT branch_id, SUM(points_tenths) AS s, COUNT(DISTINCT user_id) AS m
                FROM ledger_entry WHERE earned_on BETWEEN :a AND :b
                GROUP BY branch_id ORDER BY s DESC""",
            "naive school member leaderboard, all time": """
                SELECT user_id, SUM(points_tenths) AS s FROM ledger_entry
                GROUP BY user_id ORDER BY s DESC LIMIT 50""",
        }
        print(f"{'naive GROUP BY over the ledger (SQL only)':<58} {'p50 ms':>9} {'p95 ms':>9}")
        for name, sql in queries.items():
            statement = sa.text(sql)
            report(
                name,
                timed(lambda s=statement: db.session.execute(s, bounds).all(), max(5, repeat // 3)),
            )


def approvals(app, count: int) -> None:
    """Approving an entry with all its bookkeeping: caps, ledger row, stored totals, audit."""
    with app.app_context():
        pending = db.session.scalars(
            sa.select(Activity).where(Activity.status == ActivityStatus.PENDING).limit(count)
        ).all()
        samples = []
        for activity in pending:
            reviewer = db.session.scalars(
                sa.select(User).where(
                    User.branch_id == activity.branch_id,
                    User.role == "committee",
                    User.id != activity.user_id,
                )
            ).first()
            if reviewer is None:
                continue
            start = time.perf_counter()
            points.approve_activity(db.session, activity, reviewer, datetime.now(UTC))
            db.session.commit()
            samples.append(time.perf_counter() - start)
        if samples:
            report("approve an entry (approve_activity + commit)", samples)
        print("today:", campus_today())


def calibration() -> None:
    """How fast this machine runs plain Python, to compare figures across machines."""
    start = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i
    print(
        f"machine: a Python loop of 1,000,000 additions takes "
        f"{(time.perf_counter() - start) * 1000:.0f} ms",
        flush=True,
    )


def data_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The database and how much data: the same for every benchmark over this data."""
    parser.add_argument("--url", required=True, help="database URL")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--branches", type=int, default=400)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the data already there")
    return parser


def main() -> None:
    args = data_options(argparse.ArgumentParser(description=__doc__.splitlines()[0])).parse_args()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    if not args.reuse:
        build(app, args)
        analyse(app)
    print(
        f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, entries: {args.entries}"
    )
    calibration()
    endpoints(app, args.repeat)


if __name__ == "__main__":
    main()
