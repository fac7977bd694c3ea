"""Attachments of an event's minutes (photos, PDF): checked as evidence is, kept while open.

The files belong to the minutes, not to one version of their text: a version
records what was written, the attachments what was shown. They are added and
removed only while the minutes are open (locking them fixes the files too),
each step in the audit log. Files are checked by tracker.uploads, exactly as
evidence, and follow the transaction: a file written for a request that fails
is removed, a removed file is deleted only once the removal commits.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit, uploads
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.models import Event, Minutes, MinutesAttachment, User
from tracker.people import access
from tracker.storage import Storage

# A meeting's record needs a few photos and the odd scanned sign-in sheet.
MAX_ATTACHMENTS = 20
FIELD = "files"


def attachment_of(session: Session, event: Event, attachment_id: int) -> MinutesAttachment | None:
    """The attachment, only if it belongs to this event's minutes (else None)."""
    return session.scalar(
        select(MinutesAttachment)
        .join(Minutes, Minutes.id == MinutesAttachment.minutes_id)
        .where(MinutesAttachment.id == attachment_id, Minutes.event_id == event.id)
    )


def _open_for(actor: User, minutes: Minutes) -> None:
    if not access.may_write_minutes(actor, minutes.event):
        raise Forbidden(_l("Only the committee of the event's branch can do this."))
    if minutes.locked_at is not None:
        raise Conflict(_l("These minutes are locked."))


def attach(
    session: Session,
    actor: User,
    minutes: Minutes,
    files: list[uploads.PreparedFile],
    storage: Storage,
    now: datetime,
) -> list[MinutesAttachment]:
    """Store checked files as attachments of open minutes; the caller commits.

    Refuses (Conflict) locked minutes, and (InvalidInput on ``files``) no file
    or more than MAX_ATTACHMENTS in all. Nothing is stored when it refuses.
    """
    _open_for(actor, minutes)
    if not files:
        raise InvalidInput({FIELD: _l("Please choose a photo or a PDF file.")})
    held = session.scalar(select(func.count()).where(MinutesAttachment.minutes_id == minutes.id))
    if held + len(files) > MAX_ATTACHMENTS:
        raise InvalidInput({FIELD: _l("Minutes hold at most %(n)d files.", n=MAX_ATTACHMENTS)})
    added = []
    for prepared in files:
        item = MinutesAttachment(
            minutes_id=minutes.id,
            stored_name=uploads.store(session, storage, prepared),
            original_name=prepared.original_name,
            content_type=prepared.content_type,
            size=len(prepared.data),
            added_at=now,
            added_by_id=actor.id,
        )
        session.add(item)
        added.append(item)
    session.flush()
    audit.record(
        session,
        "minutes.attached",
        actor=actor,
        branch_id=min(minutes.event.branch_ids),
        target=minutes.event,
        files=[item.original_name for item in added],
    )
    return added


def detach(session: Session, actor: User, item: MinutesAttachment, storage: Storage) -> None:
    """Remove an attachment of open minutes; its file goes once the caller commits."""
    minutes = item.minutes
    _open_for(actor, minutes)
    session.delete(item)
    session.flush()
    uploads.delete_on_commit(session, storage, [item.stored_name])
    audit.record(
        session,
        "minutes.detached",
        actor=actor,
        branch_id=min(minutes.event.branch_ids),
        target=minutes.event,
        files=[item.original_name],
    )
