"""What the school board's reads share: its counts, the viewer's place, the columns
of a row, and reading several one-row or one-page reads in one statement
(``school_index``, ``school_neighbours``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, func, literal, select, union_all
from sqlalchemy.orm import Session

from tracker.models import Branch, ScoreCount, User
from tracker.ranking.standings import (
    TENTH,
    Standing,
    not_ranked_now,
    ranked_now,
)


@dataclass(frozen=True)
class Board:
    table: type
    key: tuple
    counts: tuple  # the period's (and category's) score counts
    positive: int  # totals above zero
    negative: int  # totals below zero
    total: int  # everyone listed

    @property
    def zero(self) -> int:
        return self.total - self.positive - self.negative

    def higher(self, points: Decimal, above: int) -> int:
        """How many listed members have more than ``points``, from ``above``: how many
        totals other than zero have more. Below zero, every member at zero (with a
        total of zero or none) is higher too."""
        return above if points >= 0 else above + self.zero


@dataclass(frozen=True)
class Viewer:
    """The viewer's place on the list, read with the board's counts."""

    user_id: int
    points: Decimal
    # Members above their score (positive points; see ``Board.higher``), and
    # members at their score before them (a nonzero score).
    above: int
    tied_before: int
    # At zero points: members of the zero part before them (``zero_before``).
    zero_before: int = 0


def count_of(table, *where):
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


def has_total(table, key):
    return exists().where(*key, table.user_id == User.id)


def count_not_ranked(table, key, *where):
    """How many people not ranked now (left, deactivated, advisors) have a total here."""
    inactive, other_roles = (
        count_of(User, part, *where, has_total(table, key)) for part in not_ranked_now()
    )
    return inactive + other_roles


def members_scoring(counts, *where):
    """How many members have a score meeting ``where``: a sum over the score counts."""
    return (
        select(func.coalesce(func.sum(ScoreCount.members), 0))
        .where(*counts, *where)
        .scalar_subquery()
    )


def zero_before(table, key, user_id: int):
    """How many of the zero part come before a member at zero points (in id order)."""
    # The ranked members before them, less those with points, plus the people
    # not ranked now whose total is listed. Totals before them less the zero
    # ones: two index ranges, where points != 0 would read each total's row.
    return (
        count_of(User, ranked_now(), User.id < user_id)
        - (
            count_of(table, *key, table.user_id < user_id)
            - count_of(table, *key, table.points == 0, table.user_id < user_id)
        )
        + count_not_ranked(table, key, User.id < user_id)
    )


def row_columns(table):
    return (
        User.id,
        table.points,
        table.entries,
        User.name,
        User.student_no,
        User.name_public,
        User.branch_id,
        Branch.name.label("branch_name"),
    )


def extra_columns(above=None, tag: str = "page", part: int = 0) -> tuple:
    """The columns every row read here has after ``row_columns``: the members above its
    score (for a neighbour's rank), what it was read for, and its part of the list."""
    above = literal(0) if above is None else above
    return above.label("above"), literal(tag).label("tag"), literal(part).label("part")


def standing_of(row, position: int, rank: int | None, total: int) -> Standing:
    user_id, points, entries, name, student_no, name_public, branch_id, branch = row[:8]
    return Standing(
        rank=rank,
        position=position,
        user_id=user_id,
        name=name,
        student_no=student_no,
        branch_id=branch_id,
        branch_name=branch,
        points=Decimal(points or 0).quantize(TENTH),
        entries=int(entries or 0),
        total=total,
        name_public=bool(name_public),
    )


def read_all(session: Session, queries: list) -> list:
    """The rows of several reads, in one statement."""
    if not queries:
        return []
    return session.execute(union_all(*(select(*q.c) for q in queries))).all()
