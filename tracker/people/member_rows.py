"""A member file's rows: the columns it may have (stored or Chinese names), the
words it takes for roles and stages, and each row read into values or into every
problem it has, with its row and column. Nothing here writes; ``importing``
applies the rows that passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from types import EllipsisType

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Branch, College, Role, Stage
from tracker.people import access, accounts, posts
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
class CheckedRow:
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


def branches_by_name(session: Session) -> dict[tuple[str, str], Branch]:
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


def _stage_since(raw: str, today: date) -> date | None:
    day = _day(raw)
    if raw and day is None:
        raise _Bad(_l("%(value)s is not a day such as 2026-10-08.", value=raw))
    if day is not None and day > today:
        raise _Bad(_l("The date cannot be in the future."))
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


def check_row(
    number: int, cells: dict[str, str], branches: dict, seen: dict[str, int], today: date
) -> tuple[CheckedRow | None, list[Problem]]:
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
        check("stage_since", _stage_since, cells["stage_since"], today)
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
    return CheckedRow(row=number, **values), []
