"""Score counts (a histogram of the school-wide totals) are kept with every ledger
row, as a plain GROUP BY over the totals gives them, rebuilt and checked; ranks
read from them equal ranks counted member by member."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from tracker.ledger import points, totals
from tracker.ledger.totals import apply_many
from tracker.models import (
    Activity,
    EntryKind,
    LedgerEntry,
    SchoolCategoryTotal,
    SchoolTotal,
    ScoreCount,
)
from tracker.people.scope import Scope
from tracker.periods import standard_period
from tracker.ranking.members import member_leaderboard

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def _stored(db):
    return Counter(
        {
            (kind, start, category_id, pts): n
            for kind, start, category_id, pts, n in db.session.execute(
                select(
                    ScoreCount.period_kind,
                    ScoreCount.period_start,
                    ScoreCount.category_id,
                    ScoreCount.points,
                    ScoreCount.members,
                ).where(ScoreCount.members != 0)
            )
        }
    )


def _grouped(db):
    """The histogram by a plain GROUP BY over the school-wide totals."""
    found = Counter()
    for table in (SchoolTotal, SchoolCategoryTotal):
        category = getattr(table, "category_id", None)
        for kind, start, cat, pts in db.session.execute(
            select(
                table.period_kind,
                table.period_start,
                category if category is not None else table.period_kind,
                table.points,
            ).where(table.points != 0)
        ):
            found[(kind, start, cat if category is not None else 0, pts)] += 1
    return found


def test_counts_follow_awards_revocations_adjustments_and_imports(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    a, b, c = (make.member(branch) for _ in range(3))
    for member, hours in ((a, 2), (b, 2), (c, 1)):
        activity = make.activity(member, "volunteer", quantity=hours, occurred_on=TODAY)
        points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    assert _stored(db) == _grouped(db) and _stored(db)
    month = standard_period("month", TODAY)
    assert _stored(db)[("month", month.start, 0, Decimal(4))] == 2

    # b's points go back to zero: no longer counted at all.
    activity = db.session.scalars(
        select(LedgerEntry.activity_id).where(
            LedgerEntry.user_id == b.id, LedgerEntry.kind == EntryKind.AWARD
        )
    ).one()
    points.revoke_approval(db.session, db.session.get(Activity, activity), reviewer, "重复", NOW)
    points.adjust_points(db.session, c, reviewer, Decimal("-5"), "更正", TODAY)
    # Rows that count no activity (an import's) are booked together.
    extra = [
        LedgerEntry(
            kind=EntryKind.EXTERNAL,
            user_id=a.id,
            branch_id=branch.id,
            points=Decimal("1.5"),
            earned_on=TODAY,
            reason="导入",
        )
    ]
    db.session.add_all(extra)
    db.session.flush()
    apply_many(db.session, extra)
    db.session.commit()
    assert _stored(db) == _grouped(db)
    assert ("month", month.start, 0, Decimal(4)) not in _stored(db)
    assert totals.differences(db.session) == []

    # A count gone wrong is found; the rebuild puts it right.
    row = db.session.scalars(select(ScoreCount).where(ScoreCount.members > 0)).first()
    row.members += 1
    db.session.flush()
    assert any("stored" in p for p in totals.differences(db.session))
    totals.rebuild(db.session)
    db.session.commit()
    assert totals.differences(db.session) == [] and _stored(db) == _grouped(db)

    # Ranks read from the counts: a (4.0+1.5), c (1 - 5 = -4) last; b at zero, unranked.
    board = member_leaderboard(db.session, month, Scope("school"), per_page=10, viewer_id=c.id)
    ranks = {row.user_id: row.rank for row in board.rows}
    assert ranks[a.id] == 1 and ranks[b.id] is None and ranks[c.id] is None
    assert board.me.position == board.total
