"""The JSON API: tokens, entries, review, rankings, errors and the document."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import re

import flask_babel
import pytest
from sqlalchemy import select

from tracker import tokens, totals
from tracker.clock import utcnow
from tracker.models import (
    ActivityMentee,
    ActivityStatus,
    ApiToken,
    EntryKind,
    LedgerEntry,
    MenteeResponse,
    Role,
)

from .conftest import PASSWORD, TODAY


@pytest.fixture
def branch(make):
    return make.branch()


@pytest.fixture
def member(make, branch):
    return make.member(branch, name="张三丰")


@pytest.fixture
def committee(make, branch):
    return make.committee(branch, name="李四")


@pytest.fixture
def api(app, db):
    """``api(user)`` returns a function ``call(method, path, **kwargs)`` with the user's token."""

    def _for(user, **headers):
        issued = tokens.issue_token(db.session, user, name="test", now=utcnow(), lifetime_days=30)
        db.session.commit()
        client = app.test_client()
        auth = {"Authorization": f"Bearer {issued.token}", **headers}

        def call(method: str, path: str, **kwargs):
            # The fixture's app context (and its cached locale) outlives requests;
            # a real server starts each request afresh.
            flask_babel.refresh()
            kwargs.setdefault("headers", {}).update(auth)
            return client.open("/api/v1" + path, method=method, **kwargs)

        return call

    return _for


STUDY = {
    "category": "study",
    "occurred_on": TODAY.isoformat(),
    "quantity": 60,
    "title": "学习党章",
    "start_time": "09:00",
}


def test_token_then_log_then_approve_then_leaderboard(clock, client, api, member, committee, db):
    response = client.post(
        "/api/v1/tokens", json={"student_no": member.student_no, "password": PASSWORD}
    )
    assert response.status_code == 201, response.json
    token = response.json["token"]
    assert response.json["expires_at"].endswith("+08:00")
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/activities", json=STUDY, headers=auth)
    assert created.status_code == 201, created.json
    entry = created.json
    assert entry["status"] == "pending" and entry["quantity"] == 60 and entry["points"] is None
    approved = api(committee)("POST", f"/activities/{entry['id']}/approve")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved" and approved.json["points"] == 2
    board = client.get("/api/v1/leaderboard/members?period=week", headers=auth).json
    assert board["me"]["points"] == 2 and board["me"]["rank"] == 1
    assert board["items"][0]["member"] == {"id": member.id, "name": "张三丰"}
    assert totals.differences(db.session) == []


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


# Tokens and authentication -------------------------------------------------


def test_token_is_stored_hashed_and_shown_once(client, member, db):
    response = client.post(
        "/api/v1/tokens",
        json={"student_no": member.student_no, "password": PASSWORD, "name": "手机"},
    )
    raw = response.json["token"]
    [stored] = db.session.scalars(select(ApiToken)).all()
    assert raw not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    assert stored.name == "手机" and response.headers["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {raw}"}).json
    assert listed["total"] == 1 and "token" not in listed["items"][0]


@pytest.mark.parametrize(
    "body",
    [
        {"student_no": "nobody", "password": PASSWORD},
        {"student_no": "S00001", "password": "wrong-password"},
    ],
)
def test_token_refused_for_wrong_credentials(client, member, body):
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_token_refused_for_a_pending_account(client, make, branch):
    from tracker.models import AccountStatus

    waiting = make.member(branch, status=AccountStatus.PENDING)
    response = client.post(
        "/api/v1/tokens", json={"student_no": waiting.student_no, "password": PASSWORD}
    )
    assert response.status_code == 403


