"""Importing a system of record's report into the ledger, all rows or none.

``import_points`` reads the file, matches every row to a member (by 学号 when
the file has it, else by name within the branch), and works out what each
row adds: a report of a day, week or month replaces the earlier import of the
same period, a cumulative report counts from everything booked from that
source before. Only the difference is booked, so importing the same file
twice, or an overlapping cumulative report, never counts twice; a cumulative
total lower than what was booked is flagged and books nothing.

Rows that match nobody, several people or a member of another branch are
problems: with any, or with ``dry_run`` (the preview), nothing is written.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.external import reading
from tracker.external.matching import People, matched_rows
from tracker.external.reports import Booking, Covered, PointsReport
from tracker.ledger import terms
from tracker.ledger.booking import book_many
from tracker.models import (
    EntryKind,
    ExternalImport,
    ExternalSource,
    ExternalValue,
    LedgerEntry,
    Membership,
    User,
)
from tracker.models.types import TENTH
from tracker.people import access
from tracker.ranking.source import tenths

# Which report may follow which ------------------------------------------------


def _ensure_fits(
    session: Session, source: ExternalSource, period: Covered, today: date, actor: User | None
) -> None:
    """Refuse a report that would count something twice or lands where nothing can be booked."""
    if period.start > today:
        raise InvalidInput({"period": _l("The report's period has not begun yet.")})
    earlier = session.execute(
        select(ExternalImport.period_kind, ExternalImport.period_start, ExternalImport.period_end)
        .where(ExternalImport.source_id == source.id)
        .distinct()
    ).all()
    last_cumulative = max((s for k, s, _e in earlier if k == "cumulative"), default=None)
    if period.kind == "cumulative":
        if last_cumulative is not None and period.end < last_cumulative:
            raise InvalidInput(
                {
                    "period": _l(
                        "A later cumulative report (%(day)s) was imported already.",
                        day=last_cumulative.isoformat(),
                    )
                }
            )
    elif last_cumulative is not None and period.start <= last_cumulative:
        raise InvalidInput(
            {
                "period": _l(
                    "The cumulative report of %(day)s counted this period already.",
                    day=last_cumulative.isoformat(),
                )
            }
        )
    for kind, start, end in earlier:
        overlaps = start <= period.end and period.start <= end
        if kind not in (period.kind, "cumulative") and overlaps:
            raise InvalidInput(
                {
                    "period": _l(
                        "A report of another period length (%(start)s to %(end)s) "
                        "overlaps this one.",
                        start=start.isoformat(),
                        end=end.isoformat(),
                    )
                }
            )
    if terms.closed_term_on(session, period.start) and not access.may_book_in_closed_terms(actor):
        raise InvalidInput({"period": terms.closed_message(terms.term_on(session, period.start))})


# Booking ----------------------------------------------------------------------


def _previous(session: Session, source: ExternalSource, period: Covered, ids: list[int]) -> dict:
    """Units booked before, per member: of the same period, or (cumulative) of any; and
    whether the source has a total of the member already (an earlier cumulative report)."""
    where = [ExternalValue.source_id == source.id, ExternalValue.user_id.in_(ids)]
    if period.kind != "cumulative":
        where += [
            ExternalValue.period_kind == period.kind,
            ExternalValue.period_start == period.start,
        ]
    counted = func.max(case((ExternalValue.period_kind == "cumulative", 1), else_=0))
    rows = session.execute(
        select(ExternalValue.user_id, func.sum(ExternalValue.booked), counted)
        .where(*where)
        .group_by(ExternalValue.user_id)
    )
    return {user_id: (tenths(total), bool(total_of)) for user_id, total, total_of in rows}


def _plan(
    session, source: ExternalSource, period: Covered, matched, out: PointsReport, baseline: bool
) -> None:
    previous: dict[int, tuple[Decimal, bool]] = {}
    ids = [person.id for _n, person, _v in matched]
    for start in range(0, len(ids), 1000):
        previous.update(_previous(session, source, period, ids[start : start + 1000]))
    for number, person, value in matched:
        before, counted = previous.get(person.id, (Decimal(0), False))
        difference = value - before
        flagged = period.kind == "cumulative" and difference < 0
        # A baseline starts the count of members the source has no total of yet; for one
        # already counted, the difference is what they gained since their last report,
        # which a baseline would otherwise drop for good.
        starting = baseline and not counted
        points = (
            Decimal(0)
            if flagged or starting
            else (difference * source.points_per_unit).quantize(TENTH)
        )
        out.rows.append(
            Booking(
                number,
                person.id,
                person.student_no,
                person.name,
                person.branch_id,
                value,
                before,
                difference,
                points,
                flagged,
                starting,
            )
        )


def _branches_on(session: Session, user_ids: list[int], day: date) -> dict[int, int]:
    """The branch each member belonged to on ``day`` (as ``accounts.branch_on``), at once."""
    found: dict[int, int] = {}
    for first in range(0, len(user_ids), 1000):
        rows = session.execute(
            select(Membership.user_id, Membership.branch_id)
            .where(
                Membership.user_id.in_(user_ids[first : first + 1000]),
                Membership.start_on <= day,
                or_(Membership.end_on.is_(None), Membership.end_on > day),
            )
            .order_by(Membership.start_on)
        )
        found.update(dict(rows.all()))  # the latest start wins, as in branch_on
    return found


def _write(session, source, period: Covered, out: PointsReport, actor, branch_id, digest) -> None:
    batch = ExternalImport(
        source_id=source.id,
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        branch_id=branch_id,
        actor_id=actor.id if actor else None,
        rows=len(out.rows),
        file_sha256=digest,
    )
    session.add(batch)
    session.flush()
    booked = [line for line in out.rows if line.points and not line.flagged]
    branches = _branches_on(session, [line.user_id for line in booked], period.start)
    entries = {
        line.row: LedgerEntry(
            kind=EntryKind.EXTERNAL,
            user_id=line.user_id,
            # The branch the member belonged to on the day booked, else their branch now.
            branch_id=branches.get(line.user_id, line.branch_id),
            category_id=source.category_id,
            points=line.points,
            earned_on=period.start,
            actor_id=actor.id if actor else None,
            reason=f"{source.key} {period.kind} {period.start.isoformat()}",
        )
        for line in booked
    }
    book_many(
        session,
        list(entries.values()),
        in_closed_term=access.may_book_in_closed_terms(actor),
    )
    session.add_all(
        ExternalValue(
            import_id=batch.id,
            source_id=source.id,
            user_id=line.user_id,
            period_kind=period.kind,
            period_start=period.start,
            row_number=line.row,
            value=line.value,
            booked=Decimal(0) if line.flagged else line.difference,
            flagged=line.flagged,
            baseline=line.starting,
            ledger_entry_id=entries[line.row].id if line.row in entries else None,
        )
        for line in out.rows
    )
    out.import_id = batch.id


def import_points(
    session: Session,
    data: bytes,
    *,
    source: ExternalSource,
    period: Covered,
    actor: User | None,
    branch_id: int | None,
    today: date,
    dry_run: bool,
    chosen: dict[str, str] | None = None,
    baseline: bool = False,
) -> PointsReport:
    """Check and (unless ``dry_run``) book a report of ``source`` for ``period``, all or nothing.

    ``branch_id`` limits matching to one branch (a committee's import); None
    matches across the school. Raises FileRefused for an unreadable file and
    InvalidInput for a period that would count twice. Books at most the
    difference to earlier imports of the source, so a report imported again
    books nothing, even when two imports of the source run at once. Writes
    only when no row has a problem and ``dry_run`` is false (``applied``);
    flushes, the caller commits. Audited without names.

    A ``baseline`` (cumulative reports only) records the totals as counted
    and books nothing for members the source has no total of yet: members
    arrive with years of 学习强国 points, and the first import would
    otherwise book them all on one day. Members already counted book what
    they gained since, as without it. The next report books what was gained.
    """
    if baseline and period.kind != "cumulative":
        raise InvalidInput(
            {"baseline": _l("Only a report of totals up to a day (cumulative) can be a baseline.")}
        )
    if not dry_run:
        # Two imports of one source at once would both read the same earlier
        # bookings. Writing the source's row first makes the second wait for
        # the first to commit, and read after it: a row lock on PostgreSQL,
        # the write lock on SQLite (even for a command, whose reads begin no
        # transaction).
        session.execute(
            update(ExternalSource)
            .where(ExternalSource.id == source.id)
            .values(key=ExternalSource.key)
            .execution_options(synchronize_session=False)
        )
    _ensure_fits(session, source, period, today, actor)
    report = reading.read_report(data, period.kind, source.columns, chosen)
    out = PointsReport(source.key, period, columns=report.mapping(), baseline=baseline)
    matched = matched_rows(report, People(session, branch_id), out)
    _plan(session, source, period, matched, out, baseline)
    if dry_run or out.problems:
        return out
    _write(session, source, period, out, actor, branch_id, hashlib.sha256(data).hexdigest())
    source.columns = out.columns
    audit.record(
        session,
        "points.imported",
        actor=actor,
        branch_id=branch_id,
        target=session.get(ExternalImport, out.import_id),
        source=source.key,
        period=period.kind,
        start=period.start.isoformat(),
        **({"baseline": True} if baseline else {}),
        rows=len(out.rows),
        booked=len(out.to_book),
        flagged=len(out.flagged),
        points=str(out.points),
    )
    session.flush()
    out.applied = True
    return out
