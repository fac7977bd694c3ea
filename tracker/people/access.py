"""Who may see or do what: the one place that answers it, for pages, the API and the domain.

One function per question, as Zulip's ``access_message``: every door (a web
view, an API endpoint, a command) and every domain function that refuses
asks here, so two doors can never disagree. Functions named ``may_*`` answer
yes or no about an action; ``*_branch_ids`` say which branches a person may
read. A role comparison anywhere else is a rule in the wrong room.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import readcache
from tracker.models import AdvisorScope, Attendance, Branch, Certificate, Event, Role, User

# People who belong to a branch: they log activities, are ranked and check in.
BRANCH_ROLES = (Role.MEMBER, Role.COMMITTEE)


# Who someone is --------------------------------------------------------------


def is_branch_person(user: User) -> bool:
    """A member or committee member: logs activities, is ranked, checks in."""
    return user.role in BRANCH_ROLES


def logs_activities(user: User) -> bool:
    """Logs activities and checks in to events: a member or committee member of a branch."""
    return is_branch_person(user) and user.branch_id is not None


def is_admin(user: User) -> bool:
    return user.is_active and user.role == Role.ADMIN


def is_committee_of(user: User, branch_id: int | None) -> bool:
    """An active committee member of that branch."""
    return (
        user.is_active
        and user.role == Role.COMMITTEE
        and branch_id is not None
        and user.branch_id == branch_id
    )


def sits_on_a_committee(user: User) -> bool:
    """Has a branch committee's pages: the review queue, the branch page and dashboard."""
    return is_committee_of(user, user.branch_id)


def keeps_long_sessions(user: User) -> bool:
    """A member may stay signed in while idle for days; the committee, advisors and
    administrators act on other people's records, so an unattended session of theirs
    ends after a few hours (``tracker.security.idle_limit`` turns this into hours)."""
    return user.role == Role.MEMBER


# Reading records --------------------------------------------------------------


def advisor_branch_ids(session: Session, advisor: User) -> set[int]:
    """Branches an advisor may read: those named, and all of the colleges named."""
    named = select(AdvisorScope.branch_id).where(
        AdvisorScope.user_id == advisor.id, AdvisorScope.branch_id.is_not(None)
    )
    by_college = (
        select(Branch.id)
        .join(AdvisorScope, AdvisorScope.college_id == Branch.college_id)
        .where(AdvisorScope.user_id == advisor.id)
    )
    return set(session.scalars(named.union(by_college)))


def readable_branch_ids(session: Session, viewer: User) -> set[int] | None:
    """Branches whose members' records the viewer may read; None means every branch."""
    if viewer.role == Role.ADMIN:
        return None
    if viewer.role == Role.ADVISOR:
        return advisor_branch_ids(session, viewer)
    if viewer.role == Role.COMMITTEE and viewer.branch_id:
        return {viewer.branch_id}
    return set()


def can_read_records(session: Session, viewer: User, owner_id: int, branch_id: int) -> bool:
    """Whether the viewer may see a member's activity, evidence or ledger row."""
    if viewer.id == owner_id:
        return True
    branches = readable_branch_ids(session, viewer)
    return branches is None or branch_id in branches


def can_read_activity(session: Session, viewer: User, activity) -> bool:
    """Whether the viewer may see an activity: as for any record, or as a mentee it names.

    A mentee sees the session (to confirm or dispute it), not the mentor's
    other records. The page and the API both ask this.
    """
    if can_read_records(session, viewer, activity.user_id, activity.branch_id):
        return True
    return may_answer_session(viewer, activity)


def may_change_activity(viewer: User, activity) -> bool:
    """Edit, withdraw or add evidence: only the member who logged it."""
    return activity.user_id == viewer.id


def may_answer_session(viewer: User, activity) -> bool:
    """Confirm or dispute a 1+N session: only a mentee it names."""
    return any(link.mentee_id == viewer.id for link in activity.mentees)


def may_answer_pairing(viewer: User, pairing) -> bool:
    """Accept or decline being someone's mentee: only the student asked."""
    return pairing.mentee_id == viewer.id


def own_records_only(viewer: User) -> bool:
    """Whether lists and exports of activities hold only the viewer's own (a member's)."""
    return viewer.role == Role.MEMBER


def may_export_activities(viewer: User, scope_kind: str) -> bool:
    """Activity records as a file: a committee member only branch by branch (their own)."""
    return viewer.role != Role.COMMITTEE or scope_kind == "branch"


def may_read_audit_log(viewer: User) -> bool:
    return is_admin(viewer) or sits_on_a_committee(viewer)


def audit_branch_id(viewer: User) -> int | None:
    """The one branch whose audit events the viewer reads; None for an administrator."""
    return None if is_admin(viewer) else viewer.branch_id


# Reviewing and points -------------------------------------------------------


def may_review(reviewer: User, activity) -> bool:
    """The committee of the activity's branch, never for their own activity."""
    return is_committee_of(reviewer, activity.branch_id) and reviewer.id != activity.user_id


