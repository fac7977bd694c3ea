"""The life of an activity before review: submit, edit, resubmit, withdraw."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import audit
from tracker.activities import checks, evidence, fingerprint, tutoring
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.ledger import points, versions
from tracker.models import (
    Activity,
    ActivityMentee,
    ActivityStatus,
    Category,
    Evidence,
    MenteeResponse,
    User,
)
from tracker.people import access
from tracker.storage import Storage


def _apply(
    activity: Activity,
    category: Category,
    data: checks.ActivityInput,
    checked: checks.CheckedActivity,
) -> None:
    activity.occurred_on = data.occurred_on
    activity.quantity = data.quantity
    activity.title = data.title.strip()
    activity.description = (data.description or "").strip()
    activity.start_time = data.start_time if category.needs_start_time else None
    activity.location = (data.location or "").strip() if category.needs_location else None
    activity.branch_id = checked.branch_id
    wanted = {m.id for m in checked.mentees}
    activity.mentees = [link for link in activity.mentees if link.mentee_id in wanted]
    have = {link.mentee_id for link in activity.mentees}
    activity.mentees.extend(
        ActivityMentee(mentee_id=m.id) for m in checked.mentees if m.id not in have
    )


def _attach(
    session: Session, activity: Activity, files: list[evidence.PreparedFile], storage: Storage
) -> None:
    for prepared in files:
        activity.evidence.append(
            Evidence(
                stored_name=evidence.store(session, storage, prepared),
                original_name=prepared.original_name,
                content_type=prepared.content_type,
                size=len(prepared.data),
                photo_hash=prepared.photo_hash,
                captured_on=prepared.captured_on,
                **fingerprint.band_columns(prepared.photo_hash),
            )
        )
    session.flush()


class DuplicateSubmission(Exception):
    """The same form was submitted twice; ``activity_id`` is the one kept."""

    def __init__(self, activity_id: int | None):
        super().__init__(activity_id)
        self.activity_id = activity_id


def submit_activity(
    session: Session,
    member: User,
    category: Category,
    data: checks.ActivityInput,
    *,
    files: list[evidence.PreparedFile],
    submission_key: str | None,
    today: date,
    now: datetime,
    backdate_days: int,
    storage: Storage,
) -> Activity:
    """Create a pending activity (approved at once if the rule says so); the caller commits.

    A repeated ``submission_key`` from the same member books nothing new and
    raises DuplicateSubmission naming the activity already kept.
    """
    # A resubmitted form is recognised before validation: the first copy
    # would otherwise make the second look like an overlapping session.
    existing = _find_by_key(session, member, submission_key)
    if existing is not None:
        raise DuplicateSubmission(existing)
    try:
        checked = checks.check_activity(
            session, member, category, data, today=today, now=now, backdate_days=backdate_days
        )
    except InvalidInput:
        # The first copy may have committed while this one was being checked,
        # and would then look like an overlapping session: look again.
        existing = _find_by_key(session, member, submission_key)
        if existing is not None:
            raise DuplicateSubmission(existing) from None
        raise
    checks.check_evidence(category, checked.rule, None, files)
    activity = Activity(
        user_id=member.id,
        category_id=category.id,
        submission_key=(submission_key or None),
        submitted_at=now,
        updated_at=now,
    )
    _apply(activity, category, data, checked)
    try:
        # The unique (member, submission_key) catches a copy that got past the
        # look-up above; the savepoint keeps the rest of the transaction usable.
        with session.begin_nested():
            session.add(activity)
    except IntegrityError:
        raise DuplicateSubmission(_find_by_key(session, member, submission_key)) from None
    _attach(session, activity, files, storage)
    audit.record(
        session,
        "activity.submitted",
        actor=member,
        subject=member,
        branch_id=activity.branch_id,
        target=activity,
    )
    tutoring.ask_for_confirmation(session, activity)
    if checked.rule.auto_approve and not category.needs_mentees:
        points.approve_activity(session, activity, None, now)
    return activity


def _find_by_key(session: Session, member: User, key: str | None) -> int | None:
    if not key:
        return None
    return session.scalar(
        select(Activity.id).where(Activity.user_id == member.id, Activity.submission_key == key)
    )


def _claim_for_owner(session: Session, member: User, activity: Activity, now: datetime) -> None:
    """Check the owner may change the activity and hold it against a concurrent review."""
    if not access.may_change_activity(member, activity):
        raise Forbidden(_l("Only the member who logged an activity can change it."))
    if not activity.editable:
        raise Conflict(_l("Only pending or rejected activities can be changed."))
    versions.transition(session, activity, activity.status, activity.status, updated_at=now)


def update_activity(
    session: Session,
    member: User,
    activity: Activity,
    data: checks.ActivityInput,
    *,
    files: list[evidence.PreparedFile],
    remove_ids: list[int],
    today: date,
    now: datetime,
    backdate_days: int,
    storage: Storage,
) -> Activity:
    """Edit a pending activity, or edit and resubmit a rejected one; the caller commits.

    Files taken off are deleted once that commit happens."""
    _claim_for_owner(session, member, activity, now)
    category = activity.category
    checked = checks.check_activity(
        session,
        member,
        category,
        data,
        today=today,
        now=now,
        backdate_days=backdate_days,
        ignore_id=activity.id,
    )
    removed = [e for e in activity.evidence if e.id in set(remove_ids)]
    for item in removed:
        activity.evidence.remove(item)
    checks.check_evidence(category, checked.rule, activity, files)
    resubmitted = activity.status == ActivityStatus.REJECTED
    _apply(activity, category, data, checked)
    activity.status = ActivityStatus.PENDING
    activity.updated_at = now
    if resubmitted:
        activity.submitted_at = now
    # The facts changed: every mentee answers again.
    for link in activity.mentees:
        link.response, link.reason, link.responded_at = MenteeResponse.PENDING, None, None
    _attach(session, activity, files, storage)
    evidence.delete_on_commit(session, storage, [e.stored_name for e in removed])
    tutoring.ask_for_confirmation(session, activity)
    audit.record(
        session,
        "activity.resubmitted" if resubmitted else "activity.edited",
        actor=member,
        subject=member,
        branch_id=activity.branch_id,
        target=activity,
    )
    return activity


def withdraw_activity(session: Session, member: User, activity: Activity, now: datetime) -> None:
    """The owner takes back a pending or rejected activity; the caller commits."""
    _claim_for_owner(session, member, activity, now)
    activity.status = ActivityStatus.WITHDRAWN
    activity.updated_at = now
    audit.record(
        session,
        "activity.withdrawn",
        actor=member,
        subject=member,
        branch_id=activity.branch_id,
        target=activity,
    )
    session.flush()
