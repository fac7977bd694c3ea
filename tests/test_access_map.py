"""Who may use each route: one entry per rule of the URL map, answered through ``access``.

Every rule of ``app.url_map`` has one entry in ``ACCESS`` saying who may use
it, asked of ``tracker.people.access`` wherever that module has the question.
The walk sends one request per rule and person, and for a rule that takes an
id, one with an "own" id (branch A's object, or the person's own
notification or token) and one with a "foreign" id (branch B's, in another
college). A "no" must be 403 or 404 (a visitor is sent to the login page, or
gets 401 from the API); a "yes" must be none of those, nor 5xx, nor the
login page Flask-Login sends an unrecognised person to. A new route
without an entry fails, and so does an entry whose route is gone.

The people (tests/access_map_world.py): a member and a committee member of
branch A, a committee member of branch B, an advisor of branch A, an advisor
of B's college only, an administrator, and a visitor.

An entry marked ``DISAGREES`` is a route whose real answer differs from what
``access`` says: a strict expected failure until the route is fixed.
"""

from __future__ import annotations

import io
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    Activity,
    ApiToken,
    Branch,
    Certificate,
    College,
    Event,
    Evidence,
    MinutesAttachment,
    Notification,
    User,
)
from tracker.people import access

from .access_map_world import (
    ANONYMOUS,
    FOREIGN,
    MODELS,
    NO_ID,
    OWN,
    PNG,
    ROLES,
    World,
    world_on,
)
from .conftest import BASE_CONFIG, FROZEN_NOW, PASSWORD, TODAY

PUBLIC, SIGNED_IN = "anyone", "anyone signed in"


# The questions, asked of access --------------------------------------------
# Each takes the viewer and the object the request names. Where access has no
# question of its own, a comment says where the rule lives.


logs_activities = access.logs_activities


def reads_activity(viewer: User, activity: Activity) -> bool:
    return access.can_read_activity(db.session, viewer, activity)


def reads_evidence(viewer: User, evidence: Evidence) -> bool:
    return access.can_read_activity(db.session, viewer, evidence.activity)


def owns_activity(viewer: User, activity: Activity) -> bool:
    return reads_activity(viewer, activity) and access.may_change_activity(viewer, activity)


named_in = access.may_answer_session


answers_pairing = access.may_answer_pairing


def owner_of(viewer: User, thing: Notification | ApiToken) -> bool:
    return thing.user_id == viewer.id


reads_job = access.may_read_job


def sees_event(viewer: User, event: Event) -> bool:
    return access.may_see_event(db.session, viewer, event)


attends = access.may_attend_event


def confirms_event_attendance(viewer: User, event: Event) -> bool:
    return access.may_confirm_event_attendance(db.session, viewer, event)


def places_in_group(viewer: User, member: User) -> bool:
    return access.may_manage_groups(viewer, member.branch_id)


def names_posts(viewer: User, member: User) -> bool:
    # The page is the committee's own (/branch/...): an administrator sets posts on /admin.
    return access.sits_on_a_committee(viewer) and access.may_set_committee_post(
        viewer, member.branch_id
    )


def reads_compliance(viewer: User, branch: Branch) -> bool:
    return access.may_read_compliance(db.session, viewer, branch.id)


def reads_minutes(viewer: User, event: Event) -> bool:
    return access.may_read_minutes(db.session, viewer, event)


def writes_minutes(viewer: User, event: Event) -> bool:
    return reads_minutes(viewer, event) and access.may_write_minutes(viewer, event)


def reads_attachment(viewer: User, attachment: MinutesAttachment) -> bool:
    return reads_minutes(viewer, attachment.minutes.event)


def writes_attachment(viewer: User, attachment: MinutesAttachment) -> bool:
    return writes_minutes(viewer, attachment.minutes.event)


def manages_event(viewer: User, event: Event) -> bool:
    return sees_event(viewer, event) and access.may_manage_event(viewer, event)


def exports_roster(viewer: User, branch: Branch) -> bool:
    return access.may_export_roster(db.session, viewer, branch.id)


def issues_certificate(viewer: User, member: User) -> bool:
    return access.may_issue_certificate(viewer, member)


