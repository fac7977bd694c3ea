"""Custom ranges read from the stored totals (whole months, whole weeks around them,
then single days) and say exactly what a plain sum over the ledger says, for random ranges;
the daily totals are kept with every ledger row, rebuilt and checked."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.ledger import points, totals
from tracker.models import EntryKind, LedgerEntry, MemberTotal, SchoolTotal
from tracker.people.scope import Scope
from tracker.periods import custom_period
from tracker.ranking import statistics
from tracker.ranking.branches import branch_leaderboard
from tracker.ranking.members import member_leaderboard
from tracker.ranking.source import _spans

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
FIRST, LAST = date(2026, 8, 20), date(2026, 11, 25)
DELTA = {EntryKind.AWARD: 1, EntryKind.REVERSAL: -1}


@pytest.fixture
def ledger(db, make):
    """Two colleges, three branches, members with awards, a revocation and
    adjustments spread over four months, in a fixed random order."""
    rng = random.Random(17)
    college = make.college()
    branches = [make.branch(college), make.branch(college), make.branch()]
    reviewers = {b.id: make.committee(b) for b in branches}
    members = [make.member(branches[i % 3]) for i in range(9)]
    span = (LAST - FIRST).days
    approved = []
    for _ in range(40):
        member = rng.choice(members)
        day = FIRST + timedelta(days=rng.randrange(span + 1))
        key = rng.choice(["volunteer", "study"])
        activity = make.activity(member, key, quantity=rng.randint(1, 4) * 30, occurred_on=day)
        points.approve_activity(db.session, activity, reviewers[member.branch_id], NOW)
        approved.append(activity)
    points.revoke_approval(
        db.session, approved[3], reviewers[approved[3].branch_id], "重复登记", NOW
    )
    for member in members[:3]:
        day = FIRST + timedelta(days=rng.randrange(span + 1))
        points.adjust_points(
            db.session, member, reviewers[member.branch_id], Decimal("-1.5"), "更正", day
        )
    db.session.commit()
    return {"college": college, "branches": branches, "members": members}


def _ledger_sums(db, period, branch_ids=None):
    """Per member: [points, activities] from a plain sum over the ledger rows."""
    sums = defaultdict(lambda: [Decimal(0), 0])
    query = select(LedgerEntry).where(
        LedgerEntry.earned_on >= period.start, LedgerEntry.earned_on < period.end
    )
    for entry in db.session.scalars(query):
        if branch_ids is None or entry.branch_id in branch_ids:
            sums[entry.user_id][0] += entry.points
            sums[entry.user_id][1] += DELTA.get(entry.kind, 0)
    return sums


def _random_ranges(n=12):
    rng = random.Random(4)
    ranges = [
        (date(2026, 9, 1), date(2026, 10, 31)),  # whole months only
        (date(2026, 11, 25), date(2026, 11, 25)),  # one day
        (date(2026, 8, 31), date(2026, 9, 1)),  # across a month's end
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 9, 4), date(2026, 12, 2)),  # days, weeks, days, months, days
        (date(2026, 11, 2), date(2026, 11, 15)),  # two whole weeks
    ]
    span = (LAST - FIRST).days + 20
    while len(ranges) < n:
        a = FIRST - timedelta(days=10) + timedelta(days=rng.randrange(span))
        b = a + timedelta(days=rng.randrange(100))
        ranges.append((a, b))
    return [custom_period(a, b) for a, b in ranges]


def test_spans_cover_the_range_exactly_once():
    for period in _random_ranges(60):
        days = set()
        for kind, first, end in _spans(period):
            assert first < end
            if kind == "month":
                assert first.day == 1 and end.day == 1
            if kind == "week":
                assert first.weekday() == 0 and (end - first).days % 7 == 0
            day = first
            while day < end:
                assert day not in days
                days.add(day)
                day += timedelta(days=1)
        assert days == {
            period.start + timedelta(days=i) for i in range((period.end - period.start).days)
        }


def test_custom_ranges_agree_with_a_plain_sum_over_the_ledger(db, ledger):
    college = Scope("college", ledger["college"].id)
    own = {b.id for b in ledger["branches"] if b.college_id == ledger["college"].id}
    for period in _random_ranges():
        for scope, branch_ids in ((Scope("school"), None), (college, own)):
            want = _ledger_sums(db, period, branch_ids)
            board = member_leaderboard(db.session, period, scope, per_page=100)
            have = {r.user_id: [r.points, r.entries] for r in board.rows if r.points or r.entries}
            assert have == {k: v for k, v in want.items() if v != [0, 0]}, (period, scope)
        branches = branch_leaderboard(db.session, period, Scope("school"))
        by_branch = defaultdict(Decimal)
        for entry in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.earned_on >= period.start, LedgerEntry.earned_on < period.end
            )
        ):
            by_branch[entry.branch_id] += entry.points
        assert {b.branch_id: b.points for b in branches if b.points} == {
            k: v for k, v in by_branch.items() if v
        }
        by_category = {
            c.category_id: c.points
            for c in statistics.points_by_category(db.session, period, Scope("school"))
        }
        naive = dict(
            db.session.execute(
                select(LedgerEntry.category_id, func.sum(LedgerEntry.points))
                .where(
                    LedgerEntry.earned_on >= period.start,
                    LedgerEntry.earned_on < period.end,
                    LedgerEntry.category_id.is_not(None),
                )
                .group_by(LedgerEntry.category_id)
            ).all()
        )
        assert by_category == {k: Decimal(v).quantize(Decimal("0.1")) for k, v in naive.items()}


def test_daily_totals_are_kept_rebuilt_and_checked(db, ledger):
    days = db.session.scalar(
        select(func.count()).select_from(MemberTotal).where(MemberTotal.period_kind == "day")
    )
    pairs = db.session.execute(
        select(func.count()).select_from(
            select(LedgerEntry.user_id, LedgerEntry.branch_id, LedgerEntry.earned_on)
            .distinct()
            .subquery()
        )
    ).scalar()
    assert days == pairs > 0
    # Not school-wide: nothing ranks the whole school on one day.
    assert not db.session.scalar(
        select(func.count()).select_from(SchoolTotal).where(SchoolTotal.period_kind == "day")
    )
    assert totals.differences(db.session) == []
    # A day total gone wrong is found, and the rebuild puts it right.
    row = db.session.scalars(select(MemberTotal).where(MemberTotal.period_kind == "day")).first()
    row.points += Decimal(1)
    db.session.flush()
    problems = totals.differences(db.session)
    assert len(problems) == 1 and "day" in problems[0]
    totals.rebuild(db.session)
    db.session.commit()
    assert totals.differences(db.session) == []
