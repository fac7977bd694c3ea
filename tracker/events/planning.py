"""Planning events: create them, change their code, find them, remind members.

Who may see and manage an event lives here too; check-in, leave and closing
are in ``attendance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, notify
from tracker.clock import to_campus
from tracker.errors import Forbidden, InvalidInput
from tracker.events import kinds
from tracker.i18n import format_points
from tracker.ledger import estimates, terms
from tracker.models import (
    AccountStatus,
    Branch,
    Category,
    Event,
    PartyGroup,
    Unit,
    User,
    event_branch,
)
from tracker.models.events import new_event_secret
from tracker.models.types import TENTH
from tracker.people import access
from tracker.settings import setting

MAX_TITLE = 120


MAX_PLACE = 200


MAX_CAPACITY = 10_000


MAX_POINTS = Decimal(20)


@dataclass
class EventInput:
    title: str
    category: Category | None
    place: str
    starts_at: datetime | None
    ends_at: datetime | None
    opens_before: int = 30  # minutes before the start that check-in opens
    closes_after: int = 30  # minutes after the start that check-in closes
    points: Decimal | None = None
    capacity: int | None = None
    mandatory: bool = False
    rotating: bool = False
    branch_ids: list[int] | None = None
    kind: str = "other"  # tracker.events.kinds
    group_id: int | None = None  # the 党小组 of a group meeting


def ensure_manager(user: User, event: Event) -> None:
    if not access.may_manage_event(user, event):
        raise Forbidden(_l("Only the committee of the event's branch can do this."))


def default_points(session: Session, category: Category, starts_at: datetime, ends_at: datetime):
    """What the category's rule gives for attending the whole event, as for one activity.

    The duration is the quantity (minutes, hours, or one attendance), and the
    points are at most what one entry may earn under the rule of the day (its
    largest quantity, its daily and weekly caps): a 24-hour tutoring event
    gives what one tutoring activity may, not 48 points.
    """
    day = to_campus(starts_at).date()
    rule = estimates.rule_for(session, category.id, day)
    if rule is None:
        return None
    minutes = Decimal(int((ends_at - starts_at).total_seconds() // 60))
    quantity = {Unit.MINUTES: minutes, Unit.HOURS: (minutes / 60).quantize(TENTH)}.get(
        category.unit, Decimal(1)
    )
    return min(estimates.points_for_quantity(rule, quantity), estimates.most_for_one_entry(rule))


def _check_day_and_points(session: Session, data: EventInput, now: datetime) -> dict[str, object]:
    """The start within the back-dating window and outside closed terms; the points within
    what the rule of the day gives one entry (the rule decides them when none are given)."""
    errors: dict[str, object] = {}
    day, today = to_campus(data.starts_at).date(), to_campus(now).date()
    backdate_days = setting("TRACKER_BACKDATE_DAYS", session)
    closed = terms.closed_term_on(session, day)
    if day < today - timedelta(days=backdate_days):
        errors["starts_at"] = _l("Events can start at most %(n)d days back.", n=backdate_days)
    elif closed is not None:
        errors["starts_at"] = terms.closed_message(closed)
    rule = estimates.rule_for(session, data.category.id, day)
    if rule is None:
        errors.setdefault("starts_at", _l("No point rule applies on that day."))
    elif data.points is None:
        data.points = default_points(session, data.category, data.starts_at, data.ends_at)
    elif data.points > estimates.most_for_one_entry(rule):
        errors["points"] = _l(
            "At most %(max)s points: what the category's rule gives for one entry.",
            max=format_points(estimates.most_for_one_entry(rule)),
        )
    return errors


def _check_event(session: Session, organiser: User, data: EventInput) -> tuple[list[Branch], dict]:
    errors: dict[str, object] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _l("Please give a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _l("At most %(n)d characters.", n=MAX_TITLE)
    if len((data.place or "").strip()) > MAX_PLACE:
        errors["place"] = _l("At most %(n)d characters.", n=MAX_PLACE)
    if data.category is None or data.category.retired_at is not None or data.category.external:
        errors["category"] = _l("Please choose a category.")
    if data.starts_at is None:
        errors["starts_at"] = _l("Please give the start.")
    elif data.ends_at is None or data.ends_at <= data.starts_at:
        errors["ends_at"] = _l("The end must come after the start.")
    elif data.ends_at - data.starts_at > timedelta(days=1):
        errors["ends_at"] = _l("An event lasts at most one day.")
    if not 0 <= data.opens_before <= 24 * 60:
        errors["opens_before"] = _l("Between %(min)s and %(max)s.", min=0, max=24 * 60)
    if not 1 <= data.closes_after <= 24 * 60:
        errors["closes_after"] = _l("Between %(min)s and %(max)s.", min=1, max=24 * 60)
    if data.capacity is not None and not 1 <= data.capacity <= MAX_CAPACITY:
        errors["capacity"] = _l("Between %(min)s and %(max)s.", min=1, max=MAX_CAPACITY)
    if data.points is not None and not (
        0 <= data.points <= MAX_POINTS and data.points == data.points.quantize(TENTH)
    ):
        errors["points"] = _l("Between 0 and %(max)s, with at most one decimal.", max=MAX_POINTS)
    if access.may_choose_event_branches(organiser):
        wanted = set(data.branch_ids or [])
        branches = list(
            session.scalars(
                select(Branch).where(Branch.id.in_(wanted), Branch.archived_at.is_(None))
            )
        )
        if not wanted or len(branches) != len(wanted):
            errors["branch_ids"] = _l("Choose at least one branch.")
    elif access.may_create_events(organiser):
        branches = [session.get(Branch, organiser.branch_id)]
    else:
        raise Forbidden(_l("Only the branch committee can create events."))
    errors.update(_check_kind(session, data, branches))
    return branches, errors


def _check_kind(session: Session, data: EventInput, branches: list[Branch]) -> dict[str, object]:
    """A known kind; a group meeting names one 党小组 of the event's one branch."""
    if data.kind not in kinds.KINDS:
        return {"kind": _l("Please choose a kind of meeting.")}
    if kinds.expected_of(data.kind) != kinds.Expected.GROUP:
        data.group_id = None
        return {}
    group = session.get(PartyGroup, data.group_id) if data.group_id else None
    if group is None or len(branches) != 1 or group.branch_id != branches[0].id:
        return {"group_id": _l("Choose the party group that meets.")}
    return {}


