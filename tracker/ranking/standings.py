"""What a member leaderboard returns, and who is ranked on one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func

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


def shown_rank(rank: int, earned) -> int | None:
    """The rank a standing shows: none for a member (or branch) with nothing in the
    period. Ranking them would tell someone with no points that they are 2nd of 22
    on the first day of a month; they are "not ranked yet" instead, and the count a
    rank is "of" is of the ranked ones (``ranked_count``).

    ``earned`` is a number (points, a rate) or, in a query, a column expression:
    the same rule then gives a SQL expression. Lists are sorted by that number,
    highest first, so the ranks of those with something are their ranks among
    everyone listed: 1, 2, 2, 4, then none.
    """
    if isinstance(earned, (int, Decimal, float)):
        return rank if earned > 0 else None
    return case((earned > 0, rank), else_=None)


def ranked_count(earned):
    """How many rows of a query have a rank (``shown_rank``): a window count."""
    return func.sum(case((earned > 0, 1), else_=0)).over()


@dataclass(frozen=True)
class Standing:
    rank: int | None
    position: int
    user_id: int
    name: str
    student_no: str
    branch_id: int | None
    branch_name: str | None
    points: Decimal
    entries: int
    total: int
    # Whether the member agreed to their full name outside their branch: read with the
    # row, so showing names asks nothing more (``visibility.display_names``).
    name_public: bool = False


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
    # How many of the ``total`` listed have a rank: the "of N" of "3rd of N".
    ranked: int = 0

    @property
    def me_on_page(self) -> bool:
        return self.me is not None and any(r.user_id == self.me.user_id for r in self.rows)
