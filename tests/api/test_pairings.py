"""1+N tutoring pairs through the API: asked by the mentor, answered by the mentee."""

from __future__ import annotations

from sqlalchemy import select

from tracker.models import Pairing, PairingStatus, Role

EN = {"Accept-Language": "en"}


def test_mentor_asks_and_mentee_accepts(api, member, make, clock, db):
    mentee = make.member(make.branch(), name="王五")  # any branch
    asked = api(member)("POST", "/pairings", json={"student_no": mentee.student_no})
    assert asked.status_code == 201
    assert asked.json["mentor"] == {"id": member.id, "name": member.name}
    assert asked.json["mentee"] == {"id": mentee.id, "name": "王*"}  # until they accept
    assert (asked.json["status"], asked.json["accepted_at"]) == ("requested", None)
    assert asked.json["created_at"] == "2026-11-25T12:00:00+08:00"
    pairing_id = asked.json["id"]
    # Both see it; the mentor in the mentor role, the mentee in theirs.
    assert api(member)("GET", "/pairings?as=mentor").json["total"] == 1
    assert api(member)("GET", "/pairings?as=mentee").json["total"] == 0
    assert api(mentee)("GET", "/pairings").json["items"][0]["id"] == pairing_id
    accepted = api(mentee)("POST", f"/pairings/{pairing_id}/accept")
    assert accepted.status_code == 200
    assert accepted.json["status"] == "accepted"
    assert accepted.json["accepted_at"] == "2026-11-25T12:00:00+08:00"
    again = api(mentee, **EN)("POST", f"/pairings/{pairing_id}/accept")
    assert again.status_code == 409
    assert again.json["error"]["message"] == "This request was already answered."


def test_the_mentor_reads_the_mentees_full_name_only_once_they_accept(api, member, make, clock):
    """A student number typed by anyone must not tell them whose it is (leaderboards mask too)."""
    mentee = make.member(make.branch(), name="欧阳小明")
    asked = api(member)("POST", "/pairings", json={"student_no": mentee.student_no})
    assert asked.json["mentee"]["name"] == "欧**明"
    assert "欧阳小明" not in asked.get_data(as_text=True)
    assert api(member)("GET", "/pairings").json["items"][0]["mentee"]["name"] == "欧**明"
    # The mentee reads their own name, and who asks them.
    theirs = api(mentee)("GET", "/pairings").json["items"][0]
    assert (theirs["mentee"]["name"], theirs["mentor"]["name"]) == ("欧阳小明", member.name)
    api(mentee)("POST", f"/pairings/{asked.json['id']}/accept")
    assert api(member)("GET", "/pairings").json["items"][0]["mentee"]["name"] == "欧阳小明"


def test_only_the_mentee_answers(api, member, make, clock, db):
    mentee = make.member()
    pairing_id = api(member)("POST", "/pairings", json={"student_no": mentee.student_no}).json["id"]
    assert api(member)("POST", f"/pairings/{pairing_id}/accept").status_code == 403
    stranger = make.member()
    assert api(stranger)("POST", f"/pairings/{pairing_id}/accept").status_code == 404
    assert api(stranger)("POST", f"/pairings/{pairing_id}/decline").status_code == 404
    assert api(make.user(Role.ADMIN))("POST", f"/pairings/{pairing_id}/accept").status_code == 404
    assert db.session.get(Pairing, pairing_id).status == PairingStatus.REQUESTED


def test_mentee_declines(api, member, make, clock, db):
    mentee = make.member()
    pairing_id = api(member)("POST", "/pairings", json={"student_no": mentee.student_no}).json["id"]
    declined = api(mentee)("POST", f"/pairings/{pairing_id}/decline")
    assert declined.status_code == 204
    assert db.session.scalars(select(Pairing)).all() == []
    assert api(member)("GET", "/pairings").json["total"] == 0


def test_bad_requests_are_refused(api, member, make, clock, db):
    call = api(member, **EN)
    unknown = call("POST", "/pairings", json={"student_no": "X999"})
    assert unknown.status_code == 422
    assert unknown.json["error"]["fields"] == {"student_no": "No active student with number X999."}
    myself = call("POST", "/pairings", json={"student_no": member.student_no})
    assert myself.json["error"]["fields"] == {"student_no": "You cannot be your own mentee."}
    mentee = make.member()
    assert call("POST", "/pairings", json={"student_no": mentee.student_no}).status_code == 201
    twice = call("POST", "/pairings", json={"student_no": mentee.student_no})
    assert twice.status_code == 422
    assert twice.json["error"]["fields"]["student_no"] == (
        f"{mentee.student_no} is already on your list."
    )
    mass = call(
        "POST", "/pairings", json={"student_no": make.member().student_no, "status": "accepted"}
    )
    assert mass.status_code == 422 and list(mass.json["error"]["fields"]) == ["status"]
    assert len(db.session.scalars(select(Pairing)).all()) == 1


def test_advisors_and_admins_keep_no_mentees(api, member, make, clock, db):
    for role in (Role.ADVISOR, Role.ADMIN):
        call = api(make.user(role))
        assert call("POST", "/pairings", json={"student_no": member.student_no}).status_code == 403
        assert call("GET", "/pairings").status_code == 403
    # Nor can they be asked to be one.
    advisor = make.user(Role.ADVISOR)
    asked = api(member)("POST", "/pairings", json={"student_no": advisor.student_no})
    assert asked.status_code == 422
    assert db.session.scalars(select(Pairing)).all() == []


def test_paging_and_bad_parameters(api, member, make, clock):
    call = api(member)
    for _ in range(3):
        assert (
            call("POST", "/pairings", json={"student_no": make.member().student_no}).status_code
            == 201
        )
    page = call("GET", "/pairings?per_page=2&page=2")
    assert (page.json["total"], len(page.json["items"])) == (3, 1)
    assert call("GET", "/pairings?as=teacher").status_code == 400
    assert call("POST", "/pairings/999/accept").status_code == 404
