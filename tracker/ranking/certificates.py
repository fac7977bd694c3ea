"""Points certificates (积分证明): a member's points and hours by category over a period,
issued with a random verification code that anyone may check later.

The points are the leaderboards' (``members.member_points`` and
``statistics.points_by_category``), so a certificate never says a number the boards
do not. What was certified is stored as issued, with the ledger rows it counted: a
reversal of one of them booked afterwards marks the certificate revoked.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.clock import to_campus
from tracker.errors import Forbidden
from tracker.models import (
    Activity,
    Category,
    Certificate,
    EntryKind,
    ExternalValue,
    LedgerEntry,
    Unit,
    User,
    certificate_entry,
)
from tracker.people import access
from tracker.people.names import mask_name
from tracker.people.scope import Scope
from tracker.periods import Period
from tracker.ranking.members import member_points
from tracker.ranking.milestones import member_progress
from tracker.ranking.standings import TENTH
from tracker.ranking.statistics import points_by_category

# 80 random bits, written as 16 letters and digits of base32 (no 0, 1, 8 or 9 to misread).
CODE_BYTES = 10
ZERO = Decimal(0)
# The hours a certificate counts are service hours (志愿服务时长): those of categories
# counted in hours (volunteering, 志愿汇's imports). Minutes of study or tutoring are time
# spent, not hours of service, and are not added to them.
HOURS_UNITS = (Unit.HOURS,)
# The line of points booked without a category (a committee's adjustment).
UNCATEGORISED = ""


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()


def shown_code(code: str) -> str:
    """ABCD-EFGH-JKLM-NPQR: four groups, as printed and typed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def typed_code(raw: str) -> str:
    """A code as someone typed or scanned it: dashes, spaces and case do not matter."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())[: CODE_BYTES * 2]


@dataclass(frozen=True)
class Statement:
    """What a certificate for the member and period would say now."""

    points: Decimal
    hours: Decimal
    lines: list[dict]  # key, name_zh, name_en, points, hours ("" when not time), as text
    milestones: list[str]
    entry_ids: list[int]


def _hours(session: Session, entries: list[tuple]) -> dict[int, Decimal]:
    """Hours per category among the rows: the quantity of each activity whose award
    stands (counted and not reversed among them), and the units an import booked."""
    awarded = {activity for _, kind, activity in entries if kind == EntryKind.AWARD}
    reversed_ = {activity for _, kind, activity in entries if kind == EntryKind.REVERSAL}
    standing = awarded - reversed_
    hours: dict[int, Decimal] = {}
    rows = session.execute(
        select(Activity.category_id, Activity.quantity)
        .join(Category, Category.id == Activity.category_id)
        .where(Activity.id.in_(standing), Category.unit.in_(HOURS_UNITS))
    ).all()
    external = [entry_id for entry_id, kind, _ in entries if kind == EntryKind.EXTERNAL]
    rows += session.execute(
        select(Category.id, ExternalValue.booked)
        .join(LedgerEntry, LedgerEntry.id == ExternalValue.ledger_entry_id)
        .join(Category, Category.id == LedgerEntry.category_id)
        .where(ExternalValue.ledger_entry_id.in_(external), Category.unit.in_(HOURS_UNITS))
    ).all()
    for category_id, quantity in rows:
        hours[category_id] = hours.get(category_id, ZERO) + quantity
    return {key: value.quantize(TENTH) for key, value in hours.items()}


def statement(session: Session, member: User, period: Period, today: date) -> Statement:
    """The member's points in the period (across every branch they were in), by category as
    the leaderboards count them, hours where a category counts time, the milestones
    they have reached as of ``today``, and the ledger rows behind it all."""
    points = member_points(session, member.id, period)
    categories = points_by_category(session, period, Scope("school"), user_id=member.id)
    entries = session.execute(
        select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.activity_id)
        .where(
            LedgerEntry.user_id == member.id,
            LedgerEntry.earned_on >= period.start,
            LedgerEntry.earned_on < period.end,
        )
        .order_by(LedgerEntry.id)
    ).all()
    hours = _hours(session, entries)
    lines = [
        {
            "key": c.key,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "points": str(c.points),
            "hours": str(hours[c.category_id]) if c.category_id in hours else "",
        }
        for c in categories
        if c.points or c.category_id in hours
    ]
    rest = points - sum((c.points for c in categories), ZERO)
    if rest:
        lines.append(
            {"key": UNCATEGORISED, "name_zh": "", "name_en": "", "points": str(rest), "hours": ""}
        )
    reached = [p.milestone.name for p in member_progress(session, member.id, today) if p.reached]
    return Statement(
        points,
        sum(hours.values(), ZERO).quantize(TENTH),
        lines,
        reached,
        [entry_id for entry_id, _, _ in entries],
    )


def issue(
    session: Session, actor: User, member: User, period: Period, period_name: str, now: datetime
) -> Certificate:
    """A certificate of ``statement`` for the member, stored with the rows it counted and a
    fresh random code; audited. Only the member or their branch's committee may issue one."""
    if not access.may_issue_certificate(actor, member):
        raise Forbidden(_l("Only the member or their branch's committee may issue this."))
    found = statement(session, member, period, to_campus(now).date())
    certificate = Certificate(
        code=new_code(),
        user_id=member.id,
        branch_id=member.branch_id,
        issued_by_id=actor.id,
        period_name=period_name[:64],
        first_day=period.start,
        last_day=period.last_day,
        points=found.points,
        hours=found.hours,
        lines=found.lines,
        milestones=found.milestones,
        issued_at=now,
    )
    session.add(certificate)
    session.flush()
    if found.entry_ids:
        session.execute(
            certificate_entry.insert(),
            [{"certificate_id": certificate.id, "entry_id": e} for e in found.entry_ids],
        )
    audit.record(
        session,
        "certificate.issued",
        actor=actor,
        subject=member,
        branch_id=member.branch_id,
        target=certificate,
        period=f"{period.start.isoformat()}–{period.last_day.isoformat()}",
        points=str(found.points),
        hours=str(found.hours),
        entries=len(found.entry_ids),
    )
    session.flush()
    return certificate


