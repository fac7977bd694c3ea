"""Evidence flags a reviewer sees next to an activity: facts worth a second look, never a refusal.

A flag blocks nothing by itself; the committee decides. Flags are worded for
the people who review the activity, its branch's committee
(``access.may_see_review_flags``): an earlier activity of another branch is
described by its day only, never by its member or title, which that committee
may not read.

Evidence flags (``evidence_flags``):
- ``same_photo``: a photo of the activity was uploaded earlier by another
  member (the same photo, or a re-saved or resized copy of it);
- ``photo_reused``: the member used the photo for one of their own earlier
  activities (this term or any other);
- ``more_same_photos``: how many more earlier activities have the photo,
  beyond the ones named;
- ``capture_date``: the camera says the photo was taken more than
  ``CAPTURE_DAYS_APART`` days from the day claimed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from tracker.activities import fingerprint
from tracker.activities.flags import Flag
from tracker.models import Activity, ActivityStatus, Evidence, User

# A phone's clock, time zones and uploading a day or two later put honest
# photos a day or so from the day claimed; more than this is worth a look.
CAPTURE_DAYS_APART = 3
# A group photo shared by a whole branch would otherwise list every member.
SAME_PHOTOS_NAMED = 5
# Photos looked up per query: 4 bands x 17 values x 100 = 6,800 bound values,
# well under what SQLite (32,766) and PostgreSQL (65,535) accept in one statement.
PHOTOS_PER_QUERY = 100


def evidence_flags(session: Session, activities: Sequence[Activity]) -> dict[int, list[Flag]]:
    """The evidence flags of each activity, by activity id (an empty list when none).

    Takes at most 2 + ceil(photos / PHOTOS_PER_QUERY) queries, whatever the
    number of earlier evidence rows in the school: the activities' photos; the
    earlier rows sharing a hash band (or one bit from it) with one of them,
    through the band indexes, whose whole hashes are then compared in Python;
    and the earlier activities found.
    """
    flags: dict[int, list[Flag]] = {activity.id: [] for activity in activities}
    if not flags:
        return flags
    photos = session.execute(
        select(Evidence.id, Evidence.activity_id, Evidence.photo_hash, Evidence.captured_on)
        .where(
            Evidence.activity_id.in_(flags),
            or_(Evidence.photo_hash.is_not(None), Evidence.captured_on.is_not(None)),
        )
        .order_by(Evidence.id)
    ).all()
    by_id = {activity.id: activity for activity in activities}
    copies = _earlier_copies(session, [p for p in photos if p.photo_hash])
    for activity_id, matches in _with_earlier_activities(session, copies).items():
        flags[activity_id].extend(_same_photo_flags(by_id[activity_id], matches))
    dated = {(photo.activity_id, photo.captured_on): photo.id for photo in reversed(photos)}
    for (activity_id, taken_on), photo_id in sorted(dated.items(), key=lambda item: item[1]):
        if taken_on is not None:
            flag = _capture_flag(by_id[activity_id], photo_id, taken_on)
            if flag is not None:
                flags[activity_id].append(flag)
    return flags


# (the flagged activity's photo id, the earlier evidence id, the earlier activity id)
Copy = tuple[int, int, int]


def _earlier_copies(session: Session, photos: list[Row]) -> dict[int, list[Copy]]:
    """For each activity, the earlier evidence of other activities that is a near copy of
    one of its photos."""
    found: dict[int, list[Copy]] = defaultdict(list)
    for start in range(0, len(photos), PHOTOS_PER_QUERY):
        chunk = [
            (p.id, p.activity_id, int(p.photo_hash, 16))
            for p in photos[start : start + PHOTOS_PER_QUERY]
        ]
        # Which photos of the chunk a band value may come from: those a copy is looked for.
        near: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        for photo in chunk:
            for band, values in enumerate(fingerprint.near_band_values(photo[2])):
                for value in values:
                    near[band, value].append(photo)
        for row_id, row_activity_id, row_hash in _candidates(session, near, chunk):
            value = int(row_hash, 16)
            compared: set[int] = set()
            for key in enumerate(fingerprint.bands(value)):
                for photo_id, activity_id, photo_value in near.get(key, ()):
                    if photo_id in compared:
                        continue
                    compared.add(photo_id)
                    if (
                        row_id < photo_id
                        and row_activity_id != activity_id
                        and (value ^ photo_value).bit_count() <= fingerprint.SAME_PHOTO_DISTANCE
                    ):
                        found[activity_id].append((photo_id, row_id, row_activity_id))
    return found


def _candidates(
    session: Session, near: dict[tuple[int, int], list], chunk: list[tuple[int, int, int]]
) -> list[Row]:
    """Earlier evidence with a band value in ``near``: every near copy is among them
    (see tracker.activities.fingerprint), and a few other rows."""
    columns = [getattr(Evidence, name) for name in fingerprint.BAND_COLUMNS]
    wanted: list[set[int]] = [set() for _column in columns]
    for band, value in near:
        wanted[band].add(value)
    return session.execute(
        select(Evidence.id, Evidence.activity_id, Evidence.photo_hash).where(
            Evidence.id < max(photo[0] for photo in chunk),
            or_(*(c.in_(sorted(v)) for c, v in zip(columns, wanted, strict=True))),
        )
    ).all()


def _with_earlier_activities(
    session: Session, copies: dict[int, list[Copy]]
) -> dict[int, list[tuple[int, Row]]]:
    """For each activity, (its photo's id, the earlier activity) for each earlier activity
    with a copy of one of its photos, earliest copy first. Withdrawn activities are left
    out: a withdrawn activity claims nothing, so logging it again is no reuse."""
    earlier_ids = {copy[2] for matches in copies.values() for copy in matches}
    if not earlier_ids:
        return {}
    earlier = {
        row.id: row
        for row in session.execute(
            select(
                Activity.id,
                Activity.user_id,
                Activity.branch_id,
                Activity.title,
                Activity.occurred_on,
                User.name.label("member_name"),
            )
            .join(User, User.id == Activity.user_id)
            .where(Activity.id.in_(earlier_ids), Activity.status != ActivityStatus.WITHDRAWN)
        )
    }
    result: dict[int, list[tuple[int, Row]]] = {}
    for activity_id, matches in copies.items():
        # By earlier activity, the photo of its first copy: dicts keep that order.
        first: dict[int, int] = {}
        for photo_id, _evidence_id, earlier_id in sorted(matches, key=lambda copy: copy[1]):
            if earlier_id in earlier:
                first.setdefault(earlier_id, photo_id)
        if first:
            result[activity_id] = [(photo, earlier[found]) for found, photo in first.items()]
    return result


def _same_photo_flags(activity: Activity, matches: list[tuple[int, Row]]) -> list[Flag]:
    flags = [
        _same_photo_flag(activity, photo_id, earlier)
        for photo_id, earlier in matches[:SAME_PHOTOS_NAMED]
    ]
    more = len(matches) - SAME_PHOTOS_NAMED
    if more > 0:
        flags.append(
            Flag(
                "more_same_photos",
                ngettext(
                    "The same photo is in %(num)d more earlier activity.",
                    "The same photo is in %(num)d more earlier activities.",
                    more,
                ),
                {"count": more},
            )
        )
    return flags


def _same_photo_flag(activity: Activity, photo_id: int, earlier: Row) -> Flag:
    own = earlier.user_id == activity.user_id
    # Those who review this activity read its branch only (see the module's docstring).
    readable = earlier.branch_id == activity.branch_id
    day = format_date(earlier.occurred_on)
    params: dict[str, Any] = {
        "evidence_id": photo_id,
        "occurred_on": earlier.occurred_on.isoformat(),
        "other_branch": not readable,
        "activity_id": earlier.id if readable else None,
        "title": earlier.title if readable else None,
        "member": earlier.member_name if readable else None,
    }
    if own:
        message = (
            _(
                "A photo already used for their activity “%(title)s” of %(day)s.",
                title=earlier.title,
                day=day,
            )
            if readable
            else _("A photo already used for their activity of %(day)s in another branch.", day=day)
        )
        return Flag("photo_reused", message, params)
    message = (
        _(
            "The same photo as “%(title)s” of %(day)s by %(member)s.",
            title=earlier.title,
            day=day,
            member=earlier.member_name,
        )
        if readable
        else _("The same photo as an activity of %(day)s by a member of another branch.", day=day)
    )
    return Flag("same_photo", message, params)


def _capture_flag(activity: Activity, photo_id: int, taken_on: date) -> Flag | None:
    apart = (taken_on - activity.occurred_on).days
    if abs(apart) <= CAPTURE_DAYS_APART:
        return None
    params = {"evidence_id": photo_id, "taken_on": taken_on.isoformat(), "days": apart}
    taken = format_date(taken_on)
    message = (
        ngettext(
            "A photo taken on %(taken)s, %(num)d day before the day claimed.",
            "A photo taken on %(taken)s, %(num)d days before the day claimed.",
            -apart,
            taken=taken,
        )
        if apart < 0
        else ngettext(
            "A photo taken on %(taken)s, %(num)d day after the day claimed.",
            "A photo taken on %(taken)s, %(num)d days after the day claimed.",
            apart,
            taken=taken,
        )
    )
    return Flag("capture_date", message, params)
