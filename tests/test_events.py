"""Events: creation, check-in by code and QR, windows, rotating codes, leave, closing."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import segno
from sqlalchemy import func, select

from tracker.events import attendance, closing, codes, planning, rates
from tracker.events.planning import EventInput
from tracker.ledger import totals
from tracker.models import (
    Activity,
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    Event,
    LedgerEntry,
    Notification,
)

from .conftest import FROZEN_NOW


def new_event(db, make, committee, *, start=timedelta(minutes=30), **overrides) -> Event:
    """An event of the committee's branch starting ``start`` after the frozen noon.

    Check-in opens 30 minutes before the start and closes 30 minutes after.
    """
    values = {
        "title": "主题党日：重温入党誓词",
        "category": make.category("meeting"),
        "place": "学生活动中心 201",
        "starts_at": FROZEN_NOW + start,
        "ends_at": FROZEN_NOW + start + timedelta(minutes=90),
        **overrides,
    }
    event = planning.create_event(db.session, committee, EventInput(**values), FROZEN_NOW)
    db.session.commit()
    return event


@pytest.fixture
def login(english_login):
    return english_login


def code_now(event: Event) -> str:
    return codes.code_for(event, datetime.now(FROZEN_NOW.tzinfo))


def check_in(client, event, code):
    return client.post(f"/events/{event.id}/checkin", data={"code": code})


def attendances(db, event) -> list[Attendance]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attendance).where(Attendance.event_id == event.id)))


def test_committee_creates_event_for_the_branch_and_members_are_told(
    clock, db, make, branch, committee, member, login
):
    outsider = make.member()
    response = login(committee).post(
        "/events/new",
        data={
            "title": "支部党员大会",
            "category_id": make.category("meeting").id,
            "place": "图书馆报告厅",
            "day": "2026-11-26",
            "start": "19:00",
            "end": "20:30",
            "opens_before": "30",
            "closes_after": "30",
            "mandatory": "y",
        },
    )
    assert response.status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert event.branch_ids == {branch.id}
    assert event.points == Decimal(2)  # the meeting rule: 2 points an attendance
    assert event.starts_at == datetime(2026, 11, 26, 11, 0, tzinfo=FROZEN_NOW.tzinfo)
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "event_created")
    )
    assert set(told) == {member.id}
    client = login(member)
    assert "支部党员大会" in client.get("/").get_data(as_text=True)
    assert "支部党员大会" in client.get("/events/").get_data(as_text=True)
    assert "支部党员大会" not in login(outsider).get("/events/").get_data(as_text=True)
    assert login(outsider).get(f"/events/{event.id}").status_code == 404


def test_event_bad_input_and_members_refused(clock, db, make, committee, member, login):
    data = {
        "title": "支委会",
        "category_id": make.category("meeting").id,
        "day": "2026-11-26",
        "start": "19:00",
        "end": "18:00",
        "opens_before": "30",
        "closes_after": "30",
    }
    form = login(committee).get("/events/new").get_data(as_text=True)
    assert 'value="2026-11-25"' in form and 'name="branch_ids"' not in form
    refused = login(committee).post("/events/new", data=data)
    assert refused.status_code == 200
    assert "The end must come after the start." in refused.get_data(as_text=True)
    assert login(member).post("/events/new", data={**data, "end": "20:00"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_check_in_only_in_the_window_and_once(clock, db, make, committee, member, login):
    event = new_event(db, make, committee, start=timedelta(minutes=45))  # opens 12:15
    client = login(member)
    early = check_in(client, event, code_now(event))
    assert "Check-in has not opened yet." in early.get_data(as_text=True)
    clock.shift(timedelta(minutes=20))
    first = check_in(client, event, code_now(event))
    assert first.status_code == 302
    again = client.post(f"/events/{event.id}/checkin", data={"code": code_now(event)})
    assert again.status_code == 302
    assert "already checked in" in client.get(again.location).get_data(as_text=True)
    assert [a.status for a in attendances(db, event)] == [AttendanceStatus.CHECKED_IN]
    clock.shift(timedelta(hours=1))  # 13:35, closed at 13:15
    late = check_in(login(make.member(committee.branch)), event, code_now(event))
    assert "Check-in has closed." in late.get_data(as_text=True)
    assert len(attendances(db, event)) == 1


def test_wrong_code_another_events_code_and_another_branch_refused(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee)
    other = new_event(db, make, committee, title="党小组会")
    foreign = new_event(db, make, make.committee())
    client = login(member)
    wrong = check_in(client, event, "ZZZZZZ")
    assert "Wrong or expired code." in wrong.get_data(as_text=True)
    crossed = check_in(client, event, code_now(other))
    assert "This code belongs to another event." in crossed.get_data(as_text=True)
    by_code = client.post("/events/checkin", data={"code": code_now(foreign)})
    assert "This code belongs to an event of another branch." in by_code.get_data(as_text=True)
    assert client.post(f"/events/{foreign.id}/checkin", data={"code": "X"}).status_code == 404
    assert attendances(db, event) == [] and attendances(db, foreign) == []
    # The short code alone finds the member's own event.
    assert client.post("/events/checkin", data={"code": code_now(event).lower()}).status_code == 302
    assert len(attendances(db, event)) == 1


def test_rotating_code_changes_every_minute_and_the_previous_one_still_counts(
    clock, db, make, committee, login
):
    event = new_event(db, make, committee, rotating=True)
    first = code_now(event)
    clock.shift(timedelta(seconds=60))
    assert code_now(event) != first
    assert check_in(login(make.member(committee.branch)), event, first).status_code == 302
    clock.shift(timedelta(seconds=60))
    stale = check_in(login(make.member(committee.branch)), event, first)
    assert "Wrong or expired code." in stale.get_data(as_text=True)
    assert len(attendances(db, event)) == 1


def test_rotating_the_secret_retires_the_code(clock, db, make, committee, member, login):
    event = new_event(db, make, committee)
    old = code_now(event)
    assert (
        login(committee).post(f"/events/{event.id}/rotate", data={"confirmed": "yes"}).status_code
        == 302
    )
    db.session.refresh(event)
    assert code_now(event) != old
    assert "Wrong or expired code." in check_in(login(member), event, old).get_data(as_text=True)
    assert (
        login(member).post(f"/events/{event.id}/rotate", data={"confirmed": "yes"}).status_code
        == 403
    )


def test_capacity_is_respected(clock, db, make, committee, login):
    event = new_event(db, make, committee, capacity=1)
    assert check_in(login(make.member(committee.branch)), event, code_now(event)).status_code == 302
    full = check_in(login(make.member(committee.branch)), event, code_now(event))
    assert "The event is full." in full.get_data(as_text=True)
    assert len(attendances(db, event)) == 1


def svg_dark_modules(svg: str, border: int = 4) -> set[tuple[int, int]]:
    """Read back the dark modules of segno's SVG path (M/m moves, h runs)."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for op, a, b in re.findall(r"([MmHh])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            run = float(a)
            row = int(y - 0.5) - border
            dark.update((row, int(x) - border + i) for i in range(int(run)))
            x += run
    return dark