def reads_certificate(viewer: User, certificate: Certificate) -> bool:
    return access.may_read_certificate(viewer, certificate)


def exports_term_report(viewer: User, branch: Branch) -> bool:
    return access.may_export_term_report(db.session, viewer, branch.id)


def confirms_registration(viewer: User, registrant: User) -> bool:
    return access.may_manage_branch(viewer, registrant.branch_id)


def reads_branch_board(viewer: User, branch: Branch) -> bool:
    readable = access.board_branch_ids(db.session, viewer)
    return access.may_read_branch_board(viewer, branch.id, readable)


def reads_college_board(viewer: User, college: College) -> bool:
    readable = access.board_branch_ids(db.session, viewer)
    branches = set(db.session.scalars(sa.select(Branch.id).where(Branch.college_id == college.id)))
    return readable is None or bool(branches & readable)


def reads_branch_dashboard(viewer: User, branch: Branch) -> bool:
    return access.may_read_branch_dashboard(viewer) and reads_branch_board(viewer, branch)


def reads_advisor_dashboard(viewer: User, college: College) -> bool:
    return access.may_read_advisor_dashboard(viewer) and reads_college_board(viewer, college)


def exports_activities(viewer: User, branch: Branch) -> bool:
    return access.may_export_activities(viewer, "branch") and reads_branch_board(viewer, branch)


def reads_audit_log(viewer: User, branch: Branch) -> bool:
    readable = access.readable_branch_ids(db.session, viewer)
    return access.may_read_audit_log(viewer) and (readable is None or branch.id in readable)


def reconciles(viewer: User, branch: Branch) -> bool:
    return access.may_reconcile_points(viewer, branch.id)


def lists_branch_activities(viewer: User, branch: Branch) -> bool:
    readable = access.readable_branch_ids(db.session, viewer)
    return readable is None or branch.id in readable | {viewer.branch_id}


