"""Addresses another device opens: a phone scanning a QR code, a link in a mail or a file."""

from __future__ import annotations

import segno
from flask import current_app, request, url_for
from markupsafe import Markup


def external_url(endpoint: str, **values) -> str:
    """``endpoint``'s full address, at ``TRACKER_BASE_URL`` when that is set.

    The page may be open at 127.0.0.1 on the committee's laptop while the
    phone that scans it needs the address the campus network knows; and a
    mailed link must not take its host from whatever the request claimed.
    """
    base = current_app.config["TRACKER_BASE_URL"].strip().rstrip("/")
    if not base:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    return base + path.removeprefix(request.script_root)


def qr_svg(url: str) -> Markup:
    """The QR code of ``url``, inline; its title shows the address it holds."""
    # segno writes only its own elements and attributes: safe to inline.
    return Markup(segno.make(url, error="m").svg_inline(scale=6, title=url))  # noqa: S704