def revoked(session: Session, certificate: Certificate) -> bool:
    """Whether an award the certificate counted has been reversed since it was issued."""
    counted = select(certificate_entry.c.entry_id).where(
        certificate_entry.c.certificate_id == certificate.id
    )
    awards = select(LedgerEntry.activity_id).where(
        LedgerEntry.id.in_(counted), LedgerEntry.kind == EntryKind.AWARD
    )
    later = session.scalar(
        select(LedgerEntry.id)
        .where(
            LedgerEntry.kind == EntryKind.REVERSAL,
            LedgerEntry.activity_id.in_(awards),
            LedgerEntry.id.not_in(counted),
        )
        .limit(1)
    )
    return later is not None


def member_certificates(session: Session, member_id: int) -> list[Certificate]:
    """The member's certificates, newest first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == member_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows: nothing that names the member in full."""

    masked_name: str
    branch_name: str
    college_name: str
    period_name: str
    first_day: date
    last_day: date
    points: Decimal
    hours: Decimal
    issued_at: datetime
    revoked: bool


def verify(session: Session, raw_code: str) -> Verification | None:
    """The certificate with that code, as the public may see it; None for no such code."""
    code = typed_code(raw_code)
    if len(code) != CODE_BYTES * 8 // 5:
        return None
    certificate = session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        return None
    return Verification(
        masked_name=mask_name(certificate.member.name),
        branch_name=certificate.branch.name,
        college_name=certificate.branch.college.name,
        period_name=certificate.period_name,
        first_day=certificate.first_day,
        last_day=certificate.last_day,
        points=certificate.points,
        hours=certificate.hours,
        issued_at=certificate.issued_at,
        revoked=revoked(session, certificate),
    )
