"""The branch board's adjusted points per member, against a hand-computed example."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tracker.ledger import points
from tracker.models import AdvisorScope, Role
from tracker.ranking.branches import adjusted_per_capita

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_adjusted_per_capita_pulls_a_small_branch_towards_the_college_mean(
    db, make, login, api, clock
):
    # The README's example, by the formula alone.
    assert adjusted_per_capita(Decimal(20), 2, Decimal(48), 10, 5) == Decimal("6.3")
    assert adjusted_per_capita(Decimal(28), 8, Decimal(48), 10, 5) == Decimal("4.0")
    # On the board. Volunteering earns 2 points an hour. A small branch: its committee
    # member and one member with 8 hours (16 points). A large one: its committee member
    # and 7 members with 2 hours each (28 points). The college: 44 points, 10 members,
    # a mean of 4.4.
    college = make.college()
    small, large = make.branch(college, name="小支部"), make.branch(college, name="大支部")
    for branch, hours, count in ((small, 8, 1), (large, 2, 7)):
        committee = make.committee(branch)
        for _ in range(count):
            member = make.member(branch)
            activity = make.activity(
                member, "volunteer", quantity=hours, occurred_on=date(2026, 11, 24)
            )
            points.approve_activity(db.session, activity, committee, NOW)
    db.session.commit()
    # With k = 5 (the default):
    #   small: (16 + 5 × 4.4) / (2 + 5) = 38 / 7  = 5.43 → 5.4   (per member: 8.0)
    #   large: (28 + 5 × 4.4) / (8 + 5) = 50 / 13 = 3.85 → 3.8   (per member: 3.5)

    viewer = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=viewer.id, college_id=college.id))
    db.session.commit()
    answer = api(viewer)(
        "GET", f"/leaderboard/branches?college_id={college.id}&period=all&metric=adjusted"
    )
    body = answer.get_json()
    assert answer.status_code == 200, body
    shown = {row["branch"]["name"]: row for row in body["items"]}
    assert shown["小支部"]["adjusted_per_capita"] == 5.4 and shown["小支部"]["per_capita"] == 8
    assert (
        shown["大支部"]["adjusted_per_capita"] == 3.8 and shown["大支部"]["participation"] == 0.875
    )
    assert [row["branch"]["name"] for row in body["items"]] == ["小支部", "大支部"]

    page = login(viewer).get(
        f"/leaderboard/branches?scope=college&college={college.id}&period=all&sort=adjusted"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="adjusted-note"' in html
    assert "5.4" in html.split("小支部", 1)[1].split("</tr>", 1)[0]
