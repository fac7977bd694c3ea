"""What a request may carry: ids the database can hold, pages within reach, days of this era.

A value beyond these is not an object, a page or a day anyone means: it is
refused where it enters (404 for an id in a path, 400 for a query, a field
error in a form), before arithmetic on it or the database could fail.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1
# As the API's ``page`` parameter.
MAX_PAGE = 100_000
# Days far from now are mistakes; at the ends of the calendar, adding a day
# (the end of a period) or a week would overflow.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def bounded_int(raw: str | None, low: int, high: int) -> int | None:
    """``raw`` as an int from ``low`` to ``high``, or None if it is anything else.

    ASCII digits only: ``str.isdigit`` accepts "²", which ``int`` refuses.
    """
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def record_id(raw: str | int) -> int:
    """A form's id, 0 meaning none: WTForms' ``coerce`` turns the ValueError into a field error."""
    value = raw if isinstance(raw, int) else bounded_int(raw, 0, MAX_ID)
    if value is None or not 0 <= value <= MAX_ID:
        raise ValueError(raw)
    return value


def bounded_day(raw: str) -> date | None:
    """``raw`` (YYYY-MM-DD) as a day from FIRST_DAY to LAST_DAY, or None."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most ten digits, so a longer number matches no route.

    Ten digits still reach past MAX_ID; ``ids_in_range`` answers those. (A
    converter that refused them would make the router answer 405 where other
    methods share the path.)
    """

    regex = r"\d{1,10}"


def ids_in_range() -> None:
    """An id in a path beyond MAX_ID cannot exist: 404, before the database is asked."""
    values = (request.view_args or {}).values()
    if any(isinstance(v, int) and not isinstance(v, bool) and v > MAX_ID for v in values):
        abort(404)


def page_in_reach() -> None:
    """``?page=`` on any page: a number from 1 to MAX_PAGE (Flask-SQLAlchemy reads it too).

    The API checks its own parameters against its document.
    """
    raw = request.args.get("page")
    if raw is None or request.path.startswith("/api/"):
        return
    if bounded_int(raw, 1, MAX_PAGE) is None:
        abort(400)


def init_app(app: Flask) -> None:
    """Before any route is added: the converter is bound when a rule is."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(ids_in_range)
    app.before_request(page_in_reach)
