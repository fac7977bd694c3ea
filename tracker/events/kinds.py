"""Meeting kinds (三会一课 and the rest): what each requires, who is expected, the quorum.

A kind's required frequency is the institution's (``TRACKER_MEETING_FREQUENCIES``,
defaults from the 支部工作条例). Who is expected: every member of the event's
branches on its day, the committee only, or the members of one 党小组. A
支部党员大会 or 支委会 needs more than half of those expected present; approved
leave is not presence (the 条例 counts it as absent for the quorum).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import to_campus
from tracker.i18n import MEETING_KIND_LABELS, MEETING_KIND_SHORT_LABELS
from tracker.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    Event,
    Membership,
    Role,
    User,
    party_group_member,
)
from tracker.setting_values import MEETING_KINDS, meeting_frequencies

OTHER = "other"
KINDS = (*MEETING_KINDS, OTHER)
# The kinds whose meeting counts only with a quorum.
QUORUM_KINDS = ("congress", "committee")

LABELS = MEETING_KIND_LABELS
SHORT_LABELS = MEETING_KIND_SHORT_LABELS


class Expected:
    ALL = "all"
    COMMITTEE = "committee"
    GROUP = "group"


EXPECTED = {"committee": Expected.COMMITTEE, "group": Expected.GROUP}


def expected_of(kind: str) -> str:
    return EXPECTED.get(kind, Expected.ALL)


def label(kind: str):
    return LABELS.get(kind, LABELS[OTHER])


@dataclass(frozen=True)
class Rule:
    kind: str
    count: int  # meetings required in each period
    period: str  # month, quarter, term or year


def rules() -> list[Rule]:
    """The required kinds in display order; a kind set to 0 is not required."""
    table = meeting_frequencies(current_app.config["TRACKER_MEETING_FREQUENCIES"])
    return [
        Rule(kind, *table[kind]) for kind in MEETING_KINDS if kind in table and table[kind][0] > 0
    ]


def expected_ids(session: Session, event: Event) -> set[int]:
    """Who the event's kind expects: members of its branches on its day, its
    committee, or the members of its 党小组."""
    if expected_of(event.kind) == Expected.GROUP:
        if event.group_id is None:
            return set()
        return set(
            session.scalars(
                select(party_group_member.c.user_id).where(
                    party_group_member.c.group_id == event.group_id
                )
            )
        )
    day = to_campus(event.starts_at).date()
    query = (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.branch_id.in_(event.branch_ids),
            Membership.start_on <= day,
            (Membership.end_on.is_(None)) | (Membership.end_on > day),
            User.role.in_((Role.MEMBER, Role.COMMITTEE)),
        )
    )
    if expected_of(event.kind) == Expected.COMMITTEE:
        query = query.where(User.role == Role.COMMITTEE)
    return set(session.scalars(query))


@dataclass(frozen=True)
class Quorum:
    expected: int
    present: int
    on_leave: int

    @property
    def needed(self) -> int:
        """More than half: the smallest count over half of those expected."""
        return self.expected // 2 + 1

    @property
    def met(self) -> bool:
        return self.expected > 0 and self.present >= self.needed


def needs_quorum(event: Event) -> bool:
    return event.kind in QUORUM_KINDS


def quorum(session: Session, event: Event) -> Quorum | None:
    """Those expected, present and on leave; None for kinds without a quorum."""
    if not needs_quorum(event):
        return None
    expected = expected_ids(session, event)
    rows = session.execute(
        select(Attendance.user_id, Attendance.status).where(Attendance.event_id == event.id)
    ).all()
    present = sum(1 for uid, status in rows if uid in expected and status in ATTENDED)
    leave = sum(
        1 for uid, status in rows if uid in expected and status == AttendanceStatus.ON_LEAVE
    )
    return Quorum(len(expected), present, leave)


def held(event: Event, now: datetime) -> bool:
    """An event has been held once it ended (closing only confirms the attendance)."""
    return event.ends_at <= now
