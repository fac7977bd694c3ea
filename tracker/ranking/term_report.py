"""A branch's term report (学期工作报告): every number of the term on one record.

Nothing here adds points up: the branch's total, participation and attendance
are its row of the college's branch leaderboard, each member's points and
rank their row of the branch's member leaderboard, the points per category
the branch's stored category totals (``statistics``); visits, hours and
sessions are counted from the approved activities the activity export lists
(``reports.activity_records``). So each table can be checked against the page
or export the report names for it, for the same period: the term's days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.clock import campus_zone, to_campus
from tracker.events import compliance, rates
from tracker.events.planning import events_for_branches
from tracker.ledger import terms
from tracker.models import (
    ATTENDED,
    Activity,
    ActivityMentee,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    Branch,
    Category,
    Event,
    Membership,
    MenteeResponse,
    Minutes,
    Pairing,
    PairingStatus,
    Stage,
    Term,
    User,
)
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking import reports, statistics
from tracker.ranking.branches import BranchStanding, member_during
from tracker.ranking.standings import TENTH, Standing

# The categories whose activities the report counts as such (SPEC's keys).
RED_SITE, VOLUNTEER, TUTORING = "red_site", "volunteer", "tutoring"


@dataclass(frozen=True)
class MemberLine:
    standing: Standing  # the member's row of the branch's member leaderboard
    stage: Stage | None
    by_category: dict[int, Decimal]
    attendance: rates.Rate


@dataclass(frozen=True)
class MeetingLine:
    event: Event
    day: date
    present: int
    on_leave: int
    topic: str | None  # of its minutes; None when none were written
    locked: bool


@dataclass(frozen=True)
class PairLine:
    mentor: str
    mentee: str
    sessions: int  # approved sessions of the term naming the mentee
    confirmed: int  # of which the mentee confirmed


@dataclass(frozen=True)
class Tally:
    """Approved activities of one category in the term: how many, and their quantity."""

    category: Category | None  # None: the campus has no such category
    activities: int = 0
    quantity: Decimal = Decimal(0)


@dataclass(frozen=True)
class TermReport:
    branch: Branch
    term: Term
    period: Period
    # The day the compliance states are read on: the term's last day once it is over.
    as_of: date
    standing: BranchStanding
    college_branches: int
    stages: dict[Stage | None, int]
    categories: list[statistics.CategoryPoints]
    categories_known: list[Category]
    members: list[MemberLine]
    compliance: compliance.Row
    rules: list
    meetings: list[MeetingLine]
    pairs: list[PairLine]
    sessions: int
    confirmed_sessions: int
    red_site: Tally
    volunteering: Tally

    @property
    def uncategorised(self) -> Decimal:
        """Points booked without a category (adjustments): the total less the categories'."""
        return (
            self.standing.points - sum((c.points for c in self.categories), Decimal(0))
        ).quantize(TENTH)

    @property
    def minutes_written(self) -> int:
        return sum(1 for m in self.meetings if m.topic is not None)


def _stages(session: Session, branch_id: int, period: Period) -> dict[Stage | None, int]:
    """Members of the branch during the period (as the branch board counts them), by stage."""
    rows = session.execute(
        select(User.id, User.stage)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.branch_id == branch_id, *member_during(period))
        .distinct()
    ).all()
    return dict(Counter(stage for _id, stage in rows))


def _day_bounds(period: Period) -> tuple[datetime, datetime]:
    zone = campus_zone()
    return datetime.combine(period.start, time(), zone), datetime.combine(period.end, time(), zone)


def _meetings(session: Session, branch_id: int, period: Period) -> list[MeetingLine]:
    """Every event of the branch whose campus day falls in the period, with its minutes."""
    low, high = _day_bounds(period)
    events = list(
        session.scalars(
            events_for_branches({branch_id})
            .where(Event.starts_at >= low, Event.starts_at < high)
            .order_by(Event.starts_at, Event.id)
        )
    )
    ids = [e.id for e in events]
    counts: dict[tuple[int, str], int] = {}
    for event_id, status, n in session.execute(
        select(Attendance.event_id, Attendance.status, func.count())
        .where(Attendance.event_id.in_(ids))
        .group_by(Attendance.event_id, Attendance.status)
    ):
        bucket = "present" if status in ATTENDED else status.value
        counts[event_id, bucket] = counts.get((event_id, bucket), 0) + n
    minutes = {
        m.event_id: m for m in session.scalars(select(Minutes).where(Minutes.event_id.in_(ids)))
    }
    return [
        MeetingLine(
            event=e,
            day=to_campus(e.starts_at).date(),
            present=counts.get((e.id, "present"), 0),
            on_leave=counts.get((e.id, AttendanceStatus.ON_LEAVE.value), 0),
            topic=minutes[e.id].topic if e.id in minutes else None,
            locked=e.id in minutes and minutes[e.id].locked_at is not None,
        )
        for e in events
    ]


