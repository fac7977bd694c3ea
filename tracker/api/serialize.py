"""How domain objects look in JSON: dates YYYY-MM-DD, times with offset, points as numbers."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from tracker.activities.flags import Flag
from tracker.clock import to_campus
from tracker.i18n import category_name, format_points, rule_summary
from tracker.models import (
    Activity,
    ApiToken,
    Attendance,
    Branch,
    Category,
    Event,
    Pairing,
    PointRule,
    User,
)


def number(value: Decimal | None) -> int | float | None:
    """Exact tenths as a JSON number: 3, 2.5, -0.5 (never a string, never 2.4999)."""
    if value is None:
        return None
    text = format_points(value)
    return int(text) if "." not in text else float(text)


def moment(value: datetime | None) -> str | None:
    return to_campus(value).isoformat(timespec="seconds") if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def clock_time(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def branch(value: Branch | None) -> dict[str, Any] | None:
    return {"id": value.id, "name": value.name} if value else None


def person(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def rule(value: PointRule | None, category: Category) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "effective_from": day(value.effective_from),
        "per_quantity": number(value.per_quantity),
        "points_per_unit": number(value.points_per_unit),
        "min_quantity": number(value.min_quantity),
        "max_quantity": number(value.max_quantity),
        "daily_cap": number(value.daily_cap),
        "weekly_cap": number(value.weekly_cap),
        "evidence_required": value.evidence_required,
        "auto_approve": value.auto_approve,
        "summary": rule_summary(value, category),
    }


def category(value: Category, current_rule: PointRule | None) -> dict[str, Any]:
    return {
        "key": value.key,
        "name": category_name(value),
        "unit": value.unit.value,
        "needs_start_time": value.needs_start_time,
        "needs_location": value.needs_location,
        "needs_reflection": value.needs_reflection,
        "needs_mentees": value.needs_mentees,
        "rule": rule(current_rule, value),
    }


def flag(value: Flag) -> dict[str, Any]:
    return {"kind": value.kind, "message": str(value.message), "params": dict(value.params)}


def activity(
    value: Activity, booked: Decimal | None, flags: list[Flag] | None = None
) -> dict[str, Any]:
    """An activity; ``flags`` (the reviewer's warnings) only for those who may review it."""
    return {
        "id": value.id,
        "version": value.version,
        "member": person(value.member),
        "branch": branch(value.branch),
        "category": value.category.key,
        "occurred_on": day(value.occurred_on),
        "start_time": clock_time(value.start_time),
        "quantity": number(value.quantity),
        "title": value.title,
        "description": value.description,
        "location": value.location,
        "status": value.status.value,
        "points": number(booked),
        "submitted_at": moment(value.submitted_at),
        "updated_at": moment(value.updated_at),
        "reviewed_at": moment(value.reviewed_at),
        "review_reason": value.review_reason,
        "mentees": [
            {
                "id": link.mentee_id,
                "name": link.mentee.name,
                "response": link.response.value,
                "reason": link.reason,
            }
            for link in value.mentees
        ],
        "evidence": [
            {
                "id": item.id,
                "name": item.original_name,
                "content_type": item.content_type,
                "size": item.size,
            }
            for item in value.evidence
        ],
        "flags": None if flags is None else [flag(f) for f in flags],
    }


def token(value: ApiToken) -> dict[str, Any]:
    return {
        "id": value.id,
        "name": value.name,
        "prefix": value.prefix,
        "created_at": moment(value.created_at),
        "expires_at": moment(value.expires_at),
        "last_used_at": moment(value.last_used_at),
    }


def page(items: list, page_no: int, per_page: int, total: int, **extra) -> dict[str, Any]:
    return {"items": items, "page": page_no, "per_page": per_page, "total": total, **extra}


def event(value: Event, mine: Attendance | None, code: str | None) -> dict[str, Any]:
    """An event; ``code`` only for those who manage it, ``attendance`` the caller's own."""
    return {
        "id": value.id,
        "title": value.title,
        "category": value.category.key,
        "place": value.place,
        "starts_at": moment(value.starts_at),
        "ends_at": moment(value.ends_at),
        "checkin_opens_at": moment(value.checkin_opens_at),
        "checkin_closes_at": moment(value.checkin_closes_at),
        "points": number(value.points),
        "capacity": value.capacity,
        "mandatory": value.mandatory,
        "rotating": value.rotating,
        "scan_only": value.scan_only,
        "branches": [branch(b) for b in value.branches],
        "closed_at": moment(value.closed_at),
        "attendance": mine.status.value if mine else None,
        "code": code,
    }


def attendance(value: Attendance) -> dict[str, Any]:
    return {
        "id": value.id,
        "member": person(value.member),
        "status": value.status.value,
        "recorded_at": moment(value.recorded_at),
    }


def pairing(value: Pairing) -> dict[str, Any]:
    return {
        "id": value.id,
        "mentor": person(value.mentor),
        "mentee": person(value.mentee),
        "status": value.status.value,
        "created_at": moment(value.created_at),
        "accepted_at": moment(value.accepted_at),
    }
