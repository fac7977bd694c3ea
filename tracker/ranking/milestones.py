"""Milestones as members and their committee see them: reached or not, and how far to
the next, read from the stored totals of the current period (so a revocation takes a
milestone back at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.ledger import terms
from tracker.models import Milestone, SchoolCategoryTotal, SchoolTotal, User
from tracker.periods import period_start
from tracker.ranking.standings import ranked_now

ZERO = Decimal(0)


@dataclass(frozen=True)
class Progress:
    milestone: Milestone
    points: Decimal

    @property
    def reached(self) -> bool:
        return self.points >= self.milestone.threshold

    @property
    def percent(self) -> int:
        return min(100, int(self.points * 100 / self.milestone.threshold))

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.milestone.threshold - self.points)


def active_milestones(session: Session) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.retired_at.is_(None))
            .order_by(Milestone.period_kind, Milestone.category_id, Milestone.threshold)
        )
    )


def current_start(session: Session, kind: str, today: date) -> date | None:
    """The first day of the ``kind`` period containing today; None between terms."""
    if kind == "term":
        term = terms.current_term(session, today)
        return term.start if term is not None else None
    return period_start(kind, today)


def _table(milestone: Milestone):
    return SchoolTotal if milestone.category_id is None else SchoolCategoryTotal


def _where(milestone: Milestone, start: date) -> list:
    table = _table(milestone)
    conditions = [table.period_kind == milestone.period_kind, table.period_start == start]
    if milestone.category_id is not None:
        conditions.append(table.category_id == milestone.category_id)
    return conditions


def member_progress(session: Session, user_id: int, today: date) -> list[Progress]:
    """Every milestone in force with the member's points towards it this period."""
    shown = []
    for milestone in active_milestones(session):
        start = current_start(session, milestone.period_kind, today)
        if start is None:
            continue
        table = _table(milestone)
        points = session.scalar(
            select(table.points).where(table.user_id == user_id, *_where(milestone, start))
        )
        shown.append(Progress(milestone, points or ZERO))
    return shown


def next_to_reach(progress: list[Progress]) -> Progress | None:
    """The nearest milestone not yet reached (by share done), for "progress to the next"."""
    open_ = [p for p in progress if not p.reached]
    return max(open_, key=lambda p: (p.percent, -p.milestone.threshold), default=None)


@dataclass(frozen=True)
class Reached:
    milestone: Milestone
    members: list[tuple[User, Decimal]]


def reached_in_branch(session: Session, branch_id: int, today: date) -> list[Reached]:
    """For the committee: each milestone in force and the branch's current members who
    have reached it this period, most points first."""
    listed = []
    for milestone in active_milestones(session):
        start = current_start(session, milestone.period_kind, today)
        if start is None:
            listed.append(Reached(milestone, []))
            continue
        table = _table(milestone)
        rows = session.execute(
            select(User, table.points)
            .join(table, table.user_id == User.id)
            .where(
                User.branch_id == branch_id,
                ranked_now(),
                table.points >= milestone.threshold,
                *_where(milestone, start),
            )
            .order_by(table.points.desc(), User.id)
        ).all()
        listed.append(Reached(milestone, [(user, points) for user, points in rows]))
    return listed
