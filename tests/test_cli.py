"""The command line a campus scripts its set-up with."""

import re

import pytest
from sqlalchemy import select

from tracker.clock import campus_today
from tracker.devtools import demo_xuexi
from tracker.ledger.terms import current_term
from tracker.models import (
    AdvisorScope,
    Branch,
    College,
    EntryKind,
    LedgerEntry,
    MemberTotal,
    Role,
    Term,
    User,
)
from tracker.people.scope import Scope
from tracker.ranking.branches import branch_leaderboard


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def test_campus_set_up_from_the_command_line(cli, db, login):
    result = cli("colleges", "create", "马克思主义学院")
    assert result.exit_code == 0 and "马克思主义学院" in result.output
    result = cli("branches", "create", "第一党支部", "--college", "马克思主义学院")
    assert result.exit_code == 0 and "invitation code" in result.output
    result = cli("create-admin", "admin01", "--name", "管理员", "--password", "admin-pass-1")
    assert result.exit_code == 0
    result = cli(
        "users",
        "create",
        "20260001",
        "--name",
        "张三",
        "--role",
        "member",
        "--branch",
        "第一党支部",
        "--password",
        "member-pass-1",
    )
    assert result.exit_code == 0, result.output
    result = cli(
        "users",
        "create",
        "t001",
        "--name",
        "刘老师",
        "--role",
        "advisor",
        "--college",
        "马克思主义学院",
        "--password",
        "advisor-pass-1",
    )
    assert result.exit_code == 0, result.output
    member = db.session.scalars(select(User).where(User.student_no == "20260001")).one()
    assert member.branch.name == "第一党支部" and member.role == Role.MEMBER
    advisor = db.session.scalars(select(User).where(User.student_no == "t001")).one()
    assert (
        db.session.scalars(select(AdvisorScope).where(AdvisorScope.user_id == advisor.id))
        .one()
        .college_id
        is not None
    )
    login(member, "member-pass-1")


def test_bad_input_exits_non_zero_with_a_message(cli, db):
    cli("colleges", "create", "学院A")
    assert cli("colleges", "create", "学院A").exit_code != 0
    result = cli("branches", "create", "支部", "--college", "没有这个学院")
    assert result.exit_code != 0 and "No college" in result.output
    result = cli(
        "users",
        "create",
        "20260002",
        "--name",
        "李四",
        "--role",
        "member",
        "--password",
        "member-pass-1",
    )
    assert result.exit_code != 0 and "--branch" in result.output
    result = cli(
        "users",
        "create",
        "20260003",
        "--name",
        "王五",
        "--role",
        "chief",
        "--password",
        "member-pass-1",
    )
    assert result.exit_code != 0
    result = cli("create-admin", "ad", "--name", "x", "--password", "short")
    assert result.exit_code != 0
    result = cli("create-admin", "admin02", "--name", "x", "--password", "short")
    assert result.exit_code != 0 and "8" in result.output
    assert db.session.scalar(select(User)) is None


def test_password_is_prompted_when_not_given(cli, db):
    result = cli(
        "create-admin", "admin03", "--name", "管理员", input="prompted-pass-1\nprompted-pass-1\n"
    )
    assert result.exit_code == 0, result.output
    result = cli("users", "set-password", "admin03", input="another-pass-2\nanother-pass-2\n")
    assert result.exit_code == 0
    assert cli("users", "set-password", "nobody", "--password", "x-pass-word1").exit_code != 0


# The demo is what `make run` seeds, on SQLite; how the ledger behaves on PostgreSQL is every
# other test's business (seeding it there takes three times as long: a round trip a statement).
@pytest.mark.sqlite_only
@pytest.mark.slow
def test_seed_demo_then_check_ledger(cli, db):
    result = cli("seed-demo")
    assert result.exit_code == 0, result.output
    assert "admin" in result.output and "demo-2026" in result.output
    assert db.session.query(College).count() == 2
    assert db.session.query(Branch).count() == 6
    assert 100 <= db.session.query(User).count() <= 160
    assert db.session.query(LedgerEntry).count() > 500
    # Last week's 学习强国 report is booked; this week's, written for trying, books the gains.
    # The baseline of two Sundays ago books nothing; last week's gains are booked.
    booked = dict(
        db.session.query(LedgerEntry.user_id, LedgerEntry.points).filter_by(kind=EntryKind.EXTERNAL)
    )
    members = db.session.query(User).filter(User.branch_id.is_not(None)).all()
    gains = {m.id: demo_xuexi._points(m.student_no, 1)[1] for m in members}
    assert booked == {user: points for user, points in gains.items() if points}
    sample = re.search(r"import-points (\S+) --source xuexi", result.output).group(1)
    result = cli("import-points", sample, "--source", "xuexi")
    assert result.exit_code == 0 and "Booked." in result.output, result.output
    result = cli("check-ledger")
    assert result.exit_code == 0 and "agree" in result.output
    _demo_has_group_activities(db)
    _demo_terms_show_points(db)
    again = cli("seed-demo", "--if-empty")
    assert again.exit_code == 0 and "member" in again.output
    assert cli("seed-demo").exit_code != 0


