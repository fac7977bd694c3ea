"""Member import at scale: a 10,000-row file previewed and imported through the web pages.

Creates the schema on an EMPTY database (a temporary SQLite file by default),
one college with some branches and an administrator, then posts a generated
CSV to the import page as the administrator would: the preview (a dry run
that renders every row), then the import itself (which renders every
activation link). A second round imports the same numbers again with new
names, so every row is an update. Prints the seconds each step takes; the
server's timeout is 30 s a request.

    python bench/imports.py
    python bench/imports.py --url postgresql+psycopg://postgres@127.0.0.1:5432/EMPTY_DB

Benchmark figures, not tests: nothing here fails on a slow result.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TRACKER_INSTANCE_PATH", tempfile.mkdtemp(prefix="tracker-bench-"))

from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.clock import campus_today  # noqa: E402
from tracker.devtools import synthetic  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Branch, College, Role  # noqa: E402
from tracker.people import accounts  # noqa: E402

COLLEGE = "马克思主义学院"
ADMIN = "Bimportadmin"


def prepare(app, branches: int) -> None:
    with app.app_context():
        upgrade()
        if not synthetic.database_is_empty(db.session):
            raise SystemExit("bench/imports.py needs an empty database.")
        college = College(name=COLLEGE)
        db.session.add(college)
        db.session.flush()
        db.session.add_all(
            Branch(name=f"第{n + 1}党支部", college_id=college.id) for n in range(branches)
        )
        accounts.create_user(
            db.session,
            student_no=ADMIN,
            name="管理员",
            role=Role.ADMIN,
            password=synthetic.BENCH_PASSWORD,
            joined_on=campus_today(),
        )
        db.session.commit()


def member_file(rows: int, branches: int, name: str) -> bytes:
    stages = ["入党积极分子", "发展对象", "预备党员", "正式党员", "群众"]
    lines = ["学号,姓名,学院,支部,角色,发展阶段,邮箱"]
    for n in range(rows):
        role = "支委" if n % 50 == 0 else "成员"
        email = f"s{n}@example.edu.cn" if n % 3 == 0 else ""
        lines.append(
            f"2026{n:06d},{name}{n},{COLLEGE},第{n % branches + 1}党支部,{role},"
            f"{stages[n % len(stages)]},{email}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def timed(label: str, func) -> float:
    # CPU time beside the wall clock: on a busy machine the wall clock also
    # counts the time spent waiting for a processor.
    start, cpu = time.perf_counter(), time.process_time()
    func()
    seconds = time.perf_counter() - start
    print(f"{label:<52} {seconds:7.2f} s  (CPU {time.process_time() - cpu:.2f} s)", flush=True)
    return seconds


def import_round(client, data: bytes, label: str, expected: str) -> float:
    staged = {}

    def preview():
        response = client.post(
            "/admin/import",
            data={"file": (io.BytesIO(data), "members.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200, response.status_code
        text = response.get_data(as_text=True)
        assert expected in text, expected
        staged["id"] = text.split('name="staged" value="')[1].split('"')[0]

    def confirm():
        response = client.post(
            "/admin/import/confirm", data={"staged": staged["id"], "output": "page"}
        )
        assert response.status_code == 200, response.status_code

    total = timed(f"{label}: preview (dry run, every row rendered)", preview)
    total += timed(f"{label}: import (commit, every link rendered)", confirm)
    print(f"{label + ': preview + import':<52} {total:7.2f} s", flush=True)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("DATABASE_URL"),
        help="an EMPTY database (default: DATABASE_URL, else a temporary SQLite file)",
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=40)
    args = parser.parse_args()
    url = args.url or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench-import.db")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "TRACKER_IMPORT_MAX_ROWS": max(args.rows, 10_000),
        }
    )
    prepare(app, args.branches)
    client = app.test_client()
    response = client.post(
        "/login", data={"student_no": ADMIN, "password": synthetic.BENCH_PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    print(f"database: {url.split(':')[0]}, rows: {args.rows}", flush=True)
    import_round(
        client, member_file(args.rows, args.branches, "新生"), "new accounts", 'name="staged"'
    )
    import_round(
        client, member_file(args.rows, args.branches, "改名"), "every account renamed", "staged"
    )


if __name__ == "__main__":
    main()