def create_event(session: Session, organiser: User, data: EventInput, now: datetime) -> Event:
    """Create an event and tell every member of its branches; the caller commits.

    Refused: a start further back than the back-dating window
    (``TRACKER_BACKDATE_DAYS``, as for activities) or on a day of a closed
    term, and points above what the category's rule gives one entry.
    """
    branches, errors = _check_event(session, organiser, data)
    if not errors:
        errors = _check_day_and_points(session, data, now)
    if errors:
        raise InvalidInput(errors)
    event = Event(
        title=data.title.strip(),
        category_id=data.category.id,
        place=(data.place or "").strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        checkin_opens_at=data.starts_at - timedelta(minutes=data.opens_before),
        checkin_closes_at=data.starts_at + timedelta(minutes=data.closes_after),
        points=data.points,
        capacity=data.capacity,
        mandatory=data.mandatory,
        rotating=data.rotating,
        kind=data.kind,
        group_id=data.group_id,
        created_by_id=organiser.id,
        created_at=now,
        branches=branches,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        "event.created",
        actor=organiser,
        branch_id=branches[0].id if len(branches) == 1 else None,
        target=event,
    )
    members = session.scalars(
        select(User.id).where(
            User.branch_id.in_([b.id for b in branches]),
            User.status == AccountStatus.ACTIVE,
            User.id != organiser.id,
        )
    )
    for member_id in members:
        notify.notify(
            session,
            member_id,
            "event_created",
            event_id=event.id,
            title=event.title,
            when=event.starts_at,
        )
    return event


def rotate_code(session: Session, manager: User, event: Event) -> None:
    """A new secret: every code shown so far stops working."""
    ensure_manager(manager, event)
    event.secret = new_event_secret()
    audit.record(session, "event.code_rotated", actor=manager, target=event)


def remind_upcoming(session: Session, now: datetime, within: timedelta) -> int:
    """Tell members of events starting within ``within`` (once per event); returns events told."""
    due = session.scalars(
        select(Event).where(
            Event.closed_at.is_(None),
            Event.reminded_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + within,
        )
    ).all()
    for event in due:
        event.reminded_at = now
        members = session.scalars(
            select(User.id).where(
                User.branch_id.in_(event.branch_ids), User.status == AccountStatus.ACTIVE
            )
        )
        for member_id in members:
            notify.notify(
                session,
                member_id,
                "event_soon",
                event_id=event.id,
                title=event.title,
                when=event.starts_at,
                opens=event.checkin_opens_at,
            )
    return len(due)


def events_for_branches(branch_ids: set[int] | None):
    """A query of events for any of the branches (None: every event)."""
    query = select(Event)
    if branch_ids is not None:
        query = query.where(
            Event.id.in_(
                select(event_branch.c.event_id).where(event_branch.c.branch_id.in_(branch_ids))
            )
        )
    return query


def upcoming_events(session: Session, branch_id: int, now: datetime, limit: int = 5) -> list[Event]:
    """Events of the branch that have not ended, soonest first."""
    return list(
        session.scalars(
            events_for_branches({branch_id})
            .where(Event.ends_at >= now, Event.closed_at.is_(None))
            .order_by(Event.starts_at)
            .limit(limit)
        )
    )
