"""Keeping the stored totals current: each ledger row added to every period containing
its day, in the same transaction (``apply``, ``apply_many``)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.ledger import score_counts
from tracker.models import (
    BranchCategoryTotal,
    BranchTotal,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    SchoolCategoryTotal,
    SchoolTotal,
    Term,
)
from tracker.periods import CALENDAR_KINDS, DAY, period_start

# Entries count activities; an imported number is none (as an adjustment is none).
ENTRY_DELTA = {
    EntryKind.AWARD: 1,
    EntryKind.REVERSAL: -1,
    EntryKind.ADJUSTMENT: 0,
    EntryKind.EXTERNAL: 0,
}
BATCH = 5000


# Which table holds a total, by (member given, branch given, category given).
MODELS = {
    (True, True, False): MemberTotal,
    (True, True, True): MemberCategoryTotal,
    (True, False, False): SchoolTotal,
    (True, False, True): SchoolCategoryTotal,
    (False, True, False): BranchTotal,
    (False, True, True): BranchCategoryTotal,
}
# Period kinds with no school-wide totals (``school_wide``).
NOT_SCHOOL_WIDE = (DAY,)
# What a total adds up; the other columns but the id say whose and when.
VALUES = ("points_tenths", "entries", "active_members")


@cache
def _upsert_statement(dialect: str, model, returning: tuple[str, ...]):
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    stmt = module.insert(table)
    keys = [c.name for c in table.c if c.name != "id" and c.name not in VALUES]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: c + stmt.excluded[c.name] for c in table.c if c.name in VALUES},
    )
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning))
    return stmt


def _upsert(session: Session, model, rows: list[dict], returning: tuple[str, ...] = ()):
    """Add to existing totals, creating the missing ones; with ``returning``, give
    those columns of the totals written, as they are now."""
    # Built once per database and table: compiling it anew for every ledger
    # row costs more than running it.
    stmt = _upsert_statement(session.get_bind().dialect.name, model, returning)
    result = session.execute(stmt, rows)
    return result.all() if returning else None


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


def period_starts(session: Session, day: date) -> list[tuple[str, date]]:
    """(kind, start) of every stored period that contains ``day``."""
    starts = [(kind, period_start(kind, day)) for kind in CALENDAR_KINDS]
    term_first = session.scalar(
        select(Term.first_day).where(Term.first_day <= day, Term.last_day >= day)
    )
    if term_first is not None:
        starts.append(("term", term_first))
    starts.append((DAY, day))
    return starts


def school_wide(kind: str) -> bool:
    """Whether the period kind has school-wide totals (SchoolTotal, SchoolCategoryTotal)."""
    return kind not in NOT_SCHOOL_WIDE


def apply(session: Session, entry: LedgerEntry) -> None:
    """Add one ledger row to every stored total it belongs to (its term's too)."""
    delta = ENTRY_DELTA[entry.kind]
    periods = [
        {
            "period_kind": kind,
            "period_start": start,
            "points_tenths": entry.points,
            "entries": delta,
        }
        for kind, start in period_starts(session, entry.earned_on)
    ]
    member, branch = {"user_id": entry.user_id}, {"branch_id": entry.branch_id}
    for category_id in (None, entry.category_id) if entry.category_id is not None else (None,):
        per = category_id is not None
        rows = [{**r, "category_id": category_id} if per else r for r in periods]
        now = {
            (kind, start): entries
            for kind, start, entries in _upsert(
                session,
                MODELS[(True, True, per)],
                [{**r, **member, **branch} for r in rows],
                ("period_kind", "period_start", "entries"),
            )
        }
        school = _upsert(
            session,
            MODELS[(True, False, per)],
            [{**r, **member} for r in rows if school_wide(r["period_kind"])],
            ("period_kind", "period_start", "points_tenths"),
        )
        score_counts.add(
            session,
            score_counts.moves(
                (kind, start, category_id, points - entry.points, points)
                for kind, start, points in school
            ),
        )
        # The member is active in the branch while their activities there add up to more than none.
        active = [
            int(now[key] > 0) - int(now[key] - delta > 0)
            for key in ((r["period_kind"], r["period_start"]) for r in rows)
        ]
        _upsert(
            session,
            MODELS[(False, True, per)],
            [{**r, **branch, "active_members": a} for r, a in zip(rows, active, strict=True)],
        )


def apply_many(session: Session, entries: list[LedgerEntry]) -> None:
    """As ``apply`` for many rows that count no activity (an import's): their points
    summed per total first, then one statement per table, so thousands of rows
    cost a few statements instead of six each."""
    if any(ENTRY_DELTA[e.kind] for e in entries):
        raise ValueError("apply_many takes rows that count no activity")
    sums = _summed(session, entries)
    rows: dict[type, list[dict]] = defaultdict(list)
    for (kind, start, user_id, branch_id, category_id), points in sums.items():
        row = {"period_kind": kind, "period_start": start, "points_tenths": points, "entries": 0}
        if user_id is not None:
            row["user_id"] = user_id
        if branch_id is not None:
            row["branch_id"] = branch_id
        if user_id is None:
            row["active_members"] = 0
        if category_id is not None:
            row["category_id"] = category_id
        model = MODELS[(user_id is not None, branch_id is not None, category_id is not None)]
        rows[model].append(row)
    for model, model_rows in rows.items():
        school = model in (SchoolTotal, SchoolCategoryTotal)
        returning = ("period_kind", "period_start", "user_id", "points_tenths")
        if model is SchoolCategoryTotal:
            returning += ("category_id",)
        for chunk in chunks(model_rows):
            written = _upsert(session, model, chunk, returning if school else ())
            if school:
                score_counts.add(session, score_counts.moves(_school_moves(written, sums)))


def _summed(session: Session, entries: list[LedgerEntry]) -> dict[tuple, Decimal]:
    """The rows' points per total: {(kind, start, member, branch, category): points}."""
    periods: dict[date, list[tuple[str, date]]] = {}
    sums: dict[tuple, Decimal] = defaultdict(Decimal)
    for e in entries:
        if e.earned_on not in periods:
            periods[e.earned_on] = period_starts(session, e.earned_on)
        for category_id in (None, e.category_id) if e.category_id is not None else (None,):
            for kind, start in periods[e.earned_on]:
                for member, branch in ((True, True), (True, False), (False, True)):
                    if not branch and not school_wide(kind):
                        continue
                    key = (
                        kind,
                        start,
                        e.user_id if member else None,
                        e.branch_id if branch else None,
                        category_id,
                    )
                    sums[key] += e.points
    return sums


def _school_moves(written, sums: dict) -> Iterator[tuple]:
    """(kind, start, category, points before, points now) of school-wide totals just written."""
    for kind, start, user_id, points, *category in written:
        category_id = category[0] if category else None
        added = sums[(kind, start, user_id, None, category_id)]
        yield kind, start, category_id, points - added, points


def chunks(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
