"""PDF downloads of every page feature: the font they need, and the answer without one."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect
from flask_babel import gettext as _

from tracker import pdfdocs, spreadsheets


def pdf_font() -> pdfdocs.Font | None:
    """The Chinese font PDFs are printed in (``TRACKER_PDF_FONT`` or a well-known one)."""
    return pdfdocs.find_font(current_app.config["TRACKER_PDF_FONT"])


def no_font_answer(back: str) -> Response:
    """What a PDF link answers while the server has no Chinese font: back to the page it
    came from, saying what to ask the administrator for (not an error page)."""
    flash(
        _(
            "PDFs cannot be made yet: the server has no Chinese font. Ask the administrator "
            "to install the Debian package %(package)s (or to set TRACKER_PDF_FONT).",
            package=pdfdocs.FONT_PACKAGE,
        ),
        "warning",
    )
    return redirect(back)


def pdf_response(body: bytes, name: str, fallback: str) -> Response:
    """The PDF as a download named ``name`` (``fallback`` for clients without UTF-8 names)."""
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": spreadsheets.attachment(name, fallback)},
    )