def _tally(session: Session, period: Period, branch_id: int, category: Category | None) -> Tally:
    """What the activity export lists for the category, approved, in the period."""
    if category is None:
        return Tally(None)
    records = reports.activity_records(
        session,
        period,
        Scope("branch", branch_id),
        category_id=category.id,
        status=ActivityStatus.APPROVED,
    )
    quantity = sum((r.activity.quantity for r in records), Decimal(0))
    return Tally(category, len(records), Decimal(quantity).quantize(TENTH))


def _tutoring(
    session: Session, period: Period, branch_id: int, category: Category | None
) -> tuple[list[PairLine], int, int]:
    """The branch's accepted 1+N pairs (the mentor a member of it during the period) and the
    term's approved sessions: how many, and how many every named mentee confirmed."""
    mentor, mentee = User.__table__.alias("mentor"), User.__table__.alias("mentee")
    # Membership during the period, not the branch of today: a mentor who moves on
    # stays on the report of the term they led the pair in.
    mentor_of_branch = (
        select(Membership.id)
        .where(
            Membership.user_id == Pairing.mentor_id,
            Membership.branch_id == branch_id,
            *member_during(period),
        )
        .exists()
    )
    pairs = session.execute(
        select(Pairing.mentor_id, Pairing.mentee_id, mentor.c.name, mentee.c.name)
        .join(mentor, mentor.c.id == Pairing.mentor_id)
        .join(mentee, mentee.c.id == Pairing.mentee_id)
        .where(
            Pairing.status == PairingStatus.ACCEPTED,
            mentor_of_branch,
            Pairing.accepted_at < datetime.combine(period.end, time(), campus_zone()),
        )
        .order_by(mentor.c.student_no, mentee.c.student_no)
    ).all()
    named: list = []
    if category is not None:
        named = session.execute(
            select(Activity.id, Activity.user_id, ActivityMentee.mentee_id, ActivityMentee.response)
            .join(ActivityMentee, ActivityMentee.activity_id == Activity.id)
            .where(
                Activity.branch_id == branch_id,
                Activity.category_id == category.id,
                Activity.status == ActivityStatus.APPROVED,
                Activity.occurred_on >= period.start,
                Activity.occurred_on < period.end,
            )
        ).all()
    answers: dict[int, list[MenteeResponse]] = {}
    per_pair: Counter = Counter()
    confirmed_pair: Counter = Counter()
    for activity_id, mentor_id, mentee_id, response in named:
        answers.setdefault(activity_id, []).append(response)
        per_pair[mentor_id, mentee_id] += 1
        if response == MenteeResponse.CONFIRMED:
            confirmed_pair[mentor_id, mentee_id] += 1
    lines = [
        PairLine(mentor_name, mentee_name, per_pair[m, e], confirmed_pair[m, e])
        for m, e, mentor_name, mentee_name in pairs
    ]
    confirmed = sum(
        1 for found in answers.values() if all(r == MenteeResponse.CONFIRMED for r in found)
    )
    return lines, len(answers), confirmed


def report_day(term: Term, today: date) -> date:
    """The day a term's compliance is read on: today while it runs, its last day once
    over, its first day before it begins."""
    return max(min(today, term.last_day), term.first_day)


def term_report(
    session: Session, branch: Branch, term: Term, today: date, now: datetime
) -> TermReport:
    """The numbers of the branch's term report for ``term``.

    Guarantees: the branch's points, members, participation and attendance are
    its row of ``branch_leaderboard`` for the college and the term; each
    member's points and rank their row of ``member_leaderboard`` for the
    branch and the term; the categories' points plus ``uncategorised`` add up
    to the branch's points, which equal the sum of its ledger entries earned on
    the term's days. Reads only.
    """
    period = terms.term_period(term)
    report = reports.branch_report(session, branch, period)
    # An archived branch is on no board: it reports zero rather than nothing.
    standing = report.standing or statistics.empty_standing(branch)
    attendance = rates.attendance_rates(session, branch.id, period.start, period.end)
    ids = [line.standing.user_id for line in report.lines]
    stage_of = dict(session.execute(select(User.id, User.stage).where(User.id.in_(ids))).all())
    members = [
        MemberLine(
            line.standing,
            stage_of.get(line.standing.user_id),
            line.by_category,
            attendance.get(line.standing.user_id, rates.Rate(0, 0)),
        )
        for line in report.lines
    ]
    as_of = report_day(term, today)
    grid = compliance.compliance_grid(session, [branch], "term", as_of, now)
    keyed = {c.key: c for c in session.scalars(select(Category))}
    pairs, sessions, confirmed = _tutoring(session, period, branch.id, keyed.get(TUTORING))
    return TermReport(
        branch=branch,
        term=term,
        period=period,
        as_of=as_of,
        standing=standing,
        college_branches=report.college_branches,
        stages=_stages(session, branch.id, period),
        categories=statistics.points_by_category(session, period, Scope("branch", branch.id)),
        categories_known=report.categories,
        members=members,
        compliance=grid.rows[0],
        rules=grid.rules,
        meetings=_meetings(session, branch.id, period),
        pairs=pairs,
        sessions=sessions,
        confirmed_sessions=confirmed,
        red_site=_tally(session, period, branch.id, keyed.get(RED_SITE)),
        volunteering=_tally(session, period, branch.id, keyed.get(VOLUNTEER)),
    )