def test_qr_code_decodes_to_the_check_in_url(clock, db, make, committee, login):
    event = new_event(db, make, committee)
    page = login(committee).get(f"/events/{event.id}/code").get_data(as_text=True)
    expected = f"http://localhost/events/{event.id}/checkin?code={code_now(event)}"
    assert f'data-url="{expected}"' in page
    assert code_now(event) in page
    qr = segno.make(expected, error="m")
    matrix = {(r, c) for r, row in enumerate(qr.matrix) for c, v in enumerate(row) if v}
    assert svg_dark_modules(page[page.index("<svg") :]) == matrix
    # The QR's link opens the check-in page with the code filled in.
    member_page = login(make.member(committee.branch)).get(
        expected.removeprefix("http://localhost")
    )
    assert f'value="{code_now(event)}"' in member_page.get_data(as_text=True)


@pytest.mark.config(TRACKER_BASE_URL="http://192.168.1.20:5000/")
def test_qr_code_points_at_the_base_url_a_phone_can_reach(clock, db, make, committee, login):
    """The committee projects the page from 127.0.0.1; a phone on the Wi-Fi scans it."""
    event = new_event(db, make, committee)
    page = login(committee).get(f"/events/{event.id}/code").get_data(as_text=True)
    expected = f"http://192.168.1.20:5000/events/{event.id}/checkin?code={code_now(event)}"
    assert f'data-url="{expected}"' in page
    qr = segno.make(expected, error="m")
    matrix = {(r, c) for r, row in enumerate(qr.matrix) for c, v in enumerate(row) if v}
    assert svg_dark_modules(page[page.index("<svg") :]) == matrix


def test_code_screen_is_for_the_committee_only(clock, db, make, committee, member, login):
    event = new_event(db, make, committee)
    assert login(member).get(f"/events/{event.id}/code").status_code == 403
    assert login(make.committee()).get(f"/events/{event.id}/code").status_code == 404


