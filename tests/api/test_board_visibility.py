"""What members see of a member leaderboard in each mode an administrator may choose (the whole
board, the upper half, neighbours only, their own rank only), on the page, in the export and
through the API; the committee keeps its own branch's whole board, advisors theirs."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import refresh

from tracker.ledger import points
from tracker.models import AdvisorScope, Role

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
SURNAMES = "赵钱孙李周吴"


@pytest.fixture
def world(db, make, clock):
    """A branch of six members with 6, 5, ... 1 hours (ranks 1 to 6), a committee member
    without points (listed, not ranked), and a second branch of the college with one member."""
    college = make.college()
    branch = make.branch(college)
    committee = make.committee(branch, name="郑委员")
    ranked = [make.member(branch, name=f"{s}同学") for s in SURNAMES]
    for hours, member in zip(range(6, 0, -1), ranked, strict=True):
        activity = make.activity(
            member, "volunteer", quantity=hours, occurred_on=date(2026, 11, 24)
        )
        points.approve_activity(db.session, activity, committee, NOW)
    other = make.member(make.branch(college), name="冯同学")
    db.session.commit()
    return {
        "college": college,
        "branch": branch,
        "committee": committee,
        "ranked": ranked,
        "other": other,
    }


def shown_names(html: str) -> set[str]:
    """The names in the leaderboard table (including the viewer's own window)."""
    table = html.split('id="member-leaderboard"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'<td class="text-nowrap">([^<\d]*[学员])</td>', table))


def masked(name: str) -> str:
    return name[0] + "*" * (len(name) - 2) + name[-1]


def export_names(client, query: str) -> list[str]:
    body = client.get(f"/export/members.csv?{query}").get_data().decode("utf-8-sig")
    return [row[2] for row in list(csv.reader(io.StringIO(body)))[1:]]


def api_board(api, user, query: str) -> dict:
    refresh()
    answer = api(user)("GET", f"/leaderboard/members?{query}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_upper_half_lists_nobody_below_the_median(app, db, world, login, api):
    app.config["TRACKER_BOARD_BRANCH"] = "upper_half"
    fifth = world["ranked"][4]
    query = "scope=branch&period=all"
    page = login(fifth).get(f"/leaderboard/?{query}").get_data(as_text=True)
    top = {masked(m.name) for m in world["ranked"][:3]}
    # Ranks 1 to 3 of 6 by name, masked; the viewer's own row in its window; nobody else.
    assert shown_names(page) == top | {fifth.name}
    assert 'id="board-mode"' in page and "5" in page.split('id="my-rank"', 1)[1][:200]
    assert set(export_names(login(fifth), query)) == top
    body = api_board(api, fifth, query)
    assert [row["rank"] for row in body["items"]] == [1, 2, 3] and body["total"] == 3
    assert body["me"]["rank"] == 5
    assert body["visibility"] == {
        "mode": "upper_half",
        "neighbours": None,
        "configured": "upper_half",
    }

    # The committee sees its own branch whole: every member by full name, the unranked too.
    committee = world["committee"]
    everyone = {m.name for m in world["ranked"]} | {committee.name}
    page = login(committee).get(f"/leaderboard/?{query}").get_data(as_text=True)
    assert shown_names(page) == everyone and 'id="board-mode"' not in page
    assert set(export_names(login(committee), query)) == everyone
    body = api_board(api, committee, query)
    assert len(body["items"]) == 7 and body["visibility"]["mode"] == "full"


def test_neighbours_only_on_the_college_and_school_boards(app, db, world, login, api):
    app.config.update(TRACKER_BOARD_COLLEGE="neighbours", TRACKER_BOARD_SCHOOL="neighbours")
    app.config["TRACKER_BOARD_NEIGHBOURS"] = 1
    ranked, fifth = world["ranked"], world["ranked"][4]
    query = f"scope=college&college={world['college'].id}&period=all"
    page = login(fifth).get(f"/leaderboard/?{query}").get_data(as_text=True)
    assert shown_names(page) == {masked(ranked[3].name), fifth.name, masked(ranked[5].name)}
    assert export_names(login(fifth), query) == [
        masked(ranked[3].name),
        fifth.name,
        masked(ranked[5].name),
    ]
    body = api_board(api, fifth, query.replace("college=", "scope_id="))
    assert [row["rank"] for row in body["items"]] == [4, 5, 6]
    assert body["visibility"]["neighbours"] == 1

    # Two above and below on the school board (read from the points index): the unranked
    # below the last ranked member are not neighbours.
    app.config["TRACKER_BOARD_NEIGHBOURS"] = 2
    body = api_board(api, fifth, "scope=school&period=all")
    assert [row["rank"] for row in body["items"]] == [3, 4, 5, 6]

    # A committee member is not responsible for the college: the member's view, and
    # without points of their own nobody's neighbour.
    committee = world["committee"]
    page = login(committee).get(f"/leaderboard/?{query}").get_data(as_text=True)
    assert shown_names(page) == {committee.name}
    assert export_names(login(committee), query) == [committee.name]
    assert api_board(api, committee, "scope=school&period=all")["items"] == []


def test_own_rank_only_and_the_advisors_full_view(app, db, make, world, login, api):
    app.config["TRACKER_BOARD_SCHOOL"] = "own"
    first = world["ranked"][0]
    page = login(first).get("/leaderboard/?scope=school&period=all").get_data(as_text=True)
    assert shown_names(page) == {first.name}
    assert export_names(login(first), "scope=school&period=all") == [first.name]
    body = api_board(api, first, "scope=school&period=all")
    assert body["items"] == [] and body["total"] == 0 and body["me"]["rank"] == 1
    assert body["visibility"]["mode"] == "own"
    # The committee on the school board: a member's view, its own row only.
    committee = world["committee"]
    page = login(committee).get("/leaderboard/?scope=school&period=all").get_data(as_text=True)
    assert shown_names(page) == {committee.name}
    assert api_board(api, committee, "scope=school&period=all")["items"] == []

    advisor = make.user(Role.ADVISOR, name="卫老师")
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=world["college"].id))
    db.session.commit()
    body = api_board(api, advisor, "scope=school&period=all")
    assert len(body["items"]) == 8 and body["visibility"] == {
        "mode": "full",
        "neighbours": None,
        "configured": "own",
    }
    assert len(export_names(login(advisor), "scope=school&period=all")) == 8


def test_the_admin_sets_the_modes_on_the_settings_page(app, db, make, login, clock):
    from tracker.settings import setting

    admin = make.user(Role.ADMIN)
    client = login(admin)
    form = {
        "TRACKER_BACKDATE_DAYS": "14",
        "TRACKER_INACTIVE_DAYS": "30",
        "TRACKER_COMPLIANCE_REMIND_DAYS": "7",
        "TRACKER_BOARD_BRANCH": "full",
        "TRACKER_BOARD_COLLEGE": "upper_half",
        "TRACKER_BOARD_SCHOOL": "nonsense",
        "TRACKER_BOARD_NEIGHBOURS": "3",
    }
    assert client.post("/admin/settings", data=form).status_code == 422
    form["TRACKER_BOARD_SCHOOL"] = "neighbours"
    answer = client.post("/admin/settings", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert setting("TRACKER_BOARD_SCHOOL") == "neighbours"
    assert (
        setting("TRACKER_BOARD_COLLEGE") == "upper_half"
        and setting("TRACKER_BOARD_NEIGHBOURS") == 3
    )


def test_the_api_names_others_outside_the_branch_only_with_their_consent(db, world, login, api):
    outsider = world["other"]
    first = world["ranked"][0]
    query = f"scope=college&scope_id={world['college'].id}&period=all"

    def name_of_first() -> str:
        items = api_board(api, outsider, query)["items"]
        return next(row["member"]["name"] for row in items if row["member"]["id"] == first.id)

    assert name_of_first() == masked(first.name)
    login(first).post("/account/name-consent", data={"shown": "y"})
    assert name_of_first() == first.name
