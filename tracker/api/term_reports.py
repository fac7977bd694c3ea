"""A branch's term report (学期工作报告) through the API: the numbers the .docx and .xlsx hold."""

from __future__ import annotations

from typing import Any

from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.schemas import BRANCH, DAY, ID, POINTS, obj
from tracker.api.spec import Param
from tracker.api.validation import query_args
from tracker.clock import campus_today, utcnow
from tracker.errors import NotFound
from tracker.events import kinds
from tracker.extensions import db
from tracker.ledger import terms
from tracker.models import Branch, Stage, Term
from tracker.people import access
from tracker.ranking.term_report import Tally, TermReport, term_report

COUNT = {"type": "integer", "minimum": 0}
NULLABLE_RANK = {"type": ["integer", "null"], "minimum": 1}
TALLY = obj(activities=COUNT, quantity=POINTS)
MEMBER = obj(
    id=ID,
    name={"type": "string"},
    student_no={"type": "string"},
    rank=NULLABLE_RANK,
    points=POINTS,
    activities=COUNT,
    attended=COUNT,
    expected=COUNT,
)
MEETING = obj(
    event_id=ID,
    day=DAY,
    kind={"type": "string", "enum": list(kinds.KINDS)},
    title={"type": "string"},
    mandatory={"type": "boolean"},
    present=COUNT,
    on_leave=COUNT,
    minutes_topic={"type": ["string", "null"]},
)
REPORT = api.schema(
    "TermReport",
    obj(
        branch=BRANCH,
        term=obj(id=ID, name={"type": "string"}, first_day=DAY, last_day=DAY),
        as_of=DAY,
        points=POINTS,
        members=COUNT,
        active_members=COUNT,
        rank_in_college=NULLABLE_RANK,
        college_branches=COUNT,
        attended=COUNT,
        expected=COUNT,
        stages={
            "type": "object",
            "properties": {s.value: COUNT for s in Stage},
            "additionalProperties": COUNT,
        },
        categories={"type": "array", "items": obj(key={"type": "string"}, points=POINTS)},
        uncategorised=POINTS,
        member_points={"type": "array", "items": MEMBER},
        meetings={"type": "array", "items": MEETING},
        pairs=COUNT,
        sessions=COUNT,
        confirmed_sessions=COUNT,
        red_site_visits=TALLY,
        volunteering_hours=TALLY,
    ),
)


def _tally(tally: Tally) -> dict[str, Any]:
    return {"activities": tally.activities, "quantity": serialize.number(tally.quantity)}


def _body(report: TermReport) -> dict[str, Any]:
    s = report.standing
    return {
        "branch": serialize.branch(report.branch),
        "term": {
            "id": report.term.id,
            "name": report.term.name,
            "first_day": serialize.day(report.term.first_day),
            "last_day": serialize.day(report.term.last_day),
        },
        "as_of": serialize.day(report.as_of),
        "points": serialize.number(s.points),
        "members": s.members,
        "active_members": s.active_members,
        "rank_in_college": s.rank,
        "college_branches": report.college_branches,
        "attended": s.attended,
        "expected": s.expected,
        "stages": {(k.value if k else "none"): n for k, n in report.stages.items()},
        "categories": [
            {"key": c.key, "points": serialize.number(c.points)} for c in report.categories
        ],
        "uncategorised": serialize.number(report.uncategorised),
        "member_points": [
            {
                "id": m.standing.user_id,
                "name": m.standing.name,
                "student_no": m.standing.student_no,
                "rank": m.standing.rank,
                "points": serialize.number(m.standing.points),
                "activities": m.standing.entries,
                "attended": m.attendance.attended,
                "expected": m.attendance.expected,
            }
            for m in report.members
        ],
        "meetings": [
            {
                "event_id": m.event.id,
                "day": serialize.day(m.day),
                "kind": m.event.kind,
                "title": m.event.title,
                "mandatory": m.event.mandatory,
                "present": m.present,
                "on_leave": m.on_leave,
                "minutes_topic": m.topic,
            }
            for m in report.meetings
        ],
        "pairs": len(report.pairs),
        "sessions": report.sessions,
        "confirmed_sessions": report.confirmed_sessions,
        "red_site_visits": _tally(report.red_site),
        "volunteering_hours": _tally(report.volunteering),
    }


@api.route(
    "/branches/<int:branch_id>/term-report",
    "GET",
    summary="A branch's term report (学期工作报告)",
    description=(
        "The numbers of the term report the web page offers as .docx and .xlsx: the branch's "
        "row of the college's branch leaderboard for the term, each member's row of the "
        "branch's member leaderboard, points per category, meetings with their minutes' "
        "topics, 1+N, red-site visits and volunteering hours. The required meetings are "
        "GET /branches/{id}/compliance with period=term. Its committee, its advisors and "
        "administrators may ask."
    ),
    tag="Meetings",
    query=(Param("term_id", ID, "The term (default: the term of today)"),),
    responses={200: ("The term's numbers", REPORT)},
    errors=(404,),
)
def branch_term_report(branch_id: int):
    args = query_args(api.operation_for("api.branch_term_report"))
    user = caller()
    branch = db.session.get(Branch, branch_id)
    if branch is None or not access.may_export_term_report(db.session, user, branch_id):
        raise NotFound()
    term_id = args.get("term_id")
    term = (
        db.session.get(Term, term_id)
        if term_id is not None
        else terms.term_on(db.session, campus_today())
    )
    if term is None:
        raise NotFound()
    return _body(term_report(db.session, branch, term, campus_today(), utcnow()))
