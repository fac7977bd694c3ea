"""1+N peer tutoring: pairings of mentor and mentee, and the mentees' answers.

A session may name only mentees who accepted the mentor; each named mentee
confirms or disputes it, and a category may approve a session on its own
once every mentee has confirmed.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import audit, notify
from tracker.errors import Conflict, Forbidden, InvalidInput
from tracker.ledger import points
from tracker.models import (
    AccountStatus,
    Activity,
    ActivityMentee,
    ActivityStatus,
    MenteeResponse,
    Pairing,
    PairingStatus,
    Role,
    User,
)
from tracker.people import access
from tracker.people.accounts import find_user
from tracker.people.names import mask_name

MAX_REASON = 500


def request_pairing(session: Session, mentor: User, student_no: str, now: datetime) -> Pairing:
    """The mentor asks a registered student (of any branch) to be their mentee."""
    if not access.logs_activities(mentor):
        raise Forbidden(_l("Only members of a branch can keep mentees."))
    number = (student_no or "").strip()
    mentee = find_user(session, number) if number else None
    if mentee is None or not mentee.is_active or mentee.role not in (Role.MEMBER, Role.COMMITTEE):
        raise InvalidInput({"student_no": _l("No active student with number %(no)s.", no=number)})
    if mentee.id == mentor.id:
        raise InvalidInput({"student_no": _l("You cannot be your own mentee.")})
    pairing = Pairing(mentor_id=mentor.id, mentee_id=mentee.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(pairing)
    except IntegrityError:
        # The number the mentor typed, not the name it belongs to (see mentee_name).
        raise InvalidInput(
            {"student_no": _l("%(no)s is already on your list.", no=number)}
        ) from None
    audit.record(session, "pairing.requested", actor=mentor, subject=mentee, target=pairing)
    notify.notify(session, mentee, "pairing_requested", mentor=mentor.name)
    return pairing


def mentee_name(viewer: User, pairing: Pairing) -> str:
    """The mentee's name as ``viewer`` reads it: masked (张*三) until the mentee accepts.

    Anyone may ask any student number; the answer must not tell them whose
    it is (the leaderboards mask names too). The mentee reads their own.
    """
    name = pairing.mentee.name
    if pairing.status == PairingStatus.ACCEPTED or viewer.id == pairing.mentee_id:
        return name
    return mask_name(name)


def _own_request(mentee: User, pairing: Pairing) -> None:
    if not access.may_answer_pairing(mentee, pairing):
        raise Forbidden(_l("Only the student asked can answer this."))
    if pairing.status != PairingStatus.REQUESTED:
        raise Conflict(_l("This request was already answered."))


def accept_pairing(session: Session, mentee: User, pairing: Pairing, now: datetime) -> None:
    _own_request(mentee, pairing)
    pairing.status = PairingStatus.ACCEPTED
    pairing.accepted_at = now
    audit.record(session, "pairing.accepted", actor=mentee, subject=pairing.mentor, target=pairing)
    notify.notify(session, pairing.mentor_id, "pairing_accepted", mentee=mentee.name)


def decline_pairing(session: Session, mentee: User, pairing: Pairing) -> None:
    _own_request(mentee, pairing)
    audit.record(session, "pairing.declined", actor=mentee, subject=pairing.mentor, target=pairing)
    session.delete(pairing)


def accepted_mentee_ids(session: Session, mentor_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Pairing.mentee_id).where(
                Pairing.mentor_id == mentor_id, Pairing.status == PairingStatus.ACCEPTED
            )
        )
    )


def accepted_mentees(session: Session, mentor_id: int) -> list[User]:
    """The active students who accepted the mentor, by student number: whom a session may name."""
    return list(
        session.scalars(
            select(User)
            .join(Pairing, Pairing.mentee_id == User.id)
            .where(
                Pairing.mentor_id == mentor_id,
                Pairing.status == PairingStatus.ACCEPTED,
                User.status == AccountStatus.ACTIVE,
            )
            .order_by(User.student_no)
        )
    )


def ask_for_confirmation(session: Session, activity: Activity) -> None:
    """Tell each mentee the session names (again, after an edit) that it waits for them."""
    for link in activity.mentees:
        if link.response == MenteeResponse.PENDING:
            notify.notify(
                session,
                link.mentee_id,
                "confirmation_requested",
                mentor=activity.member.name,
                title=activity.title,
                activity_id=activity.id,
            )


def _named_link(session: Session, mentee: User, activity: Activity) -> ActivityMentee:
    link = next((m for m in activity.mentees if m.mentee_id == mentee.id), None)
    if link is None:
        raise Forbidden(_l("This session does not name you."))
    if activity.status != ActivityStatus.PENDING:
        raise Conflict(_l("This session was already reviewed."))
    return link


def _answer(
    session: Session, link: ActivityMentee, response: MenteeResponse, reason, now: datetime
) -> None:
    # An answer changes what the reviewer decides on (ledger.versions), and
    # comes too late once the session has been reviewed.
    waiting = session.execute(
        update(Activity)
        .where(Activity.id == link.activity_id, Activity.status == ActivityStatus.PENDING)
        .values(version=Activity.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if waiting != 1:
        raise Conflict(_l("This session was already reviewed."))
    # Conditional: a double click or a second tab answers once.
    changed = session.execute(
        update(ActivityMentee)
        .where(ActivityMentee.id == link.id, ActivityMentee.response == MenteeResponse.PENDING)
        .values(response=response, reason=reason, responded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(_l("You already answered for this session."))
    session.refresh(link)


def confirm_session(session: Session, mentee: User, activity: Activity, now: datetime) -> bool:
    """The mentee confirms; returns True if that approved the session on its own.

    Approval follows only when the category says so and every named mentee
    has confirmed; it books through ``points.approve_activity`` like any other.
    """
    link = _named_link(session, mentee, activity)
    _answer(session, link, MenteeResponse.CONFIRMED, None, now)
    audit.record(
        session, "tutoring.confirmed", actor=mentee, subject=activity.member, target=activity
    )
    session.refresh(activity)
    if activity.category.approve_when_confirmed and activity.confirmed_by_all:
        entry = points.approve_activity(session, activity, None, now)
        notify.notify(
            session,
            activity.user_id,
            "activity_approved",
            activity_id=activity.id,
            title=activity.title,
            points=entry.points,
        )
        return True
    return False


def dispute_session(
    session: Session, mentee: User, activity: Activity, reason: str, now: datetime
) -> None:
    """The mentee says the session did not happen as logged, and why."""
    link = _named_link(session, mentee, activity)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _l("Please give a reason.")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": _l("At most %(n)d characters.", n=MAX_REASON)})
    _answer(session, link, MenteeResponse.DISPUTED, reason, now)
    audit.record(
        session,
        "tutoring.disputed",
        actor=mentee,
        subject=activity.member,
        target=activity,
        reason=reason,
    )
    notify.notify(
        session,
        activity.user_id,
        "session_disputed",
        mentee=mentee.name,
        title=activity.title,
        reason=reason,
        activity_id=activity.id,
    )


def places_naming(mentee: User, *, open_only: bool) -> Select:
    """The mentee's places in tutoring sessions, newest first, as a query to page through.

    ``open_only``: sessions still waiting for review. Being named is what lets
    a mentee see a session of another branch: its date, amount, title and
    mentor, never the rest of the mentor's record.
    """
    query = (
        select(ActivityMentee)
        .join(Activity)
        .where(ActivityMentee.mentee_id == mentee.id, Activity.status != ActivityStatus.WITHDRAWN)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    )
    if open_only:
        query = query.where(Activity.status == ActivityStatus.PENDING)
    return query


def sessions_naming(session: Session, mentee: User, *, waiting: bool) -> list[Activity]:
    """Tutoring sessions that name the mentee: those waiting for their answer, or all others."""
    query = (
        select(Activity)
        .join(ActivityMentee, ActivityMentee.activity_id == Activity.id)
        .where(ActivityMentee.mentee_id == mentee.id)
    )
    pending = (ActivityMentee.response == MenteeResponse.PENDING) & (
        Activity.status == ActivityStatus.PENDING
    )
    query = query.where(pending if waiting else ~pending)
    return list(session.scalars(query.order_by(Activity.occurred_on.desc(), Activity.id.desc())))
