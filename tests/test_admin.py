"""Administration pages: colleges, branches, accounts, roles, moves, categories, settings."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.ledger.points import approve_activity
from tracker.models import (
    AccountStatus,
    Activity,
    AdvisorScope,
    AuditEvent,
    Branch,
    Category,
    College,
    LedgerEntry,
    Membership,
    PointRule,
    Role,
    Stage,
    User,
)
from tracker.people.scope import Scope
from tracker.periods import standard_period
from tracker.ranking.members import member_leaderboard

from .conftest import PASSWORD


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def admin(make, db):
    user = make.user(Role.ADMIN)
    user.locale = "en"  # messages are asserted in English
    db.session.commit()
    return user


@pytest.fixture
def as_admin(clock, admin, login):
    # The clock is frozen first: a session signed later than "now" is refused.
    return login(admin)


def test_only_admins_reach_the_administration_pages(make, login):
    for role in (Role.MEMBER, Role.COMMITTEE, Role.ADVISOR):
        client = login(make.user(role))
        for path in ("/admin/", "/admin/users", "/admin/organisation", "/admin/settings"):
            assert client.get(path).status_code == 403, (role, path)
        assert client.post("/admin/colleges", data={"name": "X"}).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_renames_and_archives(db, make, as_admin):
    assert as_admin.post("/admin/colleges", data={"name": "马克思主义学院"}).status_code == 302
    college = db.session.scalars(select(College)).one()
    response = as_admin.post("/admin/branches", data={"college_id": college.id, "name": "一支部"})
    assert response.status_code == 302
    branch = db.session.scalars(select(Branch)).one()
    as_admin.post(f"/admin/branches/{branch.id}/rename", data={"name": "第一党支部"})
    db.session.refresh(branch)
    assert branch.name == "第一党支部"
    code = branch.invite_code
    as_admin.post(f"/admin/branches/{branch.id}/invite-code", data={"confirmed": "yes"})
    db.session.refresh(branch)
    assert branch.invite_code != code
    as_admin.post(f"/admin/branches/{branch.id}/archive", data={"confirmed": "yes"})
    db.session.refresh(branch)
    assert branch.archived_at is not None
    assert actions(db)[-5:] == [
        "college.created",
        "branch.created",
        "branch.renamed",
        "branch.invite_rotated",
        "branch.archived",
    ]


def test_duplicate_names_are_refused_next_to_the_field(db, make, as_admin):
    college = make.college("文学院")
    make.branch(college, "一支部")
    response = as_admin.post("/admin/colleges", data={"name": "文学院"})
    assert response.status_code == 422 and "A college with this name exists." in response.text
    response = as_admin.post("/admin/branches", data={"college_id": college.id, "name": "一支部"})
    assert response.status_code == 422
    assert db.session.scalar(select(Branch).where(Branch.name == "一支部").limit(2)) is not None
    assert len(db.session.scalars(select(Branch)).all()) == 1


def test_branch_with_members_cannot_be_archived(db, make, as_admin):
    branch = make.branch()
    make.member(branch)
    as_admin.post(f"/admin/branches/{branch.id}/archive", data={"confirmed": "yes"})
    db.session.refresh(branch)
    assert branch.archived_at is None


def test_archived_branch_keeps_history_and_leaves_current_rankings(db, make, login, as_admin):
    old, new = make.branch(), make.branch()
    member = make.member(old, joined_on=date(2026, 9, 1))
    activity = make.activity(member, occurred_on=date(2026, 10, 5))
    approve_activity(db.session, activity, make.committee(old), datetime.now(UTC))
    db.session.commit()
    as_admin.post(
        f"/admin/users/{member.id}/move", data={"branch_id": new.id, "from_day": "2026-11-01"}
    )
    committee = db.session.scalars(select(User).where(User.role == Role.COMMITTEE)).one()
    as_admin.post(f"/admin/users/{committee.id}/deactivate", data={"confirmed": "yes"})
    assert (
        as_admin.post(f"/admin/branches/{old.id}/archive", data={"confirmed": "yes"}).status_code
        == 302
    )
    db.session.refresh(old)
    assert old.archived_at is not None
    ledger = db.session.scalars(select(LedgerEntry)).one()
    assert ledger.branch_id == old.id
    everything = standard_period("all", date(2026, 11, 25))
    board = member_leaderboard(db.session, everything, Scope("branch", old.id))
    assert [row.user_id for row in board.rows] == [member.id]  # history is still there
    page = login(member).get("/leaderboard/").text
    assert old.name not in page  # but not offered as a current ranking
    # An archived branch cannot be chosen in a form.
    other = make.member(new)
    response = as_admin.post(
        f"/admin/users/{other.id}/move", data={"branch_id": old.id, "from_day": "2026-11-20"}
    )
    assert response.status_code == 422 and "This branch is archived." in response.text
    response = as_admin.post(
        "/admin/users/new",
        data={"student_no": "20260001", "name": "新人", "role": "member", "branch_id": old.id},
    )
    assert response.status_code == 422 and "This branch is archived." in response.text
    assert db.session.scalar(select(User).where(User.student_no == "20260001")) is None


def test_search_by_name_or_student_number(make, as_admin):
    make.member(name="李雷", student_no="2023001")
    make.member(name="韩梅梅", student_no="2023002")
    page = as_admin.get("/admin/users?q=李").text
    assert "李雷" in page and "韩梅梅" not in page
    page = as_admin.get("/admin/users?q=2023002").text
    assert "韩梅梅" in page and "李雷" not in page
    assert as_admin.get("/admin/users?q=" + "x" * 65).status_code == 400
    assert as_admin.get("/admin/users?page=0").status_code == 400


def test_new_account_gets_a_one_time_activation_link(db, make, client, as_admin):
    branch = make.branch()
    response = as_admin.post(
        "/admin/users/new",
        data={
            "student_no": "20269999",
            "name": "周新",
            "email": "zhou@example.edu.cn",
            "role": "member",
            "stage": "activist",
            "branch_id": branch.id,
        },
    )
    assert response.status_code == 200
    link = response.text.split("/activate/")[1].split("<")[0]
    user = db.session.scalars(select(User).where(User.student_no == "20269999")).one()
    assert user.password_hash is None and user.branch_id == branch.id
    assert client.get(f"/activate/{link}").status_code == 200
    response = client.post(
        f"/activate/{link}", data={"password": "a-new-secret-1", "confirm": "a-new-secret-1"}
    )
    assert response.status_code == 302
    assert (
        client.post(
            "/login", data={"student_no": "20269999", "password": "a-new-secret-1"}
        ).status_code
        == 302
    )
    # The link is spent.
    assert client.get(f"/activate/{link}").status_code == 404
    assert client.get("/activate/not-a-token").status_code == 404
    assert "user.activated" in actions(db)


@pytest.mark.config(TRACKER_BASE_URL="https://tracker.example.edu.cn")
def test_activation_link_starts_with_the_base_url(db, make, as_admin):
    response = as_admin.post(
        "/admin/users/new",
        data={
            "student_no": "20269998",
            "name": "吴新",
            "role": "member",
            "branch_id": make.branch().id,
        },
    )
    assert "https://tracker.example.edu.cn/activate/" in response.text


def test_activation_link_expires(db, make, client, as_admin, clock):
    branch = make.branch()
    response = as_admin.post(
        "/admin/users/new",
        data={"student_no": "20268888", "name": "过期", "role": "member", "branch_id": branch.id},
    )
    link = response.text.split("/activate/")[1].split("<")[0]
    clock.move_to(datetime(2026, 12, 25, tzinfo=UTC))
    assert client.get(f"/activate/{link}").status_code == 404


def test_bad_email_is_refused(make, as_admin):
    branch = make.branch()
    response = as_admin.post(
        "/admin/users/new",
        data={
            "student_no": "2026777",
            "name": "甲",
            "email": "not-an-email",
            "role": "member",
            "branch_id": branch.id,
        },
    )
    assert response.status_code == 422


def test_deactivation_ends_sessions_at_once(db, make, login, as_admin):
    member = make.member()
    client = login(member)
    assert client.get("/").status_code == 200
    as_admin.post(f"/admin/users/{member.id}/deactivate", data={"confirmed": "yes"})
    assert client.get("/").status_code == 302
    db.session.refresh(member)
    assert member.status == AccountStatus.DEACTIVATED
    assert "user.deactivated" in actions(db)


def test_admin_cannot_deactivate_themself(db, admin, as_admin):
    as_admin.post(f"/admin/users/{admin.id}/deactivate", data={"confirmed": "yes"})
    db.session.refresh(admin)
    assert admin.status == AccountStatus.ACTIVE


def test_password_reset_forces_a_new_password_before_anything_else(
    db, make, login, client, as_admin
):
    member = make.member()
    session = login(member)
    response = as_admin.post(f"/admin/users/{member.id}/password", data={"confirmed": "yes"})
    temporary = response.text.split('<code class="fs-4">')[1].split("<")[0]
    assert session.get("/").status_code == 302  # the old session has ended
    assert (
        client.post(
            "/login", data={"student_no": member.student_no, "password": PASSWORD}
        ).status_code
        == 200
    )
    response = client.post("/login", data={"student_no": member.student_no, "password": temporary})
    assert response.headers["Location"].endswith("/account/password")
    for path in ("/", "/activities/mine", "/leaderboard/", "/account"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/password"
        ), path
    client.post(
        "/account/password",
        data={"current": temporary, "password": "my-own-secret-9", "confirm": "my-own-secret-9"},
    )
    assert client.get("/").status_code == 200
    assert "user.password_reset" in actions(db)


def test_role_and_stage_changes_are_audited(db, make, as_admin):
    branch = make.branch()
    member = make.member(branch)
    as_admin.post(
        f"/admin/users/{member.id}/profile",
        data={"name": "新名字", "email": "", "stage": "probationary"},
    )
    as_admin.post(f"/admin/users/{member.id}/role", data={"role": "committee", "branch_id": 0})
    db.session.refresh(member)
    assert member.name == "新名字" and member.stage == Stage.PROBATIONARY
    assert member.role == Role.COMMITTEE and member.branch_id == branch.id
    assert actions(db)[-2:] == ["user.edited", "user.role_changed"]


def test_advisor_role_ends_the_membership_and_scopes_are_assigned(db, make, as_admin, clock):
    branch = make.branch()
    person = make.member(branch)
    as_admin.post(f"/admin/users/{person.id}/role", data={"role": "advisor", "branch_id": 0})
    db.session.refresh(person)
    assert person.role == Role.ADVISOR and person.branch_id is None
    membership = db.session.scalars(select(Membership).where(Membership.user_id == person.id)).one()
    assert membership.end_on == date(2026, 11, 25)
    as_admin.post(f"/admin/users/{person.id}/scopes", data={"target": f"branch:{branch.id}"})
    as_admin.post(
        f"/admin/users/{person.id}/scopes", data={"target": f"college:{branch.college_id}"}
    )
    scopes = db.session.scalars(select(AdvisorScope).where(AdvisorScope.user_id == person.id)).all()
    assert len(scopes) == 2
    assert (
        as_admin.post(
            f"/admin/users/{person.id}/scopes", data={"target": "branch:999999"}
        ).status_code
        == 404
    )
    as_admin.post(
        f"/admin/users/{person.id}/scopes/{scopes[0].id}/remove", data={"confirmed": "yes"}
    )
    assert len(db.session.scalars(select(AdvisorScope)).all()) == 1


def test_moving_a_member_keeps_history_with_the_old_branch(db, make, as_admin, clock):
    old, new = make.branch(), make.branch()
    member = make.member(old, joined_on=date(2026, 9, 1))
    activity = make.activity(member, occurred_on=date(2026, 11, 2))
    approve_activity(db.session, activity, make.committee(old), datetime.now(UTC))
    db.session.commit()
    response = as_admin.post(
        f"/admin/users/{member.id}/move", data={"branch_id": new.id, "from_day": "2026-11-10"}
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.branch_id == new.id
    rows = db.session.scalars(
        select(Membership).where(Membership.user_id == member.id).order_by(Membership.start_on)
    ).all()
    assert [(m.branch_id, m.start_on, m.end_on) for m in rows] == [
        (old.id, date(2026, 9, 1), date(2026, 11, 10)),
        (new.id, date(2026, 11, 10), None),
    ]
    assert db.session.scalars(select(LedgerEntry)).one().branch_id == old.id
    month = standard_period("month", date(2026, 11, 25))
    board = member_leaderboard(db.session, month, Scope("branch", old.id), viewer_id=member.id)
    assert board.me.points == Decimal(2)
    assert "user.moved" in actions(db)


@pytest.mark.parametrize(
    ("day", "message"),
    [("2026-12-01", "The move cannot start in the future."), ("2026-08-01", "must start after")],
)
def test_move_dates_are_checked(db, make, as_admin, clock, day, message):
    old, new = make.branch(), make.branch()
    member = make.member(old, joined_on=date(2026, 9, 1))
    response = as_admin.post(
        f"/admin/users/{member.id}/move", data={"branch_id": new.id, "from_day": day}
    )
    assert response.status_code == 422 and message in response.text
    db.session.refresh(member)
    assert member.branch_id == old.id


def test_unknown_ids_are_404(as_admin):
    assert as_admin.get("/admin/users/999999").status_code == 404
    assert as_admin.post("/admin/branches/999999/archive").status_code == 404
    assert as_admin.get("/admin/categories/999999").status_code == 404


# Categories and rules -----------------------------------------------------------

RULE = {
    "per_quantity": "30",
    "points_per_unit": "2",
    "min_quantity": "10",
    "max_quantity": "300",
    "daily_cap": "",
    "weekly_cap": "",
}


def test_rule_version_from_a_date_leaves_awards_alone(db, make, as_admin, clock):
    study = make.category("study")
    member = make.member()
    activity = make.activity(member, occurred_on=date(2026, 11, 20), quantity=60)
    award = approve_activity(db.session, activity, make.committee(member.branch), datetime.now(UTC))
    db.session.commit()
    before = award.points
    response = as_admin.post(
        f"/admin/categories/{study.id}", data={**RULE, "effective_from": "2026-11-01"}
    )
    assert response.status_code == 302
    page = as_admin.get(f"/admin/categories/{study.id}").text
    assert "changes nothing already awarded" in page
    versions = db.session.scalars(select(PointRule).where(PointRule.category_id == study.id)).all()
    assert len(versions) == 2
    db.session.refresh(award)
    assert award.points == before and award.rule_id == versions[0].id
    # A new activity for a day after the new version uses it: 60 minutes → 4 points.
    later = make.activity(member, occurred_on=date(2026, 11, 24), quantity=60)
    assert approve_activity(
        db.session, later, make.committee(member.branch), datetime.now(UTC)
    ).points == Decimal(4)
    assert "rule.version_added" in actions(db)


def test_two_versions_on_one_day_and_bad_bounds_are_refused(db, make, as_admin):
    study = make.category("study")
    response = as_admin.post(
        f"/admin/categories/{study.id}", data={**RULE, "effective_from": "2020-01-01"}
    )
    assert (
        response.status_code == 422 and "A version from this date exists already." in response.text
    )
    response = as_admin.post(
        f"/admin/categories/{study.id}",
        data={**RULE, "min_quantity": "50", "max_quantity": "10", "effective_from": "2026-12-01"},
    )
    assert response.status_code == 422
    assert (
        len(db.session.scalars(select(PointRule).where(PointRule.category_id == study.id)).all())
        == 1
    )


def test_add_and_retire_a_category(db, make, login, as_admin):
    response = as_admin.post(
        "/admin/categories/new",
        data={
            **RULE,
            "key": "reading",
            "name_zh": "读书",
            "name_en": "Reading",
            "unit": "minutes",
            "effective_from": "2026-11-01",
        },
    )
    assert response.status_code == 302
    reading = db.session.scalars(select(Category).where(Category.key == "reading")).one()
    member = make.member()
    client = login(member)
    assert "Reading" in client.get("/activities/new").text
    as_admin.post(f"/admin/categories/{reading.id}/retire", data={"confirmed": "yes"})
    db.session.refresh(reading)
    assert reading.retired_at is not None and reading.rules
    assert "Reading" not in client.get("/activities/new").text
    # A retired category chosen in a form is refused.
    assert client.get("/activities/new/reading").status_code == 404
    response = as_admin.post(
        f"/admin/categories/{reading.id}", data={**RULE, "effective_from": "2026-12-01"}
    )
    assert response.status_code == 422
    assert actions(db)[-1] == "category.retired"


# Runtime settings ---------------------------------------------------------------


def test_settings_change_at_runtime_and_are_audited(db, make, login, as_admin):
    branch = make.branch()
    viewer = make.member(branch, name="王小明")
    make.member(branch, name="欧阳娜娜")
    client = login(viewer)
    assert "欧阳娜娜" not in client.get("/leaderboard/").text
    response = as_admin.post(
        "/admin/settings",
        data={
            "TRACKER_SHOW_FULL_NAMES": "y",
            "TRACKER_BACKDATE_DAYS": "3",
            "TRACKER_INACTIVE_DAYS": "30",
            "TRACKER_COMPLIANCE_REMIND_DAYS": "7",
        },
    )
    assert response.status_code == 302
    assert "欧阳娜娜" in client.get("/leaderboard/").text
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "setting.changed").order_by(AuditEvent.id)
    ).all()
    assert [e.details["key"] for e in events] == [
        "TRACKER_SHOW_FULL_NAMES",
        "TRACKER_BACKDATE_DAYS",
    ]


def test_backdating_window_setting_is_used_by_the_activity_form(db, make, login, as_admin, clock):
    member = make.member()
    as_admin.post(
        "/admin/settings",
        data={
            "TRACKER_BACKDATE_DAYS": "2",
            "TRACKER_INACTIVE_DAYS": "30",
            "TRACKER_COMPLIANCE_REMIND_DAYS": "7",
        },
    )
    response = login(member).post(
        "/activities/new/study",
        data={
            "occurred_on": "2026-11-20",
            "start_time": "09:00",
            "quantity": "60",
            "title": "学习",
            "submission_key": "k1",
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(select(Activity)) is None


def test_settings_out_of_range_are_refused(db, as_admin):
    response = as_admin.post(
        "/admin/settings", data={"TRACKER_BACKDATE_DAYS": "-1", "TRACKER_INACTIVE_DAYS": "0"}
    )
    assert response.status_code == 422
    assert "setting.changed" not in actions(db)


def test_retired_category_cannot_be_chosen_for_an_adjustment(db, make, login, as_admin):
    volunteer = make.category("volunteer")
    as_admin.post(f"/admin/categories/{volunteer.id}/retire", data={"confirmed": "yes"})
    branch = make.branch()
    committee, member = make.committee(branch), make.member(branch)
    client = login(committee)
    assert "志愿服务" not in client.get("/branch/").text.split('id="adjust"')[1]
    response = client.post(
        "/branch/adjustments",
        data={"member_id": member.id, "points": "2", "reason": "补记", "category_id": volunteer.id},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(LedgerEntry)) is None
    from tracker.errors import InvalidInput
    from tracker.ledger.points import adjust_points

    with pytest.raises(InvalidInput):
        adjust_points(
            db.session, member, committee, Decimal(2), "补记", date(2026, 11, 25), volunteer
        )


def test_every_administration_page_shows_what_it_manages(db, make, login, as_admin):
    college = make.college("理学院")
    branch = make.branch(college, "物理支部")
    member = make.member(branch, name="学生甲")
    advisor = make.user(Role.ADVISOR, name="老师乙")
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=college.id))
    db.session.commit()
    study = make.category("study")
    pages = {
        "/admin/": "/admin/import",
        "/admin/organisation": branch.invite_code,
        "/admin/users": "学生甲",
        f"/admin/users/{member.id}": "物理支部",
        f"/admin/users/{advisor.id}": "理学院",
        "/admin/users/new": 'name="student_no"',
        "/admin/categories": "study",
        f"/admin/categories/{study.id}": "2020",
        "/admin/categories/new": 'name="name_zh"',
        "/admin/settings": 'name="TRACKER_BACKDATE_DAYS"',
        "/admin/import": 'type="file"',
        "/audit/": "<table",
    }
    for path, expected in pages.items():
        response = as_admin.get(path)
        assert response.status_code == 200 and expected in response.text, path


def test_a_changed_setting_can_go_back_to_the_configured_value(db, app, as_admin):
    from tracker.settings import setting

    as_admin.post(
        "/admin/settings",
        data={
            "TRACKER_BACKDATE_DAYS": "3",
            "TRACKER_INACTIVE_DAYS": "30",
            "TRACKER_COMPLIANCE_REMIND_DAYS": "7",
        },
    )
    assert setting("TRACKER_BACKDATE_DAYS") == 3
    assert "configured value: 14" in as_admin.get("/admin/settings").text
    assert as_admin.post("/admin/settings/TRACKER_BACKDATE_DAYS/reset").status_code == 302
    assert setting("TRACKER_BACKDATE_DAYS") == app.config["TRACKER_BACKDATE_DAYS"] == 14
    assert actions(db)[-1] == "setting.reset"
    assert as_admin.post("/admin/settings/SECRET_KEY/reset").status_code == 404


def test_admin_turns_on_approval_when_every_mentee_confirmed(as_admin, db, make):
    from tracker.models import Category

    tutoring = db.session.scalars(select(Category).where(Category.key == "tutoring")).one()
    study = db.session.scalars(select(Category).where(Category.key == "study")).one()
    assert "approve-when-confirmed" in as_admin.get(f"/admin/categories/{tutoring.id}").text
    assert "approve-when-confirmed" not in as_admin.get(f"/admin/categories/{study.id}").text
    as_admin.post(f"/admin/categories/{tutoring.id}/approve-when-confirmed", data={"enabled": "1"})
    db.session.refresh(tutoring)
    assert tutoring.approve_when_confirmed
    refused = as_admin.post(
        f"/admin/categories/{study.id}/approve-when-confirmed",
        data={"enabled": "1"},
        follow_redirects=True,
    )
    assert "alert-danger" in refused.text
    db.session.refresh(study)
    assert not study.approve_when_confirmed
    as_admin.post(f"/admin/categories/{tutoring.id}/approve-when-confirmed", data={})
    db.session.refresh(tutoring)
    assert not tutoring.approve_when_confirmed
    assert "category.auto_approval_changed" in actions(db)
