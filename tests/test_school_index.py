"""The school-wide leaderboard walked from the points index equals the ranked list.

``school_standings`` finds a page of the whole school's leaderboard without
ranking everyone; ``_standings`` ranks everyone in one statement and
is what every other scope uses. Here both read the same awkward school (ties,
equal names, members with nothing, with a revoked entry, below zero, who moved
branch, who left) and must agree on every page and on every viewer's row.
The same school checks the narrower boards (a college, an advisor's branches)
against a board worked out by hand from the ledger.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.ledger import points
from tracker.models import AccountStatus, Membership, Role, User
from tracker.people.scope import Scope
from tracker.periods import standard_period
from tracker.ranking import school_index
from tracker.ranking.members import _standings, member_leaderboard

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def _approve(db, make, member, reviewer, hours, day, key="volunteer"):
    activity = make.activity(member, key, quantity=hours, occurred_on=day)
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    return activity


@pytest.fixture
def school(db, make):
    """Three branches in two colleges and everyone a leaderboard can list (or must not)."""
    college = make.college()
    north, south = make.branch(college), make.branch(college)
    east = make.branch()
    reviewers = {b.id: make.committee(b, name=f"委员{b.id}") for b in (north, south, east)}
    # Ties at several scores.
    for i, (branch, hours) in enumerate(
        [(north, 3), (south, 3), (east, 2), (north, 2), (south, 2), (east, 1), (north, 1)]
    ):
        member = make.member(branch, name=f"成员{i % 5}")
        _approve(db, make, member, reviewers[branch.id], hours, date(2026, 11, 23))
    # Points in another week of the month only, and in a second category.
    member = make.member(east, name="阿月")
    _approve(db, make, member, reviewers[east.id], 2, date(2026, 11, 3))
    _approve(db, make, member, reviewers[east.id], 60, date(2026, 11, 4), key="study")
    # Nothing at all, several of them.
    for branch, name in ((north, "无分甲"), (south, "成员1"), (east, "安")):
        make.member(branch, name=name)
    # A total of zero: approved, then revoked.
    revoked = make.member(north, name="撤销")
    activity = _approve(db, make, revoked, reviewers[north.id], 2, date(2026, 11, 24))
    points.revoke_approval(db.session, activity, reviewers[north.id], "重复提交", NOW)
    # Below zero: an adjustment without anything else.
    for name, amount in (("扣分甲", "-3"), ("扣分乙", "-3"), ("扣分丙", "-1.5")):
        member = make.member(south, name=name)
        points.adjust_points(
            db.session, member, reviewers[south.id], Decimal(amount), "未按时提交", TODAY
        )
    # Moved branch mid-month with points in both.
    mover = make.member(north, name="调动", joined_on=date(2026, 9, 1))
    _approve(db, make, mover, reviewers[north.id], 1, date(2026, 11, 2))
    membership = db.session.scalars(select(Membership).filter_by(user_id=mover.id)).one()
    membership.end_on = date(2026, 11, 10)
    db.session.add(Membership(user_id=mover.id, branch_id=south.id, start_on=date(2026, 11, 10)))
    mover.branch_id = south.id
    db.session.commit()
    _approve(db, make, mover, reviewers[south.id], 1, date(2026, 11, 24))
    # Left after earning points (still listed), left without (not listed), an advisor.
    gone = make.member(east, name="已离开")
    _approve(db, make, gone, reviewers[east.id], 3, date(2026, 11, 24))
    gone.status = AccountStatus.DEACTIVATED
    make.member(east, name="未激活", status=AccountStatus.DEACTIVATED)
    make.user(Role.ADVISOR, name="辅导员")
    db.session.commit()
    return {"college": college, "north": north, "south": south, "east": east}


def _reference(db, period, category_id):
    """Every row as the one-statement ranking gives it."""
    ranked = _standings(period, Scope("school"), category_id).subquery()
    rows = db.session.execute(select(ranked).order_by(ranked.c.position)).all()
    return [
        (r.position, r.rank, r.user_id, Decimal(r.points or 0).quantize(Decimal("0.1")))
        for r in rows
    ]


def _plain(standings):
    return [(s.position, s.rank, s.user_id, s.points) for s in standings]


@pytest.mark.parametrize("kind", ["week", "month", "all"])
def test_every_page_and_every_viewer_match_the_ranked_list(db, make, school, kind):
    period = standard_period(kind, TODAY)
    study = make.category("study").id
    for category_id in (None, study):
        expected = _reference(db, period, category_id)
        assert len(expected) > 5
        for per_page in (1, 4, 7, 50):
            for page in range(1, len(expected) // per_page + 3):
                board = school_index.leaderboard(
                    db.session, period, category_id, page=page, per_page=per_page, viewer_id=None
                )
                first = (page - 1) * per_page
                assert _plain(board.rows) == expected[first : first + per_page]
                assert board.total == len(expected)
        listed = {row[2] for row in expected}
        for user_id in db.session.scalars(select(User.id)):
            board = school_index.leaderboard(
                db.session, period, category_id, page=1, per_page=3, viewer_id=user_id
            )
            if user_id not in listed:
                assert board.me is None and board.around_me == []
                continue
            at = next(i for i, row in enumerate(expected) if row[2] == user_id)
            assert _plain([board.me]) == [expected[at]]
            assert _plain(board.around_me) == expected[max(at - 1, 0) : at + 2]


def test_the_school_board_shows_zero_and_negative_totals_in_order(db, school):
    board = member_leaderboard(
        db.session, standard_period("month", TODAY), Scope("school"), per_page=100
    )
    scores = [row.points for row in board.rows]
    assert scores == sorted(scores, reverse=True)
    assert scores[-3:] == [Decimal("-1.5"), Decimal(-3), Decimal(-3)]
    zero = [row for row in board.rows if row.points == 0]
    assert len({row.rank for row in zero}) == 1
    # Equal points: in the order the members joined the tracker.
    assert [row.user_id for row in zero] == sorted(row.user_id for row in zero)
    names = {row.name for row in board.rows}
    assert "已离开" in names and "未激活" not in names and "辅导员" not in names


def _by_hand(db, period, branch_ids):
    """The narrowed board worked out from the ledger and the users, in Python:
    ranked members now in the branches, and anyone who earned points there."""
    from tracker.models import LedgerEntry

    earned: dict[int, Decimal] = {}
    for entry in db.session.scalars(select(LedgerEntry)):
        if entry.branch_id in branch_ids and period.start <= entry.earned_on < period.end:
            earned[entry.user_id] = earned.get(entry.user_id, Decimal(0)) + entry.points
    listed = [
        (earned.get(user.id, Decimal(0)), user.id)
        for user in db.session.scalars(select(User))
        if user.id in earned
        or (
            user.branch_id in branch_ids
            and user.status == AccountStatus.ACTIVE
            and user.role in (Role.MEMBER, Role.COMMITTEE)
        )
    ]
    listed.sort(key=lambda row: (-row[0], row[1]))
    rows = []
    for position, (total, user_id) in enumerate(listed, start=1):
        tied = rows and rows[-1][3] == total
        rank = rows[-1][1] if tied else position
        # No points (or fewer than none): listed, not ranked.
        rows.append((position, rank if total > 0 else None, user_id, total))
    return rows


@pytest.mark.parametrize("kind", ["week", "month", "all"])
def test_college_and_advisor_boards_list_whom_the_ledger_says(db, make, school, kind):
    period = standard_period(kind, TODAY)
    college, east = school["college"], school["east"]
    scopes = {
        # The mover stays within the college; the member who left earned in the east.
        Scope("college", college.id): {school["north"].id, school["south"].id},
        # An advisor of the east branch: "the whole school" is that branch.
        Scope("school", None, frozenset({east.id})): {east.id},
    }
    gone = db.session.scalars(select(User.id).filter_by(name="已离开")).one()
    for scope, branch_ids in scopes.items():
        board = member_leaderboard(db.session, period, scope, per_page=100)
        assert _plain(board.rows) == _by_hand(db, period, branch_ids)
        listed = {row.user_id for row in board.rows}
        assert (gone in listed) == (east.id in branch_ids)
