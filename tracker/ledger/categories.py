"""Categories and their versioned point rules, as an administrator manages them.

A rule is never edited in place: a change is a new version from a date, and
every award keeps the id of the version it was computed with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import Category, EntryKind, LedgerEntry, PointRule, Unit, User

KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclass(frozen=True)
class RuleTerms:
    per_quantity: Decimal
    points_per_unit: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    daily_cap: Decimal | None
    weekly_cap: Decimal | None
    evidence_required: bool
    auto_approve: bool


@dataclass(frozen=True)
class RuleUsage:
    rule: PointRule
    awards: int


def _check_terms(terms: RuleTerms) -> None:
    if terms.per_quantity <= 0:
        raise InvalidInput({"per_quantity": _l("Must be more than zero.")})
    if terms.points_per_unit < 0:
        raise InvalidInput({"points_per_unit": _l("Cannot be negative.")})
    if terms.min_quantity <= 0:
        raise InvalidInput({"min_quantity": _l("Must be more than zero.")})
    if terms.max_quantity < terms.min_quantity:
        raise InvalidInput({"max_quantity": _l("Cannot be less than the smallest quantity.")})
    for name in ("daily_cap", "weekly_cap"):
        cap = getattr(terms, name)
        if cap is not None and cap <= 0:
            raise InvalidInput({name: _l("Must be more than zero.")})


def rule_versions(session: Session, category: Category) -> list[RuleUsage]:
    """Every version of the category's rule, newest first, with how many awards used it."""
    counts = dict(
        session.execute(
            select(LedgerEntry.rule_id, func.count())
            .where(LedgerEntry.kind == EntryKind.AWARD, LedgerEntry.category_id == category.id)
            .group_by(LedgerEntry.rule_id)
        ).all()
    )
    rules = session.scalars(
        select(PointRule)
        .where(PointRule.category_id == category.id)
        .order_by(PointRule.effective_from.desc())
    )
    return [RuleUsage(rule, counts.get(rule.id, 0)) for rule in rules]


def awards_on_or_after(session: Session, category: Category, day: date) -> int:
    """Awards already booked for days from ``day`` on (a new version leaves them alone)."""
    return (
        session.scalar(
            select(func.count()).where(
                LedgerEntry.kind == EntryKind.AWARD,
                LedgerEntry.category_id == category.id,
                LedgerEntry.earned_on >= day,
            )
        )
        or 0
    )


def add_rule_version(
    session: Session, category: Category, effective_from: date, terms: RuleTerms, actor: User
) -> PointRule:
    """A new version of the rule from ``effective_from``.

    Activities approved from now on for days since that date use it; points
    already awarded keep the version they were computed with.
    """
    if category.retired_at is not None:
        raise InvalidInput({"category": _l("This category is retired.")})
    _check_terms(terms)
    clash = session.scalar(
        select(PointRule.id).where(
            PointRule.category_id == category.id, PointRule.effective_from == effective_from
        )
    )
    if clash:
        raise InvalidInput({"effective_from": _l("A version from this date exists already.")})
    rule = PointRule(category_id=category.id, effective_from=effective_from, **terms.__dict__)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        "rule.version_added",
        actor=actor,
        target=rule,
        category=category.key,
        effective_from=effective_from.isoformat(),
        **{k: v for k, v in terms.__dict__.items()},
    )
    return rule


def add_category(
    session: Session,
    *,
    key: str,
    name_zh: str,
    name_en: str,
    unit: Unit,
    needs_start_time: bool,
    needs_location: bool,
    needs_reflection: bool,
    effective_from: date,
    terms: RuleTerms,
    actor: User,
) -> Category:
    """A new category with its first rule version."""
    key = (key or "").strip()
    if not KEY.match(key):
        raise InvalidInput({"key": _l("2 to 32 lower-case letters, digits or '_'.")})
    if session.scalar(select(Category.id).where(Category.key == key)):
        raise InvalidInput({"key": _l("A category with this key exists.")})
    names = {"name_zh": (name_zh or "").strip(), "name_en": (name_en or "").strip()}
    for field, value in names.items():
        if not value or len(value) > 64:
            raise InvalidInput({field: _l("A name of 1 to %(n)d characters is required.", n=64)})
    _check_terms(terms)
    last = session.scalar(select(func.max(Category.sort_order))) or 0
    category = Category(
        key=key,
        unit=unit,
        needs_start_time=needs_start_time,
        needs_location=needs_location,
        needs_reflection=needs_reflection,
        sort_order=last + 1,
        **names,
    )
    session.add(category)
    session.flush()
    audit.record(session, "category.created", actor=actor, target=category, key=key)
    add_rule_version(session, category, effective_from, terms, actor)
    return category


def retire_category(session: Session, category: Category, actor: User, now: datetime) -> None:
    """No new activities in this category; its activities, awards and rules stay."""
    if category.retired_at is not None:
        raise InvalidInput({"category": _l("This category is retired already.")})
    category.retired_at = now
    audit.record(session, "category.retired", actor=actor, target=category, key=category.key)


def set_approve_when_confirmed(
    session: Session, category: Category, enabled: bool, actor: User
) -> None:
    """Whether a tutoring session is approved on its own once every named mentee confirms."""
    if not category.needs_mentees:
        raise InvalidInput({"category": _l("Only categories that name mentees have this.")})
    category.approve_when_confirmed = enabled
    audit.record(
        session,
        "category.auto_approval_changed",
        actor=actor,
        target=category,
        key=category.key,
        enabled=enabled,
    )
