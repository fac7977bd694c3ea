"""The small reference rows a request reads again and again, read once per request.

A board page asks for the current term three times, for a setting each time
a rule reads one, for the branches of a college to check a scope and again to
offer them in its form. On PostgreSQL each of those is a round trip before it
does any work. They are small tables (tens of terms and categories, hundreds
of branches), so the first read loads the whole table and later reads within
the same request take it from here.

The rows are kept on the database session (``session.info``) and forgotten
whenever the session writes (a flush, an UPDATE or DELETE statement through
it), commits or rolls back: a reader never sees rows older than its own
changes, and a new request (a new session) always reads afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from tracker.models import Branch, Category, College, SettingOverride, Term

KEY = "tracker.readcache"
SETTINGS = "settings"
T = TypeVar("T")


def cached(session: Session, name: Any, load: Callable[[], T]) -> T:
    """``load()``'s answer, read once until the session next writes."""
    store = session.info.setdefault(KEY, {})
    if name not in store:
        store[name] = load()
    return store[name]


def remember(session: Session, name: Any, value: Any) -> None:
    """Keep a value read as part of another statement (``security.load_user``)."""
    session.info.setdefault(KEY, {})[name] = value


def forget(session: Session, *_args) -> None:
    session.info.pop(KEY, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, forget)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    # UPDATE and DELETE statements through the session do not flush.
    if not state.is_select:
        forget(state.session)


def terms(session: Session) -> list[Term]:
    """Every term, by first day."""
    return cached(
        session, "terms", lambda: list(session.scalars(select(Term).order_by(Term.first_day)))
    )


def categories(session: Session) -> dict[int, Category]:
    """Every category (retired ones too), by id, in their sort order."""
    return cached(
        session,
        "categories",
        lambda: {c.id: c for c in session.scalars(select(Category).order_by(Category.sort_order))},
    )


def setting_overrides(session: Session) -> dict[str, str]:
    """{key: stored text} of every setting an administrator changed."""
    return cached(
        session,
        SETTINGS,
        lambda: dict(session.execute(select(SettingOverride.key, SettingOverride.value)).all()),
    )


class CollegeEntry(NamedTuple):
    """What a board needs of a college: read as plain values, since building hundreds
    of ORM objects on every request cost more than the rest of a 304."""

    id: int
    name: str
    archived_at: datetime | None


class BranchEntry(NamedTuple):
    """What a board needs of a branch (see ``CollegeEntry``)."""

    id: int
    name: str
    college_id: int
    archived_at: datetime | None


class Directory:
    """Every college and branch (archived ones too), by name, and by id: a board of
    hundreds of branches looks each one up."""

    def __init__(self, colleges: list[CollegeEntry], branches: list[BranchEntry]):
        self.colleges, self.branches = colleges, branches
        self._colleges = {c.id: c for c in colleges}
        self._branches = {b.id: b for b in branches}

    def branch(self, branch_id: int | None) -> BranchEntry | None:
        return self._branches.get(branch_id)

    def college(self, college_id: int | None) -> CollegeEntry | None:
        return self._colleges.get(college_id)

    def branch_ids_of(self, college_id: int | None) -> frozenset[int]:
        return frozenset(b.id for b in self.branches if b.college_id == college_id)


def directory(session: Session) -> Directory:
    """The colleges and branches, in one statement (each college with its branches)."""

    def load() -> Directory:
        rows = session.execute(
            select(
                College.id,
                College.name,
                College.archived_at,
                Branch.id,
                Branch.name,
                Branch.archived_at,
            )
            .outerjoin(Branch, Branch.college_id == College.id)
            .order_by(College.name, College.id)
        ).all()
        colleges = {row[0]: CollegeEntry(*row[:3]) for row in rows}
        branches = sorted(
            (BranchEntry(row[3], row[4], row[0], row[5]) for row in rows if row[3] is not None),
            key=lambda b: (b.name, b.id),
        )
        return Directory(list(colleges.values()), branches)

    return cached(session, "directory", load)
