"""The append-only points ledger and the per-period totals derived from it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.activity import Activity
from tracker.models.category import Category, PointRule
from tracker.models.org import Branch
from tracker.models.types import Tenths, UTCDateTime, utcnow
from tracker.models.user import User, _enum


class EntryKind(enum.StrEnum):
    AWARD = "award"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"
    # Imported from another system of record (tracker.external); no activity, no caps.
    EXTERNAL = "external"


class LedgerEntry(db.Model):
    """One booking of points. Rows are only ever added, never changed.

    An activity has at most one award and at most one reversal: the unique
    constraint makes a second award impossible even under concurrent approval.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("activity_id", "kind"),
        Index("ix_ledger_user_category_earned", "user_id", "category_id", "earned_on"),
        Index("ix_ledger_branch_earned", "branch_id", "earned_on"),
        Index("ix_ledger_earned_user", "earned_on", "user_id"),
        # Covers custom-range leaderboards: they read only the index.
        Index(
            "ix_ledger_earned_cover",
            "earned_on",
            "branch_id",
            "user_id",
            "category_id",
            "kind",
            "points_tenths",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "entry_kind"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The member's branch on earned_on, fixed when booked.
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("point_rule.id"))
    points: Mapped[Decimal] = mapped_column("points_tenths", Tenths)
    # What the rule gave before daily and weekly caps, for awards.
    uncapped_points: Mapped[Decimal | None] = mapped_column("uncapped_tenths", Tenths)
    # The campus day the points count for (the activity's day for awards and
    # their reversals), which decides every period they fall in.
    earned_on: Mapped[date] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    branch: Mapped[Branch] = relationship()
    category: Mapped[Category | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    rule: Mapped[PointRule | None] = relationship()


class PeriodTotal:
    """What every stored total has: the period it covers and what it adds up.

    ``period_kind`` is week, month, term (period_start = the term's first
    day), year (academic, from 1 September) or all.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    points: Mapped[Decimal] = mapped_column("points_tenths", Tenths, default=Decimal(0))
    entries: Mapped[int] = mapped_column(default=0)


class MemberTotal(PeriodTotal, db.Model):
    """A member's points in one branch over one period, all categories together.

    Derived from the ledger in the same transaction as each ledger row and
    rebuilt by ``flask rebuild-totals``; ``check-ledger`` proves them equal.
    """

    __tablename__ = "member_total"
    __table_args__ = (
        UniqueConstraint("period_kind", "period_start", "user_id", "branch_id"),
        # Covers the per-member sums of a branch's, a college's or an advisor's board.
        Index(
            "ix_member_total_branch",
            "period_kind",
            "period_start",
            "branch_id",
            "user_id",
            "points_tenths",
            "entries",
        ),
        # Covers the per-member sums over every branch: the whole school's.
        Index(
            "ix_member_total_user",
            "period_kind",
            "period_start",
            "user_id",
            "branch_id",
            "points_tenths",
            "entries",
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))


class MemberCategoryTotal(PeriodTotal, db.Model):
    """As MemberTotal, per category (adjustments without a category are not here)."""

    __tablename__ = "member_category_total"
    __table_args__ = (
        UniqueConstraint("period_kind", "period_start", "category_id", "user_id", "branch_id"),
        Index(
            "ix_member_category_total_branch",
            "period_kind",
            "period_start",
            "category_id",
            "branch_id",
            "user_id",
            "points_tenths",
            "entries",
        ),
        Index(
            "ix_member_category_total_user",
            "period_kind",
            "period_start",
            "category_id",
            "user_id",
            "branch_id",
            "points_tenths",
            "entries",
        ),
    )

    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))


class SchoolTotal(PeriodTotal, db.Model):
    """A member's points over one period across the whole school: MemberTotal
    summed over the branches they were in.

    Kept beside MemberTotal so that a school-wide leaderboard reads its first
    page from the points index instead of ranking every member on each request.
    """

    __tablename__ = "school_total"
    __table_args__ = (
        UniqueConstraint("period_kind", "period_start", "user_id"),
        Index("ix_school_total_points", "period_kind", "period_start", "points_tenths", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))


class SchoolCategoryTotal(PeriodTotal, db.Model):
    """As SchoolTotal, per category."""

    __tablename__ = "school_category_total"
    __table_args__ = (
        UniqueConstraint("period_kind", "period_start", "category_id", "user_id"),
        Index(
            "ix_school_category_total_points",
            "period_kind",
            "period_start",
            "category_id",
            "points_tenths",
            "user_id",
        ),
    )

    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))


class BranchTotal(PeriodTotal, db.Model):
    """A branch's points over one period (MemberTotal summed over its members),
    with how many members had at least one activity in it.

    Kept beside MemberTotal so that the branch leaderboard and the advisor
    dashboards read one row per branch instead of every member's.
    """

    __tablename__ = "branch_total"
    __table_args__ = (UniqueConstraint("period_kind", "period_start", "branch_id"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    # Members whose activities in the branch and period add up to more than none.
    active_members: Mapped[int] = mapped_column(default=0)


class BranchCategoryTotal(PeriodTotal, db.Model):
    """As BranchTotal, per category."""

    __tablename__ = "branch_category_total"
    __table_args__ = (UniqueConstraint("period_kind", "period_start", "category_id", "branch_id"),)

    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    active_members: Mapped[int] = mapped_column(default=0)


class ScoreCount(db.Model):
    """How many members have each score, school-wide, in a period: a histogram of the
    SchoolTotal rows (``category_id`` 0) and the SchoolCategoryTotal rows (their
    category) whose points are not zero.

    A member's rank is one plus the members above their score: a sum over the
    distinct scores above it, not a count over every member above. Kept with every
    ledger row by ``totals.apply``, rebuilt and checked with the other totals.
    """

    __tablename__ = "score_count"
    __table_args__ = (
        UniqueConstraint("period_kind", "period_start", "category_id", "points_tenths"),
        # Covers the sums over the scores above or below one.
        Index(
            "ix_score_count_cover",
            "period_kind",
            "period_start",
            "category_id",
            "points_tenths",
            "members",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    # 0: every category together (SchoolTotal); else the category's (no foreign key for 0).
    category_id: Mapped[int] = mapped_column(default=0)
    points: Mapped[Decimal] = mapped_column("points_tenths", Tenths)
    members: Mapped[int] = mapped_column(default=0)
