"""Posts on a branch committee (书记, 组织委员, 宣传委员 ...), kept on the current membership.

A post belongs to the member's time in one branch: moving to another branch
leaves it behind, as it would on paper. It is words the branch uses, not a
role: who may review or manage is still the account's role (tracker.people.access).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.errors import Forbidden, InvalidInput
from tracker.models import Membership, User
from tracker.people import access

MAX_POST = 30
# Offered as suggestions; a branch may name a post otherwise (e.g. 青年委员).
USUAL_POSTS = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员", "青年委员", "保密委员")


def current_membership(session: Session, user: User) -> Membership | None:
    """The membership of the member's present branch that has not ended, if any."""
    if user.branch_id is None:
        return None
    return session.scalar(
        select(Membership)
        .where(
            Membership.user_id == user.id,
            Membership.branch_id == user.branch_id,
            Membership.end_on.is_(None),
        )
        .order_by(Membership.start_on.desc())
        .limit(1)
    )


def posts_in(session: Session, branch_id: int) -> dict[int, str]:
    """Each member's post on the branch committee, by user id (members without one left out)."""
    return dict(
        session.execute(
            select(Membership.user_id, Membership.committee_post).where(
                Membership.branch_id == branch_id,
                Membership.end_on.is_(None),
                Membership.committee_post.is_not(None),
            )
        ).all()
    )


def set_post(session: Session, actor: User | None, member: User, post: str | None) -> bool:
    """Name (or clear, with an empty post) the member's committee post; flushes.

    Returns whether anything changed; ``actor`` None is the command line (as
    for every administrator's step). Refuses someone who may not set posts
    in the member's branch (Forbidden), a member without a current membership
    and a post longer than MAX_POST (InvalidInput on ``committee_post``).
    """
    if not access.may_set_committee_post(actor, member.branch_id):
        raise Forbidden(_l("Only the committee of the member's branch can do this."))
    post = " ".join((post or "").split()) or None
    if post is not None and len(post) > MAX_POST:
        raise InvalidInput({"committee_post": _l("At most %(n)d characters.", n=MAX_POST)})
    membership = current_membership(session, member)
    if membership is None:
        raise InvalidInput({"committee_post": _l("Only a member of a branch holds a post in it.")})
    if membership.committee_post == post:
        return False
    before, membership.committee_post = membership.committee_post, post
    session.flush()
    audit.record(
        session,
        "member.post_set",
        actor=actor,
        subject=member,
        branch_id=member.branch_id,
        before=before,
        after=post,
    )
    return True
