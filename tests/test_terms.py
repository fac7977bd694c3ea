"""Terms (学期): no overlaps, the CLI, and stored term totals that equal the ledger."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.errors import InvalidInput
from tracker.ledger import points, terms, totals
from tracker.models import MemberTotal
from tracker.ranking.members import member_points
from tracker.ranking.source import resolve_period

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
AUTUMN = ("2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))


def term_rows(db):
    return db.session.scalars(select(MemberTotal).where(MemberTotal.period_kind == "term")).all()


def test_overlapping_terms_are_refused_with_the_other_term_named(db):
    terms.create_term(db.session, *AUTUMN)
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        terms.create_term(db.session, "2027春季学期", date(2027, 1, 10), date(2027, 6, 30))
    assert "2026秋季学期" in str(refused.value.message)
    with pytest.raises(InvalidInput):
        terms.create_term(db.session, "倒置", date(2027, 3, 1), date(2027, 2, 1))
    with pytest.raises(InvalidInput):
        terms.create_term(db.session, "2026秋季学期", date(2027, 3, 1), date(2027, 6, 1))
    spring = terms.create_term(db.session, "2027春季学期", date(2027, 2, 20), date(2027, 6, 30))
    db.session.commit()
    assert [t.name for t in terms.list_terms(db.session)] == ["2026秋季学期", spring.name]


def test_terms_from_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["terms", "create", "2026秋季学期", "--start", "2026-09-01", "--end", "2027-01-17"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["terms", "create", "重叠", "--start", "2027-01-01", "--end", "2027-02-01"]
    )
    assert result.exit_code != 0 and "overlaps" in result.output
    result = runner.invoke(args=["terms", "create", "x", "--start", "2027-13-01", "--end", "1"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
    listed = runner.invoke(args=["terms", "list"]).output
    assert "2026秋季学期\t2026-09-01\t2027-01-17" in listed and "重叠" not in listed


def test_a_term_created_after_points_were_earned_counts_them(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    points.approve_activity(
        db.session, make.activity(member, "volunteer", quantity=2), reviewer, NOW
    )
    db.session.commit()
    assert term_rows(db) == []
    terms.create_term(db.session, *AUTUMN)
    db.session.commit()
    assert [(r.period_start, r.points) for r in term_rows(db)] == [(AUTUMN[1], Decimal(4))]
    period = resolve_period(db.session, "term", date(2026, 11, 25))
    assert period.name == AUTUMN[0] and member_points(db.session, member.id, period) == 4
    assert totals.differences(db.session) == []


def test_changing_a_term_moves_its_totals(db, make):
    member = make.member()
    reviewer = make.committee(member.branch)
    term = terms.create_term(db.session, *AUTUMN)
    points.approve_activity(
        db.session,
        make.activity(member, "volunteer", quantity=1, occurred_on=date(2026, 11, 20)),
        reviewer,
        NOW,
    )
    db.session.commit()
    terms.change_term(db.session, term, term.name, date(2026, 11, 21), date(2027, 1, 17))
    db.session.commit()
    assert term_rows(db) == [] and totals.differences(db.session) == []


def test_term_totals_equal_the_ledger_after_approve_revoke_adjust(db, make):
    terms.create_term(db.session, *AUTUMN)
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
    [row] = term_rows(db)
    assert row.points == Decimal(4) and row.entries == 1
    totals.rebuild(db.session)
    db.session.commit()
    assert totals.differences(db.session) == [] and len(term_rows(db)) == 1


def test_no_current_term_is_a_clear_refusal(db):
    with pytest.raises(InvalidInput) as refused:
        resolve_period(db.session, "term", date(2026, 11, 25))
    assert "term" in refused.value.errors
