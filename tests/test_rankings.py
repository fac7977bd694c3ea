"""The first leaderboard and the member's totals: ties, masking, periods, branches."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tracker.ledger import points
from tracker.people.names import mask_name
from tracker.people.scope import Scope
from tracker.periods import custom_period, standard_period
from tracker.ranking import statistics
from tracker.ranking.branches import branch_leaderboard
from tracker.ranking.members import member_leaderboard, member_points

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def award(db, member, reviewer, quantity, day=date(2026, 11, 24), key="volunteer", make=None):
    activity = make.activity(member, key, quantity=quantity, occurred_on=day)
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()


def test_ties_share_a_rank(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    a, b, c, d = (make.member(branch, name=n) for n in ("甲", "乙", "丙", "丁"))
    for member, hours in ((a, 3), (b, 2), (c, 2), (d, 1)):
        award(db, member, reviewer, hours, make=make)
    board = member_leaderboard(
        db.session,
        standard_period("month", date(2026, 11, 25)),
        Scope("branch", branch.id),
        viewer_id=d.id,
    )
    ranks = {row.name: row.rank for row in board.rows}
    assert [ranks["甲"], ranks["乙"], ranks["丙"], ranks["丁"]] == [1, 2, 2, 4]
    # Listed, but with no points yet not ranked: not "5th of 5".
    assert ranks[reviewer.name] is None
    assert board.total == 5 and board.ranked == 4
    assert board.me.rank == 4 and board.me.points == Decimal(2)


def test_standard_and_custom_periods_agree(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    award(db, member, reviewer, 2, day=date(2026, 11, 2), make=make)
    award(db, member, reviewer, Decimal("1.5"), day=date(2026, 11, 24), make=make)
    month = standard_period("month", date(2026, 11, 25))
    custom = custom_period(date(2026, 11, 1), date(2026, 11, 30))
    scope = Scope("branch", branch.id)
    for period in (month, custom):
        board = member_leaderboard(db.session, period, scope, viewer_id=member.id)
        assert board.me.points == Decimal(7) and board.me.entries == 2
    assert member_points(db.session, member.id, month) == Decimal(7)
    week = standard_period("week", date(2026, 11, 25))
    assert member_points(db.session, member.id, week) == Decimal(3)


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
    in_old = member_leaderboard(db.session, month, Scope("branch", old.id), viewer_id=member.id)
    in_new = member_leaderboard(db.session, month, Scope("branch", new.id), viewer_id=member.id)
    assert in_old.me.points == Decimal(4) and in_new.me.points == Decimal(2)
    assert member_points(db.session, member.id, month) == Decimal(6)


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
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"


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


def test_viewer_row_is_shown_with_neighbours_when_off_the_page(db, make, login):
    branch = make.branch()
    reviewer = make.committee(branch, name="审核人")
    people = [make.member(branch, name=f"成员{n:02d}") for n in range(6)]
    for hours, member in zip(range(6, 0, -1), people, strict=True):
        award(db, member, reviewer, hours, make=make)
    board = member_leaderboard(
        db.session,
        standard_period("month", date(2026, 11, 25)),
        Scope("branch", branch.id),
        per_page=2,
        viewer_id=people[3].id,
    )
    assert [r.user_id for r in board.rows] == [people[0].id, people[1].id]
    assert not board.me_on_page and board.total == 7 and board.pages == 4
    assert [r.user_id for r in board.around_me] == [p.id for p in people[2:5]]
    assert [r.rank for r in board.around_me] == [3, 4, 5]
    page = login(people[3]).get("/leaderboard/?period=month").get_data(as_text=True)
    assert 'id="around-me"' not in page  # 50 a page: the viewer is on the first one


def test_branch_leaderboard_per_capita_counts_members_of_the_period(db, make):
    from tracker.models import Membership

    college = make.college()
    grew, steady = make.branch(college), make.branch(college)
    archived = make.branch(college)
    archived.archived_at = NOW
    make.member(archived)
    reviewer_a, reviewer_b = make.committee(grew), make.committee(steady)
    mover = make.member(steady, joined_on=date(2026, 9, 1))
    quiet = make.member(grew)
    award(db, mover, reviewer_b, 2, day=date(2026, 11, 2), make=make)  # 4 points in steady
    membership = db.session.query(Membership).filter_by(user_id=mover.id).one()
    membership.end_on = date(2026, 11, 10)
    db.session.add(Membership(user_id=mover.id, branch_id=grew.id, start_on=date(2026, 11, 10)))
    mover.branch_id = grew.id
    db.session.commit()
    award(db, mover, reviewer_a, 3, day=date(2026, 11, 24), make=make)  # 6 points in grew
    month = standard_period("month", date(2026, 11, 25))
    rows = branch_leaderboard(db.session, month, Scope("college", college.id))
    by_id = {r.branch_id: r for r in rows}
    assert archived.id not in by_id
    # grew: reviewer, quiet and the mover (who joined mid-month) = 3 members, 6 points.
    assert (by_id[grew.id].points, by_id[grew.id].members) == (Decimal(6), 3)
    assert by_id[grew.id].per_capita == Decimal(2) and by_id[grew.id].participation == Decimal(
        "33.3"
    )
    # steady: reviewer and the mover (who left mid-month) = 2 members, 4 points.
    assert (by_id[steady.id].points, by_id[steady.id].members) == (Decimal(4), 2)
    assert by_id[steady.id].per_capita == Decimal(2) and by_id[steady.id].participation == 50
    assert [r.branch_id for r in rows] == [grew.id, steady.id]
    by_share = branch_leaderboard(
        db.session, month, Scope("college", college.id), sort="participation"
    )
    assert [r.branch_id for r in by_share] == [steady.id, grew.id]
    tie = branch_leaderboard(db.session, month, Scope("college", college.id), sort="per_capita")
    assert [r.rank for r in tie] == [1, 1]
    before = custom_period(date(2025, 8, 1), date(2025, 8, 31))  # before anyone joined
    assert {
        r.members for r in branch_leaderboard(db.session, before, Scope("college", college.id))
    } == {0}
    assert quiet.id  # a member without activities counts as a member, not a participant


def test_a_member_who_became_an_advisor_counts_for_the_days_they_were_a_member(db, make):
    from tracker.models import Role
    from tracker.people import organisation

    branch = make.branch()
    make.committee(branch)
    promoted = make.member(branch, joined_on=date(2026, 9, 1))
    organisation.set_role(db.session, promoted, Role.ADVISOR, None, date(2026, 11, 20))
    db.session.commit()
    scope = Scope("branch", branch.id)
    november = standard_period("month", date(2026, 11, 25))
    [row] = branch_leaderboard(db.session, november, scope)
    assert row.members == 2
    december = standard_period("month", date(2026, 12, 1))
    [row] = branch_leaderboard(db.session, december, scope)
    assert row.members == 1


def test_revoked_activities_do_not_count_as_participation(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    activity = make.activity(member, "volunteer", quantity=1, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, activity, reviewer, NOW)
    points.revoke_approval(db.session, activity, reviewer, "撤销", NOW)
    db.session.commit()
    for period in (
        standard_period("week", date(2026, 11, 25)),
        custom_period(date(2026, 11, 23), date(2026, 11, 25)),
    ):
        [row] = branch_leaderboard(db.session, period, Scope("branch", branch.id))
        assert row.points == 0 and row.active_members == 0 and row.members == 2


def test_participation_follows_approvals_revocations_and_adjustments(db, make):
    from tracker.ledger import totals

    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    week = standard_period("week", date(2026, 11, 25))
    scope = Scope("branch", branch.id)
    study = make.category("study").id

    def active(category_id=None):
        [row] = branch_leaderboard(db.session, week, scope, category_id=category_id)
        return row.active_members

    first, second = (
        make.activity(member, "volunteer", quantity=1, occurred_on=date(2026, 11, d))
        for d in (23, 24)
    )
    for activity in (first, second):
        points.approve_activity(db.session, activity, reviewer, NOW)
    assert active() == 1 and active(study) == 0
    points.revoke_approval(db.session, first, reviewer, "重复", NOW)
    assert active() == 1  # the other activity still counts
    # An adjustment moves points, not the number of activities.
    points.adjust_points(db.session, member, reviewer, Decimal(2), "补录", date(2026, 11, 24))
    points.revoke_approval(db.session, second, reviewer, "重复", NOW)
    assert active() == 0
    points.approve_activity(
        db.session, make.activity(member, occurred_on=date(2026, 11, 24)), reviewer, NOW
    )
    assert active() == 1 and active(study) == 1
    db.session.commit()
    assert totals.differences(db.session) == []


def test_category_filter_and_points_by_category(db, make):
    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    award(db, member, reviewer, 2, key="volunteer", make=make)
    award(db, member, reviewer, 60, key="study", day=date(2026, 11, 23), make=make)
    study = make.category("study")
    scope = Scope("branch", branch.id)
    for period in (
        standard_period("month", date(2026, 11, 25)),
        custom_period(date(2026, 11, 1), date(2026, 11, 30)),
    ):
        board = member_leaderboard(
            db.session, period, scope, category_id=study.id, viewer_id=member.id
        )
        assert board.me.points == Decimal(2) and board.me.entries == 1
        mix = {c.key: c.points for c in statistics.points_by_category(db.session, period, scope)}
        assert mix == {"study": Decimal(2), "volunteer": Decimal(4)}


def test_period_boundaries_in_shanghai(db, make, login):
    import time_machine

    from tracker.ledger import terms

    branch = make.branch()
    reviewer = make.committee(branch)
    member = make.member(branch)
    terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2026, 11, 30))
    db.session.commit()
    award(db, member, reviewer, 1, day=date(2026, 11, 30), make=make)  # the term's last day
    award(db, member, reviewer, 1, day=date(2026, 8, 31), make=make)  # last academic year
    # Monday 30 November, 23:30 in Shanghai (15:30 UTC): still November, still the term.
    with time_machine.travel(datetime(2026, 11, 30, 15, 30, tzinfo=UTC), tick=False):
        home = login(member).get("/").get_data(as_text=True)
    assert 'data-period="month">2<' in home and 'data-period="term">2<' in home
    assert 'data-period="year">2<' in home and 'data-period="all">4<' in home
    # Half an hour later: December, no current term, still the same academic year.
    with time_machine.travel(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), tick=False):
        home = login(member).get("/").get_data(as_text=True)
    assert 'data-period="month">0<' in home and 'data-period="term"' not in home
    assert 'data-period="year">2<' in home and 'data-period="week">2<' in home


def test_members_see_the_school_leaderboard_with_masked_names(db, make, login):
    mine, other = make.branch(), make.branch()
    viewer = make.member(mine, name="王小明")
    make.member(other, name="欧阳娜娜")
    page = login(viewer).get("/leaderboard/?scope=school&period=all").get_data(as_text=True)
    assert "王小明" in page and "欧**娜" in page and "欧阳娜娜" not in page
    committee = make.committee(mine, name="李支委")
    page = login(committee).get("/leaderboard/?scope=school").get_data(as_text=True)
    assert "王小明" in page and "欧阳娜娜" not in page  # full names only of their branch


def test_advisor_scope_limits_every_leaderboard(db, make, login):
    from tracker.models import AdvisorScope, Role

    college = make.college()
    mine, sibling = make.branch(college), make.branch(college)
    elsewhere = make.branch()
    make.member(mine, name="本支部甲")
    make.member(sibling, name="隔壁乙")
    make.member(elsewhere, name="外院丙")
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=mine.id))
    db.session.commit()
    client = login(advisor)
    school = client.get("/leaderboard/?scope=school").get_data(as_text=True)
    assert "本支部甲" in school and "隔壁乙" not in school and "外院丙" not in school
    college_page = client.get(f"/leaderboard/branches?scope=college&college={college.id}")
    assert mine.name in college_page.get_data(as_text=True)
    assert sibling.name not in college_page.get_data(as_text=True)
    other_college = elsewhere.college_id
    assert client.get(f"/leaderboard/?scope=college&college={other_college}").status_code == 404
    assert (
        client.get(f"/leaderboard/branches?scope=college&college={other_college}").status_code
        == 404
    )


def test_custom_and_term_periods_from_the_query_string(db, make, login):
    from tracker.ledger import terms

    member = make.member()
    term = terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))
    db.session.commit()
    client = login(member)
    assert client.get("/leaderboard/?period=term").status_code == 200
    assert client.get(f"/leaderboard/?period=term&term={term.id}").status_code == 200
    assert client.get("/leaderboard/?period=term&term=9999").status_code == 404
    ok = "/leaderboard/?period=custom&from=2026-11-01&to=2026-11-30"
    assert client.get(ok).status_code == 200
    assert (
        client.get("/leaderboard/?period=custom&from=2026-11-30&to=2026-11-01").status_code == 400
    )
    assert client.get("/leaderboard/?period=custom").status_code == 400
    assert client.get("/leaderboard/branches?sort=shoe").status_code == 400


def test_branch_leaderboard_pages_and_keeps_the_viewers_branch_in_view(
    db, make, login, monkeypatch
):
    from tracker.web.leaderboards import views

    monkeypatch.setattr(views, "BRANCHES_PER_PAGE", 2)
    college = make.college()
    for name in ("A支部", "B支部", "C支部", "D支部"):
        make.branch(college, name=name)
    mine = make.branch(college, name="E支部")
    reviewer = make.committee(mine)
    award(db, make.member(mine), reviewer, 5, make=make)
    client = login(make.member(make.branch(college, name="F支部")))

    names = ("A支部", "B支部", "C支部", "D支部", "E支部", "F支部")

    def rows(response) -> tuple[list[str], list[str]]:
        """Branches on the page, in order, and the one pinned below it."""
        page, _, pinned = response.get_data(as_text=True).partition('id="my-branch"')

        def listed(html):
            return sorted((n for n in names if f">{n}<" in html), key=lambda n: html.index(n))

        return listed(page), listed(pinned)

    first = client.get("/leaderboard/branches?scope=school&period=all")
    assert rows(first) == (["E支部", "A支部"], ["F支部"])  # points first, then by name
    assert "1 / 3" in first.get_data(as_text=True)
    last = client.get("/leaderboard/branches?scope=school&period=all&page=3")
    assert rows(last) == (["D支部", "F支部"], [])
    # A page past the end shows the last one rather than an empty table.
    beyond = client.get(
        "/leaderboard/branches?scope=school&period=all&page=99", follow_redirects=True
    )
    assert rows(beyond) == (["D支部", "F支部"], [])


def test_a_branch_leaderboard_page_past_the_end_leads_to_the_last_one(db, make, login, monkeypatch):
    from tracker.models import Role
    from tracker.web.leaderboards import views

    monkeypatch.setattr(views, "BRANCHES_PER_PAGE", 2)
    for _ in range(5):
        make.branch()
    # An administrator has no branch of their own to keep in view.
    client = login(make.user(Role.ADMIN))
    response = client.get("/leaderboard/branches?scope=school&period=week&page=9")
    assert response.status_code == 302
    assert "page=3" in response.headers["Location"]


def test_member_leaderboard_pages_link_to_each_other(db, make, login):
    branch = make.branch()
    members = [make.member(branch) for _ in range(51)]
    client = login(members[0])
    first = client.get("/leaderboard/?period=month").get_data(as_text=True)
    assert "1 / 2" in first and "page=2" in first
    second = client.get("/leaderboard/?period=month&page=2").get_data(as_text=True)
    assert "2 / 2" in second and "page=1" in second


def test_a_member_leaderboard_page_past_the_end_leads_to_the_last_one(db, make, login):
    branch = make.branch()
    members = [make.member(branch) for _ in range(51)]
    response = login(members[0]).get("/leaderboard/?period=month&page=7")
    assert response.status_code == 302
    assert "page=2" in response.headers["Location"]
