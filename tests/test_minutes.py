"""会议记录: versioned, lockable minutes, with attendance from the check-ins, seen by the branch."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tracker.models import (
    AdvisorScope,
    Attendance,
    AttendanceStatus,
    AuditEvent,
    MinutesVersion,
    Role,
)

from .test_meeting_kinds import meeting

MINUTES = {
    "topic": "学习贯彻全会精神",
    "host": "王书记",
    "recorder": "李组织委员",
    "content": "传达全会精神，逐一发言。",
    "decisions": "下月开展主题党日。",
}


def test_minutes_are_versioned_locked_and_seen_by_the_branch(
    clock, db, make, branch, committee, member, english_login
):
    absent, on_leave = make.member(branch), make.member(branch)
    outsider = make.member()
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    later = meeting(db, make, committee, "congress", start=timedelta(hours=2))
    event = meeting(db, make, committee, "congress")
    db.session.add_all(
        [
            Attendance(event_id=event.id, user_id=member.id, status=AttendanceStatus.CHECKED_IN),
            Attendance(event_id=event.id, user_id=committee.id, status=AttendanceStatus.PRESENT),
            Attendance(
                event_id=event.id,
                user_id=on_leave.id,
                status=AttendanceStatus.ON_LEAVE,
                leave_reason="实习单位加班",
            ),
        ]
    )
    db.session.commit()
    writer = english_login(committee)
    url = f"/minutes/{event.id}"

    # Not before the meeting begins, not without a topic, not by a member.
    assert writer.post(f"/minutes/{later.id}", data=MINUTES).status_code == 422
    assert writer.post(url, data={**MINUTES, "topic": " "}).status_code == 422
    assert english_login(member).post(url, data=MINUTES).status_code == 403
    assert writer.post(url, data=MINUTES).status_code == 302
    page = writer.get(url).get_data(as_text=True)
    assert "学习贯彻全会精神" in page and "Version 1" in page
    assert 'data-status="present">' + member.name in page
    assert f'data-status="leave">{on_leave.name} · on leave：实习单位加班' in page
    assert f'data-status="absent">{absent.name}' in page

    # A second save is version 2; version 1 stays as it was.
    changed = {**MINUTES, "decisions": "下月开展主题党日，并补开支委会。"}
    assert writer.post(url, data=changed).status_code == 302
    versions = db.session.scalars(select(MinutesVersion).order_by(MinutesVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].decisions == "下月开展主题党日。"
    assert versions[1].saved_by_id == committee.id
    old = writer.get(f"{url}?version=1").get_data(as_text=True)
    assert "下月开展主题党日。" in old and "补开支委会" not in old
    assert writer.get(f"{url}?version=9").status_code == 404

    # Visible to the branch's members and advisor, not to another branch.
    assert "补开支委会" in english_login(member).get(url).get_data(as_text=True)
    assert english_login(advisor).get(url).status_code == 200
    assert english_login(outsider).get(url).status_code == 404
    api = english_login(member).get(f"/api/v1/events/{event.id}/minutes").get_json()
    assert api["minutes"]["version"] == 2 and len(api["minutes"]["versions"]) == 2
    assert {r["status"] for r in api["minutes"]["attendance"]} == {"present", "leave", "absent"}
    assert english_login(outsider).get(f"/api/v1/events/{event.id}/minutes").status_code == 404

    # Locked: no more changes, by anyone.
    assert english_login(member).post(f"{url}/lock").status_code == 403
    assert writer.post(f"{url}/lock").status_code == 302
    assert "Locked on" in writer.get(url).get_data(as_text=True)
    refused = writer.post(url, data={**MINUTES, "topic": "改过的"}, follow_redirects=True)
    assert "These minutes are locked." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(MinutesVersion)).all()[-1].version == 2
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"minutes.saved", "minutes.locked"} <= actions