def test_leave_asked_beforehand_and_approved_by_the_committee(
    clock, db, make, committee, member, login
):
    event = new_event(db, make, committee, start=timedelta(hours=2))
    client = login(member)
    assert client.post(f"/events/{event.id}/leave", data={"reason": ""}).status_code == 302
    assert attendances(db, event) == []
    client.post(f"/events/{event.id}/leave", data={"reason": "参加学院学术报告"})
    (record,) = attendances(db, event)
    assert record.status == AttendanceStatus.LEAVE_REQUESTED
    other = login(make.committee())
    assert other.post(f"/events/{event.id}/leave/{record.id}/approve").status_code == 404
    assert client.post(f"/events/{event.id}/leave/{record.id}/approve").status_code == 403
    assert login(committee).post(f"/events/{event.id}/leave/{record.id}/approve").status_code == 302
    assert attendances(db, event)[0].status == AttendanceStatus.ON_LEAVE
    assert db.session.scalars(select(Notification.kind).where(Notification.user_id == member.id))
    kinds = set(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == member.id))
    )
    assert "leave_approved" in kinds
    clock.shift(timedelta(hours=3))
    late = client.post(f"/events/{event.id}/leave", data={"reason": "又有事"})
    assert late.status_code == 302
    assert attendances(db, event)[0].status == AttendanceStatus.ON_LEAVE


