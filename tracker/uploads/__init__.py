"""Uploaded files, below every domain package that takes them: checks and storing.

``checks`` judges a file by its content (images re-encoded without metadata,
PDFs re-written without scripts); ``kept`` writes it to the store so that it
follows the transaction recording it. Activities' evidence and events' minutes
attachments both use them, and neither imports the other.
"""

from tracker.uploads.checks import PreparedFile, prepare
from tracker.uploads.kept import delete_on_commit, remove, store

__all__ = ["PreparedFile", "delete_on_commit", "prepare", "remove", "store"]
