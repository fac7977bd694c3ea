"""Now and today, in UTC and on campus.

Everything time-dependent asks here, so tests freeze one clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def campus_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TRACKER_TIMEZONE"])


def utcnow() -> datetime:
    return datetime.now(UTC)


def campus_now() -> datetime:
    return utcnow().astimezone(campus_zone())


def campus_today() -> date:
    return campus_now().date()


def to_campus(moment: datetime) -> datetime:
    return moment.astimezone(campus_zone())
