"""党小组: groups of members inside one branch, each meeting on its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow
from tracker.models.user import User

# A member belongs to at most one group: the unique user_id says so.
party_group_member = Table(
    "party_group_member",
    db.metadata,
    Column("group_id", ForeignKey("party_group.id"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, unique=True),
)


class PartyGroup(db.Model):
    __tablename__ = "party_group"
    __table_args__ = (UniqueConstraint("branch_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=party_group_member, order_by="User.student_no"
    )
