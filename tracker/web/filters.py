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
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from tracker.errors import DomainError, InvalidInput
from tracker.limits import MAX_ID, MAX_PAGE, bounded_day, bounded_int
from tracker.models import Branch, Category, College, Term, User
from tracker.people import access
from tracker.people.scope import Scope, resolve_scope
from tracker.periods import Period
from tracker.ranking.branches import BRANCH_METRICS
from tracker.ranking.source import PERIOD_KINDS, resolve_period

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

    def args(self, **changes) -> dict:
        """Query arguments that reproduce these filters (for links and exports)."""
        values = {
            "period": self.kind,
            "scope": self.scope_kind,
            "branch": self.branch.id if self.branch else None,
            "college": self.college.id if self.college else None,
            "category": self.category_id,
            "term": self.term_id,
            "from": self.first_day.isoformat() if self.first_day else None,
            "to": self.last_day.isoformat() if self.last_day else None,
            "sort": self.sort if self.sort != "total" else None,
        }
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


def parse_filters(
    session: Session,
    viewer: User,
    args: MultiDict,
    today: date,
    *,
    default_period: str = "month",
    default_scope: str = "branch",
) -> Filters:
    kind = args.get("period") or default_period
    scope_kind = args.get("scope") or default_scope
    sort = args.get("sort") or "total"
    if kind not in PERIOD_KINDS or scope_kind not in SCOPE_KINDS or sort not in BRANCH_METRICS:
        abort(400)
    term_id, category_id = query_id(args, "term"), query_id(args, "category")
    first_day, last_day = query_day(args, "from"), query_day(args, "to")
    page = query_id(args, "page", MAX_PAGE) or 1
    if category_id is not None and session.get(Category, category_id) is None:
        abort(404)
    if term_id is not None and session.get(Term, term_id) is None:
        abort(404)
    try:
        period = resolve_period(
            session, kind, today, term_id=term_id, first_day=first_day, last_day=last_day
        )
    except InvalidInput as error:
        raise BadQuery(error.message, error.field) from None

    scope, branch, college, readable = resolve_scope(
        session, viewer, scope_kind, query_id(args, "branch"), query_id(args, "college")
    )
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
    )


@dataclass(frozen=True)
class Choices:
    """What the filter form offers this viewer."""

    branches: list[Branch]
    colleges: list[College]
    categories: list[Category]
    terms: list[Term]


def filter_choices(session: Session, viewer: User, readable: frozenset[int] | None) -> Choices:
    branches = select(Branch).where(Branch.archived_at.is_(None)).order_by(Branch.name)
    if access.is_branch_person(viewer):
        branches = branches.where(Branch.id == viewer.branch_id)
    elif readable is not None:
        branches = branches.where(Branch.id.in_(sorted(readable)))
    branch_list = list(session.scalars(branches))
    colleges = select(College).where(College.archived_at.is_(None)).order_by(College.name)
    if readable is not None:
        colleges = colleges.where(
            College.id.in_(select(Branch.college_id).where(Branch.id.in_(sorted(readable))))
        )
    return Choices(
        branches=branch_list,
        colleges=list(session.scalars(colleges)),
        categories=list(
            session.scalars(
                select(Category).where(Category.retired_at.is_(None)).order_by(Category.sort_order)
            )
        ),
        terms=list(session.scalars(select(Term).order_by(Term.first_day.desc()))),
    )
