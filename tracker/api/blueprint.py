"""The API blueprint, its OpenAPI registry and who is calling.

A request is authenticated by ``Authorization: Bearer <token>`` or by the
browser session. Flask-WTF's automatic CSRF check is off for the blueprint
(a token request has no cookie to forge); session-authenticated writes are
checked here instead, with the token in the X-CSRFToken header.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker import conditional, settings
from tracker.api.errors import Unauthorized
from tracker.api.spec import ApiSpec
from tracker.clock import utcnow
from tracker.extensions import csrf, db
from tracker.models import User
from tracker.people import tokens

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
api = ApiSpec(bp, title="Tracker API", version="1.0.0")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def authenticate() -> None:
    g.token_issued_at = None
    op = api.operation_for(request.endpoint)
    if op is None or op.public:
        return
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, raw = header.partition(" ")
        token = None
        if scheme.lower() == "bearer":
            now = utcnow()
            # With the token: the settings' overrides and the data's version, which
            # most answers need (one statement rather than three).
            token, found = tokens.live_token_with(
                db.session,
                raw.strip(),
                now,
                (*settings.override_columns(), *conditional.version_columns()),
            )
            # The door commits: the token's last use is kept even on a read. Only
            # then: a commit would make the request read the token and user again.
            if token is not None and tokens.due_a_touch(token, now):
                db.session.commit()
            elif token is not None:
                settings.remember_overrides(db.session, found)
                conditional.remember_version(db.session, found)
        if token is None:
            raise Unauthorized(_l("The token is missing, wrong, expired or revoked."))
        # Flask-Login's per-request user: current_user works, no session is written.
        g._login_user = token.user
        g.token_issued_at = token.created_at
        return
    if not current_user.is_authenticated:
        raise Unauthorized()
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def token_issued_at():
    """When the personal access token of this request was made; None without one."""
    return g.get("token_issued_at")


def caller() -> User:
    """The authenticated user of this API request."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        abort(401)
    return user
