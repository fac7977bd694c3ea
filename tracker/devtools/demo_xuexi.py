"""A made-up 学习强国 points report of the demo's members, as the organisation export looks.

The demo takes the totals of two Sundays ago as its baseline (members bring
the points of earlier years, which are not this term's work), then imports
last week's report (cumulative totals up to last Sunday), so the boards rank
what each member gained in that week; ``this_weeks_report`` is the next one,
to try the import with: only what each member gained since is booked.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.external import importing, reports, sources
from tracker.models import Branch, User
from tracker.people import access

HEADER = ("姓名", "学号", "所属组织", "总积分", "本周积分")


def _members(session: Session) -> list[tuple[str, str, str]]:
    return list(
        session.execute(
            select(User.name, User.student_no, Branch.name)
            .join(Branch, Branch.id == User.branch_id)
            .where(User.role.in_(access.BRANCH_ROLES))
            .order_by(Branch.id, User.student_no)
        ).all()
    )


def _points(student_no: str, weeks_ago: int) -> tuple[int, int]:
    """(total, that week's) for a member, ``weeks_ago`` (0, 1 or 2) weeks before this
    one: the same numbers every time the demo is built."""
    rng = random.Random(f"xuexi-{student_no}")  # noqa: S311 - made-up demo numbers
    total = rng.randint(1500, 12000)
    # Gains of this week, last week and the week before.
    weekly = [rng.choice((0, 35, 60, 85, 110, 140)) for _ in range(3)]
    return total + sum(weekly[weeks_ago:]), weekly[weeks_ago]


def report(session: Session, as_of: date, weeks_ago: int) -> bytes:
    """The XLSX export: a title row, then a row per member."""
    book = Workbook()
    sheet = book.active
    sheet.title = "学习积分"
    sheet.append([f"学习强国积分统计（截至 {as_of.isoformat()}）"])
    sheet.append(list(HEADER))
    for name, student_no, branch in _members(session):
        total, week = _points(student_no, weeks_ago)
        sheet.append([name, student_no, branch, total, week])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def last_sunday(today: date) -> date:
    return today - timedelta(days=today.weekday() + 1)


def import_last_weeks_report(session: Session, today: date) -> None:
    """The baseline of two Sundays ago, then last week's cumulative report booked, as a
    secretary would have on those Mondays."""
    for weeks_ago in (2, 1):
        as_of = last_sunday(today) - timedelta(weeks=weeks_ago - 1)
        importing.import_points(
            session,
            report(session, as_of, weeks_ago=weeks_ago),
            source=sources.source_by_key(session, "xuexi"),
            period=reports.covered("cumulative", as_of),
            actor=None,
            branch_id=None,
            today=today,
            dry_run=False,
            baseline=weeks_ago == 2,
        )


def this_weeks_report(session: Session, today: date) -> bytes:
    return report(session, today, weeks_ago=0)
