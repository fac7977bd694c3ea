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

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import EllipsisType

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import AccountStatus, Branch, College, Membership, Role, Stage, User
from tracker.people import access, accounts, activation, organisation, posts
from tracker.settings import setting
from tracker.spreadsheets import FileRefused, read_rows

COLUMNS = (
    "student_no",
    "name",
    "college",
    "branch",
    "role",
    "stage",
    "email",
    "stage_since",
    "committee_post",
)
REQUIRED_COLUMNS = ("student_no", "name", "college", "branch")
# Student numbers per IN (...) list: under SQLite's and PostgreSQL's parameter limits.
LOOKUP_CHUNK = 1000

# The header a Chinese spreadsheet has (the Chinese template's), beside the stored names.
CHINESE_COLUMNS = {
    "学号": "student_no",
    "姓名": "name",
    "学院": "college",
    "支部": "branch",
    "党支部": "branch",
    "角色": "role",
    "发展阶段": "stage",
    "邮箱": "email",
    "电子邮箱": "email",
    "阶段时间": "stage_since",
    "进入阶段时间": "stage_since",
    "职务": "committee_post",
    "支委职务": "committee_post",
}
CHINESE_HEADER = ("学号", "姓名", "学院", "支部", "角色", "发展阶段", "邮箱", "阶段时间", "职务")
# How the import page and its problems name each column, in the user's language.
COLUMN_LABELS = {
    "student_no": _l("Student number"),
    "name": _l("Name"),
    "college": _l("College"),
    "branch": _l("Branch"),
    "role": _l("Role"),
    "stage": _l("Member stage"),
    "email": _l("Email"),
    "stage_since": _l("In this stage since"),
    "committee_post": _l("Committee post"),
}
# What the organisation functions call a field, as the file's column.
_DOMAIN_FIELDS = {"branch_id": "branch", "from_day": "branch", "student_no": "student_no"}

# What a spreadsheet may say instead of the stored value (the Chinese names of
# every role and stage as the pages show them, and the words secretaries use).
ROLE_WORDS = {
    "成员": Role.MEMBER,
    "党员": Role.MEMBER,
    "支委": Role.COMMITTEE,
    "书记": Role.COMMITTEE,
    "支部书记": Role.COMMITTEE,
    "委员": Role.COMMITTEE,
    "支部委员": Role.COMMITTEE,
    "指导老师": Role.ADVISOR,
    "辅导员": Role.ADVISOR,
    "管理员": Role.ADMIN,
}
# 群众 (the masses) is someone not (yet) on the way to membership: no stage.
NO_STAGE = "群众"
STAGE_WORDS = {
    "入党积极分子": Stage.ACTIVIST,
    "积极分子": Stage.ACTIVIST,
    "发展对象": Stage.DEVELOPMENT_TARGET,
    "预备党员": Stage.PROBATIONARY,
    "正式党员": Stage.FULL_MEMBER,
}


def max_rows() -> int:
    """Rows one file may have (TRACKER_IMPORT_MAX_ROWS)."""
    return setting("TRACKER_IMPORT_MAX_ROWS")


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str | None
    message: object

    @property
    def column_label(self):
        """The column as the import page names it, in the user's language."""
        return COLUMN_LABELS.get(self.column, self.column) if self.column else ""


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


# Reading ------------------------------------------------------------------------


def _column(title: str) -> str:
    title = title.strip()
    return CHINESE_COLUMNS.get(title, title.lower())


