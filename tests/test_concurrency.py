"""Several reviewers approving the same activity at the same moment book one award."""

import threading
from datetime import UTC, datetime

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
