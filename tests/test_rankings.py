"""The first leaderboard and the member's totals: ties, masking, periods, branches."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tracker import points, ranking
from tracker.periods import custom_period, standard_period

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def award(db, member, reviewer, quantity, day=date(2026, 11, 24), key="volunteer", make=None):
    activity = make.activity(member, key, quantity=quantity, occurred_on=day)
    points.approve_entry(db.session, activity, reviewer, NOW)
    db.session.commit()


def test_ties_share_a_rank(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    a, b, c, d = (make.member(branch, name=n) for n in ("甲", "乙", "丙", "丁"))
    for member, hours in ((a, 3), (b, 2), (c, 2), (d, 1)):
        award(db, member, reviewer, hours, make=make)
    board = ranking.member_leaderboard(
        db.session,
        standard_period("month", date(2026, 11, 25)),
        ranking.Scope("branch", branch.id),
        viewer_id=d.id,
    )
    ranks = {row.name: row.rank for row in board.rows}
    assert [ranks["甲"], ranks["乙"], ranks["丙"], ranks["丁"]] == [1, 2, 2, 4]
    assert ranks[reviewer.name] == 5  # no points yet, still listed
    assert board.me.rank == 4 and board.me.points == Decimal(2)


def test_standard_and_custom_periods_agree(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    award(db, member, reviewer, 2, day=date(2026, 11, 2), make=make)
    award(db, member, reviewer, Decimal("1.5"), day=date(2026, 11, 24), make=make)
    month = standard_period("month", date(2026, 11, 25))
    custom = custom_period(date(2026, 11, 1), date(2026, 11, 30))
    scope = ranking.Scope("branch", branch.id)
    for period in (month, custom):
        board = ranking.member_leaderboard(db.session, period, scope, viewer_id=member.id)
        assert board.me.points == Decimal(7) and board.me.entries == 2
    assert ranking.member_points(db.session, member.id, month) == Decimal(7)
    week = standard_period("week", date(2026, 11, 25))
    assert ranking.member_points(db.session, member.id, week) == Decimal(3)


def test_points_stay_with_the_branch_they_were_earned_in(db, make):
    from tracker.models import Membership

    old, new = make.branch(), make.branch()
    member = make.member(old, joined_on=date(2026, 9, 1))
    award(db, member, make.committee(old), 2, day=date(2026, 11, 2), make=make)
    membership = db.session.query(Membership).filter_by(user_id=member.id).one()
    membership.end_on = date(2026, 11, 10)
    db.session.add(Membership(user_id=member.id, branch_id=new.id, start_on=date(2026, 11, 10)))
    member.branch_id = new.id
    db.session.commit()
    award(db, member, make.committee(new), 1, day=date(2026, 11, 24), make=make)
    month = standard_period("month", date(2026, 11, 25))
    in_old = ranking.member_leaderboard(
        db.session, month, ranking.Scope("branch", old.id), viewer_id=member.id
    )
    in_new = ranking.member_leaderboard(
        db.session, month, ranking.Scope("branch", new.id), viewer_id=member.id
    )
    assert in_old.me.points == Decimal(4) and in_new.me.points == Decimal(2)
    assert ranking.member_points(db.session, member.id, month) == Decimal(6)


def test_names_are_masked_for_members_unless_the_setting_allows(db, make, login, app):
    branch = make.branch()
    viewer = make.member(branch, name="王小明")
    make.member(branch, name="欧阳娜娜")
    page = login(viewer).get("/leaderboard/?period=all").get_data(as_text=True)
    assert "王小明" in page and "欧阳娜娜" not in page and "欧**娜" in page
    assert "欧阳娜娜" in login(make.committee(branch)).get("/leaderboard/").get_data(as_text=True)
    app.config["TRACKER_SHOW_FULL_NAMES"] = True
    assert "欧阳娜娜" in login(viewer).get("/leaderboard/").get_data(as_text=True)


def test_mask_name():
    assert ranking.mask_name("张三丰") == "张*丰"
    assert ranking.mask_name("张三") == "张*"
    assert ranking.mask_name("欧阳娜娜") == "欧**娜"


def test_sunday_late_evening_in_shanghai_is_still_that_week(db, make, login):
    import time_machine

    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    award(db, member, reviewer, 1, day=date(2026, 11, 23), make=make)  # Monday
    # Sunday 29 November, 23:30 in Shanghai, is 15:30 UTC.
    with time_machine.travel(datetime(2026, 11, 29, 15, 30, tzinfo=UTC), tick=False):
        home = login(member).get("/").get_data(as_text=True)
    assert 'data-period="week">2<' in home
    # Half an hour later it is Monday in Shanghai: a new week with nothing in it.
    with time_machine.travel(datetime(2026, 11, 29, 16, 30, tzinfo=UTC), tick=False):
        home = login(member).get("/").get_data(as_text=True)
    assert 'data-period="week">0<' in home


def test_advisor_sees_only_assigned_branches(db, make, login):
    from tracker.models import AdvisorScope, Role

    mine, other = make.branch(), make.branch()
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=mine.id))
    db.session.commit()
    client = login(advisor)
    assert client.get(f"/leaderboard/?branch={mine.id}").status_code == 200
    assert client.get(f"/leaderboard/?branch={other.id}").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert mine.name in home and other.name not in home


def test_member_cannot_open_another_branch_leaderboard(make, login):
    member = make.member()
    other = make.branch()
    assert login(member).get(f"/leaderboard/?branch={other.id}").status_code == 404
