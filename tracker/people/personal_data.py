"""A member's own data (PIPL): download it all, or anonymise it when they leave.

The export is a list of small sections, one function each, so a feature that
adds a table (check-ins, notifications...) adds one function to SECTIONS.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import Forbidden
from tracker.models import (
    AccountStatus,
    ActivationToken,
    Activity,
    ActivityMentee,
    Attendance,
    AuditEvent,
    Category,
    Certificate,
    Evidence,
    ExternalImport,
    ExternalValue,
    LedgerEntry,
    Membership,
    Notification,
    Pairing,
    User,
)
from tracker.people import accounts
from tracker.spreadsheets import to_csv
from tracker.storage import Storage

Rows = list[dict[str, Any]]


def profile(session: Session, user: User) -> Rows:
    return [
        {
            "student_no": user.student_no,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "stage": user.stage,
            "status": user.status,
            "branch": user.branch.name if user.branch else None,
            "college": user.branch.college.name if user.branch else None,
            "locale": user.locale,
            "name_shown_outside_branch": user.name_public,
            "created_at": user.created_at,
        }
    ]


def memberships(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.start_on)
    )
    return [{"branch": m.branch.name, "start_on": m.start_on, "end_on": m.end_on} for m in rows]


def activities(session: Session, user: User) -> Rows:
    rows = session.execute(
        select(Activity, Category.key)
        .join(Category, Category.id == Activity.category_id)
        .where(Activity.user_id == user.id)
        .order_by(Activity.occurred_on, Activity.id)
    )
    return [
        {
            "id": a.id,
            "category": key,
            "occurred_on": a.occurred_on,
            "start_time": a.start_time,
            "quantity": a.quantity,
            "title": a.title,
            "description": a.description,
            "location": a.location,
            "status": a.status,
            "submitted_at": a.submitted_at,
            "reviewed_at": a.reviewed_at,
            "review_reason": a.review_reason,
        }
        for a, key in rows
    ]


def evidence(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(Evidence).join(Activity).where(Activity.user_id == user.id).order_by(Evidence.id)
    )
    return [
        {
            "activity_id": e.activity_id,
            "file": f"evidence/{e.stored_name}",
            "original_name": e.original_name,
            "content_type": e.content_type,
            "size": e.size,
            "created_at": e.created_at,
            # Kept from the photo's EXIF at upload (the file itself has no EXIF).
            "captured_on": e.captured_on,
        }
        for e in rows
    ]


def ledger(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == user.id).order_by(LedgerEntry.id)
    )
    return [
        {
            "kind": r.kind,
            "points": r.points,
            "earned_on": r.earned_on,
            "activity_id": r.activity_id,
            "branch": r.branch.name,
            "reason": r.reason,
            "created_at": r.created_at,
        }
        for r in rows
    ]


def imported_numbers(session: Session, user: User) -> Rows:
    """What reports of other systems of record (学习强国, 志愿汇) said of this user."""
    rows = session.execute(
        select(ExternalValue, ExternalImport)
        .join(ExternalImport, ExternalImport.id == ExternalValue.import_id)
        .where(ExternalValue.user_id == user.id)
        .order_by(ExternalValue.id)
    )
    return [
        {
            "source": v.source.key,
            "period": i.period_kind,
            "first_day": i.period_start,
            "last_day": i.period_end,
            "value": v.value,
            "booked": v.booked,
            "flagged": v.flagged,
            "imported_at": i.created_at,
        }
        for v, i in rows
    ]


def tutoring_named(session: Session, user: User) -> Rows:
    """Tutoring sessions in which someone named this user as a mentee."""
    rows = session.scalars(
        select(ActivityMentee)
        .where(ActivityMentee.mentee_id == user.id)
        .order_by(ActivityMentee.id)
    )
    return [
        {
            "activity_id": m.activity_id,
            "mentor": m.activity.member.name,
            "response": m.response,
            "reason": m.reason,
            "responded_at": m.responded_at,
        }
        for m in rows
    ]


def account_events(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.subject_id == user.id, AuditEvent.actor_id == user.id))
        .order_by(AuditEvent.id)
    )
    return [
        {"created_at": e.created_at, "action": e.action, "ip_address": e.ip_address} for e in rows
    ]


def check_ins(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(Attendance).where(Attendance.user_id == user.id).order_by(Attendance.id)
    )
    return [
        {
            "event": a.event.title,
            "starts_at": a.event.starts_at,
            "status": a.status,
            "recorded_at": a.recorded_at,
            "leave_reason": a.leave_reason,
            # What the check-in showed (the device only as a keyed hash).
            "door": a.door,
            "device_hash": a.device_hash,
            "session_age_seconds": a.session_age,
            "void_reason": a.void_reason,
        }
        for a in rows
    ]


def pairings(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(Pairing)
        .where(or_(Pairing.mentor_id == user.id, Pairing.mentee_id == user.id))
        .order_by(Pairing.id)
    )
    return [
        {
            "mentor": p.mentor.name,
            "mentee": p.mentee.name,
            "status": p.status,
            "created_at": p.created_at,
            "accepted_at": p.accepted_at,
        }
        for p in rows
    ]


def notifications(session: Session, user: User) -> Rows:
    rows = session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [
        {
            "kind": n.kind,
            "params": json.dumps(n.params, ensure_ascii=False),
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in rows
    ]


def certificates(session: Session, user: User) -> Rows:
    """The points certificates issued for the member, as issued (their codes included)."""
    rows = session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
    )
    return [
        {
            "code": c.code,
            "branch": c.branch.name,
            "period": c.period_name,
            "first_day": c.first_day,
            "last_day": c.last_day,
            "points": c.points,
            "hours": c.hours,
            "issued_by": c.issued_by.name,
            "issued_at": c.issued_at,
        }
        for c in rows
    ]


SECTIONS: dict[str, Callable[[Session, User], Rows]] = {
    "profile": profile,
    "memberships": memberships,
    "activities": activities,
    "evidence": evidence,
    "ledger": ledger,
    "imported_numbers": imported_numbers,
    "tutoring_named": tutoring_named,
    "pairings": pairings,
    "check_ins": check_ins,
    "notifications": notifications,
    "certificates": certificates,
    "account_events": account_events,
}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def _csv(rows: Rows) -> bytes:
    header = list(rows[0]) if rows else []
    return to_csv(header, ([row[k] for k in header] for row in rows))


def export_zip(session: Session, user: User, storage: Storage) -> bytes:
    """Every section as JSON and CSV, and the evidence files, in one ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, section in SECTIONS.items():
            rows = [{k: _plain(v) for k, v in row.items()} for row in section(session, user)]
            archive.writestr(f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2))
            archive.writestr(f"{name}.csv", _csv(rows))
        for item in session.scalars(
            select(Evidence).join(Activity).where(Activity.user_id == user.id)
        ):
            try:
                data = storage.get(item.stored_name)
            except FileNotFoundError:
                continue
            archive.writestr(f"evidence/{item.stored_name}", data)
    return buffer.getvalue()


