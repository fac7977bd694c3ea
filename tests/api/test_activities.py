"""Logging, listing, editing and withdrawing activities through the API."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tracker.models import Activity, ActivityStatus, LedgerEntry, Role

from ..conftest import TODAY
from .conftest import STUDY, png

# Logging and following activities --------------------------------------------------


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


def test_mass_assignment_on_create_is_refused(api, member, clock, db):
    call = api(member)
    for extra in (
        {"points": 99},
        {"status": "approved"},
        {"branch_id": 1},
        {"role": "admin"},
        {"user_id": 1},
    ):
        response = call("POST", "/activities", json={**STUDY, **extra})
        assert response.status_code == 422, extra
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

    created = call(
        "POST",
        "/activities",
        data={**form, "evidence": (io.BytesIO(png()), "photo.png")},
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


def test_tutoring_session_names_mentees_by_id(api, make, member, branch, clock, db):
    from tracker.models import Pairing, PairingStatus

    mentee = make.member(make.branch())
    db.session.add(Pairing(mentor_id=member.id, mentee_id=mentee.id, status=PairingStatus.ACCEPTED))
    db.session.commit()
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


def test_mentee_ids_never_map_an_id_to_a_student_number(api, make, member, clock, db):
    """Unknown, someone else's, asked but not accepted: one message, naming only the id sent."""
    from tracker.models import Pairing, PairingStatus, Role

    admin = make.user(Role.ADMIN, student_no="A90001")
    stranger = make.member(student_no="S90002")
    asked = make.member(student_no="S90003")
    db.session.add(Pairing(mentor_id=member.id, mentee_id=asked.id, status=PairingStatus.REQUESTED))
    db.session.commit()
    body = {**STUDY, "category": "tutoring", "title": "辅导高数"}
    call = api(member, **{"Accept-Language": "en"})
    messages = set()
    for mentee_id in (admin.id, stranger.id, asked.id, 999999):
        refused = call("POST", "/activities", json={**body, "mentee_ids": [mentee_id]})
        assert refused.status_code == 422
        for number in ("A90001", "S90002", "S90003"):
            assert number not in refused.get_data(as_text=True)
        message = refused.json["error"]["fields"]["mentee_ids"]
        assert str(mentee_id) in message
        messages.add(message.replace(str(mentee_id), "<id>"))
    assert messages == {"<id> is not the id of one of your accepted mentees."}


def test_a_named_mentee_reads_the_session_through_the_api_as_on_the_web(
    api, make, member, branch, clock, db, login
):
    """One rule (access.can_read_activity) for both doors: the API used to answer 404."""
    from tracker.models import Pairing, PairingStatus

    mentee = make.member(make.branch())
    stranger = make.member(make.branch())
    db.session.add(Pairing(mentor_id=member.id, mentee_id=mentee.id, status=PairingStatus.ACCEPTED))
    db.session.commit()
    body = {**STUDY, "category": "tutoring", "mentee_ids": [mentee.id], "title": "辅导高数"}
    session_id = api(member)("POST", "/activities", json=body).json["id"]
    assert api(mentee)("GET", f"/activities/{session_id}").status_code == 200
    assert login(mentee).get(f"/activities/{session_id}").status_code == 200
    assert api(stranger)("GET", f"/activities/{session_id}").status_code == 404
    assert login(stranger).get(f"/activities/{session_id}").status_code == 404


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
    from tracker.people.accounts import add_advisor_scope

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


def test_activity_of_another_branch_is_404(api, make, member, clock):
    other = make.activity(make.member(make.branch()))
    call = api(member)
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/approve")):
        response = call(method, f"/activities/{other.id}{suffix}")
        assert response.status_code == 404, (method, suffix)
        assert response.json["error"]["code"] == "not_found"
    assert call("GET", "/activities/999999").status_code == 404


def test_owner_edits_a_pending_activity(api, member, clock, db):
    call = api(member)
    created = call("POST", "/activities", json=STUDY).json
    edited = call("PATCH", f"/activities/{created['id']}", json={"quantity": 90, "title": "新标题"})
    assert edited.status_code == 200, edited.json
    assert edited.json["quantity"] == 90 and edited.json["title"] == "新标题"
    assert edited.json["start_time"] == "09:00" and edited.json["occurred_on"] == "2026-11-25"


def test_mass_assignment_on_edit_is_refused(api, member, clock, db):
    call = api(member)
    created = call("POST", "/activities", json=STUDY).json
    for extra in ({"status": "approved"}, {"points": 5}, {"branch_id": 9}, {"role": "admin"}):
        response = call("PATCH", f"/activities/{created['id']}", json=extra)
        assert response.status_code == 422, extra
    unchanged = call("GET", f"/activities/{created['id']}").json
    assert unchanged["status"] == "pending" and unchanged["points"] is None
    assert unchanged["branch"]["id"] == member.branch_id


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

    entry = make.activity(member)
    call = api(member)
    added = call(
        "POST",
        f"/activities/{entry.id}/evidence",
        data={"evidence": (io.BytesIO(png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert added.status_code == 200, added.json
    assert len(added.json["evidence"]) == 1
    empty = call(
        "POST", f"/activities/{entry.id}/evidence", data={}, content_type="multipart/form-data"
    )
    assert empty.status_code == 422
    foreign = api(committee)(
        "POST",
        f"/activities/{entry.id}/evidence",
        data={"evidence": (io.BytesIO(png()), "b.png")},
        content_type="multipart/form-data",
    )
    assert foreign.status_code == 403


@pytest.mark.config(TRACKER_UPLOAD_LIMIT_MB=1, MAX_CONTENT_LENGTH=1024 * 1024)
def test_too_large_upload_is_413(api, member, clock, make):

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
