"""Where a question looks: one branch, one college or the whole school, as far as the
viewer may read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, literal, select
from sqlalchemy.orm import Session

from tracker import readcache
from tracker.errors import NotFound
from tracker.models import Branch, College, User
from tracker.people import access


@dataclass(frozen=True)
class Scope:
    """Where a leaderboard looks: one branch, one college, or the whole school.

    ``within`` narrows it to the branches a viewer may read (an advisor's).
    """

    kind: str  # "branch", "college" or "school"
    id: int | None = None
    within: frozenset[int] | None = None

    @property
    def narrows(self) -> bool:
        """Whether it is less than the whole school."""
        return self.kind != "school" or self.within is not None

    def branch_filter(self, column):
        if self.kind == "branch":
            condition = column == self.id
        elif self.kind == "college":
            condition = column.in_(select(Branch.id).where(Branch.college_id == self.id))
        else:
            condition = literal(True)
        if self.within is not None:
            condition = and_(condition, column.in_(sorted(self.within)))
        return condition


def _first_branch(session: Session, readable: frozenset[int] | None) -> int | None:
    """The branch a page opens on when the viewer has none of their own."""
    open_branches = (
        b.id
        for b in readcache.directory(session).branches
        if b.archived_at is None and (readable is None or b.id in readable)
    )
    return min(open_branches, default=None)


def resolve_scope(
    session: Session,
    viewer: User,
    scope_kind: str,
    branch_id: int | None,
    college_id: int | None,
) -> tuple[Scope, Branch | None, College | None, frozenset[int] | None]:
    """The leaderboard scope a viewer asks for, narrowed to what they may read.

    A branch or college that does not exist or that the viewer may not read is
    ``NotFound`` (the leaderboard pages and the API answer alike). Returns the scope,
    the branch or college it names, and the viewer's readable branches.
    """
    readable = access.board_branch_ids(session, viewer)
    # Branches and colleges from the one read of them a page makes (``readcache``).
    found = readcache.directory(session)
    branch = college = None
    if scope_kind == "branch":
        branch_id = branch_id or viewer.branch_id or _first_branch(session, readable)
        branch = found.branch(branch_id) if branch_id else None
        if branch is None:
            raise NotFound()
        if not access.may_read_branch_board(viewer, branch.id, readable):
            raise NotFound()
        scope = Scope("branch", branch.id)
    elif scope_kind == "college":
        if college_id is None and viewer.branch_id:
            college_id = getattr(found.branch(viewer.branch_id), "college_id", None)
        if college_id is None:
            first = _first_branch(session, readable)
            college_id = getattr(found.branch(first), "college_id", None)
        college = found.college(college_id) if college_id else None
        if college is None:
            raise NotFound()
        college_branches = found.branch_ids_of(college.id)
        if readable is not None and not college_branches & readable:
            raise NotFound()
        within = access.board_narrowing(viewer, readable)
        scope = Scope("college", college.id, within)
    else:
        within = access.board_narrowing(viewer, readable)
        scope = Scope("school", None, within)
    return scope, branch, college, readable
