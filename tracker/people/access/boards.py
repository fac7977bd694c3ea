"""Leaderboards, dashboards, papers and certificates, points from other systems, jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tracker import readcache
from tracker.models import Certificate, Role, User
from tracker.people.access.roles import (
    is_admin,
    is_advisor_of,
    is_branch_person,
    is_committee_of,
    logs_activities,
    readable_branch_ids,
    sits_on_a_committee,
)

# Leaderboards and dashboards ---------------------------------------------------


def board_branch_ids(session: Session, viewer: User) -> frozenset[int] | None:
    """Branches whose leaderboards the viewer may read: None means every branch.

    Members and committee members read their college's branches (and, via
    "school", everyone); advisors the branches they advise; admins all.
    """
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.ADVISOR:
        return frozenset(readable_branch_ids(session, viewer))
    if viewer.branch_id is None:
        return frozenset()
    # From the branches the page reads anyway (its scope, its form's choices).
    found = readcache.directory(session)
    own = found.branch(viewer.branch_id)
    return found.branch_ids_of(own.college_id) if own is not None else frozenset()


def may_read_branch_board(viewer: User, branch_id: int, readable: frozenset[int] | None) -> bool:
    """A branch's member board: a member only their own branch's; others what they read."""
    if is_branch_person(viewer) and branch_id != viewer.branch_id:
        return False
    return readable is None or branch_id in readable


def board_narrowing(viewer: User, readable: frozenset[int] | None) -> frozenset[int] | None:
    """The branches a college or school board is narrowed to for this viewer.

    Members and committee members see the whole college or school ranked; an
    advisor's "whole school" is the branches they advise.
    """
    return None if is_branch_person(viewer) else readable


def sees_whole_board(viewer: User, scope_kind: str, scope_id: int | None) -> bool:
    """Whether the viewer sees a member leaderboard whole, whatever the admin chose to show
    members (``ranking.visibility``): administrators, advisors (their boards hold only the
    branches they advise) and a committee on their own branch's board; never a member,
    nor a committee member on a college or school board."""
    if viewer.role in (Role.ADMIN, Role.ADVISOR):
        return viewer.is_active
    return scope_kind == "branch" and is_committee_of(viewer, scope_id)


def sees_full_name(
    viewer: User,
    row_branch_id: int | None,
    show_all: bool,
    readable: frozenset[int] | None,
    consented: bool = False,
) -> bool:
    """Whether the viewer sees a leaderboard row's full name rather than 张*三.

    Administrators, and advisors for the branches they advise, always. Anyone,
    when the member consented to being named outside their branch
    (``consented``). Within the member's own branch, everyone when the
    campus shows full names (``show_all``), else its committee. Never outside
    the branch without the member's consent, whatever the campus setting.
    """
    if viewer.role == Role.ADMIN:
        return True
    if viewer.role == Role.ADVISOR:
        return readable is None or row_branch_id in readable
    if consented:
        return True
    if row_branch_id is None or row_branch_id != viewer.branch_id:
        return False
    return show_all or viewer.role == Role.COMMITTEE


def may_read_advisor_dashboard(viewer: User) -> bool:
    """Branches side by side: advisors (their scope) and administrators (everything)."""
    return viewer.is_active and viewer.role in (Role.ADVISOR, Role.ADMIN)


def may_read_branch_dashboard(viewer: User) -> bool:
    """A branch's dashboard: its committee, and advisors and admins for what they read."""
    return sits_on_a_committee(viewer) or may_read_advisor_dashboard(viewer)


def may_read_compliance(session: Session, viewer: User, branch_id: int) -> bool:
    """Which required meetings a branch held: its committee, its advisors, administrators."""
    if is_committee_of(viewer, branch_id) or is_admin(viewer):
        return True
    return viewer.role == Role.ADVISOR and is_advisor_of(session, viewer, {branch_id})


def may_export_roster(session: Session, viewer: User, branch_id: int) -> bool:
    """A branch's 花名册: those who read its required meetings."""
    return may_read_compliance(session, viewer, branch_id)


def may_issue_certificate(user: User, member: User) -> bool:
    """A member's points certificate (积分证明), issued or downloaded: the member themself
    or their branch's committee; only for someone who belongs to a branch."""
    if not logs_activities(member):
        return False
    return user.id == member.id or is_committee_of(user, member.branch_id)


def may_read_certificate(user: User, certificate: Certificate) -> bool:
    """An issued certificate's PDF: its member always (one who moved or graduated keeps what
    they were issued) and the committee of the branch that issued it."""
    return user.id == certificate.user_id or is_committee_of(user, certificate.branch_id)


def may_export_term_report(session: Session, viewer: User, branch_id: int) -> bool:
    """A branch's term report (学期工作报告): its committee, its advisors, administrators,
    who read all it is made of (its boards, its required meetings, its minutes)."""
    return may_read_compliance(session, viewer, branch_id)


def may_read_college_compliance(viewer: User) -> bool:
    """Branches × meeting kinds side by side: advisors (their scope) and administrators."""
    return may_read_advisor_dashboard(viewer)


def home_dashboard(viewer: User) -> str:
    """Which dashboard is the viewer's home page: "advisor" or "member"."""
    return "advisor" if may_read_advisor_dashboard(viewer) else "member"


# Points from other systems of record (学习强国, 志愿汇, PU口袋校园) ------------------


def may_import_points(user: User) -> bool:
    """Import a system of record's report: an administrator for the whole school,
    a committee member for their own branch."""
    return is_admin(user) or sits_on_a_committee(user)


def points_import_branch(user: User) -> int | None:
    """Whose rows an import may match: the committee's own branch; None
    (every branch) for an administrator or the command line."""
    return None if user is None or is_admin(user) else user.branch_id


def may_reconcile_points(user: User, branch_id: int | None) -> bool:
    """Compare a branch's imported numbers with what its members logged: its
    committee and the administrators."""
    return is_admin(user) or is_committee_of(user, branch_id)


def may_define_points_sources(user: User) -> bool:
    """Add a system of record (its category and unit): administrators only."""
    return is_admin(user)


def may_read_job(viewer: User, job) -> bool:
    """A job's page and its file are its requester's only: an export holds what they may see."""
    return job.user_id is not None and job.user_id == viewer.id
