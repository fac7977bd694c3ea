"""A member's consent to their full name appearing outside their branch (PIPL Art. 25):
masked by default, on the page, in exports and through the API; a change is audited by
ids only."""

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import select

from tracker.ledger import points
from tracker.models import AuditEvent

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_outside_the_branch_a_name_is_shown_only_with_consent(app, db, make, login, clock):
    college = make.college()
    home, other = make.branch(college), make.branch(college)
    reviewer = make.committee(home)
    named = make.member(home, name="欧阳娜娜")
    activity = make.activity(named, "volunteer", quantity=2, occurred_on=date(2026, 11, 24))
    points.approve_activity(db.session, activity, reviewer, NOW)
    db.session.commit()
    # Even with full names on for the campus, a classmate in another branch sees 欧**娜.
    app.config["TRACKER_SHOW_FULL_NAMES"] = True
    outsider, classmate = make.member(other), make.member(home)
    board = f"/leaderboard/?scope=college&college={college.id}&period=all"
    export = f"/export/members.csv?scope=college&college={college.id}&period=all"

    def names(user) -> tuple[str, str]:
        client = login(user)
        page = client.get(board).get_data(as_text=True)
        body = client.get(export).get_data().decode("utf-8-sig")
        sheet = {row[2] for row in csv.reader(io.StringIO(body))}
        return ("欧阳娜娜" in page, "欧阳娜娜" in sheet)

    assert names(outsider) == (False, False)
    assert names(classmate) == (True, True)

    owner = login(named)
    assert 'id="name-consent"' in owner.get("/account").get_data(as_text=True)
    assert owner.post("/account/name-consent", data={"shown": "y"}).status_code == 302
    assert names(outsider) == (True, True)
    # Withdrawn: masked again. An unchecked box sends nothing.
    owner.post("/account/name-consent", data={})
    assert names(outsider) == (False, False)

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("name_consent.%")).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["name_consent.given", "name_consent.withdrawn"]
    assert all(e.actor_id == e.subject_id == named.id and not e.details for e in events)
    # Saving the same choice again changes and records nothing.
    owner.post("/account/name-consent", data={})
    assert (
        db.session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.action.like("name_consent.%"))
            .order_by(AuditEvent.id.desc())
        )
        == events[-1].id
    )
