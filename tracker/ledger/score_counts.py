"""Score counts: how many members have each score school-wide in a period.

A histogram of the school-wide totals (``ScoreCount``): points other than zero
-> members. The school board's ranks are sums over the distinct scores above
one (``ranking.school_index``), not counts over every member above. ``totals``
keeps it with every ledger row (from each school-wide total's points before and
after); ``totals.rollup`` rebuilds it and ``check-ledger`` checks it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.models import ScoreCount

BATCH = 5000


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
