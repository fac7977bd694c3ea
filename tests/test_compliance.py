"""三会一课 compliance: held, due, overdue and held without quorum, across period edges."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tracker.clock import utcnow
from tracker.events import compliance
from tracker.models import (
    AdvisorScope,
    Attendance,
    AttendanceStatus,
    AuditEvent,
    Event,
    Notification,
    PartyGroup,
    Role,
    User,
    party_group_member,
)

from .conftest import FROZEN_NOW

ON = FROZEN_NOW.date()  # Wednesday 25 November 2026


def held(db, make, branch, kind: str, at: datetime, *, present=(), group=None) -> Event:
    """A meeting of ``kind`` that began at ``at`` (UTC) and lasted an hour."""
    organiser = db.session.scalars(
        select(User).where(User.branch_id == branch.id, User.role == Role.COMMITTEE)
    ).first() or make.committee(branch)
    event = Event(
        title=f"{kind} meeting",
        category_id=make.category("meeting").id,
        starts_at=at,
        ends_at=at + timedelta(hours=1),
        checkin_opens_at=at - timedelta(minutes=30),
        checkin_closes_at=at + timedelta(minutes=30),
        points=0,
        created_by_id=organiser.id,
        kind=kind,
        group_id=group.id if group else None,
        branches=[branch],
    )
    db.session.add(event)
    db.session.flush()
    for person in present:
        db.session.add(
            Attendance(event_id=event.id, user_id=person.id, status=AttendanceStatus.PRESENT)
        )
    db.session.commit()
    return event


def cells(db, branch, period="quarter", on=ON) -> dict[str, compliance.Cell]:
    grid = compliance.compliance_grid(db.session, [branch], period, on, utcnow())
    return {c.kind: c for c in grid.rows[0].cells}


def shanghai(y, m, d, hour, minute=0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_states_across_months_quarters_and_the_campus_day(clock, db, make, branch, committee):
    # The committee met in October with both its members, not yet in November: due.
    second = make.committee(branch)
    october = held(
        db, make, branch, "committee", shanghai(2026, 10, 10, 14), present=[committee, second]
    )
    # A general meeting in November that only the committee attended: held without quorum.
    for _ in range(3):
        make.member(branch)
    held(db, make, branch, "congress", shanghai(2026, 11, 5, 14), present=[committee])
    # Theme days on 31 October at 23:30 and 1 November at 00:30 campus time: one per month.
    held(db, make, branch, "theme_day", shanghai(2026, 10, 31, 23, 30))
    held(db, make, branch, "theme_day", shanghai(2026, 11, 1, 0, 30))
    # A lecture planned for Saturday has not been held.
    held(db, make, branch, "lecture", shanghai(2026, 11, 28, 14))

    found = cells(db, branch)
    assert found["committee"].state == compliance.State.DUE
    assert (found["committee"].held, found["committee"].required) == (1, 2)
    assert found["committee"].due_by == date(2026, 11, 30)
    assert october in found["committee"].events
    assert found["congress"].state == compliance.State.NO_QUORUM
    assert found["theme_day"].state == compliance.State.HELD
    assert (found["theme_day"].held, found["theme_day"].required) == (2, 2)
    assert found["lecture"].state == compliance.State.DUE
    assert found["group"].state == compliance.State.NOT_REQUIRED  # the branch has no groups
    assert found["life_meeting"].state == compliance.State.DUE  # the academic year runs on

    # October alone, asked on its last day and on the first of November.
    october_cells = cells(db, branch, "month", date(2026, 10, 31))
    assert october_cells["committee"].state == compliance.State.HELD
    assert cells(db, branch, "month", date(2026, 10, 31))["theme_day"].held == 1
    # November asked on its first day: the meeting at 00:30 already counts.
    assert cells(db, branch, "month", date(2026, 11, 1))["theme_day"].state == compliance.State.HELD
    # Looking back at a day in October: the November meetings had not happened.
    early = cells(db, branch, "quarter", date(2026, 10, 20))
    assert early["congress"].state == compliance.State.DUE
    assert early["theme_day"].held == 0

    # Once November is over without a committee meeting, the quarter shows it overdue.
    clock.move_to(datetime(2026, 12, 2, 4, 0, tzinfo=UTC))
    later = cells(db, branch, "quarter", date(2026, 12, 2))
    assert later["committee"].state == compliance.State.OVERDUE
    # A new quarter starts clean: January asks for its own meetings only.
    clock.move_to(datetime(2027, 1, 2, 4, 0, tzinfo=UTC))
    january = cells(db, branch, "quarter", date(2027, 1, 2))
    assert (january["committee"].held, january["committee"].required) == (0, 1)
    assert january["committee"].state == compliance.State.DUE


@pytest.mark.config(TRACKER_MEETING_FREQUENCIES="lecture=2/term")
def test_a_term_rule_uses_the_stored_term(clock, db, make, branch, login):
    from tracker.ledger import terms

    terms.create_term(db.session, "2026秋", date(2026, 9, 7), date(2027, 1, 17))
    db.session.commit()
    held(db, make, branch, "lecture", shanghai(2026, 9, 20, 14))
    lecture = cells(db, branch, "term")["lecture"]
    assert (lecture.state, lecture.held, lecture.required) == (compliance.State.DUE, 1, 2)
    assert lecture.due_by == date(2027, 1, 17)
    held(db, make, branch, "lecture", shanghai(2026, 11, 20, 14))
    assert cells(db, branch, "term")["lecture"].state == compliance.State.HELD
    # September's theme day on the 3rd, before the term began on the 7th, still
    # is September's: the month's rule period overlaps the term.
    held(db, make, branch, "theme_day", shanghai(2026, 9, 3, 14))
    theme = cells(db, branch, "term")["theme_day"]
    assert (theme.held, theme.required) == (1, 3)
    assert theme.due_by == date(2026, 10, 31)  # October's is the first still missing


def test_every_party_group_must_meet(clock, db, make, branch, committee):
    first, second = (
        PartyGroup(branch_id=branch.id, name="一组"),
        PartyGroup(branch_id=branch.id, name="二组"),
    )
    db.session.add_all([first, second])
    db.session.commit()
    member = make.member(branch)
    db.session.execute(party_group_member.insert().values(group_id=first.id, user_id=member.id))
    db.session.commit()
    held(db, make, branch, "group", shanghai(2026, 11, 3, 19), group=first)
    found = cells(db, branch, "month")
    assert found["group"].state == compliance.State.DUE
    assert found["group"].held == 0
    held(db, make, branch, "group", shanghai(2026, 11, 4, 19), group=second)
    assert cells(db, branch, "month")["group"].state == compliance.State.HELD


def test_pages_export_api_and_command(
    clock, app, db, make, branch, committee, member, english_login
):
    held(db, make, branch, "theme_day", shanghai(2026, 11, 3, 19))
    other = make.branch(name="第九党支部")
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    db.session.commit()

    dashboard = english_login(committee).get("/dashboard/branch").get_data(as_text=True)
    # This term (from 1 September, no term being stored) missed September's and October's.
    assert 'id="compliance"' in dashboard
    assert 'data-kind="theme_day" data-state="overdue"' in dashboard
    page = english_login(committee).get(f"/compliance/branch/{branch.id}?period=month")
    assert page.status_code == 200 and 'data-state="held"' in page.get_data(as_text=True)
    assert english_login(committee).get(f"/compliance/branch/{other.id}").status_code == 404
    assert english_login(member).get(f"/compliance/branch/{branch.id}").status_code == 404
    assert english_login(member).get("/compliance/").status_code == 403

    client = english_login(advisor)
    grid = client.get("/compliance/?period=month").get_data(as_text=True)
    assert branch.name in grid and other.name not in grid
    assert client.get(f"/compliance/branch/{other.id}").status_code == 404
    exported = client.get("/compliance/export.csv?period=month")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][1] == branch.name and "Held 1/1" in rows[1]
    assert client.get("/compliance/export.xlsx").status_code == 200
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).first()

    body = client.get("/api/v1/compliance?period=month").get_json()
    assert [r["branch"]["id"] for r in body["rows"]] == [branch.id]
    theme = next(c for c in body["rows"][0]["cells"] if c["kind"] == "theme_day")
    assert theme["state"] == "held" and len(theme["events"]) == 1
    assert english_login(member).get("/api/v1/compliance").status_code == 403
    own = english_login(committee).get(f"/api/v1/branches/{branch.id}/compliance?on=2026-11-02")
    assert own.status_code == 200
    assert (
        english_login(committee).get(f"/api/v1/branches/{other.id}/compliance").status_code == 404
    )
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/compliance" in spec["paths"] and "/branches/{branch_id}/compliance" in spec["paths"]

    output = (
        app.test_cli_runner()
        .invoke(args=["compliance", "--period", "month", "--on", "2026-11-25"])
        .output
    )
    assert "2026-11-01" in output and branch.name in output and "✓ 1/1" in output
    refused = app.test_cli_runner().invoke(args=["compliance", "--college", "没有的学院"])
    assert refused.exit_code != 0 and "没有的学院" in refused.output


@pytest.mark.config(TRACKER_COMPLIANCE_REMIND_DAYS=7)
def test_the_committee_is_reminded_once_before_a_meeting_falls_overdue(
    clock, app, db, make, branch, committee, member, english_login
):
    held(db, make, branch, "theme_day", shanghai(2026, 11, 3, 19))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notify-upcoming"]).output
    notes = db.session.scalars(select(Notification).where(Notification.kind == "meeting_due")).all()
    # November ends in five days: the 支委会 is still owed; the theme day was held; the
    # quarter's and year's meetings are further away than a week.
    assert {n.params["meeting"] for n in notes} == {"committee"}
    assert {n.user_id for n in notes} == {committee.id}
    assert "1 required meeting" in first
    runner.invoke(args=["notify-upcoming"])
    assert (
        len(
            db.session.scalars(select(Notification).where(Notification.kind == "meeting_due")).all()
        )
        == 1
    )
    page = english_login(committee).get("/notifications/").get_data(as_text=True)
    assert "Branch committee meeting (支委会): 0 of 1 held so far" in page


def test_the_college_grid_is_in_the_top_bar_of_advisors_and_admins_only(
    clock, db, make, branch, committee, member, english_login
):
    advisor, admin = make.user(Role.ADVISOR), make.user(Role.ADMIN)
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=branch.college_id))
    db.session.commit()
    link = 'href="/compliance/" id="nav-compliance"'
    for reader in (advisor, admin):
        page = english_login(reader).get("/")
        assert link in page.get_data(as_text=True)
        assert english_login(reader).get("/compliance/").status_code == 200
    for reader in (member, committee):
        assert link not in english_login(reader).get("/").get_data(as_text=True)
