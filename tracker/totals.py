"""Stored per-period totals, derived from the ledger.

Each ledger row counts in four tables: per member and branch (MemberTotal),
the same per category (MemberCategoryTotal), and per member across the whole
school (SchoolTotal, SchoolCategoryTotal), for every period containing its day.

``apply`` keeps them current in the same transaction as each ledger row;
``rebuild`` recomputes them from the ledger; ``differences`` compares the
two and is what ``flask check-ledger`` and the tests rely on.

Term totals (period_kind "term", period_start = the term's first day) follow
the same path; because terms are defined by an admin, possibly after points
were earned, ``tracker.terms`` calls ``rebuild_kind(session, "term")``
whenever a term is created or changed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import delete, func, insert, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import (
    Activity,
    ActivityStatus,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    SchoolCategoryTotal,
    SchoolTotal,
    Term,
)
from .periods import CALENDAR_KINDS, STORED_KINDS, period_start

ENTRY_DELTA = {EntryKind.AWARD: 1, EntryKind.REVERSAL: -1, EntryKind.ADJUSTMENT: 0}
BATCH = 5000


@cache
def _upsert_statement(dialect: str, model):
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    stmt = module.insert(table)
    keys = [c.name for c in table.c if c.name not in ("id", "points_tenths", "entries")]
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={
            "points_tenths": table.c.points_tenths + stmt.excluded.points_tenths,
            "entries": table.c.entries + stmt.excluded.entries,
        },
    )


def _upsert(session: Session, model, rows: list[dict]) -> None:
    """Add points and entries to existing totals, creating the missing ones."""
    # Built once per database and table: compiling it anew for every ledger
    # row costs more than running it.
    session.execute(_upsert_statement(session.get_bind().dialect.name, model), rows)


def term_starts(session: Session) -> Callable[[date], date | None]:
    """A function giving the first day of the term containing a day (or None).

    Loads the terms once, so bucketing many days costs no more queries.
    """
    terms = session.execute(select(Term.first_day, Term.last_day).order_by(Term.first_day)).all()
    firsts = [t.first_day for t in terms]

    def start_of(day: date) -> date | None:
        i = bisect_right(firsts, day) - 1
        return terms[i].first_day if i >= 0 and day <= terms[i].last_day else None

    return start_of


def _starts(session: Session, day: date) -> list[tuple[str, date]]:
    """(kind, start) of every stored period that contains ``day``."""
    starts = [(kind, period_start(kind, day)) for kind in CALENDAR_KINDS]
    term_first = session.scalar(
        select(Term.first_day).where(Term.first_day <= day, Term.last_day >= day)
    )
    if term_first is not None:
        starts.append(("term", term_first))
    return starts


def apply(session: Session, entry: LedgerEntry) -> None:
    """Add one ledger row to every stored total it belongs to (its term's too)."""
    school = [
        {
            "period_kind": kind,
            "period_start": start,
            "user_id": entry.user_id,
            "points_tenths": entry.points,
            "entries": ENTRY_DELTA[entry.kind],
        }
        for kind, start in _starts(session, entry.earned_on)
    ]
    in_branch = [{**r, "branch_id": entry.branch_id} for r in school]
    _upsert(session, MemberTotal, in_branch)
    _upsert(session, SchoolTotal, school)
    if entry.category_id is not None:
        category = {"category_id": entry.category_id}
        _upsert(session, MemberCategoryTotal, [{**r, **category} for r in in_branch])
        _upsert(session, SchoolCategoryTotal, [{**r, **category} for r in school])


# kind, start, user, branch, category; branch None for the school-wide totals,
# category None for the totals of all categories.
TotalKey = tuple[str, date, int, int | None, int | None]
# Which table holds a total, by (branch given, category given).
MODELS = {
    (True, False): MemberTotal,
    (True, True): MemberCategoryTotal,
    (False, False): SchoolTotal,
    (False, True): SchoolCategoryTotal,
}


def expected_totals(
    session: Session, kinds: tuple[str, ...] = STORED_KINDS
) -> dict[TotalKey, list]:
    """Every total of ``kinds`` as the ledger says it should be: {key: [points, entries]}.

    The database sums per member, branch, category and day; the few rows that
    leaves are bucketed into periods here, which works the same on every
    database.
    """
    rows = session.execute(
        select(
            LedgerEntry.user_id,
            LedgerEntry.branch_id,
            LedgerEntry.category_id,
            LedgerEntry.earned_on,
            LedgerEntry.kind,
            func.sum(LedgerEntry.points),
            func.count(),
        ).group_by(
            LedgerEntry.user_id,
            LedgerEntry.branch_id,
            LedgerEntry.category_id,
            LedgerEntry.earned_on,
            LedgerEntry.kind,
        )
    )
    term_start = term_starts(session)
    result: dict[TotalKey, list] = defaultdict(lambda: [Decimal(0), 0])
    for user_id, branch_id, category_id, day, kind, points, count in rows:
        entries = ENTRY_DELTA[EntryKind(kind)] * count
        for period_kind in kinds:
            start = term_start(day) if period_kind == "term" else period_start(period_kind, day)
            if start is None:
                continue
            for cat in (None, category_id) if category_id is not None else (None,):
                for branch in (branch_id, None):
                    bucket = result[(period_kind, start, user_id, branch, cat)]
                    bucket[0] += Decimal(points)
                    bucket[1] += entries
    return result


def stored_totals(session: Session) -> dict[TotalKey, list]:
    result: dict[TotalKey, list] = {}
    for model in MODELS.values():
        branch = getattr(model, "branch_id", None)
        category = getattr(model, "category_id", None)
        rows = session.execute(
            select(
                model.period_kind,
                model.period_start,
                model.user_id,
                branch if branch is not None else null(),
                category if category is not None else null(),
                model.points,
                model.entries,
            )
        )
        for kind, start, user_id, branch_id, category_id, points, entries in rows:
            result[(kind, start, user_id, branch_id, category_id)] = [points, entries]
    return result


def _chunks(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rebuild(session: Session) -> int:
    """Replace every stored total with what the ledger says. Returns rows written."""
    return rebuild_kind(session, *STORED_KINDS)


def rebuild_kind(session: Session, *kinds: str) -> int:
    """Replace the stored totals of ``kinds`` with what the ledger says. Returns rows written."""
    for model in MODELS.values():
        session.execute(delete(model).where(model.period_kind.in_(kinds)))
    rows: dict[type, list[dict]] = defaultdict(list)
    for (kind, start, user_id, branch_id, category_id), (points, entries) in expected_totals(
        session, kinds
    ).items():
        row = {"period_kind": kind, "period_start": start, "user_id": user_id}
        if branch_id is not None:
            row["branch_id"] = branch_id
        if category_id is not None:
            row["category_id"] = category_id
        model = MODELS[(branch_id is not None, category_id is not None)]
        rows[model].append({**row, "points": points, "entries": entries})
    written = 0
    for model, model_rows in rows.items():
        for chunk in _chunks(model_rows):
            session.execute(insert(model), chunk)
            written += len(chunk)
    return written


def differences(session: Session) -> list[str]:
    """Every way the stored totals and activity states disagree with the ledger."""
    problems = []
    expected = expected_totals(session)
    stored = stored_totals(session)
    for key in sorted(set(expected) | set(stored), key=str):
        want = expected.get(key, [Decimal(0), 0])
        have = stored.get(key, [Decimal(0), 0])
        if want[0] != have[0] or want[1] != have[1]:
            kind, start, user_id, branch_id, category_id = key
            place = "the whole school" if branch_id is None else f"branch {branch_id}"
            where = f"member {user_id} in {place}, {kind} from {start}"
            if category_id is not None:
                where += f", category {category_id}"
            problems.append(
                f"{where}: stored {have[0]} points / {have[1]} entries, "
                f"ledger says {want[0]} / {want[1]}"
            )
    problems.extend(_status_differences(session))
    return problems


def _status_differences(session: Session) -> list[str]:
    booked = defaultdict(set)
    for activity_id, kind in session.execute(
        select(LedgerEntry.activity_id, LedgerEntry.kind).where(
            LedgerEntry.activity_id.is_not(None)
        )
    ):
        booked[activity_id].add(EntryKind(kind))
    want = {
        ActivityStatus.APPROVED: {EntryKind.AWARD},
        ActivityStatus.REVOKED: {EntryKind.AWARD, EntryKind.REVERSAL},
    }
    problems = []
    for activity_id, status in session.execute(select(Activity.id, Activity.status)):
        expected = want.get(ActivityStatus(status), set())
        if booked.get(activity_id, set()) != expected:
            have = sorted(booked.get(activity_id, set()))
            problems.append(
                f"activity {activity_id} is {status} but the ledger holds {have or 'nothing'}"
            )
    return problems
