"""三会一课 compliance: for each branch and period, is each required meeting kind held?

A kind's rule (``kinds.rules``) says how many meetings each of its periods
needs (a month, a calendar quarter, a term, an academic year). A grid asks
about a viewing period (a month, quarter, term or year): every rule period
that overlaps it and has begun by the day asked about is a *slice*. A slice
with enough meetings is held; one without is overdue once it ended, else due.
A meeting of a kind that needs a quorum (``kinds.QUORUM_KINDS``) counts only
with it; a slice short because its meetings lacked one shows as held without
quorum. A 党小组会 slice needs that many meetings of every group of the branch;
a branch without groups is not asked for any.

A meeting counts once it has ended (closing confirms attendance, it does not
make the meeting happen). A term rule on days no stored term covers uses the
half academic year (1 September to 31 January, 1 February to 31 August).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import notify
from tracker.clock import campus_zone, to_campus
from tracker.events import kinds
from tracker.ledger import terms
from tracker.models import (
    AccountStatus,
    Branch,
    Event,
    Notification,
    PartyGroup,
    Role,
    User,
    event_branch,
)
from tracker.periods import Period, period_end, period_start

PERIOD_KINDS = ("month", "quarter", "term", "year")


class State(enum.StrEnum):
    HELD = "held"
    DUE = "due"
    OVERDUE = "overdue"
    NO_QUORUM = "no_quorum"  # held, but without the quorum the kind needs
    NOT_REQUIRED = "not_required"


# Which state a cell shows when its slices differ: the most pressing.
_WEIGHT = {State.HELD: 0, State.DUE: 1, State.NO_QUORUM: 2, State.OVERDUE: 3}


def period_of(session: Session, kind: str, day: date) -> Period:
    """The ``kind`` period (month, quarter, term or year) that contains ``day``."""
    if kind == "term":
        term = terms.term_on(session, day)
        if term is not None:
            return terms.term_period(term)
        year = day.year if day.month >= 9 else day.year - 1
        if date(year, 9, 1) <= day < date(year + 1, 2, 1):
            return Period("term", date(year, 9, 1), date(year + 1, 2, 1))
        return Period("term", date(year + 1, 2, 1), date(year + 1, 9, 1))
    if kind not in PERIOD_KINDS:
        raise ValueError(f"unknown compliance period {kind!r}")
    start = period_start(kind, day)
    return Period(kind, start, period_end(kind, start))


def _slices(session: Session, rule_period: str, viewed: Period, on: date) -> list[Period]:
    """The rule's periods that overlap the viewed one and have begun by ``on``."""
    found = []
    day = viewed.start
    while day < viewed.end and day <= on:
        piece = period_of(session, rule_period, day)
        found.append(piece)
        day = piece.end
    return found


@dataclass
class Cell:
    kind: str
    state: State
    held: int = 0  # meetings that count
    required: int = 0
    events: list[Event] = field(default_factory=list)  # every meeting of the kind, held or not
    due_by: date | None = None  # last day of the first slice still short


@dataclass
class Row:
    branch: Branch
    cells: list[Cell]

    def cell(self, kind: str) -> Cell | None:
        return next((c for c in self.cells if c.kind == kind), None)


@dataclass
class Grid:
    period: Period
    on: date
    rules: list[kinds.Rule]
    rows: list[Row]


def _day_bounds(first: date, end: date) -> tuple[datetime, datetime]:
    zone = campus_zone()
    return datetime.combine(first, time(), zone), datetime.combine(end, time(), zone)


def _meetings(session: Session, branch_ids: list[int], start: date, end: date):
    """Meetings of any required kind in the branches whose campus day is in [start, end)."""
    low, high = _day_bounds(start, end)
    rows = session.execute(
        select(event_branch.c.branch_id, Event)
        .join(Event, Event.id == event_branch.c.event_id)
        .where(
            event_branch.c.branch_id.in_(branch_ids),
            Event.kind.in_(kinds.MEETING_KINDS),
            Event.starts_at >= low,
            Event.starts_at < high,
        )
        .order_by(Event.starts_at)
    ).all()
    found: dict[tuple[int, str], list[Event]] = defaultdict(list)
    for branch_id, event in rows:
        found[(branch_id, event.kind)].append(event)
    return found


class _Counter:
    """Whether each meeting counts, asking the quorum once per event."""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now, self.known = session, now, {}

    def counts(self, event: Event) -> bool | None:
        """True: it counts; False: held without quorum; None: not held yet."""
        if not kinds.held(event, self.now):
            return None
        if event.id not in self.known:
            quorum = kinds.quorum(self.session, event)
            self.known[event.id] = quorum is None or quorum.met
        return self.known[event.id]


def _slice_state(
    rule: kinds.Rule, piece: Period, events: list[Event], groups: list[int], counter, on
) -> tuple[State, int, int]:
    """The state of one slice, with the meetings that count and those required."""
    # Meetings after the day asked about did not count yet on that day.
    inside = [
        e
        for e in events
        if piece.contains(to_campus(e.starts_at).date()) and to_campus(e.starts_at).date() <= on
    ]
    results = [(e, counter.counts(e)) for e in inside]
    if rule.kind == "group":
        per_group = [sum(1 for e, ok in results if ok and e.group_id == group) for group in groups]
        held, required = min(per_group), rule.count
    else:
        held, required = sum(1 for _, ok in results if ok), rule.count
    if held >= required:
        return State.HELD, held, required
    if any(ok is False for _, ok in results):
        return State.NO_QUORUM, held, required
    return (State.OVERDUE if piece.end <= on else State.DUE), held, required


