"""What an activity must satisfy before it is kept: its input, its limits and one check per rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Session

from tracker.activities import claims, evidence, tutoring
from tracker.clock import to_campus
from tracker.errors import Forbidden, InvalidInput
from tracker.ledger import estimates
from tracker.models import (
    Activity,
    Category,
    PointRule,
    User,
)
from tracker.models.types import TENTH
from tracker.people import access
from tracker.people.accounts import branch_on, find_user

MAX_TITLE = 120
MAX_DESCRIPTION = 4000
MAX_LOCATION = 200
MAX_MENTEES = 10
MIN_REFLECTION = 20  # characters of a reflection, where the category asks for one


@dataclass
class ActivityInput:
    occurred_on: date | None
    quantity: Decimal | None
    title: str = ""
    description: str = ""
    start_time: time | None = None
    location: str | None = None
    mentee_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedActivity:
    rule: PointRule
    branch_id: int
    mentees: list[User]


def check_activity(
    session: Session,
    member: User,
    category: Category,
    data: ActivityInput,
    *,
    today: date,
    now: datetime,
    backdate_days: int,
    ignore_id: int | None = None,
) -> CheckedActivity:
    """Validate an activity against its category and rule; raise InvalidInput with every problem."""
    _check_may_log(member, category)
    rule = None
    day_problem = _check_day(data.occurred_on, today=today, backdate_days=backdate_days)
    if day_problem is None:
        rule, day_problem = _check_rule(session, category, data.occurred_on)
    mentees, mentee_problem = _check_mentees(session, member, category, data)
    errors = _problems(
        occurred_on=day_problem,
        quantity=_check_quantity(data.quantity, rule),
        title=_check_title(data.title),
        description=_check_description(category, data.description),
        location=_check_location(category, data.location),
        start_time=_check_start_time(category, data, today=today, now=now),
        mentees=mentee_problem,
    )
    # Checks against the member's other records only run on an activity that is sound by itself.
    if not errors:
        claim = _claim(category, data)
        errors = _problems(
            start_time=_check_overlap(session, member, claim, ignore_id)
        ) or _check_attended(session, member, claim)
    branch_id = None
    if not errors:
        branch_id, branch_problem = _check_membership(session, member, data.occurred_on)
        errors = _problems(occurred_on=branch_problem)
    if errors:
        raise InvalidInput(errors)
    return CheckedActivity(rule=rule, branch_id=branch_id, mentees=mentees)


def _problems(**problems: LazyString | None) -> dict[str, object]:
    """The fields that have a problem, in the order they were checked."""
    return {name: problem for name, problem in problems.items() if problem is not None}


def _check_may_log(member: User, category: Category) -> None:
    """Only a branch member logs, and only in a category that is neither retired nor imported."""
    if not access.logs_activities(member):
        raise Forbidden(_l("Only members of a branch can log activities."))
    if category.retired_at is not None:
        raise InvalidInput({"category": _l("This category is retired.")})
    if category.external:
        raise InvalidInput(
            {"category": _l("This category's points are imported from their system of record.")}
        )


def _check_day(day: date | None, *, today: date, backdate_days: int) -> LazyString | None:
    """The day is given, not in the future and at most ``backdate_days`` back."""
    if day is None:
        return _l("Please give the date.")
    if day > today:
        return _l("The date cannot be in the future.")
    if day < today - timedelta(days=backdate_days):
        return _l("Activities can be logged at most %(n)d days back.", n=backdate_days)
    return None


def _check_rule(
    session: Session, category: Category, day: date
) -> tuple[PointRule | None, LazyString | None]:
    """A point rule of the category applies on the day."""
    rule = estimates.rule_for(session, category.id, day)
    if rule is None:
        return None, _l("No point rule applies on that day.")
    return rule, None


def _check_quantity(quantity: Decimal | None, rule: PointRule | None) -> LazyString | None:
    """The amount is given, has one decimal at most and lies within the rule's bounds."""
    if quantity is None:
        return _l("Please give the amount.")
    if quantity != quantity.quantize(TENTH):
        return _l("At most one decimal place.")
    if rule is not None and not (rule.min_quantity <= quantity <= rule.max_quantity):
        return _l(
            "Between %(min)s and %(max)s.",
            min=_plain(rule.min_quantity),
            max=_plain(rule.max_quantity),
        )
    if quantity <= 0:
        return _l("Must be more than zero.")
    return None


def _check_title(title: str | None) -> LazyString | None:
    """A title is given and fits."""
    title = (title or "").strip()
    if not title:
        return _l("Please give a title.")
    if len(title) > MAX_TITLE:
        return _l("At most %(n)d characters.", n=MAX_TITLE)
    return None


