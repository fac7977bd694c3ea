"""Bulk import of members from a spreadsheet (CSV or XLSX).

``import_members`` reads the whole file, checks every row, then applies
every row in one transaction. With ``dry_run`` (the preview) or with any
problem, the transaction is rolled back: nothing is half-imported, and the
report lists every problem with its row number.

Everything the rows need from the database is loaded in a few queries
(every branch, then the accounts named in the file, a thousand numbers at a
time), new accounts are inserted in batches and their audit events chained
at once, so 10,000 rows take seconds, not the minutes two queries a row took.
Only an existing account whose role or branch changes goes through the
organisation functions one by one (with their few queries each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import AccountStatus, Membership, User
from tracker.people import access, activation, organisation, posts
from tracker.people.member_rows import (
    CheckedRow,
    Problem,
    branches_by_name,
    check_row,
    read_table,
)

# Student numbers per IN (...) list: under SQLite's and PostgreSQL's parameter limits.
LOOKUP_CHUNK = 1000
# What the organisation functions call a field, as the file's column.
_DOMAIN_FIELDS = {"branch_id": "branch", "from_day": "branch", "student_no": "student_no"}


@dataclass
class RowPlan:
    row: int
    student_no: str
    name: str
    action: str  # "create", "update" or "unchanged"
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewAccount:
    """An account the import created, as plain values: read after the commit, 10,000
    expired ``User`` objects would be loaded back one query each."""

    id: int
    student_no: str
    name: str


@dataclass
class ImportReport:
    rows: list[RowPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # (account, activation token) for each account created, when really imported.
    links: list[tuple[NewAccount, str]] = field(default_factory=list)
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


# Applying -----------------------------------------------------------------------


def _existing(session: Session, numbers: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for i in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[i : i + LOOKUP_CHUNK]
        found.update(
            (user.student_no, user)
            for user in session.scalars(select(User).where(User.student_no.in_(chunk)))
        )
    return found


def _create(
    session: Session, rows: list[CheckedRow], actor: User | None, today: date
) -> list[User]:
    """The new accounts of the file; what ``accounts.create_user`` makes of one row, with
    the checks it makes done already by ``member_rows.check_row``.

    Core INSERTs into the tables (one executemany each, every row with the
    same columns) and one query back for the ids: the ORM sends an INSERT a
    row to learn each id, or a batch per run of rows with the same columns
    filled in.
    """
    if not rows:
        return []
    session.execute(
        insert(User.__table__),
        [
            {
                "student_no": row.student_no,
                "name": row.name,
                "role": row.role,
                "email": row.email,
                "stage": row.stage,
                "stage_since": row.stage_since if row.stage_since is not ... else None,
                "status": AccountStatus.ACTIVE,
                "branch_id": (
                    row.branch.id if row.branch and row.role in access.BRANCH_ROLES else None
                ),
            }
            for row in rows
        ],
    )
    found = _existing(session, [row.student_no for row in rows])
    users = [found[row.student_no] for row in rows]
    joined = [
        {
            "user_id": user.id,
            "branch_id": user.branch_id,
            "start_on": today,
            "committee_post": row.committee_post if row.committee_post is not ... else None,
        }
        for user, row in zip(users, rows, strict=True)
        if user.branch_id
    ]
    if joined:
        session.execute(insert(Membership.__table__), joined)
    for user in users:
        audit.record(
            session,
            "user.created",
            actor=actor,
            subject=user,
            branch_id=user.branch_id,
            role=str(user.role),
        )
    return users


def _update(
    session: Session, existing: User, row: CheckedRow, actor: User | None, today: date
) -> RowPlan:
    changes = []
    since = existing.stage_since if row.stage_since is ... else row.stage_since
    if row.stage_since is ... and row.stage != existing.stage:
        since = None  # the old day was the old stage's
    profile = (existing.name, existing.email, existing.stage, existing.stage_since)
    if profile != (row.name, row.email, row.stage, since):
        changes.append("profile")
        organisation.edit_profile(
            session,
            existing,
            name=row.name,
            email=row.email,
            stage=row.stage,
            stage_since=since,
            actor=actor,
            today=today,
        )
    if existing.role != row.role:
        changes.append("role")
        organisation.set_role(session, existing, row.role, actor, today, row.branch)
    if row.role in access.BRANCH_ROLES and row.branch and existing.branch_id != row.branch.id:
        changes.append("branch")
        organisation.move_member(session, existing, row.branch, today, actor, today)
    if (
        row.committee_post is not ...
        and posts.current_membership(session, existing)
        and posts.set_post(session, actor, existing, row.committee_post)
    ):
        changes.append("post")
    action = "update" if changes else "unchanged"
    return RowPlan(row.row, row.student_no, row.name, action, changes)


def _apply(
    session: Session,
    checked: list[CheckedRow],
    actor: User | None,
    today: date,
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> list[User]:
    """Create or update every row; returns the new accounts. Problems go to ``report``."""
    organisation.ensure_admin(actor)
    existing = _existing(session, [row.student_no for row in checked])
    created = _create(session, [r for r in checked if r.student_no not in existing], actor, today)
    for row in checked:
        user = existing.get(row.student_no)
        if user is None:
            report.rows.append(RowPlan(row.row, row.student_no, row.name, "create"))
        else:
            # No savepoint per row: each domain function checks before it changes
            # anything, and any problem rolls the whole import back.
            try:
                report.rows.append(_update(session, user, row, actor, today))
            except InvalidInput as error:
                report.problems.extend(
                    Problem(row.row, _DOMAIN_FIELDS.get(column, column), message)
                    for column, message in error.errors.items()
                )
        if progress:
            progress(1)
    return created


def import_members(
    session: Session,
    data: bytes,
    *,
    actor: User | None,
    today: date,
    now: datetime,
    activation_days: int,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> ImportReport:
    """Check and (unless ``dry_run``) apply a member file, all or nothing.

    Raises FileRefused when the file as a whole is unreadable or longer than
    ``limit`` rows (TRACKER_IMPORT_MAX_ROWS by default). Flushes the accounts
    only when every row is good and ``dry_run`` is false (``applied``; the
    caller commits); otherwise rolls back what it tried, so a preview leaves
    nothing behind.
    """
    _header, body = read_table(data, limit)
    report = ImportReport()
    branches, seen, checked = branches_by_name(session), {}, []
    for number, cells in body:
        row, problems = check_row(number, cells, branches, seen, today)
        report.problems.extend(problems)
        if row:
            checked.append(row)
    with audit.batched(session) as events:
        created = _apply(session, checked, actor, today, report, progress)
        report.problems.sort(key=lambda p: p.row)
        if dry_run or report.problems:
            events.clear()  # the rollback below drops what they describe
        else:
            tokens = activation.issue_tokens(session, created, now, activation_days)
            report.links = [
                (NewAccount(user.id, user.student_no, user.name), token)
                for user, token in zip(created, tokens, strict=True)
            ]
            audit.record(
                session,
                "members.imported",
                actor=actor,
                created=report.count("create"),
                updated=report.count("update"),
                rows=len(body),
            )
    if dry_run or report.problems:
        session.rollback()
        return report
    session.flush()
    report.applied = True
    return report
