"""The life of an entry before review: submit, edit, resubmit, withdraw."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import audit
from tracker.activities import evidence, tutoring
from tracker.clock import to_campus
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.ledger import points
from tracker.models import (
    Activity,
    ActivityMentee,
    ActivityStatus,
    Category,
    Evidence,
    MenteeResponse,
    PointRule,
    Unit,
    User,
)
from tracker.models.types import TENTH
from tracker.people.accounts import branch_on, find_user

MAX_TITLE = 120
MAX_DESCRIPTION = 4000
MAX_LOCATION = 200
MAX_MENTEES = 10
# Kinds of entry whose time slots may not overlap for one member.
TIMED_UNITS = (Unit.MINUTES,)


@dataclass
class EntryInput:
    occurred_on: date | None
    quantity: Decimal | None
    title: str = ""
    description: str = ""
    start_time: time | None = None
    location: str | None = None
    mentee_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedEntry:
    rule: PointRule
    branch_id: int
    mentees: list[User]


def _minutes(category: Category, quantity: Decimal) -> int:
    return int(quantity * 60) if category.unit == Unit.HOURS else int(quantity)


def _overlapping(
    session: Session, member: User, category: Category, data: EntryInput, ignore_id: int | None
) -> Activity | None:
    """Another live timed entry of the member that shares part of this time slot."""
    start = datetime.combine(data.occurred_on, data.start_time)
    end = start + timedelta(minutes=_minutes(category, data.quantity))
    candidates = session.scalars(
        select(Activity)
        .join(Category)
        .where(
            Activity.user_id == member.id,
            Activity.occurred_on == data.occurred_on,
            Activity.start_time.is_not(None),
            Activity.status.in_((ActivityStatus.PENDING, ActivityStatus.APPROVED)),
            Activity.id != (ignore_id or 0),
        )
    )
    for other in candidates:
        other_start = datetime.combine(other.occurred_on, other.start_time)
        other_end = other_start + timedelta(minutes=_minutes(other.category, other.quantity))
        if other_start < end and start < other_end:
            return other
    return None


def check_entry(
    session: Session,
    member: User,
    category: Category,
    data: EntryInput,
    *,
    today: date,
    now: datetime,
    backdate_days: int,
    ignore_id: int | None = None,
) -> CheckedEntry:
    """Validate an entry against its category and rule; raise InvalidInput with every problem."""
    errors: dict[str, object] = {}
    if not member.logs_activities:
        raise Forbidden(_l("Only members of a branch can log activities."))
    if category.retired_at is not None:
        raise InvalidInput({"category": _l("This category is retired.")})

    day = data.occurred_on
    if day is None:
        errors["occurred_on"] = _l("Please give the date.")
    elif day > today:
        errors["occurred_on"] = _l("The date cannot be in the future.")
    elif day < today - timedelta(days=backdate_days):
        errors["occurred_on"] = _l(
            "Entries can be logged at most %(n)d days back.", n=backdate_days
        )

    rule = (
        points.rule_for(session, category.id, day) if day and "occurred_on" not in errors else None
    )
    if day and "occurred_on" not in errors and rule is None:
        errors["occurred_on"] = _l("No point rule applies on that day.")

    quantity = data.quantity
    if quantity is None:
        errors["quantity"] = _l("Please give the amount.")
    elif quantity != quantity.quantize(TENTH):
        errors["quantity"] = _l("At most one decimal place.")
    elif rule is not None and not (rule.min_quantity <= quantity <= rule.max_quantity):
        errors["quantity"] = _l(
            "Between %(min)s and %(max)s.",
            min=_plain(rule.min_quantity),
            max=_plain(rule.max_quantity),
        )
    elif quantity <= 0:
        errors["quantity"] = _l("Must be more than zero.")

    title = (data.title or "").strip()
    if not title:
        errors["title"] = _l("Please give a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _l("At most %(n)d characters.", n=MAX_TITLE)
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = _l("At most %(n)d characters.", n=MAX_DESCRIPTION)
    elif category.needs_reflection and len(description) < 20:
        errors["description"] = _l("Please write a reflection of at least 20 characters.")
    if category.needs_location:
        location = (data.location or "").strip()
        if not location:
            errors["location"] = _l("Please give the place.")
        elif len(location) > MAX_LOCATION:
            errors["location"] = _l("At most %(n)d characters.", n=MAX_LOCATION)
    if category.needs_start_time and data.start_time is None:
        errors["start_time"] = _l("Please give the start time.")
    elif (
        category.needs_start_time
        and day == today
        and data.start_time > to_campus(now).time().replace(tzinfo=None)
    ):
        errors["start_time"] = _l("The start time cannot be in the future.")

    mentees = _check_mentees(session, member, category, data, errors)

    if (
        not errors
        and category.needs_start_time
        and _overlapping(session, member, category, data, ignore_id)
    ):
        errors["start_time"] = _l("You already logged a session that overlaps this time.")
    branch_id = branch_on(session, member.id, day) if day and not errors else None
    if not errors and branch_id is None:
        errors["occurred_on"] = _l("You were not a member of a branch on that day.")
    if errors:
        raise InvalidInput(errors)
    return CheckedEntry(rule=rule, branch_id=branch_id, mentees=mentees)


def _check_mentees(
    session: Session, member: User, category: Category, data: EntryInput, errors: dict
) -> list[User]:
    if not category.needs_mentees:
        return []
    numbers = list(dict.fromkeys(n.strip() for n in data.mentee_numbers if n.strip()))
    if not numbers:
        errors["mentees"] = _l("Name at least one mentee.")
        return []
    if len(numbers) > MAX_MENTEES:
        errors["mentees"] = _l("At most %(n)d mentees in one session.", n=MAX_MENTEES)
        return []
    mentees = []
    paired = tutoring.accepted_mentee_ids(session, member.id)
    for number in numbers:
        mentee = find_user(session, number)
        if mentee is None or not mentee.is_active:
            errors["mentees"] = _l("No active student with number %(no)s.", no=number)
            return []
        if mentee.id == member.id:
            errors["mentees"] = _l("You cannot be your own mentee.")
            return []
        if mentee.id not in paired:
            errors["mentees"] = _l(
                "%(no)s has not accepted you as mentor yet (see the 1+N page).",
                no=number,
            )
            return []
        mentees.append(mentee)
    return mentees


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _apply(activity: Activity, category: Category, data: EntryInput, checked: CheckedEntry) -> None:
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


def _check_evidence(
    category: Category,
    rule: PointRule,
    activity: Activity | None,
    files: list[evidence.PreparedFile],
) -> None:
    existing = len(activity.evidence) if activity else 0
    if rule.evidence_required and existing + len(files) == 0:
        raise InvalidInput({"evidence": _l("This category needs a photo or a PDF as evidence.")})
    if existing + len(files) > evidence.MAX_FILES:
        raise InvalidInput({"evidence": _l("At most %(n)d files per entry.", n=evidence.MAX_FILES)})


def _attach(
    session: Session, activity: Activity, files: list[evidence.PreparedFile], folder: str
) -> list[str]:
    written = []
    try:
        for prepared in files:
            stored_name = evidence.store(folder, prepared)
            written.append(stored_name)
            activity.evidence.append(
                Evidence(
                    stored_name=stored_name,
                    original_name=prepared.original_name,
                    content_type=prepared.content_type,
                    size=len(prepared.data),
                )
            )
        session.flush()
    except Exception:
        evidence.remove(folder, written)
        raise
    return written


class DuplicateSubmission(Exception):
    """The same form was submitted twice; ``activity_id`` is the one kept."""

    def __init__(self, activity_id: int | None):
        super().__init__(activity_id)
        self.activity_id = activity_id


def submit_entry(
    session: Session,
    member: User,
    category: Category,
    data: EntryInput,
    *,
    files: list[evidence.PreparedFile],
    submission_key: str | None,
    today: date,
    now: datetime,
    backdate_days: int,
    upload_folder: str,
) -> Activity:
    """Create a pending entry (approved at once if the rule says so) and commit.

    A repeated ``submission_key`` from the same member books nothing new and
    raises DuplicateSubmission naming the entry already kept.
    """
    # A resubmitted form is recognised before validation: the first copy
    # would otherwise make the second look like an overlapping session.
    existing = _find_by_key(session, member, submission_key)
    if existing is not None:
        raise DuplicateSubmission(existing)
    try:
        checked = check_entry(
            session, member, category, data, today=today, now=now, backdate_days=backdate_days
        )
    except InvalidInput:
        # The first copy may have committed while this one was being checked,
        # and would then look like an overlapping session: look again.
        existing = _find_by_key(session, member, submission_key)
        if existing is not None:
            raise DuplicateSubmission(existing) from None
        raise
    _check_evidence(category, checked.rule, None, files)
    activity = Activity(
        user_id=member.id,
        category_id=category.id,
        submission_key=(submission_key or None),
        submitted_at=now,
        updated_at=now,
    )
    _apply(activity, category, data, checked)
    session.add(activity)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DuplicateSubmission(_find_by_key(session, member, submission_key)) from None
    written = _attach(session, activity, files, upload_folder)
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
        points.approve_entry(session, activity, None, now)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        evidence.remove(upload_folder, written)
        raise DuplicateSubmission(_find_by_key(session, member, submission_key)) from None
    return activity


def _find_by_key(session: Session, member: User, key: str | None) -> int | None:
    if not key:
        return None
    return session.scalar(
        select(Activity.id).where(Activity.user_id == member.id, Activity.submission_key == key)
    )


def _claim_for_owner(session: Session, member: User, activity: Activity, now: datetime) -> None:
    """Check the owner may change the entry and hold it against a concurrent review."""
    if activity.user_id != member.id:
        raise Forbidden(_l("Only the member who logged an entry can change it."))
    if not activity.editable:
        raise Conflict(_l("Only pending or rejected entries can be changed."))
    points.transition(session, activity, activity.status, activity.status, updated_at=now)


def update_entry(
    session: Session,
    member: User,
    activity: Activity,
    data: EntryInput,
    *,
    files: list[evidence.PreparedFile],
    remove_ids: list[int],
    today: date,
    now: datetime,
    backdate_days: int,
    upload_folder: str,
) -> Activity:
    """Edit a pending entry, or edit and resubmit a rejected one; commits."""
    _claim_for_owner(session, member, activity, now)
    category = activity.category
    checked = check_entry(
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
    _check_evidence(category, checked.rule, activity, files)
    resubmitted = activity.status == ActivityStatus.REJECTED
    _apply(activity, category, data, checked)
    activity.status = ActivityStatus.PENDING
    activity.updated_at = now
    if resubmitted:
        activity.submitted_at = now
    # The facts changed: every mentee answers again.
    for link in activity.mentees:
        link.response, link.reason, link.responded_at = MenteeResponse.PENDING, None, None
    written = _attach(session, activity, files, upload_folder)
    session.flush()
    tutoring.ask_for_confirmation(session, activity)
    audit.record(
        session,
        "activity.resubmitted" if resubmitted else "activity.edited",
        actor=member,
        subject=member,
        branch_id=activity.branch_id,
        target=activity,
    )
    try:
        session.commit()
    except Exception:
        session.rollback()
        evidence.remove(upload_folder, written)
        raise
    evidence.remove(upload_folder, [e.stored_name for e in removed])
    return activity


def withdraw_entry(session: Session, member: User, activity: Activity, now: datetime) -> None:
    """The owner takes back a pending or rejected entry; commits."""
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
    session.commit()


def evidence_path(upload_folder: str, evidence: Evidence) -> Path:
    return Path(upload_folder) / evidence.stored_name
