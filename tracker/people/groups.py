"""党小组: the committee splits its branch into groups; each group meets on its own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import Forbidden, InvalidInput
from tracker.models import PartyGroup, User, party_group_member
from tracker.people import access

MAX_NAME = 60


def _ensure(actor: User, branch_id: int) -> None:
    if not access.may_manage_groups(actor, branch_id):
        raise Forbidden(_l("Only the branch committee can do this."))


def groups_of(session: Session, branch_id: int) -> list[PartyGroup]:
    return list(
        session.scalars(
            select(PartyGroup).where(PartyGroup.branch_id == branch_id).order_by(PartyGroup.name)
        )
    )


def group_of(session: Session, user_id: int) -> PartyGroup | None:
    return session.scalars(
        select(PartyGroup)
        .join(party_group_member, party_group_member.c.group_id == PartyGroup.id)
        .where(party_group_member.c.user_id == user_id)
    ).first()


def create_group(session: Session, actor: User, branch_id: int, name: str) -> PartyGroup:
    _ensure(actor, branch_id)
    name = (name or "").strip()
    if not name:
        raise InvalidInput({"name": _l("Please give a name.")})
    if len(name) > MAX_NAME:
        raise InvalidInput({"name": _l("At most %(n)d characters.", n=MAX_NAME)})
    taken = session.scalar(
        select(PartyGroup.id).where(PartyGroup.branch_id == branch_id, PartyGroup.name == name)
    )
    if taken is not None:
        raise InvalidInput({"name": _l("The branch already has a group of that name.")})
    group = PartyGroup(branch_id=branch_id, name=name)
    session.add(group)
    session.flush()
    audit.record(session, "party_group.created", actor=actor, branch_id=branch_id, name=name)
    return group


def place_member(session: Session, actor: User, member: User, group: PartyGroup | None) -> None:
    """Put a member of the actor's branch into a group (None: into none)."""
    _ensure(actor, member.branch_id)
    if group is not None and group.branch_id != member.branch_id:
        raise InvalidInput({"group_id": _l("Choose a group of the member's branch.")})
    session.execute(delete(party_group_member).where(party_group_member.c.user_id == member.id))
    if group is not None:
        session.execute(insert(party_group_member).values(group_id=group.id, user_id=member.id))
    session.flush()
    session.expire_all()
    audit.record(
        session,
        "party_group.member_placed",
        actor=actor,
        subject=member,
        branch_id=member.branch_id,
        name=group.name if group else None,
    )
