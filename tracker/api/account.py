"""Tokens, the current user and the categories."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker import audit, limits
from tracker.api import serialize
from tracker.api.blueprint import api, caller
from tracker.api.errors import Unauthorized, error_response
from tracker.api.schemas import (
    CATEGORY,
    ME,
    MILESTONE_PROGRESS,
    NEW_TOKEN,
    PAGING,
    TOKEN,
    TOKEN_REQUEST,
    obj,
    page_of,
)
from tracker.api.validation import json_body, query_args
from tracker.clock import campus_today, utcnow
from tracker.extensions import db
from tracker.i18n import current_locale_name
from tracker.ledger import estimates
from tracker.models import Category, User
from tracker.people import tokens
from tracker.people.authentication import REFUSALS, Outcome, authenticate
from tracker.people.scope import Scope
from tracker.periods import standard_period
from tracker.ranking import milestones
from tracker.ranking.members import MemberSummary, member_leaderboard, member_summary


@api.route(
    "/tokens",
    "POST",
    summary="Create a personal access token",
    description="Exchange a student number and password for a token. "
    "An account that must choose a new password (after an administrator's reset) gets none "
    "(403) until it has. "
    "Failed attempts spend the same budgets as the login form: per student number and "
    "address, per address, and a growing delay per student number (429 with Retry-After "
    "while one is spent). The token is shown only in this response.",
    tag="Tokens",
    body=TOKEN_REQUEST,
    responses={201: ("The new token", NEW_TOKEN)},
    errors=(401, 403, 429),
    public=True,
)
def create_token():
    data = json_body(api.operation_for("api.create_token"))
    try:
        limits.refuse_when_spent(data["student_no"])
    except limits.TooManyAttempts as refused:
        response = error_response(429, refused.message)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    result = authenticate(db.session, data["student_no"], data["password"], utcnow())
    if result.failed:
        limits.count_failure(data["student_no"])
        audit.record(
            db.session,
            "auth.token_failed",
            actor=None,
            subject=result.user,
            typed=audit.pseudonym(data["student_no"].strip()[:32]),
        )
        db.session.commit()
        raise Unauthorized(_l("Wrong student number or password."))
    if result.outcome is Outcome.TEMPORARY_PASSWORD_EXPIRED:
        return error_response(403, REFUSALS[result.outcome])
    if not result.succeeded:
        return error_response(403, _l("This account cannot log in."))
    user = result.user
    issued = tokens.issue_token(
        db.session,
        user,
        name=data.get("name", ""),
        now=utcnow(),
        lifetime_days=current_app.config["TRACKER_API_TOKEN_DAYS"],
    )
    db.session.commit()
    body = {"token": issued.token, "expires_at": serialize.moment(issued.record.expires_at)}
    return body, 201, {"Cache-Control": "no-store"}


@api.route(
    "/tokens",
    "GET",
    summary="List my tokens",
    tag="Tokens",
    query=PAGING,
    responses={200: ("My live tokens, newest first", page_of(TOKEN))},
)
def list_tokens():
    args = query_args(api.operation_for("api.list_tokens"))
    mine = tokens.tokens_of(db.session, caller())
    start = (args["page"] - 1) * args["per_page"]
    items = [serialize.token(t) for t in mine[start : start + args["per_page"]]]
    return serialize.page(items, args["page"], args["per_page"], len(mine))


@api.route(
    "/tokens/<int:token_id>",
    "DELETE",
    summary="Revoke one of my tokens",
    tag="Tokens",
    responses={204: ("Revoked", None)},
)
def revoke_token(token_id: int):
    if not tokens.revoke_token(db.session, caller(), token_id, utcnow()):
        return error_response(404, _l("There is nothing here."))
    db.session.commit()
    return "", 204


@api.route(
    "/me",
    "GET",
    summary="The current user",
    description="Who I am, my points this week, month, academic year and all time, "
    "and my rank in my branch this month; `term` gives my points and rank in my branch "
    "this term, or null when no term includes today.",
    tag="Me",
    responses={200: ("The current user", ME)},
)
def me():
    user = caller()
    today = campus_today()
    # The API's documented figure is this month's rank.
    summary = member_summary(db.session, user, today, standard_period("month", today))
    standing = summary.rank_in_branch
    return {
        "id": user.id,
        "student_no": user.student_no,
        "name": user.name,
        "role": user.role.value,
        "branch": serialize.branch(user.branch),
        "stage": user.stage.value if user.stage else None,
        "locale": current_locale_name(),
        "points": {kind: serialize.number(value) for kind, value in summary.points.items()},
        "rank_in_branch": {
            "period": "month",
            "rank": standing.rank if standing else None,
            "of": summary.branch_size,
        },
        "term": _term_figure(user, summary),
    }


@api.route(
    "/me/milestones",
    "GET",
    summary="My milestones",
    description="Every milestone in force, with my points towards it in its current period "
    "(all time, this academic year or this term; a term milestone is left out between terms). "
    "Reached is read from the ledger: a revoked approval takes a milestone back.",
    tag="Me",
    responses={
        200: (
            "My progress to each milestone",
            obj(items={"type": "array", "items": MILESTONE_PROGRESS}),
        )
    },
)
def my_milestones():
    user = caller()
    progress = milestones.member_progress(db.session, user.id, campus_today())
    items = [
        {
            "id": p.milestone.id,
            "name": p.milestone.name,
            "category": p.milestone.category.key if p.milestone.category else None,
            "period": p.milestone.period_kind,
            "threshold": serialize.number(p.milestone.threshold),
            "points": serialize.number(p.points),
            "reached": p.reached,
        }
        for p in progress
    ]
    return {"items": items}


def _term_figure(user: User, summary: MemberSummary) -> dict | None:
    """Points this term and rank in the branch this term; None when no term is current."""
    term = summary.term
    if term is None:
        return None
    rank, size = None, 0
    if user.branch_id:
        board = member_leaderboard(
            db.session, term, Scope("branch", user.branch_id), per_page=1, viewer_id=user.id
        )
        rank, size = (board.me.rank if board.me else None), board.ranked
    return {
        "name": term.name or "",
        "first_day": serialize.day(term.start),
        "last_day": serialize.day(term.last_day),
        "points": serialize.number(summary.points["term"]),
        "rank": rank,
        "of": size,
    }


@api.route(
    "/categories",
    "GET",
    summary="Activity categories and their current rules",
    tag="Categories",
    query=PAGING,
    responses={200: ("Categories in display order", page_of(CATEGORY))},
)
def categories():
    args = query_args(api.operation_for("api.categories"))
    # What a member logs: imported categories (学习强国 ...) are filled by imports only.
    query = select(Category).where(Category.retired_at.is_(None), Category.external.is_(False))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        query.order_by(Category.sort_order, Category.id)
        .limit(args["per_page"])
        .offset((args["page"] - 1) * args["per_page"])
    ).all()
    today = campus_today()
    versions = estimates.rule_versions(db.session, {c.id for c in found})
    items = [serialize.category(c, estimates.in_force(versions, c.id, today)) for c in found]
    return serialize.page(items, args["page"], args["per_page"], total)
