"""Addresses of static files that change when the file does, so they can be cached for a year.

``url_for("static", filename=...)`` (and Bootstrap-Flask's files) get
``?v=`` and the first characters of the file's SHA-256. A new version of a
file is a new address, so nginx and the app may tell browsers to keep every
file for a year (deploy/nginx/tracker.conf): no page ever loads an old
stylesheet after an upgrade.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, request

FOLDERS = {"static": None, "bootstrap.static": "bootstrap"}
YEAR = 365 * 24 * 3600

_digests: dict[tuple[str, float], str] = {}


def _folder(endpoint: str) -> str | None:
    blueprint = FOLDERS[endpoint]
    if blueprint is None:
        return current_app.static_folder
    found = current_app.blueprints.get(blueprint)
    return found.static_folder if found else None


def digest(path: Path) -> str | None:
    """The file's version: 12 hex characters of its SHA-256, read once per change."""
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return None
    if key not in _digests:
        _digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _digests[key]


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint not in FOLDERS or "v" in values or "filename" not in values:
        return
    folder = _folder(endpoint)
    if folder is None:
        return
    root = Path(folder).resolve()
    path = (root / values["filename"]).resolve()
    if path.is_relative_to(root):
        version = digest(path)
        if version:
            values["v"] = version


def _cache_versioned(response):
    """A static file asked for by its version is the same for ever; any other is checked."""
    if request.endpoint in FOLDERS and request.args.get("v") and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_versioned)
