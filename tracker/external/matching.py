"""Matching a report's rows to members: by 学号 when the file has it, else by name within
the branch (所属组织 tells namesakes apart across the school). A row that matches nobody,
several people or a member of another branch is a problem with its row number."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.external import reading
from tracker.external.reports import PointsReport, RowProblem
from tracker.models import (
    Branch,
    User,
)
from tracker.models.types import TENTH
from tracker.people import access

MAX_VALUE = Decimal(10_000_000)


@dataclass(frozen=True)
class _Person:
    id: int
    student_no: str
    name: str
    branch_id: int
    branch_name: str


class People:
    """Every member and committee member of the school, looked up by number and name."""

    def __init__(self, session: Session, branch_id: int | None):
        self.branch_id = branch_id
        rows = session.execute(
            select(User.id, User.student_no, User.name, User.branch_id, Branch.name)
            .join(Branch, Branch.id == User.branch_id)
            .where(User.role.in_(access.BRANCH_ROLES))
        )
        self.by_no: dict[str, _Person] = {}
        self.by_name: dict[str, list[_Person]] = defaultdict(list)
        for row in rows:
            person = _Person(*row)
            self.by_no[person.student_no] = person
            self.by_name[person.name].append(person)

    def _in_scope(self, person: _Person) -> bool:
        return self.branch_id is None or person.branch_id == self.branch_id

    def match(self, student_no: str, name: str, organisation: str) -> _Person:
        """The one member the row names, else raises _Unmatched with why."""
        if student_no:
            person = self.by_no.get(student_no)
            if person is None:
                raise _Unmatched(_l("No member has student number %(no)s.", no=student_no))
            if not self._in_scope(person):
                raise _Unmatched(_l("%(name)s is a member of another branch.", name=person.name))
            return person
        if not name:
            raise _Unmatched(_l("The row has neither a student number nor a name."))
        everyone = self.by_name.get(name, [])
        found = [p for p in everyone if self._in_scope(p)]
        if len(found) > 1 and organisation:
            found = [p for p in found if p.branch_name in organisation] or found
        if not found and everyone:
            raise _Unmatched(_l("%(name)s is a member of another branch.", name=name))
        if not found:
            raise _Unmatched(_l("No member is called %(name)s.", name=name))
        if len(found) > 1:
            raise _Unmatched(
                _l(
                    "%(n)d members are called %(name)s: add the student number.",
                    n=len(found),
                    name=name,
                )
            )
        return found[0]


class _Unmatched(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _value(raw: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise _Unmatched(_l("%(value)s is not a number.", value=raw or "—")) from None
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise _Unmatched(_l("%(value)s is not a number of 0 or more.", value=raw))
    return value.quantize(TENTH)


def matched_rows(report: reading.Report, people: People, out: PointsReport) -> list:
    """(row, person, value) of every good row; the problems go to ``out``."""
    seen: dict[int, int] = {}
    matched = []
    for number, cells in report.rows:
        try:
            person = people.match(
                report.cell(cells, "student_no"),
                report.cell(cells, "name"),
                report.cell(cells, "organisation"),
            )
            value = _value(report.cell(cells, "value"))
        except _Unmatched as problem:
            out.problems.append(RowProblem(number, problem.message))
            continue
        if person.id in seen:
            out.problems.append(
                RowProblem(
                    number,
                    _l(
                        "%(name)s appears already in row %(row)d.",
                        name=person.name,
                        row=seen[person.id],
                    ),
                )
            )
            continue
        seen[person.id] = number
        matched.append((number, person, value))
    return matched