@pytest.mark.config(
    TRACKER_LOGIN_LIMIT_ACCOUNT="2 per 5 minutes", TRACKER_LOGIN_LIMIT_ADDRESS="100 per minute"
)
def test_token_requests_are_rate_limited_like_the_login_form(client, member):
    wrong = {"student_no": member.student_no, "password": "nope-nope-nope"}
    assert [client.post("/api/v1/tokens", json=wrong).status_code for _ in range(2)] == [401, 401]
    blocked = client.post(
        "/api/v1/tokens", json={"student_no": member.student_no, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json["error"]["code"] == "rate_limited" and "Retry-After" in blocked.headers


def test_requests_without_or_with_a_bad_token_are_refused(client, api, member, db, clock):
    assert client.get("/api/v1/me").status_code == 401
    for header in ("Bearer trk_wrong", "Basic abc", "Bearer ", "trk_x"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    call = api(member)
    assert call("GET", "/me").status_code == 200
    clock.shift(timedelta(days=31))
    assert call("GET", "/me").status_code == 401  # expired


def test_revoked_token_and_deactivated_user_are_refused(api, member, db):
    from tracker.models import AccountStatus

    call = api(member)
    [token] = db.session.scalars(select(ApiToken)).all()
    assert call("DELETE", f"/tokens/{token.id}").status_code == 204
    assert call("GET", "/me").status_code == 401
    other = api(member)
    member.status = AccountStatus.DEACTIVATED
    db.session.commit()
    assert other("GET", "/me").status_code == 401


def test_a_token_of_another_user_cannot_be_revoked(api, member, committee, db):
    api(member)
    [theirs] = db.session.scalars(select(ApiToken)).all()
    assert api(committee)("DELETE", f"/tokens/{theirs.id}").status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_last_use_is_recorded(api, member, db, clock):
    call = api(member)
    call("GET", "/me")
    [token] = db.session.scalars(select(ApiToken)).all()
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_account_page_lists_and_revokes_tokens(api, login, member, db):
    api(member)
    [token] = db.session.scalars(select(ApiToken)).all()
    page = login(member)
    html = page.get("/account").get_data(as_text=True)
    assert token.prefix in html and f'data-token="{token.id}"' in html
    assert page.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert token.prefix not in page.get("/account").get_data(as_text=True)


def test_cli_creates_a_token(app, member, client):
    result = app.test_cli_runner().invoke(args=["tokens", "create", member.student_no])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[0]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.json["student_no"] == member.student_no
    missing = app.test_cli_runner().invoke(args=["tokens", "create", "nobody"])
    assert missing.exit_code != 0 and "nobody" in missing.output


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_session_writes_need_the_csrf_header(app, member, clock):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login", data={"student_no": member.student_no, "password": PASSWORD, "csrf_token": csrf}
    )
    assert client.get("/api/v1/me").status_code == 200
    refused = client.post("/api/v1/activities", json=STUDY)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    accepted = client.post("/api/v1/activities", json=STUDY, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201, accepted.json


# Errors --------------------------------------------------------------------


def test_errors_are_json_in_the_request_language(api, member):
    call = api(member)
    english = call("GET", "/nowhere", headers={"Accept-Language": "en"})
    assert english.status_code == 404 and english.is_json
    assert english.json["error"] == {
        "code": "not_found",
        "message": "There is nothing here.",
        "fields": {},
    }
    chinese = call("GET", "/nowhere", headers={"Accept-Language": "zh-CN"})
    assert chinese.json["error"]["message"] != "There is nothing here."
    assert call("PUT", "/me").status_code == 405
    assert call("PUT", "/me").json["error"]["code"] == "method_not_allowed"


def test_user_locale_applies_without_accept_language(api, member, db, clock):
    member.locale = "en"
    db.session.commit()
    response = api(member)("POST", "/activities", json={**STUDY, "occurred_on": "2030-01-01"})
    assert response.json["error"]["fields"]["occurred_on"] == "The date cannot be in the future."


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "per_page=101",
        "page=abc",
        "status=lost",
        "from=2026-13-01",
        "from=25.11.2026",
        "member_id=-1",
        "branch_id=99999999999999",
    ],
)
def test_malformed_query_parameters_are_400(api, member, query):
    response = api(member)("GET", f"/activities?{query}")
    assert response.status_code == 400, response.json
    assert response.json["error"]["fields"]


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"quantity": NaN}', "application/json"),
        ("category=study", "text/plain"),
    ],
)
def test_malformed_bodies_are_400(api, member, data, content_type):
    response = api(member)("POST", "/activities", data=data, content_type=content_type)
    assert response.status_code == 400


# Me and categories -----------------------------------------------------------


def test_me_gives_points_per_period_and_rank_in_branch(api, make, member, branch, clock):
    make.activity(make.member(branch), status=ActivityStatus.PENDING)
    from tracker import points as points_domain
    from tracker.extensions import db

    activity = make.activity(member, quantity=45)
    points_domain.approve_entry(db.session, activity, None, utcnow())
    db.session.commit()
    me = api(member)("GET", "/me").json
    assert me["student_no"] == member.student_no and me["role"] == "member"
    assert me["branch"] == {"id": branch.id, "name": branch.name}
    assert me["points"] == {"week": 1.5, "month": 1.5, "year": 1.5, "all": 1.5}
    assert me["rank_in_branch"] == {"period": "month", "rank": 1, "of": 2}
    assert me["stage"] == "activist"


