"""The stored totals against the ledger: what the ledger says they should be
(``expected_totals``), ``rebuild`` (all of them, or of some period kinds) and
``differences``, what ``flask check-ledger`` and the tests rely on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, null, select, text
from sqlalchemy.orm import Session

from tracker.ledger import score_counts
from tracker.ledger.totals.keeping import (
    ENTRY_DELTA,
    MODELS,
    chunks,
    school_wide,
    term_starts,
)
from tracker.models import (
    Activity,
    ActivityStatus,
    EntryKind,
    LedgerEntry,
    SchoolCategoryTotal,
    SchoolTotal,
    ScoreCount,
)
from tracker.periods import STORED_KINDS, period_start

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
        for chunk in chunks(model_rows):
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
