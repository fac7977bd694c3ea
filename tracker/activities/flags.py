"""Warnings for the reviewer: what to look at before approving an activity.

Some second claims cannot be refused when they are logged: the member
checked in to the event after logging it, one of two activities has no time
to compare, two requests crossed. ``review_flags`` finds them for the review
queue and the API alike. Each kind of warning is one function of
``FLAGGERS``: it takes the session and the activities and yields
``(activity id, Flag)``; add a kind by adding a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.activities import claims
from tracker.models import Activity, AttendanceStatus

HOW_ATTENDED = {
    AttendanceStatus.CHECKED_IN: _l("checked in"),
    AttendanceStatus.PRESENT: _l("marked present"),
}


@dataclass(frozen=True)
class Flag:
    """One fact for the reviewer: ``kind`` for programs, ``message`` for people (worded
    now, in the reader's language: a plain string, so a title inside it is escaped like
    any text), ``params`` the records and facts it names (JSON-ready)."""

    kind: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


Flagger = Callable[[Session, Sequence[Activity]], Iterable[tuple[int, Flag]]]


def _logged(activities: Sequence[Activity]) -> list[Activity]:
    """The activities a member logged (not booked by an event) that hold their claim."""
    return [a for a in activities if a.status in claims.LIVE and a.event_id is None]


def attended_events(session: Session, activities: Sequence[Activity]) -> Iterator[tuple[int, Flag]]:
    """A logged activity claims what an event the member attended claims too."""
    logged = _logged(activities)
    attended = claims.attended_events(
        session, {a.user_id for a in logged}, {a.occurred_on for a in logged}
    )
    for activity in logged:
        claim = claims.activity_claim(activity)
        for record in attended.get(activity.user_id, []):
            if claim.meets_event(record.claim):
                message = _(
                    "The member also attended “%(event)s” (%(how)s): the event books its own "
                    "points.",
                    event=record.event.title,
                    how=HOW_ATTENDED[record.status],
                )
                yield activity.id, Flag("attended_event", message, {"event_id": record.event.id})


def twice_claimed(session: Session, activities: Sequence[Activity]) -> Iterator[tuple[int, Flag]]:
    """Another live activity of the member shares its hours, or its day and category
    where one of the two has no time."""
    mine = _logged(activities)
    others = claims.live_activities(
        session, {a.user_id for a in mine}, {a.occurred_on for a in mine}
    )
    for activity in mine:
        claim = claims.activity_claim(activity)
        for other in others.get(activity.user_id, []):
            # An event's own activity is the event's claim: attended_events says so.
            if other.id == activity.id or other.event_id is not None:
                continue
            flag = _between(claim, other)
            if flag is not None:
                yield activity.id, flag


def _between(claim: claims.Claim, other: Activity) -> Flag | None:
    theirs = claims.activity_claim(other)
    related = {"activity_id": other.id}
    if claim.overlaps(theirs):
        message = _(
            "Its time overlaps “%(title)s”, another activity of the member.", title=other.title
        )
        return Flag("overlap", message, related)
    if claim.same_day_untimed(theirs):
        message = _(
            "Same day and category as “%(title)s”, and one of the two has no time: "
            "it may be one thing logged twice.",
            title=other.title,
        )
        return Flag("same_day", message, related)
    return None


def evidence(session: Session, activities: Sequence[Activity]) -> Iterator[tuple[int, Flag]]:
    """The photos: reused from an earlier claim, or taken far from the day claimed."""
    # Imported here: photo_flags builds this module's Flags.
    from tracker.activities import photo_flags

    for activity_id, found in photo_flags.evidence_flags(session, activities).items():
        for flag in found:
            yield activity_id, flag


FLAGGERS: tuple[Flagger, ...] = (attended_events, twice_claimed, evidence)


def review_flags(session: Session, activities: Sequence[Activity]) -> dict[int, list[Flag]]:
    """The warnings for each of ``activities`` (every id is a key; no warning, an empty list).

    Only activities that hold a claim (pending or approved) are looked at.
    """
    found: dict[int, list[Flag]] = {a.id: [] for a in activities}
    for flagger in FLAGGERS:
        for activity_id, flag in flagger(session, activities):
            found[activity_id].append(flag)
    return found