def test_categories_with_their_current_rule(api, member, clock):
    listed = api(member)("GET", "/categories", headers={"Accept-Language": "en"}).json
    study = next(c for c in listed["items"] if c["key"] == "study")
    assert study["unit"] == "minutes" and study["needs_start_time"] is True
    assert study["rule"]["points_per_unit"] == 1 and study["rule"]["daily_cap"] == 6
    assert "30" in study["rule"]["summary"]
    assert listed["total"] == len(listed["items"]) == 5


# Logging and following entries --------------------------------------------------


def test_create_refuses_rule_breaks_with_every_field(api, member, clock, db):
    response = api(member)(
        "POST",
        "/activities",
        json={**STUDY, "occurred_on": "2030-01-01", "title": ""},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert set(fields) == {"title"}  # the schema refuses the empty title before the rules run
    response = api(member)(
        "POST", "/activities", json={**STUDY, "occurred_on": "2030-01-01", "quantity": 0.05}
    )
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"occurred_on", "quantity"}
    assert db.session.scalars(select(LedgerEntry)).all() == []


@pytest.mark.parametrize(
    "extra",
    [{"points": 99}, {"status": "approved"}, {"branch_id": 1}, {"role": "admin"}, {"user_id": 1}],
)
def test_mass_assignment_on_create_is_refused(api, member, clock, db, extra):
    from tracker.models import Activity

    response = api(member)("POST", "/activities", json={**STUDY, **extra})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(extra)
    assert db.session.scalars(select(Activity)).all() == []


