"""What a member leaderboard returns, and who is ranked on one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_

from tracker.models import AccountStatus, Role, User

RANKED_ROLES = (Role.MEMBER, Role.COMMITTEE)
OTHER_ROLES = tuple(role for role in Role if role not in RANKED_ROLES)
INACTIVE = tuple(status for status in AccountStatus if status != AccountStatus.ACTIVE)
TENTH = Decimal("0.1")


def ranked_now():
    """The condition on User for the people a leaderboard lists even without points:
    active members and committee members (others appear only where they earned points)."""
    return and_(User.status == AccountStatus.ACTIVE, User.role.in_(RANKED_ROLES))


def not_ranked_now():
    """The opposite of ``ranked_now``, as two ranges of the (status, role) index.

    Query them one at a time: SQLite reads an OR of them, like NOT (...),
    by scanning every user.
    """
    return (
        User.status.in_(INACTIVE),
        and_(User.status == AccountStatus.ACTIVE, User.role.in_(OTHER_ROLES)),
    )


@dataclass(frozen=True)
class Standing:
    rank: int
    position: int
    user_id: int
    name: str
    student_no: str
    branch_id: int | None
    branch_name: str | None
    points: Decimal
    entries: int
    total: int


class Paged:
    """Page arithmetic of a leaderboard, in the shape the ``pager`` macro reads."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass(frozen=True)
class Leaderboard(Paged):
    rows: list[Standing]
    total: int
    page: int
    per_page: int
    me: Standing | None
    # The viewer's row with the members just above and below it.
    around_me: list[Standing]

    @property
    def me_on_page(self) -> bool:
        return self.me is not None and any(r.user_id == self.me.user_id for r in self.rows)