def test_closing_books_each_attendee_once_through_the_ledger(
    clock, db, make, committee, member, login
):
    late_comer = make.member(committee.branch)
    absent = make.member(committee.branch)
    event = new_event(db, make, committee, start=timedelta(minutes=10), points=Decimal("1.5"))
    check_in(login(member), event, code_now(event))
    manager = login(committee)
    assert manager.post(f"/events/{event.id}/present/{late_comer.id}").status_code == 302
    assert manager.post(f"/events/{event.id}/present/{make.member().id}").status_code == 404
    sheet = manager.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'data-member="{member.id}" data-status="checked_in"' in sheet
    assert f'data-member="{late_comer.id}" data-status="present"' in sheet
    assert f'data-member="{absent.id}"' in sheet.split('id="absent"')[1]
    early = manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"})
    assert early.status_code == 302 and attendances(db, event)[0].event.closed_at is None
    clock.shift(timedelta(minutes=30))
    assert (
        login(member).post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code
        == 403
    )
    assert manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    awards = db.session.execute(select(LedgerEntry.user_id, LedgerEntry.points)).all()
    assert awards == [(member.id, Decimal("1.5"))]
    entries = db.session.scalars(select(Activity).where(Activity.event_id == event.id)).all()
    # The late comer, marked by hand, waits for a second person.
    statuses = {a.user_id: a.status for a in entries}
    assert statuses == {member.id: ActivityStatus.APPROVED, late_comer.id: ActivityStatus.PENDING}
    again = manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"})
    assert "already closed" in manager.get(again.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert totals.differences(db.session) == []
    closed = check_in(login(absent), event, code_now(event))
    assert "This event is closed." in closed.get_data(as_text=True)
    points_note = db.session.scalars(
        select(Notification).where(
            Notification.user_id == member.id, Notification.kind == "event_points"
        )
    ).one()
    assert points_note.params["points"] == "1.5"
    # The booked activity is not the member's to edit or withdraw.
    booked = next(a for a in entries if a.user_id == member.id)
    assert login(member).get(f"/activities/{booked.id}/edit").status_code == 302


def test_attendance_rates_per_member_and_branch(clock, db, make, committee, member):
    on_leave = make.member(committee.branch)
    first = new_event(db, make, committee, start=timedelta(minutes=10), mandatory=True)
    second = new_event(db, make, committee, start=timedelta(hours=1), title="党课", mandatory=True)
    optional = new_event(db, make, committee, start=timedelta(minutes=20), title="红色观影")
    attendance.request_leave(db.session, on_leave, second, "实习", FROZEN_NOW)
    db.session.commit()
    leave = attendances(db, second)[0]
    attendance.approve_leave(db.session, committee, leave, FROZEN_NOW)
    clock.shift(timedelta(hours=1))
    now = datetime.now(FROZEN_NOW.tzinfo)
    attendance.mark_present(db.session, committee, first, member, now)
    attendance.mark_present(db.session, committee, first, committee, now)
    attendance.mark_present(db.session, committee, second, member, now)
    closing.close_event(db.session, committee, first, now)
    closing.close_event(db.session, committee, second, now)
    closing.close_event(db.session, committee, optional, now)  # nobody came: no effect
    db.session.commit()
    day = date(2026, 11, 25)
    by_member = rates.attendance_rates(db.session, committee.branch_id, day, day + timedelta(1))
    assert (by_member[member.id].attended, by_member[member.id].expected) == (2, 2)
    assert (by_member[committee.id].attended, by_member[committee.id].expected) == (1, 2)
    assert (by_member[on_leave.id].attended, by_member[on_leave.id].expected) == (0, 1)
    assert by_member[committee.id].rate == Decimal("0.5")
    branch = rates.branch_rate(db.session, committee.branch_id, day, day + timedelta(1))
    assert (branch.attended, branch.expected) == (3, 5)
    nothing = rates.attendance_rates(
        db.session, committee.branch_id, day + timedelta(1), day + timedelta(2)
    )
    assert nothing[member.id].rate is None


def test_notify_upcoming_reminds_once(clock, app, db, make, committee, member):
    soon = new_event(db, make, committee, start=timedelta(minutes=40))
    new_event(db, make, committee, start=timedelta(hours=5), title="later")
    runner = app.test_cli_runner()
    assert "1 event" in runner.invoke(args=["notify-upcoming", "--within", "60"]).output
    assert "0 event" in runner.invoke(args=["notify-upcoming", "--within", "60"]).output
    reminders = db.session.scalars(
        select(Notification).where(Notification.kind == "event_soon")
    ).all()
    assert {n.user_id for n in reminders} == {member.id, committee.id}
    assert {n.params["event_id"] for n in reminders} == {soon.id}


THREADS = 6


def _race(app, work, count: int) -> list[str]:
    """Run ``work(session, i)`` in ``count`` threads released at the same moment."""
    import threading

    from tracker.errors import DomainError
    from tracker.extensions import db as _db

    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run(i: int) -> None:
        with app.app_context():
            session = _db.session
            try:
                prepared = work(session, i)
                barrier.wait()
                outcomes.append(prepared())
                session.commit()
            except DomainError as error:
                session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


# Concurrent writers need PostgreSQL: SQLite allows one writer at a time.
@pytest.mark.postgres_only
def test_checking_one_member_in_from_several_places_at_once_books_one_award(
    clock, app, db, make, committee, member
):
    helpers = [make.committee(committee.branch).id for _ in range(THREADS - 1)]
    event = new_event(db, make, committee, start=timedelta(minutes=10))
    code = code_now(event)
    event_id, member_id = event.id, member.id

    def work(session, i):
        from tracker.models import User

        ev = session.get(Event, event_id)
        person = session.get(User, member_id)
        now = datetime.now(FROZEN_NOW.tzinfo)
        if i == 0:
            return lambda: (
                "new" if attendance.check_in(session, person, ev, code, now).new else "old"
            )
        helper = session.get(User, helpers[i - 1])
        return lambda: (
            "new" if attendance.mark_present(session, helper, ev, person, now).new else "old"
        )

    outcomes = _race(app, work, THREADS)
    assert sorted(outcomes) == ["new"] + ["old"] * (THREADS - 1)
    assert len(attendances(db, event)) == 1

    clock.shift(timedelta(minutes=30))
    closers = [committee.id, *helpers]

    def close(session, i):
        from tracker.models import User

        ev = session.get(Event, event_id)
        manager = session.get(User, closers[i])
        now = datetime.now(FROZEN_NOW.tzinfo)
        return lambda: str(sum(vars(closing.close_event(session, manager, ev, now)).values()))

    outcomes = _race(app, close, THREADS)
    assert sorted(outcomes) == ["1"] + ["Conflict"] * (THREADS - 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Activity.event_id == event_id)) == 1
    # Checked in with the code, it is booked; marked by hand, it waits for a second person.
    (record,) = attendances(db, event)
    booked = 1 if record.status == AttendanceStatus.CHECKED_IN else 0
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == booked
    assert totals.differences(db.session) == []


# Concurrent writers need PostgreSQL: SQLite allows one writer at a time.
@pytest.mark.postgres_only
def test_capacity_holds_when_members_check_in_at_once(clock, app, db, make, committee):
    people = [make.member(committee.branch).id for _ in range(THREADS)]
    event = new_event(db, make, committee, capacity=2)
    code, event_id = code_now(event), event.id

    def work(session, i):
        from tracker.models import User

        ev = session.get(Event, event_id)
        person = session.get(User, people[i])
        now = datetime.now(FROZEN_NOW.tzinfo)
        return lambda: "in" if attendance.check_in(session, person, ev, code, now).new else "old"

    outcomes = _race(app, work, THREADS)
    assert sorted(outcomes) == ["Conflict"] * (THREADS - 2) + ["in", "in"]
    assert len(attendances(db, event)) == 2


