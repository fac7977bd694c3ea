"""Reading leaderboard, dashboard and export filters from a query string.

One parser for every page, chart endpoint and export, so they all offer the
same choices and refuse the same things: malformed values are 400, a branch
or college outside what the viewer may read is 404.

Who may look where (SPEC.md: leaderboards within a branch, a college or the
whole school; a member always sees their own position; names are masked for
members): members and committee members may read the member and branch
leaderboards of their branch, their college and the school, with other
members' names masked unless ``TRACKER_SHOW_FULL_NAMES`` (a committee member
sees full names of their own branch); advisors read only the branches and
colleges assigned to them, "school" meaning all of those; admins read all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import abort
from flask import session as flask_session
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from tracker import readcache
from tracker.errors import DomainError, InvalidInput, NotFound
from tracker.limits import MAX_ID, MAX_PAGE, bounded_day, bounded_int
from tracker.models import Branch, Category, College, Term, User
from tracker.people import access
from tracker.people.scope import Scope, resolve_scope
from tracker.periods import Period
from tracker.ranking.branches import BRANCH_METRICS
from tracker.ranking.source import PERIOD_KINDS, resolve_period
from tracker.ranking.source import default_period as source_default_period

SCOPE_KINDS = ("branch", "college", "school")


class BadQuery(DomainError):
    """A filter value that is well-formed but unusable (no current term, reversed range)."""

    status = 400


@dataclass(frozen=True)
class Filters:
    period: Period
    scope: Scope
    kind: str
    scope_kind: str
    branch: Branch | None
    college: College | None
    category_id: int | None
    term_id: int | None
    first_day: date | None
    last_day: date | None
    page: int = 1
    sort: str = "total"
    readable: frozenset[int] | None = field(default=None)
    # Period fields the page could not use, by field: shown in its form (``parse_filters``).
    errors: dict[str, str] = field(default_factory=dict)

    def args(self, **changes) -> dict:
        """Query arguments that reproduce these filters (for links and exports)."""
        custom = self.kind == "custom"
        values = {
            "period": self.kind,
            "scope": self.scope_kind,
            "branch": self.branch.id if self.branch else None,
            "college": self.college.id if self.college else None,
            "category": self.category_id,
            # Only what the period uses: a term for "term", the days for "custom".
            "term": self.term_id if self.kind == "term" else None,
            "from": self.first_day.isoformat() if self.first_day and custom else None,
            "to": self.last_day.isoformat() if self.last_day and custom else None,
            "sort": self.sort if self.sort != "total" else None,
        }
        if self.errors:
            # The form keeps what the viewer typed; links reproduce the period shown.
            shown = self.period
            values.update(
                period=shown.kind,
                term=None,
                **{"from": shown.start.isoformat() if shown.kind == "custom" else None},
                to=shown.last_day.isoformat() if shown.kind == "custom" else None,
            )
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


def query_id(args: MultiDict, name: str, high: int = MAX_ID) -> int | None:
    """An id (or a page, with ``high``) from the query: None if absent, 400 unless 1 to ``high``."""
    raw = args.get(name)
    if raw in (None, ""):
        return None
    value = bounded_int(raw, 1, high)
    if value is None:
        abort(400)
    return value


def query_day(args: MultiDict, name: str) -> date | None:
    """A day from the query: None if absent, 400 unless a date of this era (bounds.FIRST_DAY...)."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    day = bounded_day(raw)
    if day is None:
        abort(400)
    return day


PERIOD_ARGS = ("period", "term", "from", "to")


def _remembered(session: Session, key: str | None) -> dict[str, str]:
    """The period this viewer last chose on this kind of board, if it still names one."""
    if key is None:
        return {}
    chosen = flask_session.get(f"board.{key}")
    if not isinstance(chosen, dict) or chosen.get("period") not in PERIOD_KINDS:
        return {}
    term = chosen.get("term")
    if term and (bounded_int(str(term), 1, MAX_ID) is None or not _term_exists(session, int(term))):
        return {}
    return {k: str(v) for k, v in chosen.items() if k in PERIOD_ARGS and v}


def _term_exists(session: Session, term_id: int) -> bool:
    return any(t.id == term_id for t in readcache.terms(session))


def _default_args(session: Session, today: date) -> dict[str, str]:
    period = source_default_period(session, today)
    if period.kind == "term":
        return {"period": "term"}
    return {"period": "custom", "from": period.start.isoformat(), "to": period.last_day.isoformat()}


