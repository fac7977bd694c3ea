"""The stored totals as the ledger says they should be, computed by the database.

One ``INSERT … SELECT`` per table: the ledger's rows are joined to a temporary
table giving, for each day the ledger holds, the start of every period of the
asked kinds that contains it (the only part computed here, since terms are
rows and week and year starts are written differently on every database); the
member totals are summed from it, and the school-wide totals, the branches'
totals and the score counts from the member totals. A rebuild writes into the
tables themselves; ``check-ledger`` writes into temporary copies and compares.
At millions of ledger rows this is minutes faster than summing in Python, and
no more memory than the database's own.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Date,
    MetaData,
    String,
    Table,
    case,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session

from tracker.ledger.totals.keeping import (
    ENTRY_DELTA,
    MODELS,
    school_wide,
    term_starts,
)
from tracker.models import (
    BranchCategoryTotal,
    BranchTotal,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    SchoolCategoryTotal,
    SchoolTotal,
    ScoreCount,
)
from tracker.periods import period_start

# In the order they are filled: each from the one before it, or from the ledger.
TABLES = (*MODELS.values(), ScoreCount)
Targets = dict[type, Table]


def temporary(metadata: MetaData, name: str, columns: list[Column]) -> Table:
    return Table(name, metadata, *columns, prefixes=["TEMPORARY"])


def period_days(session: Session, kinds: tuple[str, ...], metadata: MetaData) -> Table:
    """A temporary table: (day, kind, start) for every day the ledger holds and every
    period of ``kinds`` containing it (none for a day no term contains)."""
    table = temporary(
        metadata,
        "tmp_period_day",
        [Column("day", Date), Column("period_kind", String(8)), Column("period_start", Date)],
    )
    connection = session.connection()
    table.drop(connection, checkfirst=True)
    table.create(connection)
    term_start = term_starts(session)
    rows = []
    for day in session.scalars(select(LedgerEntry.earned_on).distinct()):
        for kind in kinds:
            start = term_start(day) if kind == "term" else period_start(kind, day)
            if start is not None:
                rows.append({"day": day, "period_kind": kind, "period_start": start})
    if rows:
        session.execute(insert(table), rows)
    if connection.dialect.name == "postgresql":
        # Without statistics PostgreSQL guesses the table small and joins it row by row.
        session.execute(text(f"ANALYZE {table.name}"))
    return table


def copies(session: Session, metadata: MetaData) -> Targets:
    """Temporary tables shaped as the totals' (no id, no constraints), to fill and compare."""
    connection = session.connection()
    targets = {}
    for model in TABLES:
        columns = [Column(c.name, c.type) for c in model.__table__.c if c.name != "id"]
        table = temporary(metadata, f"tmp_expected_{model.__tablename__}", columns)
        table.drop(connection, checkfirst=True)
        table.create(connection)
        targets[model] = table
    return targets


def drop(session: Session, metadata: MetaData) -> None:
    metadata.drop_all(session.connection())


def fill(
    session: Session,
    kinds: tuple[str, ...],
    targets: Targets,
    days: Table,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write every total of ``kinds`` as the ledger says into ``targets`` (a table per
    model); give the rows written. ``progress(done, total)`` is told tables done."""
    ledger = LedgerEntry.__table__
    delta = case(
        *((ledger.c.kind == kind.value, n) for kind, n in ENTRY_DELTA.items() if n),
        else_=0,
    )
    school_kinds = [kind for kind in kinds if school_wide(kind)]

    def from_ledger(per_category: bool):
        keys = [days.c.period_kind, days.c.period_start]
        keys += [ledger.c.category_id] if per_category else []
        keys += [ledger.c.user_id, ledger.c.branch_id]
        query = select(*keys, func.sum(ledger.c.points_tenths), func.sum(delta)).join_from(
            ledger, days, days.c.day == ledger.c.earned_on
        )
        if per_category:
            query = query.where(ledger.c.category_id.is_not(None))
        names = [c.name for c in keys] + ["points_tenths", "entries"]
        return names, query.group_by(*keys).order_by(*keys)

    def from_members(source, per_category: bool, by: str):
        table = targets[source]
        keys = [table.c.period_kind, table.c.period_start]
        keys += [table.c.category_id] if per_category else []
        keys += [table.c[by]]
        sums = [func.sum(table.c.points_tenths), func.sum(table.c.entries)]
        names = [c.name for c in keys] + ["points_tenths", "entries"]
        query = select(*keys, *sums).where(table.c.period_kind.in_(kinds))
        if by == "branch_id":
            # Members whose activities in the branch and period add up to more than none.
            query = query.add_columns(func.sum(case((table.c.entries > 0, 1), else_=0)))
            names.append("active_members")
        else:
            query = query.where(table.c.period_kind.in_(school_kinds))
        return names, query.group_by(*keys).order_by(*keys)

    def counted(source, per_category: bool):
        table = targets[source]
        category = table.c.category_id if per_category else literal(0)
        keys = [table.c.period_kind, table.c.period_start, category, table.c.points_tenths]
        query = (
            select(*keys, func.count())
            .where(table.c.period_kind.in_(kinds), table.c.points_tenths != 0)
            .group_by(table.c.period_kind, table.c.period_start, category, table.c.points_tenths)
        )
        return ["period_kind", "period_start", "category_id", "points_tenths", "members"], query

    steps = [
        (MemberTotal, [from_ledger(False)]),
        (MemberCategoryTotal, [from_ledger(True)]),
        (SchoolTotal, [from_members(MemberTotal, False, "user_id")]),
        (SchoolCategoryTotal, [from_members(MemberCategoryTotal, True, "user_id")]),
        (BranchTotal, [from_members(MemberTotal, False, "branch_id")]),
        (BranchCategoryTotal, [from_members(MemberCategoryTotal, True, "branch_id")]),
        (ScoreCount, [counted(SchoolTotal, False), counted(SchoolCategoryTotal, True)]),
    ]
    if progress:
        progress(0, len(steps))
    for done, (model, queries) in enumerate(steps, start=1):
        target = targets[model]
        for names, query in queries:
            columns = [target.c[name] for name in names]
            session.execute(insert(target).from_select(columns, query))
        if progress:
            progress(done, len(steps))
    # Counted, not taken from the inserts: psycopg reports no row count for them.
    return sum(
        session.scalar(
            select(func.count()).select_from(target).where(target.c.period_kind.in_(kinds))
        )
        for target in targets.values()
    )
