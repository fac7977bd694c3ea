"""Recording audit events. Every state change and role change passes here."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from .models import AuditEvent, User


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
