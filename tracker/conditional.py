"""Conditional requests for the boards and dashboards: an ETag, and 304 Not Modified.

A board's ETag is a digest of what the answer depends on:

- the data: the last ledger row and the last audited change (settings, terms,
  registrations, closed events, deactivations...), read with the signed-in user
  or the API token, so computing it costs no statement of its own;
- who asks and what they may see: the viewer's id, role, branch, status and
  language, the settings' overrides (board modes, names) and the unread count
  the navigation shows;
- what they ask: the path, the query and the filters as resolved (a period
  remembered in the session included);
- a five-minute window: a change recorded nowhere above (a member's consent
  to show their name, say) shows within five minutes, and a page's form
  tokens never outlive their validity.

A viewer's ETag never matches another viewer's (their id is in it), and any
booking changes every board's. A response with flashed messages gets none.
Signed-in answers stay "no-store" (``security.no_store_when_signed_in``): a
browser keeps no copy of them, so the 304s serve API scripts and the charts'
requests, which send the ETag they were given.
"""

from __future__ import annotations

import hashlib
import time

from flask import Flask, Response, g, make_response, request, session
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import readcache
from tracker.extensions import db
from tracker.models import AuditEvent, LedgerEntry, User

VERSION = "data_version"
WINDOW_SECONDS = 300


def version_columns() -> list:
    """The data's version as columns to read with another statement (``load_user``)."""
    return [
        select(func.max(LedgerEntry.id)).scalar_subquery().label("v_ledger"),
        select(func.max(AuditEvent.id)).scalar_subquery().label("v_audit"),
    ]


def remember_version(session_: Session, row) -> None:
    readcache.remember(session_, VERSION, (row.v_ledger, row.v_audit))


def data_version(session_: Session) -> tuple:
    """(last ledger row, last audited change): read once per request."""
    return readcache.cached(
        session_, VERSION, lambda: tuple(session_.execute(select(*version_columns())).one())
    )


def etag(viewer: User, *parts) -> str:
    """The ETag of what ``viewer`` is shown for this request (``parts``: the resolved
    filters and whatever else the answer depends on)."""
    raw = repr(
        (
            data_version(db.session),
            (viewer.id, str(viewer.role), viewer.branch_id, str(viewer.status), viewer.locale),
            sorted(readcache.setting_overrides(db.session).items()),
            readcache.cached(db.session, ("unread", viewer.id), lambda: None),
            int(time.time() // WINDOW_SECONDS),
            request.path,
            sorted(request.args.items(multi=True)),
            parts,
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def unchanged(viewer: User, *parts) -> Response | None:
    """A 304 when the client's copy is current; else None, and the response gets the ETag."""
    if session.get("_flashes"):
        return None
    tag = etag(viewer, *parts)
    g.etag = tag
    if request.if_none_match.contains(tag):
        response = make_response("", 304)
        response.set_etag(tag)
        return response
    return None


def init_app(app: Flask) -> None:
    @app.after_request
    def _tag(response: Response) -> Response:
        tag = g.pop("etag", None)
        if tag is not None and response.status_code == 200:
            # Cache-Control stays "no-store" (``security``): a browser keeps no copy
            # of a signed-in page; scripts and the charts' own requests send the tag back.
            response.set_etag(tag)
        return response
