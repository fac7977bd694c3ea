"""Meeting kinds: required frequencies, who is expected, 党小组 and the quorum."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker.events import kinds, planning
from tracker.events.planning import EventInput
from tracker.models import Attendance, AttendanceStatus, AuditEvent, Event, PartyGroup
from tracker.people import groups
from tracker.setting_values import meeting_frequencies

from .conftest import FROZEN_NOW


def meeting(db, make, committee, kind: str, *, start=timedelta(hours=-2), **overrides) -> Event:
    values = {
        "title": "支部会议",
        "category": make.category("meeting"),
        "place": "党员活动室",
        "starts_at": FROZEN_NOW + start,
        "ends_at": FROZEN_NOW + start + timedelta(minutes=90),
        "kind": kind,
        **overrides,
    }
    event = planning.create_event(db.session, committee, EventInput(**values), FROZEN_NOW)
    db.session.commit()
    return event


def attend(db, event: Event, user, status=AttendanceStatus.PRESENT) -> None:
    db.session.add(Attendance(event_id=event.id, user_id=user.id, status=status))
    db.session.commit()


@pytest.fixture
def login(english_login):
    return english_login


def test_frequencies_default_to_the_regulations_and_a_school_may_change_one():
    rules = meeting_frequencies("")
    assert rules["congress"] == (1, "quarter")
    assert rules["committee"] == (1, "month")
    assert rules["group"] == (1, "month")
    assert rules["theme_day"] == (1, "month")
    assert rules["lecture"] == (1, "quarter")
    assert rules["life_meeting"] == (1, "year")
    assert rules["appraisal"] == (1, "year")
    changed = meeting_frequencies("lecture=2/term")
    assert changed["lecture"] == (2, "term")
    assert changed["congress"] == (1, "quarter")
    for wrong in ("lecture=2/fortnight", "party=1/month", "lecture=two/term", "lecture"):
        with pytest.raises(ValueError):
            meeting_frequencies(wrong)


@pytest.mark.config(TRACKER_MEETING_FREQUENCIES="lecture=2/term, appraisal=0/year")
def test_rules_follow_the_setting_and_zero_means_not_required(app):
    found = {r.kind: (r.count, r.period) for r in kinds.rules()}
    assert found["lecture"] == (2, "term")
    assert "appraisal" not in found


def test_quorum_of_a_general_meeting_counts_presence_not_leave(
    clock, db, make, branch, committee, login
):
    members = [make.member(branch) for _ in range(4)]  # five expected with the committee
    event = meeting(db, make, committee, "congress")
    attend(db, event, committee)
    attend(db, event, members[0])
    attend(db, event, members[1], AttendanceStatus.ON_LEAVE)
    attend(db, event, members[2], AttendanceStatus.ON_LEAVE)
    quorum = kinds.quorum(db.session, event)
    assert (quorum.expected, quorum.present, quorum.on_leave, quorum.needed) == (5, 2, 2, 3)
    assert not quorum.met
    page = login(committee).get(f"/events/{event.id}").get_data(as_text=True)
    assert "Branch general meeting" in page
    assert "2 of 5 expected present, 3 needed" in page
    assert "No quorum yet" in page
    attend(db, event, members[3], AttendanceStatus.CHECKED_IN)
    assert kinds.quorum(db.session, event).met
    assert "Quorum met" in login(members[0]).get(f"/events/{event.id}").get_data(as_text=True)


def test_a_committee_meeting_expects_the_committee_only(clock, db, make, branch, committee):
    second = make.committee(branch)
    member = make.member(branch)
    event = meeting(db, make, committee, "committee")
    assert kinds.expected_ids(db.session, event) == {committee.id, second.id}
    attend(db, event, member)
    attend(db, event, committee)
    quorum = kinds.quorum(db.session, event)
    assert (quorum.expected, quorum.present, quorum.met) == (2, 1, False)
    attend(db, event, second)
    assert kinds.quorum(db.session, event).met


def test_members_who_joined_after_the_meeting_are_not_expected(clock, db, make, branch, committee):
    make.member(branch, joined_on=FROZEN_NOW.date() + timedelta(days=1))
    event = meeting(db, make, committee, "congress")
    assert kinds.expected_ids(db.session, event) == {committee.id}


def test_other_kinds_have_no_quorum(clock, db, make, committee):
    assert kinds.quorum(db.session, meeting(db, make, committee, "lecture")) is None
    assert kinds.quorum(db.session, meeting(db, make, committee, "other")) is None


def test_party_groups_and_their_meetings(clock, db, make, branch, committee, login):
    member, other = make.member(branch), make.member(branch)
    stranger = make.member()
    client = login(committee)
    assert client.post("/branch/groups", data={"name": " "}).status_code == 422
    assert client.post("/branch/groups", data={"name": "第一党小组"}).status_code == 302
    assert client.post("/branch/groups", data={"name": "第一党小组"}).status_code == 422
    group = db.session.scalars(select(PartyGroup)).one()
    assert group.branch_id == branch.id
    place = {"member_id": member.id, "group_id": group.id}
    assert client.post("/branch/groups/place", data=place).status_code == 302
    foreign = {"member_id": stranger.id, "group_id": group.id}
    assert client.post("/branch/groups/place", data=foreign).status_code == 404
    assert login(member).post("/branch/groups/place", data=place).status_code == 403
    assert groups.group_of(db.session, member.id).id == group.id
    assert groups.group_of(db.session, other.id) is None
    page = client.get("/branch/groups").get_data(as_text=True)
    assert "第一党小组 · 1" in page
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"party_group.created", "party_group.member_placed"} <= actions

    # A group meeting names its group, and expects that group's members only.
    with pytest.raises(Exception, match="party group"):
        meeting(db, make, committee, "group")
    db.session.rollback()
    event = meeting(db, make, committee, "group", group_id=group.id)
    assert kinds.expected_ids(db.session, event) == {member.id}
    strange = make.branch()
    foreign_group = PartyGroup(branch_id=strange.id, name="外支部小组")
    db.session.add(foreign_group)
    db.session.commit()
    with pytest.raises(Exception, match="party group"):
        meeting(db, make, committee, "group", group_id=foreign_group.id)


def test_the_event_form_records_the_kind(clock, db, make, committee, login):
    client = login(committee)
    form = client.get("/events/new").get_data(as_text=True)
    assert "Branch committee meeting (支委会)" in form
    response = client.post(
        "/events/new",
        data={
            "title": "十一月支委会",
            "category_id": make.category("meeting").id,
            "kind": "committee",
            "day": "2026-11-26",
            "start": "14:00",
            "end": "15:00",
            "opens_before": 30,
            "closes_after": 30,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalars(select(Event)).one()
    assert event.kind == "committee"
    bad = client.post(
        "/events/new",
        data={
            "title": "x",
            "category_id": make.category("meeting").id,
            "kind": "party",
            "day": "2026-11-26",
            "start": "14:00",
            "end": "15:00",
            "opens_before": 30,
            "closes_after": 30,
        },
    )
    assert bad.status_code == 200
    assert db.session.scalars(select(Event)).all() == [event]