# The table -------------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    """Who may use a rule, and what a request to it carries.

    ``who`` is PUBLIC, SIGNED_IN, a question about the viewer, or (with
    ``ids``) a question about the viewer and the object the first id names.
    ``ids`` maps an argument (in the path, else in the query or body) to a
    kind of object of the world; ``args`` are fixed path arguments (a value
    or a function of the world); ``query`` and ``body`` are sent as they are
    (``body`` may be a function of the world and the role).
    """

    who: Any
    ids: Mapping[str, str] = field(default_factory=dict)
    args: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    disagrees: Mapping[str, str] = field(default_factory=dict)

    @property
    def variants(self) -> tuple[str, ...]:
        return (OWN, FOREIGN) if self.ids else (NO_ID,)


def fixed(name: str) -> Callable:
    return lambda world: world.fixed[name]


REASON = {"reason": "理由"}
ACTIVITY = {"activity_id": "activity"}
EVENT = {"event_id": "event"}
ATTENDANCE = {"event_id": "event", "attendance_id": "leave"}
# The attachment first: the question is asked of it (and through it, of its minutes' event).
ATTACHMENT = {"attachment_id": "attachment", "event_id": "event"}
PAIRING = {"pairing_id": "pairing"}
SESSION = {"activity_id": "session"}
CSV = {"fmt": "csv"}
NEW_ENTRY = {
    "category": "study",
    "occurred_on": TODAY.isoformat(),
    "quantity": 60,
    "title": "学习党章",
    "start_time": "09:00",
}
NEW_EVENT = {
    "title": "主题党日",
    "category": "meeting",
    "starts_at": (FROZEN_NOW + timedelta(days=3)).isoformat(),
    "ends_at": (FROZEN_NOW + timedelta(days=3, hours=2)).isoformat(),
}
A_PERIOD = {
    "period": "custom",
    "first_day": (TODAY - timedelta(days=30)).isoformat(),
    "last_day": TODAY.isoformat(),
}
# Every admin page takes these (the ones its rule names).
ADMIN_ARGS = {
    "user_id": fixed("advisor"),
    "scope_id": fixed("scope"),
    "college_id": fixed("college"),
    "branch_id": fixed("branch"),
    "category_id": fixed("category"),
    "term_id": fixed("term"),
    "milestone_id": fixed("milestone"),
    "key": "TRACKER_BACKDATE_DAYS",
    "fmt": "csv",
}


def png_upload(world, role) -> dict:
    return {"evidence": (io.BytesIO(PNG), "photo.png")}


def minutes_files(world, role) -> dict:
    return {"files": (io.BytesIO(PNG), "会议合影.png")}


def token_request(world, role) -> dict:
    return {"student_no": world.student_no[role], "password": PASSWORD}


def a_mentee(world, role) -> dict:
    return {"student_no": world.fixed["mentee_no"]}


def a_scope(world, role) -> dict:
    return {"target": f"college:{world.fixed['college']}"}


def present(world, role) -> dict:
    return {"member_ids": [world.own["member"]], "status": "present"}


ACCESS: dict[str, Door] = {
    # Pages and the API an administrator alone opens.
    "admin.*": Door(access.is_admin, args=ADMIN_ARGS),
    "admin.add_scope": Door(access.is_admin, args=ADMIN_ARGS, body=a_scope),
    # Signing in and what anyone may fetch.
    "auth.login": Door(PUBLIC),
    "auth.register": Door(PUBLIC),
    "auth.activate": Door(PUBLIC, args={"token": fixed("activation")}),
    "auth.forgot_password": Door(PUBLIC),
    "auth.reset_password": Door(PUBLIC, args={"token": fixed("password_reset")}),
    "auth.language": Door(PUBLIC, body={"locale": "en"}),
    "static": Door(PUBLIC, args={"filename": "css/tracker.css"}),
    "bootstrap.static": Door(PUBLIC, args={"filename": "css/bootstrap.min.css"}),
    "api.openapi": Door(PUBLIC),
    "api.reference": Door(PUBLIC),
    "api.create_token": Door(PUBLIC, body=token_request),
    # One's own account.
    "auth.logout": Door(SIGNED_IN),
    "auth.logout_everywhere": Door(SIGNED_IN),
    "auth.account": Door(SIGNED_IN),
    "auth.change_password": Door(SIGNED_IN),
    "auth.revoke_token": Door(owner_of, ids={"token_id": "token"}),
    "personal.download": Door(SIGNED_IN),
    "personal.name_consent": Door(access.is_branch_person, body={"shown": "y"}),
    "notifications.index": Door(SIGNED_IN),
    "notifications.read_all": Door(SIGNED_IN),
    "notifications.open_one": Door(owner_of, ids={"note_id": "note"}),
    "jobs.show": Door(reads_job, ids={"job_id": "job"}),
    "jobs.download": Door(reads_job, ids={"job_id": "job"}),
    "api.me": Door(SIGNED_IN),
    "api.my_milestones": Door(SIGNED_IN),
    "api.categories": Door(SIGNED_IN),
    "api.list_tokens": Door(SIGNED_IN),
    "api.revoke_token": Door(owner_of, ids={"token_id": "token"}),
    # Activities.
    "activities.choose": Door(logs_activities),
    "activities.new": Door(logs_activities, args={"key": "study"}),
    "activities.mine": Door(SIGNED_IN),
    "activities.estimate": Door(
        SIGNED_IN, query={"category": "study", "quantity": "60", "occurred_on": TODAY.isoformat()}
    ),
    "activities.detail": Door(reads_activity, ids=ACTIVITY),
    "activities.edit": Door(owns_activity, ids=ACTIVITY),
    "activities.withdraw": Door(owns_activity, ids=ACTIVITY),
    "activities.evidence": Door(reads_evidence, ids={"evidence_id": "evidence"}),
    "api.create_activity": Door(logs_activities, body=NEW_ENTRY),
    "api.list_activities": Door(lists_branch_activities, ids={"branch_id": "branch"}),
    "api.get_activity": Door(reads_activity, ids=ACTIVITY),
    "api.update_activity": Door(owns_activity, ids=ACTIVITY, body={"title": "新标题"}),
    "api.withdraw_activity": Door(owns_activity, ids=ACTIVITY),
    "api.add_evidence": Door(owns_activity, ids=ACTIVITY, body=png_upload),
    # Review, adjustments and the branch page: the committee of the branch.
    "review.queue": Door(access.sits_on_a_committee),
    "review.approved": Door(access.sits_on_a_committee),
    "review.approve": Door(access.may_review, ids=ACTIVITY),
    "review.approve_selected": Door(access.may_review, ids={"ids": "activity"}),
    "review.reject": Door(access.may_review, ids=ACTIVITY, body=REASON),
    "review.revoke": Door(access.may_review, ids=ACTIVITY, body=REASON),
    "api.approve_activity": Door(access.may_review, ids=ACTIVITY),
    "api.reject_activity": Door(access.may_review, ids=ACTIVITY, body=REASON),
    "api.revoke_activity": Door(access.may_review, ids=ACTIVITY, body=REASON),
    "branch.index": Door(access.sits_on_a_committee),
    "branch.rotate_invite": Door(access.sits_on_a_committee),
    "branch.party_groups": Door(access.sits_on_a_committee),
    # Required meetings (三会一课): a branch's committee and advisors; the grid of all.
    "compliance.branch": Door(reads_compliance, ids={"branch_id": "branch"}),
    "compliance.index": Door(access.may_read_college_compliance),
    "compliance.export": Door(access.may_read_college_compliance, args=CSV),
    "api.compliance_grid": Door(access.may_read_college_compliance),
    "api.branch_compliance": Door(reads_compliance, ids={"branch_id": "branch"}),
    "api.branch_term_report": Door(exports_term_report, ids={"branch_id": "branch"}),
    "branch.create_group": Door(access.sits_on_a_committee, body={"name": "第一党小组"}),
    "branch.place_member": Door(
        places_in_group, ids={"member_id": "member"}, body={"group_id": "0"}
    ),
    "branch.set_post": Door(
        names_posts, ids={"member_id": "member"}, body={"committee_post": "组织委员"}
    ),
    "branch.registration": Door(
        confirms_registration, ids={"user_id": "registrant"}, body={"decision": "confirm"}
    ),
    "branch.adjust": Door(
        access.may_adjust_points,
        ids={"member_id": "member"},
        body={"points": "1", "reason": "表彰", "category_id": "0"},
    ),
    "api.create_adjustment": Door(
        access.may_adjust_points, ids={"member_id": "member"}, body={"points": 1, "reason": "表彰"}
    ),
    # 1+N tutoring.
    "tutoring.index": Door(logs_activities),
    "tutoring.add_mentee": Door(logs_activities, body=a_mentee),
    "tutoring.accept": Door(answers_pairing, ids=PAIRING),
    "tutoring.decline": Door(answers_pairing, ids=PAIRING),
    "tutoring.confirm": Door(named_in, ids=SESSION),
    "tutoring.dispute": Door(named_in, ids=SESSION, body=REASON),
    "api.list_pairings": Door(logs_activities),
    "api.create_pairing": Door(logs_activities, body=a_mentee),
    "api.accept_pairing": Door(answers_pairing, ids=PAIRING),
    "api.decline_pairing": Door(answers_pairing, ids=PAIRING),
    "api.named_sessions": Door(SIGNED_IN),
    "api.confirm_session": Door(named_in, ids=SESSION, body={"decision": "confirm"}),
    # Events.
    "events.index": Door(SIGNED_IN),
    "events.new": Door(access.may_create_events),
    "events.detail": Door(sees_event, ids=EVENT),
    "minutes.detail": Door(reads_minutes, ids=EVENT),
    "minutes.save": Door(writes_minutes, ids=EVENT, body={"topic": "学习党章"}),
    "minutes.lock": Door(writes_minutes, ids=EVENT),
    "minutes.attach": Door(writes_minutes, ids=EVENT, body=minutes_files),
    "minutes.attachment": Door(reads_attachment, ids=ATTACHMENT),
    "minutes.detach": Door(writes_attachment, ids=ATTACHMENT),
    "api.event_minutes": Door(reads_minutes, ids=EVENT),
    "papers.signin_sheet": Door(manages_event, ids=EVENT),
    "papers.roster": Door(exports_roster, ids={"branch_id": "branch"}),
    "papers.signin_pdf": Door(manages_event, ids=EVENT),
    # Points certificates: the member or their committee; anyone checks one by its code.
    "certificates.member": Door(issues_certificate, ids={"member_id": "member"}),
    "certificates.issue": Door(issues_certificate, ids={"member_id": "member"}, body=A_PERIOD),
    "certificates.pdf": Door(reads_certificate, ids={"certificate_id": "certificate"}),
    "certificates.verify": Door(PUBLIC, args={"code": fixed("certificate_code")}),
    "reports.term": Door(exports_term_report, ids={"branch_id": "branch"}),
    "reports.download": Door(
        exports_term_report, ids={"branch_id": "branch"}, args={"fmt": "docx"}
    ),
    "events.code": Door(access.may_manage_event, ids=EVENT),
    "events.rotate": Door(access.may_manage_event, ids=EVENT),
    "events.close": Door(access.may_manage_event, ids=EVENT),
    "events.mark_present": Door(
        access.may_manage_event, ids={"event_id": "event", "member_id": "member"}
    ),
    "events.approve_leave": Door(
        access.may_manage_event, ids={"event_id": "event", "attendance_id": "leave"}
    ),
    "events.confirm_attendance": Door(confirms_event_attendance, ids=EVENT),
    "events.checkin": Door(attends, ids=EVENT),
    "events.checkin_by_code": Door(logs_activities),
    "events.request_leave": Door(attends, ids=EVENT, body=REASON),
    "api.list_events": Door(SIGNED_IN),
    "api.create_event": Door(access.may_create_events, body=NEW_EVENT),
    "api.get_event": Door(sees_event, ids=EVENT),
    "api.rotate_code": Door(access.may_manage_event, ids=EVENT),
    "api.close_event": Door(access.may_manage_event, ids=EVENT),
    "api.mark_attendance": Door(access.may_manage_event, ids=EVENT, body=present),
    "api.check_in": Door(attends, ids=EVENT, body={"code": "000000"}),
    "api.check_in_by_code": Door(logs_activities, body={"code": "000000"}),
    "api.request_leave": Door(attends, ids=EVENT, body=REASON),
    # Check-in defences: the personal code, the committee's scanner, voiding.
    "events.my_code": Door(attends, ids=EVENT),
    "events.scan_page": Door(access.may_manage_event, ids=EVENT),
    "events.scan": Door(access.may_manage_event, ids=EVENT, body={"code": "ZZZZZZZZ"}),
    "events.scan_only": Door(access.may_manage_event, ids=EVENT, body={"scan_only": "y"}),
    "events.void_attendance": Door(access.may_manage_event, ids=ATTENDANCE, body=REASON),
    "api.void_attendance": Door(access.may_manage_event, ids=ATTENDANCE, body=REASON),
    # Leaderboards, dashboards, exports, the audit log.
    "rankings.members": Door(reads_branch_board, ids={"branch": "branch"}),
    "rankings.branches": Door(
        reads_college_board, ids={"college": "college"}, query={"scope": "college"}
    ),
    "api.member_leaderboard": Door(
        reads_branch_board, ids={"scope_id": "branch"}, query={"scope": "branch"}
    ),
    "api.branch_leaderboard": Door(reads_college_board, ids={"college_id": "college"}),
    "api.branch_stats": Door(reads_branch_board, ids={"branch_id": "branch"}),
    "dashboards.home": Door(SIGNED_IN),
    "dashboards.member_json": Door(SIGNED_IN),
    "dashboards.chartjs": Door(PUBLIC),
    "dashboards.committee": Door(reads_branch_dashboard, ids={"branch": "branch"}),
    "dashboards.committee_json": Door(reads_branch_dashboard, ids={"branch": "branch"}),
    "dashboards.advisor": Door(
        reads_advisor_dashboard, ids={"college": "college"}, query={"scope": "college"}
    ),
    "dashboards.advisor_json": Door(
        reads_advisor_dashboard, ids={"college": "college"}, query={"scope": "college"}
    ),
    "exports.members": Door(reads_branch_board, ids={"branch": "branch"}, args=CSV),
    "exports.branches": Door(
        reads_college_board, ids={"college": "college"}, args=CSV, query={"scope": "college"}
    ),
    "exports.activities": Door(exports_activities, ids={"branch": "branch"}, args=CSV),
    "exports.report": Door(reads_branch_dashboard, ids={"branch": "branch"}, args=CSV),
    "auditlog.index": Door(reads_audit_log, ids={"branch": "branch"}),
    # Points from other systems of record (学习强国, 志愿汇).
    "points.upload": Door(access.may_import_points),
    "points.preview": Door(access.may_import_points),
    "points.confirm": Door(access.may_import_points),
    "points.reconcile": Door(reconciles, ids={"branch": "branch"}),
    "points.mine": Door(SIGNED_IN),
    "points.source_list": Door(access.may_define_points_sources),
    "points.source_change": Door(access.may_define_points_sources, args={"source_id": 1}),
    "api.import_points": Door(access.may_import_points, body={"source": "xuexi"}),
}


def entry_for(endpoint: str) -> Door | None:
    """The rule's own entry, else its blueprint's ("admin.*")."""
    return ACCESS.get(endpoint) or ACCESS.get(endpoint.split(".", 1)[0] + ".*")


# The rules, read at collection (creating the app does not touch the database).
RULES = {
    rule.endpoint: rule
    for rule in create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    ).url_map.iter_rules()
}
CASES = [
    (endpoint, role, variant)
    for endpoint in sorted(RULES)
    if entry_for(endpoint)
    for role in ROLES
    for variant in entry_for(endpoint).variants
]


def disagreement(endpoint: str, role: str, variant: str) -> str | None:
    disagrees = entry_for(endpoint).disagrees
    return disagrees.get(f"{role}/{variant}") or disagrees.get(role)


def walk_params():
    for endpoint, role, variant in CASES:
        reason = disagreement(endpoint, role, variant)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(endpoint, role, variant, marks=marks, id=f"{endpoint}/{role}/{variant}")


# Who may open a route is decided by access and the views, never by the database:
# the walk runs on SQLite only (the suite's PostgreSQL run covers every rule's
# data behaviour elsewhere), which keeps 1,300 requests out of the suite's time.
@pytest.fixture(scope="module", params=["sqlite"])
def world(request, tmp_path_factory):
    try:
        with world_on(request.param, tmp_path_factory.mktemp("uploads")) as found:
            with found.app.app_context():
                found.answers = {case: expected(found, *case) for case in CASES}
                db.session.remove()
            yield found
    except Exception as error:
        # Every case of the walk reports this; one traceback (captured here) is enough.
        traceback.print_exc()
        pytest.fail(f"the world of the walk could not be built: {error!r}", pytrace=False)


# The walk --------------------------------------------------------------------


def expected(world: World, endpoint: str, role: str, variant: str) -> bool:
    """What the table, asking access, says about this person (and object)."""
    entry = entry_for(endpoint)
    if entry.who == PUBLIC:
        return True
    if role == ANONYMOUS:
        return False
    if entry.who == SIGNED_IN:
        return True
    viewer = db.session.get(User, world.users[role])
    if not entry.ids:
        return bool(entry.who(viewer))
    kind = next(iter(entry.ids.values()))
    target = db.session.get(MODELS[kind], world.pick(kind, role, variant))
    return bool(entry.who(viewer, target))


def send(world: World, rule, entry: Door, role: str, variant: str):
    """One request to the rule as that person: GET if it has one, else its one method."""
    method = next(m for m in ("GET", "POST", "PATCH", "DELETE") if m in rule.methods)
    values = {
        name: value(world) if callable(value) else value
        for name, value in entry.args.items()
        if name in rule.arguments
    }
    extra = dict(entry.query)
    for name, kind in entry.ids.items():
        (values if name in rule.arguments else extra)[name] = world.pick(kind, role, variant)
    url = rule.build(values, append_unknown=False)[1]
    body = entry.body(world, role) if callable(entry.body) else dict(entry.body or {})
    client = world.app.test_client()
    api = rule.endpoint.startswith("api.")
    headers = (
        {"Authorization": f"Bearer {world.tokens[role]}"} if api and role in world.tokens else {}
    )
    if not api and role in world.cookies:
        client.set_cookie(world.app.config["SESSION_COOKIE_NAME"], world.cookies[role])
    if method == "GET":
        return client.get(url, query_string=extra, headers=headers)
    if not api or any(isinstance(value, tuple) for value in body.values()):
        return client.open(url, method=method, data={**extra, **body}, headers=headers)
    return client.open(url, method=method, json={**extra, **body} or None, headers=headers)


def sent_to_login(response) -> bool:
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code in (301, 302, 303) and location.path == "/login"


def refused_sign_in(response) -> bool:
    """Flask-Login's answer to a person it does not recognise: the login page, with ``next``."""
    return sent_to_login(response) and "next=" in urlsplit(response.headers["Location"]).query


