"""Uploaded files follow the transaction that records them, on every store.

A file written for a transaction that does not commit is removed, and a file
taken off a record is deleted only once that change is committed. Domain
functions only flush, so the door's commit (or its failure) decides. The same
holds on every store (tracker.storage): a folder or an S3 bucket.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from tracker.storage import Storage, StorageUnavailable
from tracker.uploads.checks import PreparedFile

_WRITTEN = "tracker.uploads.written"
_DOOMED = "tracker.uploads.doomed"
log = logging.getLogger(__name__)


def store(session: Session, storage: Storage, prepared: PreparedFile) -> str:
    """Write the file under a generated name and return that name.

    The file appears whole or not at all, and it is removed again unless the
    session's transaction commits.
    """
    stored_name = f"{uuid.uuid4().hex}.{prepared.extension}"
    storage.put(stored_name, prepared.data, prepared.content_type)
    _within_transaction(session)
    session.info.setdefault(_WRITTEN, []).append((storage, stored_name))
    return stored_name


def delete_on_commit(session: Session, storage: Storage, stored_names: list[str]) -> None:
    """Delete these files once the session's transaction commits, not before."""
    _within_transaction(session)
    session.info.setdefault(_DOOMED, []).extend((storage, name) for name in stored_names)


def _within_transaction(session: Session) -> None:
    # The files are tied to the end of a transaction, so there must be one.
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()


def remove(storage: Storage, stored_names: list[str]) -> None:
    """Delete files no record names any more (after the commit that said so)."""
    _delete_quietly((storage, name) for name in stored_names)


def _delete_quietly(files) -> None:
    # The transaction has ended either way: a file the store could not delete
    # now is left behind (no record names it) rather than failing a request
    # whose changes are already committed or rolled back.
    for storage, name in files:
        try:
            storage.delete(name)
        except StorageUnavailable as error:
            log.warning("could not delete %s from %s: %s", name, storage.describe(), error.detail)


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _delete_quietly(session.info.pop(_DOOMED, []))


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    # After a commit both lists are empty; anything left was never committed.
    session.info.pop(_DOOMED, None)
    _delete_quietly(session.info.pop(_WRITTEN, []))
