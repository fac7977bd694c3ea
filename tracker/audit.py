"""Recording audit events. Every state change and role change passes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tracker.models import AuditEvent, User


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    subject: User | None = None,
    branch_id: int | None = None,
    target: Any = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        subject_id=subject.id if subject else None,
        branch_id=branch_id,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        details={k: _plain(v) for k, v in details.items()},
        ip_address=request.remote_addr if has_request_context() else None,
    )
    session.add(event)
    return event


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log page narrows to; None means any."""

    person: str | None = None  # name or student number, as actor or as subject
    action: str | None = None
    branch_id: int | None = None
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive


def events(filters: AuditFilter, branch_ids: set[int] | None) -> Select:
    """Audit events matching ``filters``, newest first, within ``branch_ids``
    (None: every event, including those tied to no branch)."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if branch_ids is not None:
        query = query.where(AuditEvent.branch_id.in_(branch_ids))
    if filters.branch_id is not None:
        query = query.where(AuditEvent.branch_id == filters.branch_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEvent.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.created_at < filters.until)
    if filters.person:
        pattern = (
            "%" + filters.person.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        people = select(User.id).where(
            or_(User.student_no == filters.person, User.name.ilike(pattern, escape="\\"))
        )
        query = query.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject_id.in_(people)))
    return query


def known_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
