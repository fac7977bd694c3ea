"""Recording audit events. Every state change and role change passes here.

The audit table is append-only (database triggers refuse UPDATE, DELETE,
REPLACE and TRUNCATE) and a hash chain: each row carries the hash of the row
before it and of its own content, so ``check-audit`` finds a row that was
edited, removed or slipped in by someone who got around the triggers. The
head of the chain is written to the log and to each backup's manifest, so
that cutting rows off the end shows too. Rows name people by id only: names,
student numbers and e-mails live in the user table, which anonymisation can
clear, never in the log that nobody may rewrite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import Select, insert, or_, select, text
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.models import AuditEvent, User

GENESIS = "0" * 64
# Taken on PostgreSQL by every transaction that records: the chain has one head.
CHAIN_LOCK_KEY = 7_262_027


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
    """Add an audit event to the session, chained to the one before; it commits with the
    change it describes (on PostgreSQL, other recording transactions wait for that)."""
    event = AuditEvent(
        created_at=utcnow(),
        action=action,
        actor_id=actor.id if actor else None,
        subject_id=subject.id if subject else None,
        branch_id=branch_id,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        details={k: _plain(v) for k, v in details.items()},
        ip_address=request.remote_addr if has_request_context() else None,
    )
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.append(event)
        return event
    _hold_the_head(session)
    event.prev_hash = _head_hash(session)
    event.row_hash = row_hash(event, event.prev_hash)
    session.add(event)
    session.flush()
    return event


_PENDING = "audit_pending"


@contextmanager
def batched(session: Session) -> Iterator[list[AuditEvent]]:
    """Chain the events recorded inside the block all at once when it ends.

    A bulk import records thousands of events: one lock, one read of the head
    and one batched INSERT instead of three statements each. The events are
    chained in the order they were recorded, and are not in the session (they
    have no id). The block gets the list of
    events waiting: clearing it (before a rollback) records none. An exception
    drops them with the changes they describe (the caller rolls back).
    """
    pending: list[AuditEvent] = []
    session.info[_PENDING] = pending
    try:
        yield pending
    finally:
        session.info.pop(_PENDING, None)
    if pending:
        _hold_the_head(session)
        prev = _head_hash(session)
        for event in pending:
            event.prev_hash, event.row_hash = prev, row_hash(event, prev)
            prev = event.row_hash
        # A Core INSERT into the table: one executemany, where the ORM would
        # send a statement a row to learn ids nobody here needs.
        columns = [c.name for c in AuditEvent.__table__.columns if c.name != "id"]
        session.execute(
            insert(AuditEvent.__table__),
            [{key: getattr(e, key) for key in columns} for e in pending],
        )


def _hold_the_head(session: Session) -> None:
    """Make this transaction the only one that may add to the chain until it ends.

    Two transactions reading the same head would fork the chain.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        # A write that changes nothing still takes SQLite's write lock (waiting
        # its turn); no other writer can commit a row until this one ends.
        session.execute(text("UPDATE audit_event SET id = id WHERE 0"))


def _head_hash(session: Session) -> str:
    head = session.scalars(select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1))
    return head.first() or GENESIS


def row_hash(event: AuditEvent, prev_hash: str) -> str:
    """SHA-256 of the previous row's hash and this row's content, in a fixed form."""
    created = (
        event.created_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    )
    content = [
        created,
        event.action,
        event.actor_id,
        event.subject_id,
        event.branch_id,
        event.target_type,
        event.target_id,
        event.details or {},
        event.ip_address,
    ]
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + data).encode()).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.id}:{self.hash}"


def chain_head(session: Session) -> ChainHead | None:
    row = session.execute(
        select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return ChainHead(row.id, row.row_hash) if row else None


def check_chain(session: Session, anchors: Iterable[ChainHead] = ()) -> list[str]:
    """Every break in the chain, in words; empty when the log is whole.

    ``anchors`` are heads written down earlier (log lines, backup manifests):
    each must still be in the chain, so rows cut off the end are found too.
    """
    problems, expected_prev, seen = [], GENESIS, {}
    rows = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    )
    for event in rows:
        if event.prev_hash != expected_prev:
            problems.append(
                _("audit event %(id)s: the row before it was removed or changed", id=event.id)
            )
        if event.row_hash != row_hash(event, event.prev_hash or GENESIS):
            problems.append(_("audit event %(id)s: its content was changed", id=event.id))
        seen[event.id] = event.row_hash
        expected_prev = event.row_hash or GENESIS
    for anchor in anchors:
        if not hmac.compare_digest(seen.get(anchor.id) or "", anchor.hash):
            problems.append(
                _(
                    "anchor %(anchor)s: not in the chain (rows were cut off or rewritten)",
                    anchor=anchor,
                )
            )
    return problems


def log_head(session: Session) -> ChainHead | None:
    """Write the chain's head to the application log: an anchor kept outside the database."""
    head = chain_head(session)
    if head is not None:
        current_app.logger.info("audit chain head %s", head)
    return head


def pseudonym(value: str) -> str:
    """A keyed hash of something typed (a student number at a failed login): the same
    attempts can be told apart and counted, but the value itself is not kept."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


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
