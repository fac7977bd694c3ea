"""1+N tutoring: pairings, sessions naming accepted mentees, confirmations, disputes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tracker.models import (
    Activity,
    ActivityStatus,
    LedgerEntry,
    MenteeResponse,
    Notification,
    Pairing,
    PairingStatus,
)

from .conftest import TODAY


@pytest.fixture
def login(english_login):
    return english_login


@pytest.fixture
def mentor(make, branch):
    return make.member(branch)


@pytest.fixture
def mentee(make):
    return make.member()  # another branch: mentees may come from anywhere


def kinds_for(db, user) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id))
    )


def pair(db, mentor, mentee):
    db.session.add(Pairing(mentor_id=mentor.id, mentee_id=mentee.id, status=PairingStatus.ACCEPTED))
    db.session.commit()


def session_data(**overrides):
    return {
        "occurred_on": TODAY.isoformat(),
        "start_time": "10:00",
        "quantity": "60",
        "title": "高等数学期末辅导",
        "submission_key": overrides.pop("key", "k1"),
        **overrides,
    }


def log_session(client, mentees, **overrides):
    data = session_data(mentees=[m.student_no for m in mentees], **overrides)
    return client.post("/activities/new/tutoring", data=data)


def the_session(db) -> Activity:
    db.session.expire_all()
    return db.session.scalars(select(Activity)).one()


def test_pairing_is_asked_by_student_number_and_accepted_by_the_mentee(
    db, make, mentor, mentee, login
):
    client = login(mentor)
    unknown = client.post("/tutoring/mentees", data={"student_no": "NOBODY"})
    assert unknown.status_code == 422 and "No active student" in unknown.get_data(as_text=True)
    own = client.post("/tutoring/mentees", data={"student_no": mentor.student_no})
    assert "You cannot be your own mentee." in own.get_data(as_text=True)
    assert (
        client.post("/tutoring/mentees", data={"student_no": mentee.student_no}).status_code == 302
    )
    twice = client.post("/tutoring/mentees", data={"student_no": mentee.student_no})
    assert f"{mentee.student_no} is already on your list" in twice.get_data(as_text=True)
    pairing = db.session.scalars(select(Pairing)).one()
    assert pairing.status == PairingStatus.REQUESTED
    assert kinds_for(db, mentee) == ["pairing_requested"]
    assert login(mentor).post(f"/tutoring/pairings/{pairing.id}/accept").status_code == 404
    assert login(make.member()).post(f"/tutoring/pairings/{pairing.id}/accept").status_code == 404
    assert login(mentee).post(f"/tutoring/pairings/{pairing.id}/accept").status_code == 302
    db.session.refresh(pairing)
    assert pairing.status == PairingStatus.ACCEPTED
    assert kinds_for(db, mentor) == ["pairing_accepted"]
    assert mentee.name in login(mentor).get("/tutoring/").get_data(as_text=True)


def test_the_mentor_reads_the_mentees_full_name_only_once_they_accept(db, make, mentor, login):
    mentee = make.member(name="欧阳小明")
    client = login(mentor)
    asked = client.post("/tutoring/mentees", data={"student_no": mentee.student_no})
    assert "欧阳小明" not in client.get(asked.headers["Location"]).get_data(as_text=True)
    again = client.post("/tutoring/mentees", data={"student_no": mentee.student_no})
    assert "欧阳小明" not in again.get_data(as_text=True)
    page = client.get("/tutoring/").get_data(as_text=True)
    assert "欧阳小明" not in page and f"欧**明 ({mentee.student_no})" in page
    pairing = db.session.scalars(select(Pairing)).one()
    # The mentee reads who asks them, in full.
    assert mentor.name in login(mentee).get("/tutoring/").get_data(as_text=True)
    login(mentee).post(f"/tutoring/pairings/{pairing.id}/accept")
    assert "欧阳小明" in client.get("/tutoring/").get_data(as_text=True)


def test_tutoring_is_for_members_of_a_branch(db, make, login):
    from tracker.models import Role

    advisor = login(make.user(Role.ADVISOR))
    assert advisor.get("/tutoring/").status_code == 403
    assert advisor.post("/tutoring/mentees", data={"student_no": "S1"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Pairing)) == 0


def test_declined_pairing_is_gone(db, mentor, mentee, login):
    login(mentor).post("/tutoring/mentees", data={"student_no": mentee.student_no})
    pairing = db.session.scalars(select(Pairing)).one()
    assert login(mentee).post(f"/tutoring/pairings/{pairing.id}/decline").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Pairing)) == 0


def test_session_names_only_accepted_mentees(clock, db, make, mentor, mentee, login):
    client = login(mentor)
    client.post("/tutoring/mentees", data={"student_no": mentee.student_no})
    waiting = log_session(client, [mentee])
    assert waiting.status_code == 200
    assert "has not accepted you as mentor yet" in waiting.get_data(as_text=True)
    stranger = log_session(client, [make.member()], key="k2")
    assert "has not accepted you as mentor yet" in stranger.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    pairing = db.session.scalars(select(Pairing)).one()
    login(mentee).post(f"/tutoring/pairings/{pairing.id}/accept")
    assert log_session(client, [mentee], key="k3").status_code == 302
    assert [m.mentee_id for m in the_session(db).mentees] == [mentee.id]
    assert "confirmation_requested" in kinds_for(db, mentee)


def test_same_time_slot_cannot_be_claimed_twice_and_no_future_sessions(
    clock, db, make, mentor, mentee, login
):
    other = make.member()
    pair(db, mentor, mentee)
    pair(db, mentor, other)
    client = login(mentor)
    assert log_session(client, [mentee]).status_code == 302
    overlap = log_session(client, [other], start_time="10:30", key="k2")
    assert "overlaps this time" in overlap.get_data(as_text=True)
    future = log_session(
        client, [other], occurred_on=(TODAY + timedelta(days=1)).isoformat(), key="k3"
    )
    assert "cannot be in the future" in future.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1


def test_mentee_sees_and_confirms_the_session_others_cannot(
    clock, db, make, mentor, mentee, committee, login
):
    pair(db, mentor, mentee)
    log_session(login(mentor), [mentee])
    activity = the_session(db)
    as_mentee = login(mentee)
    assert as_mentee.get(f"/activities/{activity.id}").status_code == 200
    assert activity.title in as_mentee.get("/tutoring/").get_data(as_text=True)
    outsider = login(make.member())
    assert outsider.get(f"/activities/{activity.id}").status_code == 404
    assert outsider.post(f"/tutoring/sessions/{activity.id}/confirm").status_code == 404
    assert login(mentor).post(f"/tutoring/sessions/{activity.id}/confirm").status_code == 404
    assert (
        as_mentee.post(f"/activities/{activity.id}/withdraw", data={"confirmed": "yes"}).status_code
        == 403
    )
    assert as_mentee.post(f"/tutoring/sessions/{activity.id}/confirm").status_code == 302
    assert the_session(db).mentees[0].response == MenteeResponse.CONFIRMED
    again = as_mentee.post(f"/tutoring/sessions/{activity.id}/confirm")
    assert "already answered" in as_mentee.get(again.location).get_data(as_text=True)
    assert the_session(db).status == ActivityStatus.PENDING  # the category does not auto-approve
    queue = login(committee).get("/review/").get_data(as_text=True)
    assert 'data-response="confirmed"' in queue


def test_disputed_session_needs_a_reason_to_be_approved(
    clock, db, make, mentor, mentee, committee, login
):
    pair(db, mentor, mentee)
    log_session(login(mentor), [mentee])
    activity = the_session(db)
    as_mentee = login(mentee)
    as_mentee.post(f"/tutoring/sessions/{activity.id}/dispute", data={"reason": " "})
    assert the_session(db).mentees[0].response == MenteeResponse.PENDING
    as_mentee.post(f"/tutoring/sessions/{activity.id}/dispute", data={"reason": "那天我没有参加"})
    link = the_session(db).mentees[0]
    assert (link.response, link.reason) == (MenteeResponse.DISPUTED, "那天我没有参加")
    assert "session_disputed" in kinds_for(db, mentor)
    reviewer = login(committee)
    queue = reviewer.get("/review/").get_data(as_text=True)
    assert "那天我没有参加" in queue and 'name="reason" maxlength="500" required' in queue
    version = the_session(db).version
    refused = reviewer.post(f"/review/{activity.id}/approve", data={"version": version})
    assert refused.status_code == 422
    assert "A disputed session needs a reason" in refused.get_data(as_text=True)
    bulk = reviewer.post(
        "/review/approve-selected", data={"ids": activity.id, f"version_{activity.id}": version}
    )
    assert bulk.status_code == 302
    assert the_session(db).status == ActivityStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    reviewer.post(
        f"/review/{activity.id}/approve",
        data={"version": version, "reason": "已与双方核实，辅导确有其事"},
    )
    approved = the_session(db)
    assert approved.status == ActivityStatus.APPROVED
    assert approved.review_reason == "已与双方核实，辅导确有其事"
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert "activity_approved" in kinds_for(db, mentor)


def test_category_setting_approves_once_every_mentee_confirmed(
    clock, db, make, mentor, mentee, login
):
    second = make.member()
    pair(db, mentor, mentee)
    pair(db, mentor, second)
    make.category("tutoring").approve_when_confirmed = True
    db.session.commit()
    log_session(login(mentor), [mentee, second])
    activity = the_session(db)
    login(mentee).post(f"/tutoring/sessions/{activity.id}/confirm")
    assert the_session(db).status == ActivityStatus.PENDING
    login(second).post(f"/tutoring/sessions/{activity.id}/confirm")
    assert the_session(db).status == ActivityStatus.APPROVED
    assert db.session.scalars(select(LedgerEntry.points)).one() == 2  # 60 min, 1 point per 30
    assert "activity_approved" in kinds_for(db, mentor)


def test_editing_a_session_asks_the_mentees_again(clock, db, mentor, mentee, login):
    pair(db, mentor, mentee)
    client = login(mentor)
    log_session(client, [mentee])
    activity = the_session(db)
    login(mentee).post(f"/tutoring/sessions/{activity.id}/confirm")
    data = session_data(mentees=mentee.student_no, quantity="90")
    assert client.post(f"/activities/{activity.id}/edit", data=data).status_code == 302
    assert the_session(db).mentees[0].response == MenteeResponse.PENDING
    assert kinds_for(db, mentee).count("confirmation_requested") == 2
