"""The stored totals against the ledger: ``rebuild`` (all of them, or of some
period kinds) from what the ledger says (``rollup``), and ``differences``,
what ``flask check-ledger`` and the tests rely on."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import MetaData, Table, case, delete, func, select, text
from sqlalchemy.orm import Session

from tracker.ledger.totals import rollup
from tracker.ledger.totals.keeping import MODELS
from tracker.models import Activity, ActivityStatus, EntryKind, LedgerEntry, ScoreCount
from tracker.periods import STORED_KINDS


def rebuild(session: Session, progress: Callable[[int, int], None] | None = None) -> int:
    """Replace every stored total with what the ledger says. Returns rows written.

    ``progress(done, total)`` is told the tables written so far.
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
    for model in rollup.TABLES:
        session.execute(delete(model).where(model.period_kind.in_(kinds)))
    # The temporary tables go with the transaction if anything fails (DDL is
    # transactional on both databases), so they are dropped only on success.
    metadata = MetaData()
    days = rollup.period_days(session, kinds, metadata)
    targets = {model: model.__table__ for model in rollup.TABLES}
    written = rollup.fill(session, kinds, targets, days, progress)
    rollup.drop(session, metadata)
    return written


def differences(session: Session) -> list[str]:
    """Every way the stored totals and activity states disagree with the ledger."""
    metadata = MetaData()
    days = rollup.period_days(session, STORED_KINDS, metadata)
    expected = rollup.copies(session, metadata)
    rollup.fill(session, STORED_KINDS, expected, days)
    problems = [
        problem
        for model in MODELS.values()
        for problem in _total_differences(session, model, expected[model])
    ]
    problems.extend(_count_differences(session, expected[ScoreCount]))
    rollup.drop(session, metadata)
    problems.extend(_status_differences(session))
    return problems


def _disagreeing(session: Session, stored: Table, expected: Table, keys, values, where=()):
    """{key: (stored values, expected values)} where the two tables disagree; a key
    missing on one side counts as zeros there."""
    found: dict[tuple, list] = {}
    for side, (one, other) in enumerate(((stored, expected), (expected, stored))):
        query = select(*(one.c[n] for n in (*keys, *values))).where(
            *(condition(one) for condition in where)
        )
        query = query.except_(
            select(*(other.c[n] for n in (*keys, *values))).where(
                *(condition(other) for condition in where)
            )
        )
        for row in session.execute(query):
            pair = found.setdefault(tuple(row[: len(keys)]), [None, None])
            pair[side] = list(row[len(keys) :])
    nothing = [0] * len(values)
    return {
        key: (have or nothing, want or nothing)
        for key, (have, want) in found.items()
        if [Decimal(v) for v in have or nothing] != [Decimal(v) for v in want or nothing]
    }


def _total_differences(session: Session, model, expected: Table) -> list[str]:
    stored = model.__table__
    keys = [
        n
        for n in ("period_kind", "period_start", "user_id", "branch_id", "category_id")
        if n in stored.c
    ]
    values = [n for n in ("points_tenths", "entries", "active_members") if n in stored.c]
    problems = []
    for key, (have, want) in sorted(
        _disagreeing(session, stored, expected, keys, values).items(), key=str
    ):
        named = dict(zip(keys, key, strict=True))
        kind, start = named["period_kind"], named["period_start"]
        user_id, branch_id = named.get("user_id"), named.get("branch_id")
        category_id = named.get("category_id")
        if user_id is None:
            where = _("branch %(branch)s", branch=branch_id)
        elif branch_id is None:
            where = _("member %(member)s in the whole school", member=user_id)
        else:
            where = _("member %(member)s in branch %(branch)s", member=user_id, branch=branch_id)
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
    return problems


def _count_differences(session: Session, expected: Table) -> list[str]:
    """Every score count that disagrees with the school-wide totals the ledger gives."""
    keys = ("period_kind", "period_start", "category_id", "points_tenths")
    found = _disagreeing(
        session,
        ScoreCount.__table__,
        expected,
        keys,
        ("members",),
        where=(lambda table: table.c.members != 0,),
    )
    return [
        _(
            "members with %(points)s points, %(kind)s from %(start)s, category %(category)s: "
            "stored %(stored)s, ledger says %(expected)s",
            points=points,
            kind=kind,
            start=start,
            category=category_id or pgettext("categories", "all"),
            stored=have[0],
            expected=want[0],
        )
        for (kind, start, category_id, points), (have, want) in sorted(found.items(), key=str)
    ]


def _describe(values: list) -> str:
    names = (_("points"), _("entries"), _("active members"))
    return " / ".join(f"{value} {name}" for value, name in zip(values, names, strict=False))


def _status_differences(session: Session) -> list[str]:
    """Activities whose state and ledger rows disagree: approved with exactly one award,
    revoked with one award and one reversal, anything else with none."""
    ledger = LedgerEntry.__table__
    awards = func.sum(case((ledger.c.kind == EntryKind.AWARD.value, 1), else_=0))
    reversals = func.sum(case((ledger.c.kind == EntryKind.REVERSAL.value, 1), else_=0))
    activity = Activity.__table__
    approved, revoked = ActivityStatus.APPROVED.value, ActivityStatus.REVOKED.value
    rows = session.execute(
        select(activity.c.id, activity.c.status, awards, reversals)
        .join_from(activity, ledger, ledger.c.activity_id == activity.c.id, isouter=True)
        .group_by(activity.c.id, activity.c.status)
        .having(
            ~(
                (activity.c.status == approved) & (awards == 1) & (reversals == 0)
                | (activity.c.status == revoked) & (awards == 1) & (reversals == 1)
                | activity.c.status.not_in((approved, revoked))
                & (func.coalesce(awards, 0) == 0)
                & (func.coalesce(reversals, 0) == 0)
            )
        )
        .order_by(activity.c.id)
    )
    problems = []
    for activity_id, status, award_count, reversal_count in rows:
        held = [EntryKind.AWARD.value] * (award_count or 0)
        held += [EntryKind.REVERSAL.value] * (reversal_count or 0)
        problems.append(
            _(
                "activity %(id)s is %(status)s but the ledger holds %(held)s",
                id=activity_id,
                status=status,
                held=", ".join(held) if held else _("nothing"),
            )
        )
    return problems
