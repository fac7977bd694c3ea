"""Points from events that can be trusted: nobody books their own attendance, hand-marked
attendance waits for a second person, back-dating and closed terms are refused, defaulted
points are capped like any activity, a branch closes a few events a day, capacity holds."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.errors import Conflict, InvalidInput
from tracker.events import attendance, codes
from tracker.extensions import db as _db
from tracker.ledger import points, terms, totals
from tracker.models import (
    ATTENDED,
    Activity,
    ActivityStatus,
    AdvisorScope,
    Attendance,
    AuditEvent,
    Event,
    LedgerEntry,
    Role,
    Term,
    User,
)

from .conftest import FROZEN_NOW
from .test_events import new_event as new_branch_event

MEETING_FORM = {
    "title": "支部党员大会",
    "place": "图书馆报告厅",
    "day": "2026-11-20",
    "start": "19:00",
    "end": "20:30",
    "opens_before": "30",
    "closes_after": "30",
}


@pytest.fixture
def login(english_login):
    return english_login


def new_event(db, make, organiser, *, start=timedelta(minutes=10), **overrides) -> Event:
    """As ``test_events.new_event``, starting sooner, under a shorter title."""
    return new_branch_event(db, make, organiser, start=start, **{"title": "主题党日", **overrides})


def ledger_of(db, user: User) -> list[LedgerEntry]:
    db.session.expire_all()
    mine = select(LedgerEntry).where(LedgerEntry.user_id == user.id)
    return list(db.session.scalars(mine.order_by(LedgerEntry.id)))


def booked_activity(db, event_id: int, user: User) -> Activity:
    db.session.expire_all()
    return db.session.scalars(
        select(Activity).where(Activity.event_id == event_id, Activity.user_id == user.id)
    ).one()


def text(response) -> str:
    return response.get_data(as_text=True)


def test_an_organiser_marking_themselves_present_books_nothing_without_a_second_person(
    clock, db, make, branch, committee, login
):
    second = make.committee(branch)
    client = login(committee)
    form = {**MEETING_FORM, "category_id": make.category("meeting").id}
    assert client.post("/events/new", data=form).status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert client.post(f"/events/{event.id}/present/{committee.id}").status_code == 302
    closed = client.post(
        f"/events/{event.id}/close", data={"confirmed": "yes"}, follow_redirects=True
    )
    assert ledger_of(db, committee) == []
    assert "1 attendance waits for a second person to confirm." in text(closed)
    activity = booked_activity(db, event.id, committee)
    assert activity.status == ActivityStatus.PENDING
    # Neither their own queue nor their own click books it.
    assert f'id="activity-{activity.id}"' not in text(client.get("/review/"))
    client.post(f"/review/{activity.id}/approve")
    assert ledger_of(db, committee) == []
    # Another committee member sees why it waits, and confirms it.
    queue = text(login(second).get("/review/"))
    card = queue.split(f'id="activity-{activity.id}"')[1].split('class="card mb-3"')[0]
    assert "Event attendance to confirm" in card and "own attendance" in card
    assert "marked by hand" in card
    seen = {"version": str(activity.version)}
    assert login(second).post(f"/review/{activity.id}/approve", data=seen).status_code == 302
    (entry,) = ledger_of(db, committee)
    assert (entry.actor_id, entry.points) == (second.id, Decimal(2))
    assert totals.differences(db.session) == []


def test_hand_marked_attendance_waits_for_someone_who_neither_marked_nor_closed_it(
    clock, db, make, branch, committee, member, login
):
    closer, third = make.committee(branch), make.committee(branch)
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    db.session.commit()
    event = new_event(db, make, committee)
    assert login(committee).post(f"/events/{event.id}/present/{member.id}").status_code == 302
    clock.shift(timedelta(minutes=30))
    assert (
        login(closer).post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code
        == 302
    )
    assert ledger_of(db, member) == []
    activity = booked_activity(db, event.id, member)
    assert activity.status == ActivityStatus.PENDING
    for hand in (committee, closer):
        assert f'id="activity-{activity.id}"' not in text(login(hand).get("/review/"))
        login(hand).post(f"/review/{activity.id}/approve")
    assert ledger_of(db, member) == []
    card = text(login(third).get("/review/")).split(f'id="activity-{activity.id}"')[1]
    assert "marked by hand" in card.split('class="card mb-3"')[0]
    # An advisor of the branch confirms it on the event's page.
    page = text(login(advisor).get(f"/events/{event.id}"))
    assert f'data-confirm="{member.id}"' in page
    confirmed = login(advisor).post(
        f"/events/{event.id}/confirm", data={"member_id": member.id, "decision": "approve"}
    )
    assert confirmed.status_code == 302
    (entry,) = ledger_of(db, member)
    assert (entry.actor_id, entry.points) == (advisor.id, Decimal(2))
    assert totals.differences(db.session) == []


def test_an_attendance_checked_in_with_the_code_is_booked_with_the_closer_as_actor(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee)
    code = codes.code_for(event, FROZEN_NOW)
    assert login(member).post(f"/events/{event.id}/checkin", data={"code": code}).status_code == 302
    clock.shift(timedelta(minutes=30))
    assert (
        login(committee).post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code
        == 302
    )
    (entry,) = ledger_of(db, member)
    assert entry.actor_id == committee.id
    assert booked_activity(db, event.id, member).reviewed_by_id == committee.id
    assert totals.differences(db.session) == []


def test_an_event_starting_before_the_back_dating_window_is_refused(
    clock, db, make, committee, login
):
    form = {**MEETING_FORM, "category_id": make.category("meeting").id, "day": "2026-11-10"}
    refused = login(committee).post("/events/new", data=form)
    assert refused.status_code == 200
    assert "Events can start at most 14 days back." in text(refused)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    accepted = login(committee).post("/events/new", data={**form, "day": "2026-11-11"})
    assert accepted.status_code == 302
    assert totals.differences(db.session) == []


def test_a_defaulted_day_long_tutoring_event_is_capped_like_one_activity(
    clock, db, make, committee
):
    tutoring = make.category("tutoring")
    day_long = new_event(
        db,
        make,
        committee,
        category=tutoring,
        start=timedelta(days=-1),
        ends_at=FROZEN_NOW,
    )
    assert day_long.points == Decimal(8)  # 240 minutes at most, 1 point per 30 minutes
    with pytest.raises(InvalidInput) as refused:
        new_event(db, make, committee, points=Decimal(3))  # the meeting rule gives 2
    assert "what the category's rule gives for one entry" in str(refused.value.errors["points"])
    assert totals.differences(db.session) == []


def test_points_cannot_be_booked_in_a_closed_term(clock, app, db, make, committee, member, login):
    term = terms.create_term(db.session, "2026秋", date(2026, 9, 1), date(2027, 1, 15))
    db.session.commit()
    event = new_event(db, make, committee)
    code = codes.code_for(event, FROZEN_NOW)
    login(member).post(f"/events/{event.id}/checkin", data={"code": code})
    study = make.activity(member)
    earlier = make.activity(member, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, earlier, make.committee(committee.branch), FROZEN_NOW)
    db.session.commit()
    admin = make.user(Role.ADMIN)
    page = login(admin)
    unconfirmed = page.post(f"/admin/terms/{term.id}/close", data={})
    assert unconfirmed.status_code == 200 and "until it is reopened" in unconfirmed.text
    assert db.session.get(Term, term.id).closed_at is None
    assert page.post(f"/admin/terms/{term.id}/close", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Term, term.id).closed_at is not None
    message = "The term 2026秋 is closed: no points can be booked on its days."
    clock.shift(timedelta(minutes=30))
    manager = login(committee)
    assert message in text(
        manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"}, follow_redirects=True)
    )
    approve = manager.post(
        f"/review/{study.id}/approve", data={"version": str(study.version)}, follow_redirects=True
    )
    assert message in text(approve)
    revoked = manager.post(
        f"/review/{earlier.id}/revoke",
        data={"confirmed": "yes", "reason": "误报"},
        follow_redirects=True,
    )
    assert message in text(revoked)
    adjusted = manager.post(
        "/branch/adjustments",
        data={"member_id": member.id, "points": "3", "reason": "表彰", "category_id": "0"},
        follow_redirects=True,
    )
    assert message in text(adjusted)
    refused = manager.post(
        "/events/new", data={**MEETING_FORM, "category_id": make.category("meeting").id}
    )
    assert message in text(refused)
    assert [e.points for e in ledger_of(db, member)] == [Decimal(2)]  # the earlier award alone
    assert db.session.get(Event, event.id).closed_at is None
    # Only an administrator's adjustment, with a reason, books in a closed term.
    by_admin = page.post(
        f"/admin/terms/{term.id}/adjust",
        data={"student_no": member.student_no, "points": "2", "day": "2026-11-20", "reason": ""},
    )
    assert by_admin.status_code == 422 and len(ledger_of(db, member)) == 1
    adjustment = {"student_no": member.student_no, "points": "2", "day": "2026-11-20"}
    page.post(f"/admin/terms/{term.id}/adjust", data={**adjustment, "reason": "补录"})
    entry = ledger_of(db, member)[-1]
    assert (entry.actor_id, entry.points, entry.earned_on) == (admin.id, 2, date(2026, 11, 20))
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "points.adjusted")
    ).one()
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "term.closed")).one()
    # Reopened from the command line, the term books again.
    runner = app.test_cli_runner()
    assert "Reopened term 2026秋" in runner.invoke(args=["terms", "reopen", "2026秋"]).output
    assert manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code == 302
    assert len(ledger_of(db, member)) == 3
    assert "Closed term 2026秋" in runner.invoke(args=["terms", "close", "2026秋"]).output
    assert totals.differences(db.session) == []


@pytest.mark.config(TRACKER_EVENT_CLOSES_PER_DAY=2)
def test_a_branch_closes_at_most_the_configured_number_of_events_a_day(
    clock, db, make, committee, login
):
    events = [new_event(db, make, committee, title=f"党小组会{i}") for i in range(3)]
    clock.shift(timedelta(minutes=30))
    manager = login(committee)
    for event in events[:2]:
        assert (
            manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code == 302
        )
    third = manager.post(
        f"/events/{events[2].id}/close", data={"confirmed": "yes"}, follow_redirects=True
    )
    assert "has already closed 2 events today" in text(third)
    assert db.session.get(Event, events[2].id).closed_at is None
    clock.shift(timedelta(days=1))
    manager = login(committee)  # a committee session ends after hours idle
    assert (
        manager.post(f"/events/{events[2].id}/close", data={"confirmed": "yes"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Event, events[2].id).closed_at is not None
    assert totals.differences(db.session) == []


SEATS, CROWD = 3, 20


def test_twenty_members_checking_in_at_once_fill_three_seats(clock, app, db, make, committee):
    people = [make.member(committee.branch).id for _ in range(CROWD)]
    event = new_event(db, make, committee, capacity=SEATS)
    code, event_id = codes.code_for(event, FROZEN_NOW), event.id
    barrier = threading.Barrier(CROWD, timeout=60)
    outcomes: list[str] = []

    def check_in(person_id: int) -> None:
        with app.app_context():
            session = _db.session
            try:
                # The pool holds 15 connections: nobody takes one before the start.
                barrier.wait()
                ev = session.get(Event, event_id)
                person = session.get(User, person_id)
                now = datetime.now(FROZEN_NOW.tzinfo)
                result = attendance.check_in(session, person, ev, code, now)
                session.commit()
                outcomes.append("in" if result.new else "again")
            except Exception as error:  # noqa: BLE001 - every outcome is counted below
                session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                session.remove()

    threads = [threading.Thread(target=check_in, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["Conflict"] * (CROWD - SEATS) + ["in"] * SEATS
    db.session.expire_all()
    count = select(func.count()).where(Attendance.event_id == event_id)
    assert db.session.scalar(count) == SEATS
    assert totals.differences(db.session) == []


def test_a_member_back_from_leave_takes_a_seat_only_if_one_is_left(clock, db, make, committee):
    on_leave, first, late = (make.member(committee.branch) for _ in range(3))
    event = new_event(db, make, committee, start=timedelta(minutes=20), capacity=1)
    attendance.request_leave(db.session, on_leave, event, "实习", FROZEN_NOW)
    attendance.request_leave(db.session, late, event, "实习", FROZEN_NOW)
    db.session.commit()
    code = codes.code_for(event, FROZEN_NOW)
    assert attendance.check_in(db.session, on_leave, event, code, FROZEN_NOW).new
    with pytest.raises(Conflict, match="The event is full."):
        attendance.check_in(db.session, first, event, code, FROZEN_NOW)
    with pytest.raises(Conflict, match="The event is full."):
        attendance.check_in(db.session, late, event, code, FROZEN_NOW)
    # The committee is not stopped by capacity.
    assert attendance.mark_present(db.session, committee, event, late, FROZEN_NOW).new
    db.session.commit()
    seated = select(func.count()).where(
        Attendance.event_id == event.id, Attendance.status.in_(ATTENDED)
    )
    assert db.session.scalar(seated) == 2
    assert totals.differences(db.session) == []