def test_admin_creates_one_event_for_several_branches(clock, db, make, login):
    from tracker.models import Role

    first, second, third = make.branch(), make.branch(), make.branch()
    admin = make.user(Role.ADMIN)
    members = [make.member(first), make.member(second), make.member(third)]
    data = {
        "title": "学院主题党日",
        "category_id": make.category("meeting").id,
        "day": "2026-11-26",
        "start": "14:00",
        "end": "16:00",
        "opens_before": "30",
        "closes_after": "30",
        "points": "1.5",
    }
    none = login(admin).post("/events/new", data=data)
    assert "Choose at least one branch." in none.get_data(as_text=True)
    response = login(admin).post("/events/new", data={**data, "branch_ids": [first.id, second.id]})
    assert response.status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert event.branch_ids == {first.id, second.id} and event.points == Decimal("1.5")
    told = set(db.session.scalars(select(Notification.user_id)))
    assert told == {members[0].id, members[1].id}
    assert login(make.committee(second)).get(f"/events/{event.id}/code").status_code == 200
    assert login(make.committee(third)).get(f"/events/{event.id}/code").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


# Concurrent writers need PostgreSQL: SQLite allows one writer at a time.
@pytest.mark.postgres_only
def test_check_ins_racing_the_close_are_booked_or_refused(clock, app, db, make, committee):
    people = [make.member(committee.branch).id for _ in range(THREADS - 1)]
    event = new_event(db, make, committee, start=timedelta(minutes=-10))
    code, event_id, committee_id = code_now(event), event.id, committee.id

    def work(session, i):
        from tracker.models import User

        ev = session.get(Event, event_id)
        now = datetime.now(FROZEN_NOW.tzinfo)
        if i == 0:
            manager = session.get(User, committee_id)
            return lambda: f"closed {closing.close_event(session, manager, ev, now).booked}"
        person = session.get(User, people[i - 1])
        return lambda: "in" if attendance.check_in(session, person, ev, code, now).new else "old"

    outcomes = _race(app, work, THREADS)
    assert len(outcomes) == THREADS
    checked_in = outcomes.count("in")
    assert f"closed {checked_in}" in outcomes
    assert outcomes.count("Conflict") == THREADS - 1 - checked_in
    db.session.expire_all()
    booked = db.session.scalar(select(func.count()).where(Activity.event_id == event_id))
    assert booked == checked_in == len(attendances(db, event))


def test_closing_asks_first_names_the_absentees_and_they_then_read_absent(
    clock, db, make, committee, member, login
):
    absent = make.member(committee.branch)
    asked_leave = make.member(committee.branch)
    on_leave = make.member(committee.branch)
    event = new_event(db, make, committee, start=timedelta(minutes=10))
    for who in (asked_leave, on_leave):
        attendance.request_leave(db.session, who, event, "实习", FROZEN_NOW)
    db.session.commit()
    attendance.approve_leave(db.session, committee, attendances(db, event)[1], FROZEN_NOW)
    db.session.commit()
    clock.shift(timedelta(minutes=11))
    check_in(login(member), event, code_now(event))
    manager = login(committee)
    # A minute after the start, one tap only asks: the event goes on, and who is absent.
    asked = manager.post(f"/events/{event.id}/close")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-step"' in page
    assert "has not ended yet" in page and "marked absent" in page
    names = page.split('id="confirm-names"')[1].split("</ul>")[0]
    for who in (absent, asked_leave, committee):
        assert who.student_no in names
    for who in (member, on_leave):
        assert who.student_no not in names
    assert 'name="confirmed" value="yes"' in page
    assert attendances(db, event)[0].event.closed_at is None
    assert manager.post(f"/events/{event.id}/close", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).closed_at is not None
    sheet = manager.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Not checked in" not in sheet and 'id="absent-heading">Absent<' in sheet
    assert f'data-member="{absent.id}"' in sheet.split('id="absent"')[1]
    requested = sheet.split(f'data-member="{asked_leave.id}"')[1].split("</li>")[0]
    assert "absent" in requested and "asked for leave" not in requested
    own = login(absent)
    mine = own.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'data-status="absent"' in mine and "<strong>absent</strong>" in mine
    listed = own.get("/events/").get_data(as_text=True)
    assert f'data-event="{event.id}"' in listed and 'data-my-attendance="absent"' in listed
    came = login(member).get("/events/").get_data(as_text=True)
    assert 'data-my-attendance="checked_in"' in came


def test_a_new_check_in_code_is_made_only_once_confirmed(clock, db, make, committee, login):
    event = new_event(db, make, committee)
    manager = login(committee)
    secret = event.secret
    asked = manager.post(f"/events/{event.id}/rotate")
    assert asked.status_code == 200 and "stops working" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).secret == secret
