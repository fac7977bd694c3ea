"""One budget of evidence files per member and minute, shared by the web and the API.

Every uploaded file costs decoding or parsing and disk space, whatever
becomes of it, so the budget counts the files a request carries (refused ones
too), not the requests. A request without files is not an upload and is
never refused here. The key is the signed-in member: the decorator goes
under ``login_required`` (web) or runs after the API's authentication, so
the member is known by then.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import limiter


def _member() -> str:
    return f"member:{current_user.id}"


def _files_sent() -> int:
    return sum(1 for upload in request.files.getlist("evidence") if upload)


def _per_minute() -> str:
    return f"{current_app.config['TRACKER_UPLOAD_LIMIT_PER_MINUTE']} per minute"


def _message() -> str:
    return _(
        "Too many files uploaded in a minute (at most %(n)d). Please wait a minute and try again.",
        n=current_app.config["TRACKER_UPLOAD_LIMIT_PER_MINUTE"],
    )


uploads = limiter.shared_limit(
    _per_minute,
    scope="evidence-uploads",
    key_func=_member,
    methods=["POST"],
    cost=_files_sent,
    exempt_when=lambda: _files_sent() == 0,
    error_message=_message,
)
