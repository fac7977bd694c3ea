"""A named mentee's answer to a tutoring session: confirm or dispute."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from . import audit
from .errors import Conflict, InvalidInput
from .models import Activity, ActivityMentee, ActivityStatus, MenteeResponse, User
from .points import MAX_REASON_LENGTH

DECISIONS = {"confirm": MenteeResponse.CONFIRMED, "dispute": MenteeResponse.DISPUTED}


def mentee_link(session: Session, activity: Activity, mentee: User) -> ActivityMentee | None:
    """The mentee's place in the session, if the session names them."""
    return session.scalars(
        select(ActivityMentee).where(
            ActivityMentee.activity_id == activity.id, ActivityMentee.mentee_id == mentee.id
        )
    ).first()


def respond_as_mentee(
    session: Session,
    link: ActivityMentee,
    decision: str,
    reason: str | None,
    now: datetime,
) -> ActivityMentee:
    """Record a mentee's answer while the session waits for review; the caller commits.

    A dispute needs a reason; the answer may be changed until the entry is reviewed,
    and the committee sees it when reviewing.
    """
    if decision not in DECISIONS:
        raise InvalidInput({"decision": _l("Choose confirm or dispute.")})
    reason = (reason or "").strip()
    if decision == "dispute" and not reason:
        raise InvalidInput({"reason": _l("Please give a reason.")})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput({"reason": _l("At most %(n)d characters.", n=MAX_REASON_LENGTH)})
    activity = link.activity
    if activity.status != ActivityStatus.PENDING:
        raise Conflict(_l("This session was already reviewed."))
    link.response = DECISIONS[decision]
    link.reason = reason or None
    link.responded_at = now
    audit.record(
        session,
        f"tutoring.{link.response.value}",
        actor=link.mentee,
        subject=activity.member,
        branch_id=activity.branch_id,
        target=activity,
    )
    return link


def sessions_naming(session: Session, mentee: User, *, open_only: bool) -> Select:
    """The mentee's places in tutoring sessions, newest first; ``open_only``: still under review.

    Being named is what lets a mentee see a session of another branch: only
    its date, amount, title and mentor, never the rest of the mentor's record.
    """
    query = (
        select(ActivityMentee)
        .join(Activity)
        .where(
            ActivityMentee.mentee_id == mentee.id,
            Activity.status.not_in((ActivityStatus.WITHDRAWN,)),
        )
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    )
    if open_only:
        query = query.where(Activity.status == ActivityStatus.PENDING)
    return query
