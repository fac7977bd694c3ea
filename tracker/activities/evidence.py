"""Evidence files of an activity: the upload checks every file passes, and how many it may have.

The checks themselves (content, not names; images re-encoded without
metadata; PDFs re-written) and storing that follows the transaction live in
tracker.uploads, which minutes attachments share.
"""

from __future__ import annotations

from tracker import uploads
from tracker.config import MAX_EVIDENCE_FILES
from tracker.uploads import PreparedFile, delete_on_commit, remove, store

MAX_FILES = MAX_EVIDENCE_FILES

__all__ = ["MAX_FILES", "PreparedFile", "delete_on_commit", "prepare_evidence", "remove", "store"]


def prepare_evidence(
    name: str, data: bytes, limit_bytes: int, field: str = "evidence"
) -> PreparedFile:
    """Check one uploaded evidence file and return what will be stored (see uploads.prepare)."""
    return uploads.prepare(name, data, limit_bytes, field)
