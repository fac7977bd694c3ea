"""Joins between features: upcoming events on the branch dashboard, attendance
rates on the branch leaderboard, term administration, demo terms."""

from __future__ import annotations

from datetime import timedelta

from tracker import event_planning
from tracker.event_planning import EventInput
from tracker.models import Event

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
    event = event_planning.create_event(db.session, committee, EventInput(**values), FROZEN_NOW)
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