def read_table(
    data: bytes, limit: int | None = None
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the non-empty rows, numbered as the spreadsheet numbers them.

    The header may use the stored column names or the Chinese ones (学号, 姓名 ...).
    """
    limit = max_rows() if limit is None else limit
    rows = read_rows(data, limit)
    if not rows:
        raise FileRefused(_l("The file is empty."))
    header = [_column(h) for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise FileRefused(
            _l(
                "Unknown columns: %(names)s. The columns are: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(COLUMNS) + " / " + ", ".join(CHINESE_HEADER),
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FileRefused(_l("Missing columns: %(names)s.", names=", ".join(missing)))
    if len(set(header)) != len(header):
        raise FileRefused(_l("A column appears twice in the header."))
    body = []
    for number, values in enumerate(rows[1:], start=2):
        if not any((v or "").strip() for v in values):
            continue
        cells = {
            name: (values[i] if i < len(values) else "").strip() for i, name in enumerate(header)
        }
        body.append((number, cells))
    if len(body) > limit:
        raise FileRefused(
            _l(
                "The file has more than %(n)d rows, the most one import takes. "
                "Split it into several files and import them one after the other.",
                n=limit,
            )
        )
    return header, body


# Checking -----------------------------------------------------------------------


@dataclass
class _Row:
    row: int
    student_no: str
    name: str
    role: Role
    stage: Stage | None
    email: str | None
    branch: Branch | None
    # Left out of the file (``...``): an existing account keeps what it has.
    stage_since: date | None | EllipsisType = ...
    committee_post: str | None | EllipsisType = ...


def _branches(session: Session) -> dict[tuple[str, str], Branch]:
    rows = session.execute(select(Branch, College.name).join(College))
    return {(college, branch.name): branch for branch, college in rows}


class _Bad(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _student_no(raw: str, number: int, seen: dict[str, int]) -> str:
    if not accounts.STUDENT_NO.match(raw):
        raise _Bad(_l("3 to 32 letters, digits, '-' or '_'."))
    if raw in seen:
        raise _Bad(
            _l("Student number %(no)s appears already in row %(row)d.", no=raw, row=seen[raw])
        )
    seen[raw] = number
    return raw


def _name(raw: str) -> str:
    if not raw:
        raise _Bad(_l("The name is empty."))
    if len(raw) > 64:
        raise _Bad(_l("At most %(n)d characters.", n=64))
    return raw


def _role(raw: str) -> Role:
    if not raw:
        return Role.MEMBER
    role = ROLE_WORDS.get(raw) or next((r for r in Role if r.value == raw.lower()), None)
    if role is None:
        raise _Bad(_l("Unknown role %(value)s.", value=raw))
    return role


def _stage(raw: str) -> Stage | None:
    if not raw or raw == NO_STAGE:
        return None
    stage = STAGE_WORDS.get(raw) or next((s for s in Stage if s.value == raw.lower()), None)
    if stage is None:
        raise _Bad(_l("Unknown member stage %(value)s.", value=raw))
    return stage


def _email(raw: str) -> str | None:
    if not raw:
        return None
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _Bad(_l("%(value)s is not an email address.", value=raw)) from None


# 2026-10-08, 2026/10/8, 2026.10.8, 2026年10月8日; an XLSX date cell reads as ISO.
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ].*)?")


def _day(raw: str) -> date | None:
    if not raw:
        return None
    found = _DAY.fullmatch(raw)
    try:
        return date(*(int(part) for part in found.groups())) if found else None
    except ValueError:
        return None


def _stage_since(raw: str) -> date | None:
    day = _day(raw)
    if raw and day is None:
        raise _Bad(_l("%(value)s is not a day such as 2026-10-08.", value=raw))
    return day


def _post(raw: str) -> str | None:
    if len(raw) > posts.MAX_POST:
        raise _Bad(_l("At most %(n)d characters.", n=posts.MAX_POST))
    return raw or None


def _branch(college: str, name: str, role: Role | None, branches: dict) -> Branch | None:
    if not (college or name):
        if role in access.BRANCH_ROLES:
            raise _Bad(_l("Members and committee members need a branch."))
        return None
    branch = branches.get((college, name))
    if branch is None:
        raise _Bad(_l("Unknown branch %(branch)s in %(college)s.", branch=name, college=college))
    if branch.archived_at is not None:
        raise _Bad(_l("Branch %(branch)s is archived.", branch=name))
    return branch


def _check_row(
    number: int, cells: dict[str, str], branches: dict, seen: dict[str, int]
) -> tuple[_Row | None, list[Problem]]:
    """One row's values, or every problem it has (all of them, not just the first)."""
    problems: list[Problem] = []
    values: dict[str, object] = {}

    def check(column: str, parse, *args) -> None:
        try:
            values[column] = parse(*args)
        except _Bad as bad:
            problems.append(Problem(number, column, bad.message))
            values[column] = None

    check("student_no", _student_no, cells.get("student_no", ""), number, seen)
    check("name", _name, cells.get("name", ""))
    check("role", _role, cells.get("role", ""))
    check("stage", _stage, cells.get("stage", ""))
    check("email", _email, cells.get("email", ""))
    # Optional columns: absent from the file, they change nothing.
    if "stage_since" in cells:
        check("stage_since", _stage_since, cells["stage_since"])
    if "committee_post" in cells:
        check("committee_post", _post, cells["committee_post"])
    check(
        "branch",
        _branch,
        cells.get("college", ""),
        cells.get("branch", ""),
        values["role"],
        branches,
    )
    if problems:
        return None, problems
    return _Row(row=number, **values), []


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


def _create(session: Session, rows: list[_Row], actor: User | None, today: date) -> list[User]:
    """The new accounts of the file; what ``accounts.create_user`` makes of one row, with
    the checks it makes done already by ``_check_row``.

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
    session: Session, existing: User, row: _Row, actor: User | None, today: date
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
    checked: list[_Row],
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
    branches, seen, checked = _branches(session), {}, []
    for number, cells in body:
        row, problems = _check_row(number, cells, branches, seen)
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
