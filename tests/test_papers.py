"""Papers to hand in: an event's sign-in sheet and a branch's roster, as XLSX."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from tracker.models import (
    Attendance,
    AttendanceStatus,
    AuditEvent,
    PartyGroup,
    Role,
    Stage,
    User,
    party_group_member,
)
from tracker.people import organisation

from .test_meeting_kinds import meeting


def _sheet(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_signin_sheet_and_roster(clock, db, make, branch, committee, member, english_login):
    on_leave, absent = make.member(branch), make.member(branch)
    group = PartyGroup(branch_id=branch.id, name="第一党小组")
    db.session.add(group)
    db.session.flush()
    db.session.execute(party_group_member.insert().values(group_id=group.id, user_id=member.id))
    event = meeting(db, make, committee, "congress")
    db.session.add_all(
        [
            Attendance(event_id=event.id, user_id=member.id, status=AttendanceStatus.CHECKED_IN),
            Attendance(
                event_id=event.id,
                user_id=on_leave.id,
                status=AttendanceStatus.ON_LEAVE,
                leave_reason="参加省级竞赛",
            ),
        ]
    )
    db.session.commit()
    client = english_login(committee)
    assert f'href="/papers/events/{event.id}/signin.xlsx"' in client.get(
        f"/events/{event.id}"
    ).get_data(as_text=True)
    rows = _sheet(client.get(f"/papers/events/{event.id}/signin.xlsx"))
    header = next(r for r in rows if r[0] == "Name")
    assert header == ["Name", "Student number", "Checked in at", "Attendance", "Signature"]
    body = {r[1]: r for r in rows[rows.index(header) + 1 :]}
    assert body[member.student_no][3] == "present" and body[member.student_no][2] is not None
    assert body[on_leave.student_no][3] == "on leave：参加省级竞赛"
    assert body[absent.student_no][3] == "absent" and body[absent.student_no][4] is None
    assert english_login(member).get(f"/papers/events/{event.id}/signin.xlsx").status_code == 403

    roster = _sheet(client.get(f"/papers/branches/{branch.id}/roster.xlsx"))
    header = next(r for r in roster if r[0] == "Name")
    assert header[-1] == "Party group"
    found = {r[1]: r for r in roster[roster.index(header) + 1 :]}
    assert set(found) == {
        committee.student_no,
        member.student_no,
        on_leave.student_no,
        absent.student_no,
    }
    assert found[member.student_no][2] == "Activist" and found[member.student_no][6] == "第一党小组"
    assert found[committee.student_no][5] == "Committee member"
    other = make.branch()
    assert client.get(f"/papers/branches/{other.id}/roster.xlsx").status_code == 404
    assert english_login(member).get(f"/papers/branches/{branch.id}/roster.xlsx").status_code == 404
    details = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "export"))
    assert {d["what"] for d in details} >= {"signin", "roster"}


def test_roster_lists_stage_days_and_committee_posts_set_by_committee_and_admin(
    clock, db, make, branch, committee, member, english_login
):
    admin = make.user(Role.ADMIN)
    outsider = make.member()
    client = english_login(committee)
    page = client.get("/branch/groups").get_data(as_text=True)
    assert 'action="/branch/posts"' in page and 'list="usual-posts"' in page

    # The committee names posts in its own branch; too long a post is refused with its reason.
    assert (
        client.post(
            "/branch/posts", data={"member_id": committee.id, "committee_post": "书记"}
        ).status_code
        == 302
    )
    long = client.post(
        "/branch/posts",
        data={"member_id": member.id, "committee_post": "委" * 31},
        follow_redirects=True,
    )
    assert "At most 30 characters." in long.get_data(as_text=True)
    assert (
        client.post(
            "/branch/posts", data={"member_id": outsider.id, "committee_post": "书记"}
        ).status_code
        == 404
    )
    assert (
        english_login(member)
        .post("/branch/posts", data={"member_id": member.id, "committee_post": "书记"})
        .status_code
        == 403
    )

    # The administrator sets the day the member entered the stage, and a post too.
    admin_client = english_login(admin)
    form = admin_client.get(f"/admin/users/{member.id}").get_data(as_text=True)
    assert 'name="stage_since"' in form and 'name="committee_post"' in form
    saved = admin_client.post(
        f"/admin/users/{member.id}/profile",
        data={
            "name": member.name,
            "email": "",
            "stage": "development_target",
            "stage_since": "2026-10-08",
            "committee_post": "宣传委员",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).stage_since == date(2026, 10, 8)

    roster = _sheet(client.get(f"/papers/branches/{branch.id}/roster.xlsx"))
    header = next(r for r in roster if r[0] == "Name")
    assert header == [
        "Name",
        "Student number",
        "Stage",
        "In this stage since",
        "In the branch since",
        "Committee post",
        "Party group",
    ]
    found = {r[1]: r for r in roster[roster.index(header) + 1 :]}
    assert found[member.student_no][2:4] == ["Development target", datetime(2026, 10, 8)]
    assert found[member.student_no][5] == "宣传委员"
    assert found[committee.student_no][5] == "书记"

    # A new stage without a new day: the old day was the old stage's, so it goes.
    organisation.edit_profile(
        db.session,
        db.session.get(User, member.id),
        name=member.name,
        email=None,
        stage=Stage.PROBATIONARY,
        actor=admin,
        today=date(2026, 11, 25),
    )
    db.session.commit()
    assert db.session.get(User, member.id).stage_since is None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert "member.post_set" in actions
