"""Score counts: how many members have each score school-wide in a period.

A histogram of the school-wide totals (``ScoreCount``): points other than zero
-> members. The school board's ranks are sums over the distinct scores above
one (``ranking.school_index``), not counts over every member above. ``totals``
keeps it with every ledger row (from each school-wide total's points before and
after), rebuilds it and checks it here against the totals the ledger gives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import cache

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.models import ScoreCount

BATCH = 5000
# (kind, start, category or 0, points): members.
CountKey = tuple[str, date, int, Decimal]


@cache
def _count_statement(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(ScoreCount.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["period_kind", "period_start", "category_id", "points_tenths"],
        set_={"members": ScoreCount.__table__.c.members + stmt.excluded.members},
    )


# (kind, start, category or 0, points): members to add.
CountKey = tuple[str, date, int, Decimal]


def moves(moves: Iterable[tuple[str, date, int | None, Decimal, Decimal]]) -> dict:
    """The score counts' changes when school-wide totals move from one score to another
    (kind, start, category, points before, points now); zero points are not counted."""
    changes: dict[CountKey, int] = defaultdict(int)
    for kind, start, category_id, before, after in moves:
        if before == after:
            continue
        if before != 0:
            changes[(kind, start, category_id or 0, before)] -= 1
        if after != 0:
            changes[(kind, start, category_id or 0, after)] += 1
    return {key: n for key, n in changes.items() if n}


def add(session: Session, changes: dict[CountKey, int]) -> None:
    if not changes:
        return
    rows = [
        {
            "period_kind": kind,
            "period_start": start,
            "category_id": category_id,
            "points_tenths": points,
            "members": n,
        }
        for (kind, start, category_id, points), n in changes.items()
    ]
    stmt = _count_statement(session.get_bind().dialect.name)
    for i in range(0, len(rows), BATCH):
        session.execute(stmt, rows[i : i + BATCH])


def counts_of(totals: Iterable[tuple[str, date, int | None, Decimal]]) -> dict[CountKey, int]:
    """Score counts of school-wide totals (kind, start, category, points): zero not counted."""
    counts: dict[CountKey, int] = defaultdict(int)
    for kind, start, category_id, points in totals:
        if points != 0:
            counts[(kind, start, category_id or 0, points)] += 1
    return counts


def differences(session: Session, expected: dict) -> list[str]:
    """Every score count that disagrees with the school-wide totals the ledger gives."""
    want = counts_of(
        (kind, start, category_id, values[0])
        for (kind, start, user_id, branch_id, category_id), values in expected.items()
        if user_id is not None and branch_id is None
    )
    have = {
        (kind, start, category_id, points): members
        for kind, start, category_id, points, members in session.execute(
            select(
                ScoreCount.period_kind,
                ScoreCount.period_start,
                ScoreCount.category_id,
                ScoreCount.points,
                ScoreCount.members,
            ).where(ScoreCount.members != 0)
        )
    }
    return [
        _(
            "members with %(points)s points, %(kind)s from %(start)s, category %(category)s: "
            "stored %(stored)s, ledger says %(expected)s",
            points=key[3],
            kind=key[0],
            start=key[1],
            category=key[2] or pgettext("categories", "all"),
            stored=have.get(key, 0),
            expected=want.get(key, 0),
        )
        for key in sorted(set(want) | set(have), key=str)
        if want.get(key, 0) != have.get(key, 0)
    ]


def rebuilt(
    session: Session,
    kinds: tuple[str, ...],
    totals: Iterable[tuple[str, date, int | None, Decimal]],
) -> list[dict]:
    """Delete the score counts of ``kinds``; give the rows that count ``totals``
    (kind, start, category, points), for the caller to insert with the totals."""
    session.execute(delete(ScoreCount).where(ScoreCount.period_kind.in_(kinds)))
    return [
        {
            "period_kind": kind,
            "period_start": start,
            "category_id": category_id,
            "points": points,
            "members": n,
        }
        for (kind, start, category_id, points), n in counts_of(totals).items()
    ]
