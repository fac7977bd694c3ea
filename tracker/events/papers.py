"""Papers a secretary hands in: an event's sign-in sheet (签到表) and a branch's roster (花名册).

Rows only; the door turns them into a spreadsheet in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import to_campus
from tracker.events import kinds
from tracker.models import (
    ATTENDED,
    AccountStatus,
    Attendance,
    AttendanceStatus,
    Event,
    Membership,
    PartyGroup,
    Role,
    User,
    party_group_member,
)


@dataclass(frozen=True)
class SigninRow:
    name: str
    student_no: str
    checked_in_at: datetime | None  # campus time of the check-in or the committee's mark
    leave_reason: str | None  # for approved or asked-for leave
    status: str  # present, leave or absent


def signin_rows(session: Session, event: Event) -> list[SigninRow]:
    """Everyone expected at the event or recorded at it, by student number."""
    records = {
        a.user_id: a
        for a in session.scalars(select(Attendance).where(Attendance.event_id == event.id))
    }
    ids = kinds.expected_ids(session, event) | set(records)
    people = session.scalars(select(User).where(User.id.in_(ids)).order_by(User.student_no))
    rows = []
    for person in people:
        record = records.get(person.id)
        if record is not None and record.status in ATTENDED:
            at = to_campus(record.recorded_at).replace(tzinfo=None)
            rows.append(SigninRow(person.name, person.student_no, at, None, "present"))
        elif record is not None and record.status in (
            AttendanceStatus.ON_LEAVE,
            AttendanceStatus.LEAVE_REQUESTED,
        ):
            rows.append(
                SigninRow(person.name, person.student_no, None, record.leave_reason, "leave")
            )
        else:
            rows.append(SigninRow(person.name, person.student_no, None, None, "absent"))
    return rows


@dataclass(frozen=True)
class RosterRow:
    name: str
    student_no: str
    stage: str | None
    stage_since: date | None  # the day the member entered the stage, as the branch recorded it
    joined_on: date | None  # the start of the current membership of the branch
    committee: bool
    post: str | None  # 书记, 组织委员 ...: the post on the branch committee
    group: str | None


def roster_rows(session: Session, branch_id: int) -> list[RosterRow]:
    """The branch's active members and committee, by student number, with their stage and
    the day they entered it, their post on the committee and their 党小组."""
    people = session.scalars(
        select(User)
        .where(
            User.branch_id == branch_id,
            User.status == AccountStatus.ACTIVE,
            User.role.in_((Role.MEMBER, Role.COMMITTEE)),
        )
        .order_by(User.student_no)
    ).all()
    ids = [p.id for p in people]
    memberships = {
        user_id: (start_on, post)
        for user_id, start_on, post in session.execute(
            select(Membership.user_id, Membership.start_on, Membership.committee_post).where(
                Membership.branch_id == branch_id,
                Membership.end_on.is_(None),
                Membership.user_id.in_(ids),
            )
        )
    }
    groups = dict(
        session.execute(
            select(party_group_member.c.user_id, PartyGroup.name)
            .join(PartyGroup, PartyGroup.id == party_group_member.c.group_id)
            .where(party_group_member.c.user_id.in_(ids))
        ).all()
    )
    return [
        RosterRow(
            p.name,
            p.student_no,
            p.stage.value if p.stage else None,
            p.stage_since,
            memberships.get(p.id, (None, None))[0],
            p.role == Role.COMMITTEE,
            memberships.get(p.id, (None, None))[1],
            groups.get(p.id),
        )
        for p in people
    ]