def _period_args(
    session: Session, args: MultiDict, today: date, default_kind: str | None, remember: str | None
) -> tuple[MultiDict, bool]:
    """The query with its period filled in when it names none: the viewer's last choice
    on this board, else ``default_kind``, else the default period. True when chosen here."""
    if args.get("period"):
        return args, False
    chosen = _remembered(session, remember) or (
        {"period": default_kind} if default_kind else _default_args(session, today)
    )
    filled = MultiDict(args)
    for name, value in chosen.items():
        filled[name] = value
    return filled, True


def _day_or_error(args: MultiDict, name: str, errors: dict) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    day = bounded_day(raw)
    if day is None:
        errors[name] = _l("Give a day such as 2026-09-01.")
    return day


def parse_filters(
    session: Session,
    viewer: User,
    args: MultiDict,
    today: date,
    *,
    default_period: str | None = None,
    default_scope: str = "branch",
    remember: str | None = None,
) -> Filters:
    """The filters of a query string.

    A period left out is the viewer's last choice on the board ``remember``
    names (kept in their session), else ``default_period``, else the current
    term or the last 30 days (``source.default_period``). An unusable period
    (a custom range without its days, a reversed one, a term when none is
    current) raises ``BadQuery``; a page rather passes ``remember`` and gets
    the default period with the problems in ``errors``, to show them in its
    form, which keeps what the viewer chose.
    """
    args, chosen_here = _period_args(session, args, today, default_period, remember)
    kind = args.get("period")
    scope_kind = args.get("scope") or default_scope
    sort = args.get("sort") or "total"
    if kind not in PERIOD_KINDS or scope_kind not in SCOPE_KINDS or sort not in BRANCH_METRICS:
        abort(400)
    term_id, category_id = query_id(args, "term"), query_id(args, "category")
    errors: dict[str, str] = {}
    first_day, last_day = _day_or_error(args, "from", errors), _day_or_error(args, "to", errors)
    page = query_id(args, "page", MAX_PAGE) or 1
    if category_id is not None and category_id not in readcache.categories(session):
        abort(404)
    if term_id is not None and not _term_exists(session, term_id):
        abort(404)
    period = None
    if not errors:
        try:
            period = resolve_period(
                session, kind, today, term_id=term_id, first_day=first_day, last_day=last_day
            )
        except InvalidInput as error:
            errors = dict(error.errors)
    if errors and remember is None:
        raise BadQuery(next(iter(errors.values())), next(iter(errors))) from None
    try:
        scope, branch, college, readable = resolve_scope(
            session, viewer, scope_kind, query_id(args, "branch"), query_id(args, "college")
        )
    except NotFound:
        # Nothing to show the form's errors on: the period is what was wrong first.
        if errors:
            raise BadQuery(next(iter(errors.values())), next(iter(errors))) from None
        raise
    if errors:
        period = source_default_period(session, today)
    elif remember is not None and not chosen_here:
        flask_session[f"board.{remember}"] = {
            "period": kind,
            "term": term_id if kind == "term" else None,
            "from": args.get("from") if kind == "custom" else None,
            "to": args.get("to") if kind == "custom" else None,
        }
    return Filters(
        period=period,
        scope=scope,
        kind=kind,
        scope_kind=scope_kind,
        branch=branch,
        college=college,
        category_id=category_id,
        term_id=term_id,
        first_day=first_day,
        last_day=last_day,
        page=page,
        sort=sort,
        readable=readable,
        errors=errors,
    )


@dataclass(frozen=True)
class Choices:
    """What the filter form offers this viewer."""

    branches: list[Branch]
    colleges: list[College]
    categories: list[Category]
    terms: list[Term]


def filter_choices(session: Session, viewer: User, readable: frozenset[int] | None) -> Choices:
    """What the form offers: read from the rows the request has read already
    (``readcache``), so the form costs no statement of its own."""
    found = readcache.directory(session)
    branch_list = [b for b in found.branches if b.archived_at is None]
    if access.is_branch_person(viewer):
        branch_list = [b for b in branch_list if b.id == viewer.branch_id]
    elif readable is not None:
        branch_list = [b for b in branch_list if b.id in readable]
    colleges = [c for c in found.colleges if c.archived_at is None]
    if readable is not None:
        with_readable = {b.college_id for b in found.branches if b.id in readable}
        colleges = [c for c in colleges if c.id in with_readable]
    return Choices(
        branches=branch_list,
        colleges=colleges,
        categories=[c for c in readcache.categories(session).values() if c.retired_at is None],
        terms=list(reversed(readcache.terms(session))),
    )