def may_see_review_flags(viewer: User, activity) -> bool:
    """Flags on an activity (the same photo elsewhere, a photo's date): for those who review
    it. Never for its member: a flag is a question for the committee, not a verdict."""
    return may_review(viewer, activity)


def may_adjust_points(actor: User, member: User) -> bool:
    """The committee of the member's branch may book an adjustment, never to themselves."""
    return is_committee_of(actor, member.branch_id) and actor.id != member.id


def may_adjust_any_points(actor: User) -> bool:
    """An administrator adjusts any member's points (with a reason, audited)."""
    return is_admin(actor)


def may_book_in_closed_terms(actor: User | None) -> bool:
    """Only an administrator's adjustment books on the days of a closed term."""
    return actor is not None and is_admin(actor)


def is_advisor_of(session: Session, user: User, branch_ids: set[int]) -> bool:
    """An active advisor whose scope holds one of the branches."""
    return (
        user.is_active
        and user.role == Role.ADVISOR
        and bool(branch_ids & advisor_branch_ids(session, user))
    )


def attendance_hands(session: Session, activity) -> tuple[int | None, int | None]:
    """Who marked the event attendance behind the activity, and who closed the event."""
    row = session.execute(
        select(Attendance.recorded_by_id, Event.closed_by_id)
        .join(Event, Event.id == Attendance.event_id)
        .where(Attendance.event_id == activity.event_id, Attendance.user_id == activity.user_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else (None, None)


def may_confirm_attendance(session: Session, reviewer: User, activity) -> bool:
    """Confirm an event attendance that waits for a second person (one's own, or marked by hand).

    Another committee member of the member's branch, an advisor whose scope
    holds it, or an administrator; never the member, nor whoever marked the
    attendance or closed the event: nobody's attendance is booked by one hand.
    """
    if reviewer.id in (activity.user_id, *attendance_hands(session, activity)):
        return False
    if is_admin(reviewer) or is_committee_of(reviewer, activity.branch_id):
        return True
    return is_advisor_of(session, reviewer, {activity.branch_id})


def may_manage_branch(actor: User, branch_id: int | None) -> bool:
    """Confirm registrations, rotate the invitation code: the branch's committee."""
    return is_committee_of(actor, branch_id)


def may_manage_groups(actor: User, branch_id: int | None) -> bool:
    """Forms the branch's 党小组 and places its members: its committee."""
    return is_committee_of(actor, branch_id)


def may_set_committee_post(actor: User | None, branch_id: int | None) -> bool:
    """Name a member's committee post (书记, 组织委员 ...): the branch's committee, an admin."""
    return branch_id is not None and (may_administer(actor) or is_committee_of(actor, branch_id))


# Administration -------------------------------------------------------------


def may_administer(actor: User | None) -> bool:
    """Colleges, branches, accounts, rules, terms, settings. None is the command line."""
    return actor is None or is_admin(actor)


# Events ---------------------------------------------------------------------


def may_create_events(user: User) -> bool:
    return is_admin(user) or sits_on_a_committee(user)


def may_choose_event_branches(user: User) -> bool:
    """An administrator names the branches of an event; a committee's are its own."""
    return is_admin(user)


def may_manage_event(user: User, event) -> bool:
    """Attendance, codes, closing: the committee of one of the event's branches, or an admin."""
    if is_admin(user):
        return True
    return sits_on_a_committee(user) and user.branch_id in event.branch_ids


def may_void_attendance(user: User, attendance) -> bool:
    """Void a check-in: those who manage the event, never for their own attendance."""
    return may_manage_event(user, attendance.event) and user.id != attendance.user_id


def may_confirm_event_attendance(session: Session, user: User, event) -> bool:
    """See and answer an event's attendances that wait for a second person: the committee of
    one of its branches, an advisor whose scope holds one, or an admin.

    Which of them each may confirm is ``may_confirm_attendance``.
    """
    return may_manage_event(user, event) or is_advisor_of(session, user, event.branch_ids)


def may_see_event(session: Session, user: User, event) -> bool:
    visible = event_branch_ids(session, user)
    return visible is None or bool(event.branch_ids & visible)


def may_write_minutes(user: User, event) -> bool:
    """Write and lock an event's minutes (会议记录): those who manage the event."""
    return may_manage_event(user, event)


def may_read_minutes(session: Session, user: User, event) -> bool:
    """An event's minutes: members of its branches, their advisors, those who manage it."""
    return (
        may_manage_event(user, event)
        or may_attend_event(user, event)
        or is_advisor_of(session, user, event.branch_ids)
    )


def may_attend_event(user: User, event) -> bool:
    """Check in, ask for leave: a member or committee member of one of the event's branches."""
    return logs_activities(user) and user.branch_id in event.branch_ids


def event_branch_ids(session: Session, user: User) -> set[int] | None:
    """Branches whose events the user sees: a member's or committee's own, else what they read.

    None means every branch (an admin).
    """
    if is_branch_person(user):
        return {user.branch_id} if user.branch_id else set()
    return readable_branch_ids(session, user)


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
