"""Papers to hand in: an event's sign-in sheet and a branch's roster, as XLSX."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from tracker.models import Attendance, AttendanceStatus, AuditEvent, PartyGroup, party_group_member

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
    assert found[member.student_no][2] == "Activist" and found[member.student_no][5] == "第一党小组"
    assert found[committee.student_no][4] == "Yes"
    other = make.branch()
    assert client.get(f"/papers/branches/{other.id}/roster.xlsx").status_code == 404
    assert english_login(member).get(f"/papers/branches/{branch.id}/roster.xlsx").status_code == 404
    details = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "export"))
    assert {d["what"] for d in details} >= {"signin", "roster"}
