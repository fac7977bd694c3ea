"""Evidence flags in the API: for those who may review the activity, null for anyone else."""

import io
from datetime import timedelta

from tracker.models import AdvisorScope, Role

from ..conftest import TODAY
from ..test_evidence_checks import jpeg, scene

VISIT = {
    "category": "red_site",
    "quantity": "1",
    "title": "参观纪念馆",
    "location": "南湖革命纪念馆",
    "description": "红船精神，首创、奋斗、奉献。" * 3,
}


def log_visit(call, photo: bytes, occurred_on=TODAY) -> int:
    created = call(
        "POST",
        "/activities",
        data={
            **VISIT,
            "occurred_on": occurred_on.isoformat(),
            "evidence": (io.BytesIO(photo), "p.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.json
    return created.json["id"]


def test_flags_reach_reviewers_and_not_the_member(api, make, db, branch, member, committee, clock):
    first = log_visit(api(member), jpeg(scene(21)), TODAY - timedelta(days=1))
    other = make.member(branch, name="王五")
    second = log_visit(api(other), jpeg(scene(21), quality=60))

    reviewer = api(committee, **{"Accept-Language": "en"})
    [flag] = reviewer("GET", f"/activities/{second}").json["flags"]
    assert flag["kind"] == "same_photo"
    assert flag["params"]["activity_id"] == first and flag["params"]["member"] == "张三丰"
    assert (
        flag["message"].startswith("The same photo as “参观纪念馆” of")
        and "张三丰" in flag["message"]
    )
    assert reviewer("GET", f"/activities/{first}").json["flags"] == []
    listed = reviewer("GET", "/activities?status=pending").json["items"]
    assert {item["id"]: [f["kind"] for f in item["flags"]] for item in listed} == {
        first: [],
        second: ["same_photo"],
    }

    assert api(other)("GET", f"/activities/{second}").json["flags"] is None
    assert [item["flags"] for item in api(other)("GET", "/activities").json["items"]] == [None]
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    db.session.commit()
    assert api(advisor)("GET", f"/activities/{second}").json["flags"] is None