def test_a_repeated_submission_key_books_once(api, member, clock, db):
    call = api(member)
    first = call("POST", "/activities", json={**STUDY, "submission_key": "k-1"})
    again = call("POST", "/activities", json={**STUDY, "submission_key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    assert first.headers["Location"].endswith(f"/api/v1/activities/{first.json['id']}")


def test_overlapping_session_is_refused(api, member, clock):
    call = api(member)
    assert call("POST", "/activities", json=STUDY).status_code == 201
    overlap = call("POST", "/activities", json={**STUDY, "start_time": "09:30"})
    assert overlap.status_code == 422 and "start_time" in overlap.json["error"]["fields"]


def test_red_site_visit_with_evidence_as_multipart(api, member, clock):
    form = {
        "category": "red_site",
        "occurred_on": TODAY.isoformat(),
        "quantity": "1",
        "title": "参观纪念馆",
        "location": "南湖革命纪念馆",
        "description": "红船精神，首创、奋斗、奉献。" * 3,
    }
    call = api(member)
    without = call("POST", "/activities", json={**form, "quantity": 1})
    assert without.status_code == 422 and "evidence" in without.json["error"]["fields"]
    import io

    created = call(
        "POST",
        "/activities",
        data={**form, "evidence": (io.BytesIO(_png()), "photo.png")},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.json
    [file] = created.json["evidence"]
    assert file["content_type"] == "image/png" and file["name"] == "photo.png"
    fake = call(
        "POST",
        "/activities",
        data={**form, "evidence": (io.BytesIO(b"MZ not an image"), "photo.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "evidence" in fake.json["error"]["fields"]


def test_tutoring_session_names_mentees_by_id(api, make, member, branch, clock):
    mentee = make.member(make.branch())
    body = {
        **STUDY,
        "category": "tutoring",
        "mentee_ids": [mentee.id],
        "title": "辅导高数",
    }
    created = api(member)("POST", "/activities", json=body)
    assert created.status_code == 201, created.json
    assert created.json["mentees"] == [
        {"id": mentee.id, "name": mentee.name, "response": "pending", "reason": None}
    ]
    unknown = api(member)(
        "POST", "/activities", json={**body, "mentee_ids": [999999], "start_time": "14:00"}
    )
    assert unknown.status_code == 422 and "mentee_ids" in unknown.json["error"]["fields"]


def test_advisors_and_admins_cannot_log(api, make, clock):
    advisor = make.user(Role.ADVISOR)
    assert api(advisor)("POST", "/activities", json=STUDY).status_code == 403


def test_list_shows_only_what_the_caller_may_read(api, make, member, committee, branch, clock):
    mine = make.activity(member)
    neighbour = make.activity(make.member(branch), start=None)
    stranger = make.activity(make.member(make.branch()), start=None)

    def ids(user, query=""):
        response = api(user)("GET", f"/activities{query}")
        assert response.status_code == 200, response.json
        return {item["id"] for item in response.json["items"]}

    assert ids(member) == {mine.id}
    assert ids(committee) == {mine.id, neighbour.id}
    assert ids(committee, f"?member_id={member.id}") == {mine.id}
    assert ids(committee, "?status=approved") == set()
    assert ids(committee, "?category=study&from=2026-11-25&to=2026-11-25") == {
        mine.id,
        neighbour.id,
    }
    assert ids(committee, "?to=2026-11-24") == set()
    assert api(committee)("GET", f"/activities?branch_id={stranger.branch_id}").status_code == 403
    admin = make.user(Role.ADMIN)
    assert stranger.id in ids(admin)


def test_list_pages(api, member, make, clock):
    for hour in range(3):
        make.activity(member, start=__import__("datetime").time(8 + hour))
    page = api(member)("GET", "/activities?per_page=2&page=2").json
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 2, 3, 1)


def test_advisor_reads_assigned_branch_only(api, make, member, branch, clock, db):
    from tracker.accounts import add_advisor_scope

    advisor = make.user(Role.ADVISOR)
    add_advisor_scope(db.session, advisor, branch=branch)
    db.session.commit()
    entry = make.activity(member)
    other = make.activity(make.member(make.branch()))
    call = api(advisor)
    assert call("GET", f"/activities/{entry.id}").status_code == 200
    assert call("GET", f"/activities/{other.id}").status_code == 404
    assert call("POST", f"/activities/{entry.id}/approve").status_code == 403
    assert call("POST", f"/activities/{entry.id}/reject", json={"reason": "x"}).status_code == 403


def test_entry_of_another_branch_is_404(api, make, member, clock):
    other = make.activity(make.member(make.branch()))
    call = api(member)
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/approve")):
        response = call(method, f"/activities/{other.id}{suffix}")
        assert response.status_code == 404, (method, suffix)
        assert response.json["error"]["code"] == "not_found"
    assert call("GET", "/activities/999999").status_code == 404


def test_owner_edits_a_pending_entry(api, member, clock, db):
    call = api(member)
    created = call("POST", "/activities", json=STUDY).json
    edited = call("PATCH", f"/activities/{created['id']}", json={"quantity": 90, "title": "新标题"})
    assert edited.status_code == 200, edited.json
    assert edited.json["quantity"] == 90 and edited.json["title"] == "新标题"
    assert edited.json["start_time"] == "09:00" and edited.json["occurred_on"] == "2026-11-25"


@pytest.mark.parametrize("extra", [{"status": "approved"}, {"points": 5}, {"branch_id": 9}])
def test_mass_assignment_on_edit_is_refused(api, member, clock, db, extra):
    call = api(member)
    created = call("POST", "/activities", json=STUDY).json
    response = call("PATCH", f"/activities/{created['id']}", json=extra)
    assert response.status_code == 422
    assert call("GET", f"/activities/{created['id']}").json["status"] == "pending"


def test_only_the_owner_edits_and_only_while_open(api, member, committee, clock, make):
    entry = make.activity(member)
    assert api(committee)("PATCH", f"/activities/{entry.id}", json={"title": "x"}).status_code == (
        403
    )
    approved = make.activity(member, status=ActivityStatus.APPROVED, start=None)
    conflict = api(member)("PATCH", f"/activities/{approved.id}", json={"title": "x"})
    assert conflict.status_code == 409 and conflict.json["error"]["code"] == "conflict"


def test_delete_withdraws_once(api, member, clock, make):
    entry = make.activity(member)
    call = api(member)
    withdrawn = call("DELETE", f"/activities/{entry.id}")
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert call("DELETE", f"/activities/{entry.id}").status_code == 409


def test_evidence_is_added_by_the_owner(api, member, committee, clock, make):
    import io

    entry = make.activity(member)
    call = api(member)
    added = call(
        "POST",
        f"/activities/{entry.id}/evidence",
        data={"evidence": (io.BytesIO(_png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert added.status_code == 200, added.json
    assert len(added.json["evidence"]) == 1
    empty = call("POST", f"/activities/{entry.id}/evidence", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422
    foreign = api(committee)(
        "POST",
        f"/activities/{entry.id}/evidence",
        data={"evidence": (io.BytesIO(_png()), "b.png")},
        content_type="multipart/form-data",
    )
    assert foreign.status_code == 403


@pytest.mark.config(TRACKER_UPLOAD_LIMIT_MB=1, MAX_CONTENT_LENGTH=1024 * 1024)
def test_too_large_upload_is_413(api, member, clock, make):
    import io

    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    entry = make.activity(member)
    # Encoded here: the test client would spool a body this large to a
    # temporary file that it never closes.
    boundary, body = encode_multipart(
        MultiDict({"evidence": FileStorage(io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.png")})
    )
    response = api(member)(
        "POST",
        f"/activities/{entry.id}/evidence",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


# Review ----------------------------------------------------------------------------


def test_member_cannot_approve(api, make, member, branch, clock):
    own = make.activity(member)
    neighbour = make.activity(make.member(branch), start=None)
    call = api(member)
    refused = call("POST", f"/activities/{own.id}/approve")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert call("POST", f"/activities/{neighbour.id}/approve").status_code == 404


def test_committee_cannot_touch_another_branchs_entries(api, make, committee, clock, db):
    stranger = make.activity(make.member(make.branch()))
    call = api(committee)
    for action, body in (("approve", None), ("reject", {"reason": "x"}), ("revoke", {"reason": "x"})):
        response = call("POST", f"/activities/{stranger.id}/{action}", json=body)
        assert response.status_code == 404, action
    db.session.refresh(stranger)
    assert stranger.status == ActivityStatus.PENDING
    assert db.session.scalars(select(LedgerEntry)).all() == []


def test_committee_never_reviews_own_entry(api, committee, clock, make):
    own = make.activity(committee)
    assert api(committee)("POST", f"/activities/{own.id}/approve").status_code == 403


def test_approve_twice_books_once(api, member, committee, clock, make, db):
    entry = make.activity(member)
    call = api(committee)
    assert call("POST", f"/activities/{entry.id}/approve").status_code == 200
    again = call("POST", f"/activities/{entry.id}/approve")
    assert again.status_code == 409
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1


def test_reject_needs_a_reason_and_reaches_the_member(api, member, committee, clock, make):
    entry = make.activity(member)
    call = api(committee)
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}):
        assert call("POST", f"/activities/{entry.id}/reject", json=body).status_code == 422
    rejected = call("POST", f"/activities/{entry.id}/reject", json={"reason": "请补充内容"})
    assert rejected.json["status"] == "rejected"
    seen = api(member)("GET", f"/activities/{entry.id}").json
    assert seen["review_reason"] == "请补充内容"
    resubmitted = api(member)("PATCH", f"/activities/{entry.id}", json={"title": "补充后"})
    assert resubmitted.json["status"] == "pending"


def test_revoke_books_a_reversal(api, member, committee, clock, make, db):
    entry = make.activity(member)
    call = api(committee)
    call("POST", f"/activities/{entry.id}/approve")
    revoked = call("POST", f"/activities/{entry.id}/revoke", json={"reason": "重复登记"})
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert revoked.json["points"] == 0
    kinds = [e.kind for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert kinds == [EntryKind.AWARD, EntryKind.REVERSAL]
    assert totals.differences(db.session) == []


# Tutoring confirmation ----------------------------------------------------------


@pytest.fixture
def session_with_mentee(make, member, db):
    mentee = make.member(make.branch())
    entry = make.activity(member, "tutoring")
    db.session.add(ActivityMentee(activity_id=entry.id, mentee_id=mentee.id))
    db.session.commit()
    return entry, mentee


def test_named_mentee_confirms_and_disputes(api, session_with_mentee, clock, db):
    entry, mentee = session_with_mentee
    call = api(mentee)
    confirmed = call("POST", f"/activities/{entry.id}/confirmation", json={"decision": "confirm"})
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["response"] == "confirmed"
    assert call(
        "POST", f"/activities/{entry.id}/confirmation", json={"decision": "dispute"}
    ).status_code == 422
    disputed = call(
        "POST",
        f"/activities/{entry.id}/confirmation",
        json={"decision": "dispute", "reason": "那天没有辅导"},
    )
    assert disputed.json["response"] == "disputed"
    [link] = db.session.scalars(select(ActivityMentee)).all()
    db.session.refresh(link)
    assert link.response == MenteeResponse.DISPUTED and link.reason == "那天没有辅导"


def test_only_a_named_mentee_answers(api, session_with_mentee, committee, make, clock):
    entry, _ = session_with_mentee
    body = {"decision": "confirm"}
    assert api(committee)("POST", f"/activities/{entry.id}/confirmation", json=body).status_code == (
        403
    )
    stranger = make.member(make.branch())
    assert api(stranger)("POST", f"/activities/{entry.id}/confirmation", json=body).status_code == (
        404
    )


def test_no_answer_after_review(api, session_with_mentee, committee, clock):
    entry, mentee = session_with_mentee
    api(committee)("POST", f"/activities/{entry.id}/approve")
    late = api(mentee)("POST", f"/activities/{entry.id}/confirmation", json={"decision": "confirm"})
    assert late.status_code == 409


# Adjustments ---------------------------------------------------------------------


def test_committee_adjusts_a_member_of_the_branch(api, member, committee, clock, db):
    body = {"member_id": member.id, "points": -1.5, "reason": "重复计分", "category": "study"}
    booked = api(committee)("POST", "/adjustments", json=body)
    assert booked.status_code == 201, booked.json
    assert booked.json["points"] == -1.5 and booked.json["category"] == "study"
    assert booked.json["earned_on"] == "2026-11-25"
    assert api(member)("GET", "/me").json["points"]["week"] == -1.5


@pytest.mark.parametrize(
    "body",
    [
        {"points": 1.55, "reason": "x"},
        {"points": 0, "reason": "x"},
        {"points": 101, "reason": "x"},
        {"points": 1, "reason": ""},
        {"points": 1, "reason": "x", "role": "admin"},
        {"points": 1, "reason": "x", "category": "nope"},
    ],
)
def test_bad_adjustments_are_refused(api, member, committee, clock, db, body):
    response = api(committee)("POST", "/adjustments", json={"member_id": member.id, **body})
    assert response.status_code == 422, response.json
    assert db.session.scalars(select(LedgerEntry)).all() == []


def test_adjustments_only_by_committee_of_the_branch(api, make, member, committee, clock):
    body = {"member_id": member.id, "points": 1, "reason": "x"}
    assert api(member)("POST", "/adjustments", json=body).status_code == 403
    other_committee = make.committee(make.branch())
    assert api(other_committee)("POST", "/adjustments", json=body).status_code == 404
    assert api(committee)("POST", "/adjustments", json={**body, "member_id": committee.id}).status_code == (
        403
    )


# Leaderboards and statistics ---------------------------------------------------------


@pytest.fixture
def scored(make, branch, member, db, clock):
    """member 2 points, a neighbour 1 point, a member of another college's branch 3 points."""
    from tracker import points as points_domain

    neighbour = make.member(branch, name="王五")
    far = make.member(make.branch(), name="赵六")
    for who, minutes in ((member, 60), (neighbour, 30), (far, 90)):
        entry = make.activity(who, quantity=minutes)
        points_domain.approve_entry(db.session, entry, None, utcnow())
    db.session.commit()
    return neighbour, far


def test_member_sees_masked_names_and_own_standing(api, member, scored, clock):
    neighbour, _ = scored
    board = api(member)("GET", "/leaderboard/members?period=week").json
    assert [(i["rank"], i["member"]["name"], i["points"]) for i in board["items"]] == [
        (1, "张三丰", 2),
        (2, "王*", 1),
    ]
    assert board["me"]["rank"] == 1 and board["total"] == 2
    assert board["scope"] == {"kind": "branch", "id": member.branch_id}
    assert board["period"] == {"kind": "week", "first_day": "2026-11-23", "last_day": "2026-11-29"}


@pytest.mark.config(TRACKER_SHOW_FULL_NAMES=True)
def test_full_names_when_the_campus_allows(api, member, scored, clock):
    board = api(member)("GET", "/leaderboard/members").json
    assert {i["member"]["name"] for i in board["items"]} == {"张三丰", "王五"}


def test_committee_sees_own_branch_in_full(api, committee, scored, clock):
    names = {i["member"]["name"] for i in api(committee)("GET", "/leaderboard/members").json["items"]}
    assert "王五" in names


def test_school_and_custom_period_and_category(api, member, scored, clock):
    call = api(member)
    school = call("GET", "/leaderboard/members?scope=school&period=all").json
    assert [i["points"] for i in school["items"][:3]] == [3, 2, 1]
    assert school["items"][0]["member"]["name"] == "赵*"
    custom = call(
        "GET", "/leaderboard/members?scope=school&period=custom&from=2026-11-26&to=2026-11-30"
    ).json
    assert {i["points"] for i in custom["items"]} == {0}
    assert call("GET", "/leaderboard/members?category=volunteer").json["me"]["points"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "period=custom",
        "period=custom&from=2026-11-25",
        "period=custom&from=2026-11-25&to=2026-11-01",
        "period=term1",
        "scope=galaxy",
        "category=nope",
        "per_page=500",
    ],
)
def test_malformed_leaderboard_queries_are_400(api, member, query, clock):
    assert api(member)("GET", f"/leaderboard/members?{query}").status_code == 400


def test_leaderboards_only_within_what_the_caller_may_read(api, make, member, scored, clock, db):
    from tracker.accounts import add_advisor_scope

    _, far = scored
    call = api(member)
    assert call("GET", f"/leaderboard/members?scope_id={far.branch_id}").status_code == 403
    foreign_college = far.branch.college_id
    assert (
        call("GET", f"/leaderboard/members?scope=college&scope_id={foreign_college}").status_code
        == 403
    )
    assert call("GET", "/leaderboard/members?scope=college").status_code == 200
    assert call("GET", "/leaderboard/members?scope_id=999999").status_code == 404
    advisor = make.user(Role.ADVISOR)
    add_advisor_scope(db.session, advisor, branch=far.branch)
    db.session.commit()
    reader = api(advisor)
    assert reader("GET", f"/leaderboard/members?scope_id={far.branch_id}").status_code == 200
    assert reader("GET", f"/leaderboard/members?scope_id={member.branch_id}").status_code == 403
    assert reader("GET", "/leaderboard/members?scope=school").status_code == 403
    assert reader("GET", "/leaderboard/members").status_code == 400  # no branch of their own
    full = reader("GET", f"/leaderboard/members?scope_id={far.branch_id}").json
    assert full["items"][0]["member"]["name"] == "赵六" and full["me"] is None


def test_branch_stats(api, member, committee, scored, make, clock):
    make.activity(member, start=__import__("datetime").time(15, 0))
    stats = api(committee)("GET", f"/branches/{member.branch_id}/stats?period=month").json
    assert stats["members"] == 3 and stats["participants"] == 2
    assert stats["points"] == 3 and stats["per_capita"] == 1 and stats["entries"] == 2
    assert stats["participation"] == pytest.approx(0.667)
    assert stats["pending"] == 1
    assert stats["categories"] == [{"category": "study", "points": 3, "entries": 2}]


def test_branch_stats_refusals(api, member, scored, clock):
    _, far = scored
    call = api(member)
    assert call("GET", f"/branches/{member.branch_id}/stats").status_code == 200
    assert call("GET", f"/branches/{far.branch_id}/stats").status_code == 403
    assert call("GET", "/branches/999999/stats").status_code == 404
    assert call("GET", f"/branches/{member.branch_id}/stats?period=decade").status_code == 400


# The document ------------------------------------------------------------------------


def test_every_api_route_is_in_the_document(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<[^>]*?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


def test_document_describes_parameters_bodies_and_errors(client):
    doc = client.get("/api/v1/openapi.json").json
    create = doc["paths"]["/activities"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert {"category", "occurred_on", "quantity", "title", "mentee_ids"} <= set(body["properties"])
    assert body["additionalProperties"] is False
    assert {"201", "400", "401", "403", "422"} <= set(create["responses"])
    board = doc["paths"]["/leaderboard/members"]["get"]
    assert {p["name"] for p in board["parameters"]} == {
        "scope", "scope_id", "period", "from", "to", "category", "page", "per_page"
    }
    assert doc["paths"]["/tokens"]["post"]["security"] == []
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_reference_page_renders_every_operation(client):
    doc = client.get("/api/v1/openapi.json").json
    html = client.get("/api/v1/docs").get_data(as_text=True)
    for ops in doc["paths"].values():
        for op in ops.values():
            assert f'id="{op["operationId"]}"' in html
    assert "cdn" not in html.lower()