def broken_promise(world: World, endpoint: str, role: str, variant: str, response) -> str:
    """How the answer breaks the table, or "" when it keeps it."""
    status, rule = response.status_code, RULES[endpoint]
    where = f"{endpoint} ({rule.rule}) as {role}, {variant} id"
    if world.answers[endpoint, role, variant]:
        if status in (401, 403, 404) or status >= 500 or refused_sign_in(response):
            return f"{where}: access says yes, the route answered {status}"
    elif role == ANONYMOUS and endpoint.startswith("api."):
        if status != 401:
            return f"{where}: a visitor should get 401, got {status}"
    elif role == ANONYMOUS:
        if not sent_to_login(response):
            return f"{where}: a visitor should be sent to log in, got {status}"
    elif status not in (403, 404):
        return f"{where}: access says no, the route answered {status}"
    return ""


@pytest.mark.parametrize(("endpoint", "role", "variant"), list(walk_params()))
def test_route_answers_as_access_says(world, endpoint, role, variant):
    rule = RULES[endpoint]
    response = send(world, rule, entry_for(endpoint), role, variant)
    response.close()
    if response.status_code not in (401, 403, 404) and "GET" not in rule.methods:
        world.snapshot.put_back()
    problem = broken_promise(world, endpoint, role, variant, response)
    if problem:
        # No traceback: the message says it all, and the walk may fail hundreds of times.
        pytest.fail(problem, pytrace=False)


