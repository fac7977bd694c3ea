"""The systems of record points are imported from: the built-in 学习强国 (``xuexi``),
志愿汇 (``zyh``) and PU口袋校园 (``pu``), and any an administrator adds."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import Category, ExternalSource, Unit, User
from tracker.models.types import TENTH

KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_POINTS_PER_UNIT = Decimal(100)


def list_sources(session: Session) -> list[ExternalSource]:
    return list(
        session.scalars(
            select(ExternalSource)
            .join(Category, Category.id == ExternalSource.category_id)
            .order_by(Category.sort_order)
        )
    )


def source_by_key(session: Session, key: str) -> ExternalSource | None:
    return session.scalars(select(ExternalSource).where(ExternalSource.key == key)).first()


def _points_per_unit(raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip()).quantize(TENTH)
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not 0 < value <= MAX_POINTS_PER_UNIT:
        raise InvalidInput({"points_per_unit": _l("Between 0.1 and %(n)s.", n=MAX_POINTS_PER_UNIT)})
    return value


def _names(name_zh: str, name_en: str) -> dict[str, str]:
    names = {"name_zh": (name_zh or "").strip(), "name_en": (name_en or "").strip()}
    for field, value in names.items():
        if not value or len(value) > 64:
            raise InvalidInput({field: _l("A name of 1 to %(n)d characters is required.", n=64)})
    return names


def _check_matching(category: Category | None) -> None:
    if category is not None and category.external:
        raise InvalidInput({"matching_category_id": _l("Choose a category members log.")})


def add_source(
    session: Session,
    *,
    key: str,
    name_zh: str,
    name_en: str,
    unit: Unit,
    points_per_unit,
    matching_category: Category | None,
    actor: User | None,
) -> ExternalSource:
    """A new source with a category of its own, which members cannot log in. Audited."""
    key = (key or "").strip()
    if not KEY.match(key):
        raise InvalidInput({"key": _l("2 to 32 lower-case letters, digits or '_'.")})
    taken = session.scalar(select(Category.id).where(Category.key == key))
    if taken or source_by_key(session, key):
        raise InvalidInput({"key": _l("A category with this key exists.")})
    names = _names(name_zh, name_en)
    _check_matching(matching_category)
    rate = _points_per_unit(points_per_unit)
    last = session.scalar(select(func.max(Category.sort_order))) or 0
    category = Category(key=key, unit=unit, external=True, sort_order=last + 1, **names)
    session.add(category)
    session.flush()
    source = ExternalSource(
        key=key,
        category_id=category.id,
        matching_category_id=matching_category.id if matching_category else None,
        points_per_unit=rate,
        columns={},
    )
    session.add(source)
    session.flush()
    audit.record(
        session, "points_source.created", actor=actor, target=source, key=key, rate=str(rate)
    )
    return source


def change_source(
    session: Session,
    source: ExternalSource,
    *,
    name_zh: str,
    name_en: str,
    points_per_unit,
    matching_category: Category | None,
    actor: User | None,
) -> None:
    """New names, rate or matching category for a source. Audited, naming the settings
    that changed; a change to nothing is neither made nor logged.

    What was booked stays as it is: imports keep the units they counted, so the
    next import books only units beyond them, at the new rate. The key and the
    unit stay: the units already counted were counted in that unit.
    """
    names = _names(name_zh, name_en)
    _check_matching(matching_category)
    rate = _points_per_unit(points_per_unit)
    before = str(source.points_per_unit)
    matching_id = matching_category.id if matching_category else None
    # The matching category decides what the reconciliation compares, so the log says
    # which settings changed, not only the rate.
    changed = [
        field for field in ("name_zh", "name_en") if getattr(source.category, field) != names[field]
    ]
    if rate != source.points_per_unit:
        changed.append("points_per_unit")
    if matching_id != source.matching_category_id:
        changed.append("matching_category")
    if not changed:
        return
    source.category.name_zh, source.category.name_en = names["name_zh"], names["name_en"]
    source.points_per_unit = rate
    source.matching_category_id = matching_id
    session.flush()
    audit.record(
        session,
        "points_source.changed",
        actor=actor,
        target=source,
        key=source.key,
        fields=",".join(sorted(changed)),
        rate=str(rate),
        rate_before=before,
    )
