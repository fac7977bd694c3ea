"""1+N tutoring pairs through the API: a mentor asks by student number, the mentee answers.

The rules live in ``pairings``; a pairing is visible only to its mentor and
its mentee (any other id answers 404).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from tracker.activities import tutoring
from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.schemas import ID, MOMENT, PAGING, PERSON, nullable, obj, page_of
from tracker.api.spec import Param
from tracker.api.validation import json_body, query_args
from tracker.clock import utcnow
from tracker.errors import Forbidden, NotFound
from tracker.extensions import db
from tracker.models import Pairing, PairingStatus
from tracker.people import access

PAIRING = api.schema(
    "Pairing",
    obj(
        id=ID,
        mentor=PERSON,
        mentee=PERSON,
        status={"type": "string", "enum": [s.value for s in PairingStatus]},
        created_at=MOMENT,
        accepted_at=nullable(MOMENT),
    ),
)
NEW_PAIRING = obj(student_no={"type": "string", "minLength": 1, "maxLength": 32})


def _ensure_branch_member() -> None:
    # As on the tutoring page: mentors and mentees are members of a branch.
    if not access.logs_activities(caller()):
        raise Forbidden(_l("You do not have permission to see or do this."))


def _shown(pairing: Pairing) -> dict:
    """The pairing as the caller reads it: the mentee's name masked until they accept."""
    body = serialize.pairing(pairing)
    body["mentee"]["name"] = tutoring.mentee_name(caller(), pairing)
    return body


def own_pairing_or_404(pairing_id: int) -> Pairing:
    pairing = db.session.get(Pairing, pairing_id)
    if pairing is None or caller().id not in (pairing.mentor_id, pairing.mentee_id):
        raise NotFound()
    return pairing


@api.route(
    "/pairings",
    "GET",
    summary="My tutoring pairs, as mentor and as mentee",
    tag="Tutoring",
    query=(
        Param("as", {"type": "string", "enum": ["mentor", "mentee"]}, "Only in this role"),
        *PAGING,
    ),
    responses={200: ("A page of pairings, oldest first", page_of(PAIRING))},
)
def list_pairings():
    args = query_args(api.operation_for("api.list_pairings"))
    _ensure_branch_member()
    me = caller().id
    condition = {
        "mentor": Pairing.mentor_id == me,
        "mentee": Pairing.mentee_id == me,
    }.get(args.get("as"), or_(Pairing.mentor_id == me, Pairing.mentee_id == me))
    found = db.paginate(
        select(Pairing).where(condition).order_by(Pairing.id),
        page=args["page"],
        per_page=args["per_page"],
        error_out=False,
        count=True,
    )
    items = [_shown(p) for p in found.items]
    return serialize.page(items, args["page"], args["per_page"], found.total or 0)


@api.route(
    "/pairings",
    "POST",
    summary="Ask a student to be my mentee",
    description="By student number, any branch; the pairing counts once the mentee accepts.",
    tag="Tutoring",
    body=NEW_PAIRING,
    responses={201: ("The request, waiting for the mentee", PAIRING)},
)
def create_pairing():
    data = json_body(api.operation_for("api.create_pairing"))
    pairing = tutoring.request_pairing(db.session, caller(), data["student_no"], utcnow())
    db.session.commit()
    return _shown(pairing), 201


@api.route(
    "/pairings/<int:pairing_id>/accept",
    "POST",
    summary="Accept a mentor's request (the mentee only)",
    tag="Tutoring",
    responses={200: ("The accepted pairing", PAIRING)},
    errors=(409,),
)
def accept_pairing(pairing_id: int):
    pairing = own_pairing_or_404(pairing_id)
    tutoring.accept_pairing(db.session, caller(), pairing, utcnow())
    db.session.commit()
    return _shown(pairing)


@api.route(
    "/pairings/<int:pairing_id>/decline",
    "POST",
    summary="Decline a mentor's request (the mentee only); the request is removed",
    tag="Tutoring",
    responses={204: ("Declined", None)},
    errors=(409,),
)
def decline_pairing(pairing_id: int):
    pairing = own_pairing_or_404(pairing_id)
    tutoring.decline_pairing(db.session, caller(), pairing)
    db.session.commit()
    return "", 204