def _check_description(category: Category, description: str | None) -> LazyString | None:
    """The description fits, and is a reflection of some length where the category asks."""
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        return _l("At most %(n)d characters.", n=MAX_DESCRIPTION)
    if category.needs_reflection and len(description) < MIN_REFLECTION:
        return _l("Please write a reflection of at least %(n)d characters.", n=MIN_REFLECTION)
    return None


def _check_location(category: Category, location: str | None) -> LazyString | None:
    """The place is given and fits where the category asks for one."""
    if not category.needs_location:
        return None
    location = (location or "").strip()
    if not location:
        return _l("Please give the place.")
    if len(location) > MAX_LOCATION:
        return _l("At most %(n)d characters.", n=MAX_LOCATION)
    return None


def _check_start_time(
    category: Category, data: ActivityInput, *, today: date, now: datetime
) -> LazyString | None:
    """The start time is given where the category asks, and today's is not in the future."""
    if not category.needs_start_time:
        return None
    if data.start_time is None:
        return _l("Please give the start time.")
    if data.occurred_on == today and data.start_time > to_campus(now).time().replace(tzinfo=None):
        return _l("The start time cannot be in the future.")
    return None


def _check_mentees(
    session: Session, member: User, category: Category, data: ActivityInput
) -> tuple[list[User], LazyString | None]:
    """Where the category asks, one to MAX_MENTEES active students who accepted the member."""
    if not category.needs_mentees:
        return [], None
    numbers = list(dict.fromkeys(n.strip() for n in data.mentee_numbers if n.strip()))
    if not numbers:
        return [], _l("Name at least one mentee.")
    if len(numbers) > MAX_MENTEES:
        return [], _l("At most %(n)d mentees in one session.", n=MAX_MENTEES)
    mentees = []
    paired = tutoring.accepted_mentee_ids(session, member.id)
    for number in numbers:
        mentee = find_user(session, number)
        if mentee is None or not mentee.is_active:
            return [], _l("No active student with number %(no)s.", no=number)
        if mentee.id == member.id:
            return [], _l("You cannot be your own mentee.")
        if mentee.id not in paired:
            return [], _l(
                "%(no)s has not accepted you as mentor yet (see the 1+N page).",
                no=number,
            )
        mentees.append(mentee)
    return mentees, None


def _claim(category: Category, data: ActivityInput) -> claims.Claim:
    start = data.start_time if category.needs_start_time else None
    return claims.claim_of(category, data.occurred_on, start, data.quantity)


def _check_overlap(
    session: Session, member: User, claim: claims.Claim, ignore_id: int | None
) -> LazyString | None:
    """A timed activity shares no hour with another live one of the member."""
    if not claim.timed:
        return None
    others = claims.live_activities(session, [member.id], [claim.day]).get(member.id, [])
    if any(o.id != ignore_id and claims.activity_claim(o).overlaps(claim) for o in others):
        return _l("You already logged a session that overlaps this time.")
    return None


def _check_attended(session: Session, member: User, claim: claims.Claim) -> dict[str, object]:
    """Nothing an event the member attended claims (its day in its category, its hours)."""
    attended = claims.attended_events(session, [member.id], [claim.day]).get(member.id, [])
    for record in attended:
        if not claim.meets_event(record.claim):
            continue
        if claim.timed:
            return {
                "start_time": _l(
                    "You attended “%(event)s” at that time: those hours already earn its points.",
                    event=record.event.title,
                )
            }
        return {
            "occurred_on": _l(
                "You attended “%(event)s” on that day: the event books its points, "
                "so it is not logged again.",
                event=record.event.title,
            )
        }
    return {}


def _check_membership(
    session: Session, member: User, day: date
) -> tuple[int | None, LazyString | None]:
    """The member belonged to a branch on the day; the activity counts for that branch."""
    branch_id = branch_on(session, member.id, day)
    if branch_id is None:
        return None, _l("You were not a member of a branch on that day.")
    return branch_id, None


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def check_evidence(
    category: Category,
    rule: PointRule,
    activity: Activity | None,
    files: list[evidence.PreparedFile],
) -> None:
    """Evidence is there where the rule asks for it, and at most evidence.MAX_FILES files."""
    existing = len(activity.evidence) if activity else 0
    if rule.evidence_required and existing + len(files) == 0:
        raise InvalidInput({"evidence": _l("This category needs a photo or a PDF as evidence.")})
    if existing + len(files) > evidence.MAX_FILES:
        raise InvalidInput(
            {"evidence": _l("At most %(n)d files per activity.", n=evidence.MAX_FILES)}
        )
