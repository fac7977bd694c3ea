"""Rules, caps, awards, reversals and adjustments (the ledger functions)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.ledger import points, totals
from tracker.models import ActivityStatus, EntryKind, LedgerEntry, PointRule

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def ledger_sum(db, user):
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(LedgerEntry.user_id == user.id)
    )


def test_study_earns_one_point_per_thirty_minutes(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    activity = make.activity(member, quantity=45)
    entry = points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    assert entry.points == Decimal("1.5")
    assert entry.kind == EntryKind.AWARD
    assert entry.rule_id is not None
    assert activity.status == ActivityStatus.APPROVED


def test_daily_cap_counts_what_is_already_approved(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    first = make.activity(member, quantity=300)  # 10 points, capped at 6
    second = make.activity(member, quantity=60, start=None)
    assert points.approve_activity(db.session, first, reviewer, NOW).points == Decimal(6)
    second_entry = points.approve_activity(db.session, second, reviewer, NOW)
    db.session.commit()
    assert second_entry.points == Decimal(0)
    assert second_entry.uncapped_points == Decimal(2)
    other_day = make.activity(member, quantity=60, occurred_on=date(2026, 11, 24))
    assert points.approve_activity(db.session, other_day, reviewer, NOW).points == Decimal(2)


def test_revoking_frees_the_cap_and_reverses_exactly(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    first = make.activity(member, quantity=180)
    points.approve_activity(db.session, first, reviewer, NOW)
    reversal = points.revoke_approval(db.session, first, reviewer, "记录有误", NOW)
    db.session.commit()
    assert reversal.points == Decimal(-6)
    assert ledger_sum(db, member) == 0
    second = make.activity(member, quantity=120)
    assert points.approve_activity(db.session, second, reviewer, NOW).points == Decimal(4)


def test_weekly_cap(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    rule = db.session.scalars(
        select(PointRule).join(PointRule.category).where(PointRule.category.has(key="volunteer"))
    ).one()
    rule.weekly_cap = Decimal(5)
    db.session.commit()
    monday = make.activity(member, "volunteer", quantity=2, occurred_on=date(2026, 11, 23))
    tuesday = make.activity(member, "volunteer", quantity=2, occurred_on=date(2026, 11, 24))
    next_monday = make.activity(member, "volunteer", quantity=1, occurred_on=date(2026, 11, 30))
    assert points.approve_activity(db.session, monday, reviewer, NOW).points == 4
    assert points.approve_activity(db.session, tuesday, reviewer, NOW).points == 1
    assert points.approve_activity(db.session, next_monday, reviewer, NOW).points == 2


def test_rule_versions_apply_by_date_and_never_rewrite_awards(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    old = make.activity(member, quantity=60, occurred_on=date(2026, 11, 20))
    first = points.approve_activity(db.session, old, reviewer, NOW)
    category = make.category("study")
    db.session.add(
        PointRule(
            category_id=category.id,
            effective_from=date(2026, 11, 22),
            per_quantity=Decimal(30),
            points_per_unit=Decimal(2),
            min_quantity=Decimal(10),
            max_quantity=Decimal(360),
            daily_cap=Decimal(12),
        )
    )
    db.session.commit()
    new = make.activity(member, quantity=60, occurred_on=date(2026, 11, 23))
    second = points.approve_activity(db.session, new, reviewer, NOW)
    db.session.commit()
    db.session.refresh(first)
    assert first.points == 2 and second.points == 4
    assert first.rule_id != second.rule_id


def test_points_are_exact_decimals(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    for day in range(1, 11):
        activity = make.activity(
            member,
            "volunteer",
            quantity=Decimal("0.5"),
            occurred_on=date(2026, 11, 14) + timedelta(days=day),
        )
        points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    assert ledger_sum(db, member) == Decimal("10.0")
    assert isinstance(ledger_sum(db, member), Decimal)


def test_second_approval_is_refused_and_books_nothing(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    activity = make.activity(member)
    stale = db.session.get(type(activity), activity.id)
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    with pytest.raises(Conflict):
        points.approve_activity(db.session, stale, reviewer, NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_nobody_reviews_their_own_activity(db, make):
    reviewer = make.committee()
    activity = make.activity(reviewer)
    with pytest.raises(Forbidden):
        points.approve_activity(db.session, activity, reviewer, NOW)


def test_committee_of_another_branch_cannot_review(db, make):
    member = make.member()
    outsider = make.committee()
    activity = make.activity(member)
    with pytest.raises(Forbidden):
        points.approve_activity(db.session, activity, outsider, NOW)
    with pytest.raises(Forbidden):
        points.reject_activity(db.session, activity, outsider, "no", NOW)


def test_reject_needs_a_reason(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    activity = make.activity(member)
    with pytest.raises(InvalidInput):
        points.reject_activity(db.session, activity, reviewer, "   ", NOW)
    points.reject_activity(db.session, activity, reviewer, "时长不符", NOW)
    db.session.commit()
    assert activity.status == ActivityStatus.REJECTED
    assert activity.review_reason == "时长不符"


def test_adjustment_is_a_ledger_row_with_reason(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    entry = points.adjust_points(
        db.session, member, reviewer, Decimal("-1.5"), "重复提交", date(2026, 11, 25)
    )
    db.session.commit()
    assert entry.kind == EntryKind.ADJUSTMENT and entry.actor_id == reviewer.id
    assert ledger_sum(db, member) == Decimal("-1.5")
    with pytest.raises(InvalidInput):
        points.adjust_points(db.session, member, reviewer, Decimal(0), "x", date(2026, 11, 25))
    with pytest.raises(Forbidden):
        points.adjust_points(
            db.session, member, make.committee(), Decimal(1), "x", date(2026, 11, 25)
        )


def test_totals_equal_the_ledger_after_approve_revoke_adjust(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    a = make.activity(member, quantity=60)
    b = make.activity(member, "volunteer", quantity=3, occurred_on=date(2026, 10, 31))
    points.approve_activity(db.session, a, reviewer, NOW)
    points.approve_activity(db.session, b, reviewer, NOW)
    points.revoke_approval(db.session, b, reviewer, "撤销", NOW)
    points.adjust_points(db.session, member, reviewer, Decimal(2), "加分", date(2026, 11, 25))
    db.session.commit()
    assert totals.differences(db.session) == []
    written = totals.rebuild(db.session)
    db.session.commit()
    assert written > 0 and totals.differences(db.session) == []


def test_check_finds_a_tampered_total(db, make):
    from tracker.models import MemberTotal

    member = make.member()
    reviewer = make.committee(member.branch)
    points.approve_activity(db.session, make.activity(member, quantity=60), reviewer, NOW)
    db.session.commit()
    row = db.session.scalars(select(MemberTotal).where(MemberTotal.period_kind == "all")).one()
    row.points = Decimal(99)
    db.session.commit()
    problems = totals.differences(db.session)
    assert len(problems) == 1 and "99" in problems[0] and "all" in problems[0]
