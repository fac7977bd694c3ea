"""Several reviewers approving the same activity at the same moment book one award."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tracker.errors import Conflict
from tracker.extensions import db as _db
from tracker.ledger import points, totals
from tracker.models import Activity, ActivityStatus, LedgerEntry, User

THREADS = 6


def test_concurrent_approvals_book_exactly_one_award(app, make, db):
    branch = make.branch()
    member = make.member(branch)
    reviewers = [make.committee(branch).id for _ in range(THREADS)]
    activity_id = make.activity(member, quantity=60).id
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def approve(reviewer_id: int) -> None:
        with app.app_context():
            session = _db.session
            activity = session.get(Activity, activity_id)
            reviewer = session.get(User, reviewer_id)
            barrier.wait()
            try:
                points.approve_activity(session, activity, reviewer, datetime.now(UTC))
                session.commit()
                outcomes.append("approved")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")
            finally:
                session.remove()

    threads = [threading.Thread(target=approve, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["approved"] + ["conflict"] * (THREADS - 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert db.session.get(Activity, activity_id).status == ActivityStatus.APPROVED
    assert totals.differences(db.session) == []


def test_concurrent_approvals_of_one_members_activities_respect_the_daily_cap(app, make, db):
    """Two activities of one member approved at once cannot both use the same cap room."""
    branch = make.branch()
    member = make.member(branch)
    first, second = make.committee(branch).id, make.committee(branch).id
    entries = [make.activity(member, quantity=150, start=None).id for _ in range(2)]  # 5 each
    barrier = threading.Barrier(2)

    def approve(reviewer_id: int, activity_id: int) -> None:
        with app.app_context():
            session = _db.session
            activity = session.get(Activity, activity_id)
            reviewer = session.get(User, reviewer_id)
            barrier.wait()
            points.approve_activity(session, activity, reviewer, datetime.now(UTC))
            session.commit()
            session.remove()

    threads = [
        threading.Thread(target=approve, args=pair)
        for pair in zip((first, second), entries, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    awarded = db.session.scalar(select(func.sum(LedgerEntry.points)))
    assert awarded == 6  # the daily cap, not 10


@pytest.mark.slow
def test_a_threaded_server_loses_no_write(app, make, db, clock):
    """Members logging at once through a threaded server: every write is kept, none
    answered "database is locked" (SQLite took its write lock too late before)."""
    import json
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.serving import make_server

    from tracker.clock import campus_today, utcnow
    from tracker.people import tokens

    branch = make.branch()
    members = [make.member(branch) for _ in range(8)]
    issued = [
        tokens.issue_token(db.session, m, name="load", now=utcnow(), lifetime_days=1).token
        for m in members
    ]
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    today = campus_today()  # frozen at noon: every slot below is in the morning

    def log(token: str, slot: int) -> int:
        body = {
            "category": "study",
            "occurred_on": today.isoformat(),
            "start_time": f"{6 + slot // 2:02d}:{30 * (slot % 2):02d}",
            "quantity": 30,
            "title": f"学习 {slot}",
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/api/v1/activities",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(
                pool.map(lambda job: log(*job), [(t, s) for s in range(12) for t in issued])
            )
    finally:
        server.shutdown()
        serving.join()
    assert statuses == [201] * len(statuses), sorted(set(statuses))
    db.session.remove()
    kept = db.session.scalar(select(func.count(Activity.id)))
    assert kept == len(statuses)
