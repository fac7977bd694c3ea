"""Serving a stored upload (evidence, a minutes attachment) once the view has checked access."""

from __future__ import annotations

from flask import abort, current_app, redirect, send_file

from tracker import storage


def serve(stored_name: str, content_type: str, download_name: str, *, inline: bool):
    """The file, or a redirect to a short-lived signed address of the store.

    Only call this after the access check: the check above it is the one that
    counts. Images open in the browser, other files download.
    """
    store = storage.of(current_app)
    seconds = current_app.config["TRACKER_STORAGE_SIGNED_URL_SECONDS"]
    signed = seconds > 0 and store.signed_url(
        stored_name,
        seconds=seconds,
        content_type=content_type,
        download_name=download_name,
        inline=inline,
    )
    if signed:
        # The address only works for a short while, so a copied link soon stops working.
        response = redirect(signed)
    else:
        try:
            stream = store.open(stored_name)
        except FileNotFoundError:
            abort(404)
        response = send_file(
            stream,
            mimetype=content_type,
            download_name=download_name,
            as_attachment=not inline,
            max_age=0,
        )
    response.headers["Cache-Control"] = "private, no-store"
    return response