def anonymise(session: Session, user: User, actor: User) -> list[str]:
    """Remove what identifies a member who has left; keep the points.

    Name, student number and email are replaced, reflections, places and
    evidence removed, the account closed. Ledger rows and memberships stay,
    so branch history and every total are unchanged. Returns the stored
    names of the evidence files for the caller to delete after commit.
    """
    if user.id == actor.id:
        raise Forbidden(_l("You cannot anonymise your own account."))
    files = list(
        session.scalars(
            select(Evidence.stored_name).join(Activity).where(Activity.user_id == user.id)
        )
    )
    activity_ids = select(Activity.id).where(Activity.user_id == user.id)
    session.execute(delete(Evidence).where(Evidence.activity_id.in_(activity_ids)))
    for activity in session.scalars(select(Activity).where(Activity.user_id == user.id)):
        activity.description = ""
        activity.location = None
    session.execute(delete(ActivationToken).where(ActivationToken.user_id == user.id))
    # Messages quote other people's reasons and titles; they go with the person.
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    for attendance in session.scalars(select(Attendance).where(Attendance.user_id == user.id)):
        attendance.leave_reason = None
        attendance.void_reason = None
        attendance.device_hash = None  # it would tie the anonymised check-ins together
    user.name = f"已匿名 #{user.id}"
    user.student_no = f"anon-{user.id}"
    user.email = None
    user.password_hash = None
    user.locale = None
    user.name_public = False
    user.status = AccountStatus.DEACTIVATED
    accounts.end_sessions(user)
    audit.record(
        session,
        "user.anonymised",
        actor=actor,
        subject=user,
        branch_id=user.branch_id,
        evidence_files=len(files),
    )
    return files