def test_check_ledger_names_a_difference_and_rebuild_repairs_it(cli, db, make):
    from datetime import UTC, datetime

    from tracker.ledger import points

    member = make.member()
    reviewer = make.committee(member.branch)
    points.approve_activity(
        db.session, make.activity(member, quantity=60), reviewer, datetime.now(UTC)
    )
    db.session.commit()
    row = db.session.scalars(select(MemberTotal).where(MemberTotal.period_kind == "week")).one()
    row.points = 7
    db.session.commit()
    result = cli("check-ledger")
    assert result.exit_code != 0 and f"member {member.id}" in result.output
    assert cli("rebuild-totals").exit_code == 0
    assert cli("check-ledger").exit_code == 0


def _demo_has_group_activities(db):
    """Past (closed, booked) and upcoming events, pairings, sessions in every state."""
    from sqlalchemy import func, select

    from tracker.models import Activity, ActivityMentee, ActivityStatus, Event, Pairing

    closed = db.session.scalar(select(func.count()).where(Event.closed_at.is_not(None)))
    upcoming = db.session.scalar(select(func.count()).where(Event.closed_at.is_(None)))
    assert closed >= 6 and upcoming >= 6
    kinds = set(db.session.scalars(select(Event.kind)))
    assert {"congress", "committee", "theme_day", "lecture", "other"} <= kinds
    from tracker.models import Minutes

    written = db.session.scalars(select(Minutes)).all()
    assert len(written) >= 12 and any(m.locked_at for m in written)
    assert all(m.attendance for m in written)
    # A photo on one open minutes, kept in the store; committee posts and stage days for the roster.
    from flask import current_app

    from tracker import storage
    from tracker.models import Membership, MinutesAttachment

    (photo,) = db.session.scalars(select(MinutesAttachment)).all()
    assert photo.minutes.locked_at is None and photo.content_type == "image/jpeg"
    assert storage.of(current_app).exists(photo.stored_name)
    posts = set(db.session.scalars(select(Membership.committee_post)))
    assert {"书记", "组织委员"} <= posts
    assert db.session.scalar(select(func.count()).where(User.stage_since.is_not(None))) > 100
    assert db.session.scalar(select(func.count()).where(Activity.event_id.is_not(None))) > 100
    assert db.session.scalar(select(func.count()).select_from(Pairing)) > 20
    waiting = db.session.scalars(
        select(ActivityMentee.response)
        .join(Activity)
        .where(Activity.status == ActivityStatus.PENDING)
    )
    assert {"pending", "confirmed", "disputed"} <= {str(r) for r in waiting}


def _demo_terms_show_points(db):
    today = campus_today()
    current = current_term(db.session, today)
    assert current is not None and db.session.query(Term).count() == 2
    board = branch_leaderboard(db.session, current, Scope("school"))
    assert sum(b.points for b in board) > 0


def test_check_ledger_names_each_kind_of_difference(cli, db, make):
    """The check is the database's own sums compared with the stored rows: a total
    missing, a total the ledger never made, a score count off, and an activity whose
    state its ledger rows do not bear out are each named, with what the ledger says."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from tracker.ledger import points
    from tracker.models import ActivityStatus, BranchTotal, ScoreCount

    member = make.member()
    reviewer = make.committee(member.branch)
    activity = make.activity(member, quantity=60)
    points.approve_activity(db.session, activity, reviewer, datetime.now(UTC))
    waiting = make.activity(member, quantity=30)
    db.session.commit()
    week = db.session.scalars(select(MemberTotal).where(MemberTotal.period_kind == "week")).one()
    week_start, earned = week.period_start, week.points
    db.session.delete(week)
    db.session.add(
        BranchTotal(
            period_kind="month",
            period_start=date(1999, 1, 1),
            branch_id=member.branch_id,
            points=Decimal(3),
            entries=1,
            active_members=1,
        )
    )
    count = (
        db.session.scalars(
            select(ScoreCount).where(ScoreCount.period_kind == "term", ScoreCount.category_id == 0)
        ).first()
        or db.session.scalars(select(ScoreCount)).first()
    )
    count.members += 2
    waiting.status = ActivityStatus.APPROVED
    db.session.commit()

    result = cli("check-ledger")
    assert result.exit_code != 0
    out = result.output
    assert (
        f"member {member.id} in branch {member.branch_id}, week from {week_start}: "
        f"stored 0 points / 0 entries, ledger says {earned} points / 1 entries" in out
    )
    assert f"branch {member.branch_id}, month from 1999-01-01: stored 3.0 points" in out
    assert "ledger says 0 points / 0 entries / 0 active members" in out
    assert f"stored {count.members}, ledger says {count.members - 2}" in out
    assert f"activity {waiting.id} is approved but the ledger holds nothing" in out
    assert f"activity {activity.id}" not in out
