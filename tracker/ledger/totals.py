"""Stored per-period totals, derived from the ledger.

Each ledger row counts, for every period containing its day, in six tables:
per member and branch (MemberTotal), per member across the whole school
(SchoolTotal) and per branch (BranchTotal, which also counts the members with
entries), each again per category (the *CategoryTotal tables).

``apply`` keeps them current in the same transaction as each ledger row;
``rebuild`` recomputes them from the ledger; ``differences`` compares the
two and is what ``flask check-ledger`` and the tests rely on.

Day totals (period_kind "day", period_start = the day) are kept per member
and per branch only, not school-wide: they serve custom ranges
(``ranking.source``), which read whole months and the days at both ends.

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

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, null, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.ledger import score_counts
from tracker.models import (
    Activity,
    ActivityStatus,
    BranchCategoryTotal,
    BranchTotal,
    EntryKind,
    LedgerEntry,
    MemberCategoryTotal,
    MemberTotal,
    SchoolCategoryTotal,
    SchoolTotal,
    ScoreCount,
    Term,
)
from tracker.periods import CALENDAR_KINDS, DAY, STORED_KINDS, period_start

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
        for chunk in _chunks(model_rows):
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


# kind, start, member, branch, category: member None for a branch's totals,
# branch None for the school-wide ones, category None for all categories.
TotalKey = tuple[str, date, int | None, int | None, int | None]


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
    branches: dict[TotalKey, list] = defaultdict(lambda: [Decimal(0), 0, 0])
    for user_id, branch_id, category_id, day, kind, points, count in rows:
        entries = ENTRY_DELTA[EntryKind(kind)] * count
        for period_kind in kinds:
            start = term_start(day) if period_kind == "term" else period_start(period_kind, day)
            if start is None:
                continue
            for cat in (None, category_id) if category_id is not None else (None,):
                for branch in (branch_id, None) if school_wide(period_kind) else (branch_id,):
                    bucket = result[(period_kind, start, user_id, branch, cat)]
                    bucket[0] += Decimal(points)
                    bucket[1] += entries
    for (period_kind, start, _user, branch_id, cat), (points, entries) in list(result.items()):
        if branch_id is not None:
            bucket = branches[(period_kind, start, None, branch_id, cat)]
            bucket[0] += points
            bucket[1] += entries
            bucket[2] += int(entries > 0)
    return {**result, **branches}


def stored_totals(session: Session) -> dict[TotalKey, list]:
    result: dict[TotalKey, list] = {}
    for model in MODELS.values():
        key = [
            getattr(model, name, null())
            for name in ("period_kind", "period_start", "user_id", "branch_id", "category_id")
        ]
        values = [
            getattr(model, name)
            for name in ("points", "entries", "active_members")
            if hasattr(model, name)
        ]
        for row in session.execute(select(*key, *values)):
            result[tuple(row[:5])] = list(row[5:])
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


def rebuild(session: Session, progress: Callable[[int, int], None] | None = None) -> int:
    """Replace every stored total with what the ledger says. Returns rows written.

    ``progress(done, total)`` is told the rows written so far, chunk by chunk.
    """
    return rebuild_kind(session, *STORED_KINDS, progress=progress)


def rebuild_kind(
    session: Session, *kinds: str, progress: Callable[[int, int], None] | None = None
) -> int:
    """Replace the stored totals of ``kinds`` with what the ledger says. Returns rows written.

    On PostgreSQL it takes the locks a booking takes, in the same order, and holds them
    until the caller commits: the members' rows (``booking.lock_member``; KEY SHARE
    waits for bookings under way and holds off new ones), then the totals tables. So
    bookings wait for the rebuild and then add to the rebuilt rows, instead of
    deadlocking with it, and none is lost between reading the ledger and writing.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text('SELECT id FROM "user" ORDER BY id FOR KEY SHARE')).all()
        tables = ", ".join(f'"{model.__tablename__}"' for model in (*MODELS.values(), ScoreCount))
        session.execute(text(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE"))
    for model in MODELS.values():
        session.execute(delete(model).where(model.period_kind.in_(kinds)))
    rows: dict[type, list[dict]] = defaultdict(list)
    for key, values in expected_totals(session, kinds).items():
        kind, start, user_id, branch_id, category_id = key
        row = {"period_kind": kind, "period_start": start}
        for name, value in zip(("user_id", "branch_id", "category_id"), key[2:], strict=True):
            if value is not None:
                row[name] = value
        row.update(zip(("points", "entries", "active_members"), values, strict=False))
        rows[MODELS[(user_id is not None, branch_id is not None, category_id is not None)]].append(
            row
        )
    counts = score_counts.rebuilt(
        session,
        kinds,
        (
            (r["period_kind"], r["period_start"], r.get("category_id"), r["points"])
            for model in (SchoolTotal, SchoolCategoryTotal)
            for r in rows.get(model, [])
        ),
    )
    everything = (*rows.items(), (ScoreCount, counts))
    written, total = 0, sum(len(model_rows) for _model, model_rows in everything)
    if progress:
        progress(0, total)
    for model, model_rows in everything:
        for chunk in _chunks(model_rows):
            session.execute(insert(model), chunk)
            written += len(chunk)
            if progress:
                progress(written, total)
    return written


def differences(session: Session) -> list[str]:
    """Every way the stored totals and activity states disagree with the ledger."""
    problems = []
    expected = expected_totals(session)
    stored = stored_totals(session)
    for key in sorted(set(expected) | set(stored), key=str):
        nothing = [Decimal(0), 0, 0][: len(expected.get(key) or stored[key])]
        want, have = expected.get(key, nothing), stored.get(key, nothing)
        if want != have:
            kind, start, user_id, branch_id, category_id = key
            if user_id is None:
                where = _("branch %(branch)s", branch=branch_id)
            elif branch_id is None:
                where = _("member %(member)s in the whole school", member=user_id)
            else:
                where = _(
                    "member %(member)s in branch %(branch)s", member=user_id, branch=branch_id
                )
            where = _("%(where)s, %(kind)s from %(start)s", where=where, kind=kind, start=start)
            if category_id is not None:
                where = _("%(where)s, category %(category)s", where=where, category=category_id)
            problems.append(
                _(
                    "%(where)s: stored %(stored)s, ledger says %(expected)s",
                    where=where,
                    stored=_describe(have),
                    expected=_describe(want),
                )
            )
    problems.extend(score_counts.differences(session, expected))
    problems.extend(_status_differences(session))
    return problems


def _describe(values: list) -> str:
    names = (_("points"), _("entries"), _("active members"))
    return " / ".join(f"{value} {name}" for value, name in zip(values, names, strict=False))


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
                _(
                    "activity %(id)s is %(status)s but the ledger holds %(held)s",
                    id=activity_id,
                    status=status,
                    held=", ".join(kind.value for kind in have) if have else _("nothing"),
                )
            )
    return problems
