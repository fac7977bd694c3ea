"""Home pages: what each role sees first."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import event_planning, ranking
from ..clock import campus_today, utcnow
from ..extensions import db
from ..models import AccountStatus, Activity, ActivityStatus, Branch, College, Role, User
from ..permissions import readable_branch_ids

bp = Blueprint("dashboards", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role in (Role.ADVISOR, Role.ADMIN):
        return _overview()
    summary = ranking.member_summary(db.session, current_user, campus_today())
    recent = db.session.scalars(
        select(Activity)
        .where(Activity.user_id == current_user.id)
        .order_by(Activity.submitted_at.desc())
        .limit(8)
    ).all()
    pending_reviews = registrations = 0
    if current_user.role == Role.COMMITTEE:
        pending_reviews = db.session.scalar(
            select(func.count()).where(
                Activity.branch_id == current_user.branch_id,
                Activity.status == ActivityStatus.PENDING,
                Activity.user_id != current_user.id,
            )
        )
        registrations = db.session.scalar(
            select(func.count()).where(
                User.branch_id == current_user.branch_id, User.status == AccountStatus.PENDING
            )
        )
    return render_template(
        "dashboards/member.html",
        summary=summary,
        recent=recent,
        pending_reviews=pending_reviews,
        registrations=registrations,
        upcoming_events=event_planning.upcoming_events(
            db.session, current_user.branch_id, utcnow(), limit=3
        )
        if current_user.branch_id
        else [],
    )


def _overview():
    readable = readable_branch_ids(db.session, current_user)
    query = (
        select(Branch, College.name, func.count(User.id))
        .join(College)
        .outerjoin(User, (User.branch_id == Branch.id) & (User.status == AccountStatus.ACTIVE))
        .where(Branch.archived_at.is_(None))
        .group_by(Branch.id, College.name)
        .order_by(College.name, Branch.name)
    )
    if readable is not None:
        query = query.where(Branch.id.in_(readable))
    branches = db.session.execute(query).all()
    return render_template("dashboards/overview.html", branches=branches)
