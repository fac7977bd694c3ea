"""Joins between features: upcoming events on the branch dashboard, attendance
rates on the branch leaderboard, term administration, demo terms."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.devtools import demo
from tracker.events import attendance, closing, planning, rates
from tracker.events.planning import EventInput
from tracker.ledger import points, terms
from tracker.models import AdvisorScope, Attendance, AuditEvent, Event, Role, Term
from tracker.people.scope import Scope
from tracker.periods import standard_period
from tracker.ranking.branches import branch_leaderboard
from tracker.ranking.members import member_points

from .conftest import FROZEN_NOW


def new_event(db, make, committee, *, start=timedelta(days=1), **overrides) -> Event:
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


def test_branch_dashboard_lists_upcoming_events_of_its_branch(db, make, login, clock):
    branch, other = make.branch(), make.branch()
    committee, stranger = make.committee(branch), make.committee(other)
    ours = new_event(db, make, committee, title="三会一课：支部党员大会")
    new_event(db, make, stranger, title="别的支部的活动")
    page = login(committee).get("/dashboard/branch").get_data(as_text=True)
    upcoming = page.split('id="home-events"')[1]
    assert "三会一课：支部党员大会" in upcoming and f'href="/events/{ours.id}"' in upcoming
    assert "别的支部的活动" not in page


def test_branch_dashboard_without_events_says_so(make, login, clock):
    page = login(make.committee(make.branch())).get("/dashboard/branch").get_data(as_text=True)
    assert 'id="home-events"' not in page
    assert "暂无即将开始的活动。" in page or "No upcoming events." in page


def held_events(db, make, clock):
    """Branch A holds a closed must-attend event: one member on approved leave, one
    present, the committee member absent (1 of 2). Branch B holds only an optional
    event but has more points. Returns (branch A, branch B)."""
    a, b = make.branch(name="甲支部"), make.branch(name="乙支部")
    a_committee, b_committee = make.committee(a), make.committee(b)
    away, present = make.member(a), make.member(a)
    b_member = make.member(b)
    must = new_event(db, make, a_committee, start=timedelta(minutes=10), mandatory=True)
    optional = new_event(db, make, b_committee, start=timedelta(minutes=10), title="红色观影")
    attendance.request_leave(db.session, away, must, "实习", FROZEN_NOW)
    db.session.commit()
    leave = db.session.scalars(select(Attendance).where(Attendance.event_id == must.id)).one()
    attendance.approve_leave(db.session, a_committee, leave, FROZEN_NOW)
    clock.shift(timedelta(hours=1))
    now = datetime.now(UTC)
    attendance.mark_present(db.session, a_committee, must, present, now)
    attendance.mark_present(db.session, b_committee, optional, b_member, now)
    closing.close_event(db.session, a_committee, must, now)
    closing.close_event(db.session, b_committee, optional, now)
    activity = make.activity(b_member, "volunteer", quantity=5, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, activity, b_committee, now)
    db.session.commit()
    return a, b


def test_branch_rates_agree_with_the_per_member_rates(db, make, clock):
    a, b = held_events(db, make, clock)
    period = standard_period("month", date(2026, 11, 25))
    by_branch = rates.branch_rates(db.session, period, Scope("school"))
    assert by_branch == {a.id: rates.branch_rate(db.session, a.id, period.start, period.end)}
    assert (by_branch[a.id].attended, by_branch[a.id].expected) == (1, 2)
    assert b.id not in by_branch  # only an optional event: no rate at all
    december = standard_period("month", date(2026, 12, 1))
    assert rates.branch_rates(db.session, december, Scope("school")) == {}


def test_branch_leaderboard_shows_and_sorts_by_attendance(db, make, login, clock):
    a, b = held_events(db, make, clock)
    client = login(make.user(Role.ADMIN))
    page = client.get("/leaderboard/branches?period=month&scope=school").get_data(as_text=True)
    rows = page.split('id="branch-leaderboard"')[1].split("<tbody>")[1].split("</tr>")
    assert "乙支部" in rows[0] and "甲支部" in rows[1]  # by total points
    assert re.search(r"data-attendance[^>]*>—<", rows[0])
    assert re.search(r"data-attendance[^>]*>50%<", rows[1])
    page = client.get("/leaderboard/branches?period=month&scope=school&sort=attendance")
    rows = page.get_data(as_text=True).split("<tbody>")[1].split("</tr>")
    assert "甲支部" in rows[0] and "乙支部" in rows[1]  # no rate sorts last, not as 0%
    standings = branch_leaderboard(
        db.session,
        standard_period("month", date(2026, 11, 25)),
        Scope("school"),
        sort="attendance",
    )
    assert [(s.branch_id, s.attendance) for s in standings] == [(a.id, Decimal(50)), (b.id, None)]
    assert client.get("/leaderboard/branches?sort=attendance_rate").status_code == 400


def test_branch_export_carries_the_attendance_rate(db, make, login, clock):
    held_events(db, make, clock)
    client = login(make.user(Role.ADMIN))
    query = "period=month&scope=school&sort=attendance"
    body = client.get(f"/export/branches.csv?{query}").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert len(table[0]) == 9
    assert (table[1][1], table[1][8]) == ("甲支部", "50.0")
    assert (table[2][1], table[2][8]) == ("乙支部", "")
    response = client.get(f"/export/branches.xlsx?{query}")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    # A title row above the header in the XLSX.
    assert sheet[2][8] == 50.0 and sheet[3][8] is None


def test_advisor_dashboard_shows_attendance_only_for_the_assigned_branches(db, make, login, clock):
    a, b = held_events(db, make, clock)
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=b.id))
    db.session.commit()
    page = login(advisor).get("/dashboard/advisor?period=month").get_data(as_text=True)
    table = page.split('id="advisor-branches"')[1].split("</table>")[0]
    assert "乙支部" in table and re.search(r"data-attendance[^>]*>—<", table)
    assert "甲支部" not in table and not re.search(r"data-attendance[^>]*>50%", table)
    member = make.member(a)
    assert login(member).get("/dashboard/advisor").status_code == 403


@pytest.fixture
def admin_client(db, make, login, clock):
    admin = make.user(Role.ADMIN)
    admin.locale = "en"  # messages are asserted in English
    db.session.commit()
    return login(admin)


def term_form(name, first, last):
    return {"name": name, "first_day": first, "last_day": last}


def test_admin_adds_and_changes_terms_and_term_totals_follow(db, make, admin_client):
    branch = make.branch()
    reviewer, member = make.committee(branch), make.member(branch)
    activity = make.activity(member, "volunteer", quantity=2, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, activity, reviewer, FROZEN_NOW)
    db.session.commit()
    assert 'href="/admin/terms"' in admin_client.get("/admin/").get_data(as_text=True)
    page = admin_client.get("/admin/terms").get_data(as_text=True)
    assert "No terms yet." in page and "rebuilds the stored term totals" in page
    response = admin_client.post(
        "/admin/terms", data=term_form("2026秋季学期", "2026-09-01", "2027-01-17")
    )
    assert response.status_code == 302
    term = db.session.scalars(select(Term)).one()
    period = terms.term_period(term)
    assert member_points(db.session, member.id, period) == Decimal(4)
    response = admin_client.post(
        f"/admin/terms/{term.id}", data=term_form("2026秋季学期", "2026-09-01", "2026-11-20")
    )
    assert response.status_code == 302
    db.session.refresh(term)
    assert term.last_day == date(2026, 11, 20)
    period = terms.term_period(term)
    assert member_points(db.session, member.id, period) == Decimal(0)
    assert "2026秋季学期" in admin_client.get("/admin/terms").get_data(as_text=True)
    audited = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("term.%")).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in audited] == ["term.created", "term.changed"]
    assert all(e.actor_id is not None and e.target_id == term.id for e in audited)
    assert "2026-11-20" in audited[1].details["after"]


def test_overlapping_term_is_refused_next_to_the_field(db, admin_client):
    terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))
    spring = terms.create_term(db.session, "2027春季学期", date(2027, 2, 20), date(2027, 7, 1))
    db.session.commit()
    response = admin_client.post("/admin/terms", data=term_form("寒假", "2027-01-10", "2027-02-19"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page.split('name="first_day"')[1].split("</div>")[0]
    assert "overlaps 2026秋季学期" in field
    response = admin_client.post(
        f"/admin/terms/{spring.id}", data=term_form("2027春季学期", "2027-01-01", "2027-07-01")
    )
    assert response.status_code == 422 and "overlaps 2026秋季学期" in response.get_data(
        as_text=True
    )
    response = admin_client.post(
        f"/admin/terms/{spring.id}", data=term_form("2027春季学期", "2027-07-01", "2027-02-20")
    )
    field = response.get_data(as_text=True).split('name="last_day"')[1].split("</div>")[0]
    assert "cannot end before it starts" in field
    db.session.expire_all()
    assert db.session.get(Term, spring.id).first_day == date(2027, 2, 20)
    assert db.session.scalar(select(func.count()).select_from(Term)) == 2
    assert admin_client.get("/admin/terms/9999").status_code == 404
    assert admin_client.post("/admin/terms", data={}).status_code == 422


def test_only_admins_manage_terms(db, make, login, clock):
    term = terms.create_term(db.session, "2026秋季学期", date(2026, 9, 1), date(2027, 1, 17))
    db.session.commit()
    for role in (Role.MEMBER, Role.COMMITTEE, Role.ADVISOR):
        client = login(make.user(role))
        assert client.get("/admin/terms").status_code == 403
        assert client.get(f"/admin/terms/{term.id}").status_code == 403
        posted = client.post("/admin/terms", data=term_form("X", "2027-03-01", "2027-04-01"))
        assert posted.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Term)) == 1


@pytest.mark.parametrize(
    "today",
    [date(2026, 12, 1), date(2027, 1, 31), date(2027, 2, 1), date(2027, 7, 31), date(2026, 8, 1)],
)
def test_demo_defines_the_current_and_the_previous_term(today):
    (_, first, last), (_, start, end) = demo.demo_terms(today)
    assert start <= today <= end  # the current term holds the seeding day
    assert first < last < start and start - last == timedelta(days=1)


def test_demo_terms_are_named_by_academic_year():
    assert [name for name, _, _ in demo.demo_terms(date(2025, 11, 20))] == [
        "2024-2025学年第二学期",
        "2025-2026学年第一学期",
    ]
    assert [name for name, _, _ in demo.demo_terms(date(2026, 3, 2))] == [
        "2025-2026学年第一学期",
        "2025-2026学年第二学期",
    ]
