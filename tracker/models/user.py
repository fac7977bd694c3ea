"""Accounts: members, committee members, advisors and administrators."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Date, Enum, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.org import AdvisorScope, Branch
from tracker.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    MEMBER = "member"
    COMMITTEE = "committee"
    ADVISOR = "advisor"
    ADMIN = "admin"


class Stage(enum.StrEnum):
    ACTIVIST = "activist"
    DEVELOPMENT_TARGET = "development_target"
    PROBATIONARY = "probationary"
    FULL_MEMBER = "full_member"


class AccountStatus(enum.StrEnum):
    PENDING = "pending"  # self-registered, waiting for the branch committee
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a value is a small migration.
    return Enum(
        cls, name=name, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class User(UserMixin, db.Model):
    __tablename__ = "user"
    # Counts the members a school-wide leaderboard lists, and those before one
    # of them, from the index alone (``school_standings``).
    __table_args__ = (
        Index("ix_user_ranked", "status", "role", "id"),
        # Who is ranked in a branch or college, from the index alone.
        Index("ix_user_branch_ranked", "branch_id", "status", "role", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.MEMBER)
    stage: Mapped[Stage | None] = mapped_column(_enum(Stage, "stage"))
    # The day the member entered the current stage (确定积极分子, 入党, 转正 ...),
    # as the branch's records say; the roster (花名册) lists it.
    stage_since: Mapped[date | None] = mapped_column(Date)
    status: Mapped[AccountStatus] = mapped_column(
        _enum(AccountStatus, "account_status"), default=AccountStatus.ACTIVE
    )
    # The current branch; its history lives in Membership.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    locale: Mapped[str | None] = mapped_column(String(8))
    # Bumped to end every session of this user at once (logout, new password,
    # deactivation): the session stores it and must match.
    session_version: Mapped[int] = mapped_column(default=1)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # The member's consent (PIPL Art. 25) to their full name appearing to people
    # outside their branch; without it they see 张*三 (``ranking.visibility``).
    name_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the temporary password of an administrator's reset stops working.
    temporary_password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch | None] = relationship()
    advisor_scopes: Mapped[list[AdvisorScope]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<User {self.student_no}>"

    # Flask-Login: the id carries the session version so that bumping it
    # invalidates every cookie issued before.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE


class EndedSession(db.Model):
    """A login ended by its own "log out", so a copy of its cookie is refused too.

    A session lives in a signed cookie the browser holds; logging out
    forgets it there, and this row refuses any copy (one left on a shared
    computer, or taken) until the session would have ended anyway. Only a
    digest of the session's random id is kept.
    """

    __tablename__ = "ended_session"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # When the session would have expired anyway: later, the row can go.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