def _cell(
    rule: kinds.Rule, slices: list[Period], events: list[Event], groups: list[int], counter, on
) -> Cell:
    if rule.kind == "group" and not groups:
        return Cell(rule.kind, State.NOT_REQUIRED, events=events)
    cell = Cell(rule.kind, State.HELD if slices else State.DUE, events=events)
    for piece in slices:
        state, held, required = _slice_state(rule, piece, events, groups, counter, on)
        cell.held += held
        cell.required += required
        if state != State.HELD and cell.due_by is None:
            cell.due_by = piece.last_day
        if _WEIGHT[state] > _WEIGHT[cell.state]:
            cell.state = state
    if not slices:
        cell.required = rule.count
    return cell


def compliance_grid(
    session: Session, branches: list[Branch], period_kind: str, on: date, now: datetime
) -> Grid:
    """Each branch × each required kind, for the ``period_kind`` period containing ``on``."""
    viewed = period_of(session, period_kind, on)
    rules = kinds.rules()
    slices = {rule.kind: _slices(session, rule.period, viewed, on) for rule in rules}
    starts = [p.start for pieces in slices.values() for p in pieces] or [viewed.start]
    ends = [p.end for pieces in slices.values() for p in pieces] or [viewed.end]
    ids = [b.id for b in branches]
    meetings = _meetings(session, ids, min(starts), max(ends)) if ids else {}
    group_ids: dict[int, list[int]] = defaultdict(list)
    if ids:
        for group_id, branch_id in session.execute(
            select(PartyGroup.id, PartyGroup.branch_id).where(PartyGroup.branch_id.in_(ids))
        ):
            group_ids[branch_id].append(group_id)
    counter = _Counter(session, now)
    rows = []
    for branch in branches:
        cells = [
            _cell(
                rule,
                slices[rule.kind],
                # A rule period may begin before the viewed one (a September
                # slice of a term from 7 September): its meetings count too.
                meetings.get((branch.id, rule.kind), []),
                group_ids[branch.id],
                counter,
                on,
            )
            for rule in rules
        ]
        rows.append(Row(branch, cells))
    return Grid(viewed, on, rules, rows)


def branches_for(session: Session, branch_ids: set[int] | None, college_id: int | None = None):
    """Unarchived branches among those readable (None: all), optionally of one college."""
    query = select(Branch).where(Branch.archived_at.is_(None))
    if branch_ids is not None:
        query = query.where(Branch.id.in_(branch_ids))
    if college_id is not None:
        query = query.where(Branch.college_id == college_id)
    return list(session.scalars(query.order_by(Branch.college_id, Branch.name)))


# Reminders ------------------------------------------------------------------


def remind_committees(session: Session, on: date, now: datetime, days: int) -> int:
    """Tell each committee of a required meeting still short whose period ends within
    ``days`` days; once per branch, kind and period. Returns the reminders sent."""
    branches = branches_for(session, None)
    sent = 0
    for rule in kinds.rules():
        piece = period_of(session, rule.period, on)
        if (piece.last_day - on).days > days:
            continue
        grid_row = compliance_grid_for_slice(session, branches, rule, piece, on, now)
        for branch, cell in grid_row:
            if cell.state not in (State.DUE, State.NO_QUORUM):
                continue
            sent += _remind(session, branch, cell, piece, now)
    return sent


def compliance_grid_for_slice(session, branches, rule, piece: Period, on: date, now: datetime):
    ids = [b.id for b in branches]
    if not ids:
        return []
    meetings = _meetings(session, ids, piece.start, piece.end)
    group_ids: dict[int, list[int]] = defaultdict(list)
    for group_id, branch_id in session.execute(
        select(PartyGroup.id, PartyGroup.branch_id).where(PartyGroup.branch_id.in_(ids))
    ):
        group_ids[branch_id].append(group_id)
    counter = _Counter(session, now)
    return [
        (
            branch,
            _cell(
                rule,
                [piece],
                meetings.get((branch.id, rule.kind), []),
                group_ids[branch.id],
                counter,
                on,
            ),
        )
        for branch in branches
    ]


def _remind(session: Session, branch: Branch, cell: Cell, piece: Period, now: datetime) -> int:
    committee = session.scalars(
        select(User.id).where(
            User.branch_id == branch.id,
            User.role == Role.COMMITTEE,
            User.status == AccountStatus.ACTIVE,
        )
    ).all()
    told = 0
    for user_id in committee:
        earlier = session.scalars(
            select(Notification.params).where(
                Notification.user_id == user_id,
                Notification.kind == "meeting_due",
                Notification.created_at >= now - timedelta(days=400),
            )
        ).all()
        key = {"branch_id": branch.id, "meeting": cell.kind, "since": piece.start.isoformat()}
        if any(all(p.get(k) == v for k, v in key.items()) for p in earlier):
            continue
        notify.notify(
            session,
            user_id,
            "meeting_due",
            **key,
            due=piece.last_day.isoformat(),
            held=cell.held,
            required=cell.required,
        )
        told += 1
    return told