def test_every_rule_has_an_access_entry():
    missing = [f"new route without an access entry: {e}" for e in sorted(RULES) if not entry_for(e)]
    assert not missing, "\n".join(missing)


def test_every_access_entry_names_a_rule():
    stale = [
        f"access entry for a route that no longer exists: {key}"
        for key in ACCESS
        if key not in RULES
        and not (key.endswith(".*") and any(e.startswith(key[:-1]) for e in RULES))
    ]
    cases = {f"{role}/{variant}" for _, role, variant in CASES} | set(ROLES)
    stale += [
        f"DISAGREES for no case of the walk: {key} {case}"
        for key, entry in ACCESS.items()
        for case in entry.disagrees
        if case not in cases
    ]
    assert not stale, "\n".join(stale)


# Role comparisons belong in tracker/people/access.py -------------------------

ROOT = Path(__file__).resolve().parents[1]
ROLE_CHECKS = {
    "a role compared with Role.X": r"(==|!=|\bin)\s*\(?\s*Role\.|Role\.\w+\s*(==|!=|\bin\b)",
    "a .role compared": r"\.role\s*(==|!=|\bin\b|\bnot in\b)",
    "is_committee, is_admin or is_advisor not asked of access": (
        r"(?<!access)\.is_(committee|admin|advisor)\b"
    ),
    "logs_activities asked of the user, not of access": r"(?<!access)\.logs_activities\b",
}


@pytest.mark.parametrize("check", sorted(ROLE_CHECKS))
def test_doors_ask_access_instead_of_comparing_roles(check):
    pattern = re.compile(ROLE_CHECKS[check])
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("tracker/web", "tracker/api")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{check} (ask tracker.people.access instead):\n" + "\n".join(found)
