"""Evidence files: checked by content, images re-encoded without metadata."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from tracker.activities import fingerprint
from tracker.errors import InvalidInput

IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
PDF_TYPE = ("application/pdf", "pdf")
MAX_PIXELS = 40_000_000
MAX_FILES = 5


@dataclass(frozen=True)
class PreparedFile:
    data: bytes
    content_type: str
    extension: str
    original_name: str
    # Images only: the perceptual hash of the stored file and the day the
    # camera says it was taken (see tracker.activities.fingerprint).
    photo_hash: str | None = None
    captured_on: date | None = None


# What of an image's metadata the re-encode keeps: only what draws the pixels.
_KEPT_INFO = ("transparency",)


def _reencode(image: Image.Image, fmt: str) -> bytes:
    # Applying the EXIF orientation first keeps photos upright once the EXIF
    # (with its GPS position and camera serial) is dropped.
    image = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    # Pillow writes some metadata of the source again unless told otherwise
    # (a JPEG's comment, a PNG's ICC profile): nothing else goes out, so no
    # comment, ICC profile, XMP or EXIF can carry data past the upload.
    image.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
    out = io.BytesIO()
    options = {"quality": 88} if fmt in ("JPEG", "WEBP") else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def prepare_evidence(
    name: str, data: bytes, limit_bytes: int, field: str = "evidence"
) -> PreparedFile:
    """Check one uploaded file and return what will be stored.

    Accepts JPEG, PNG and WebP images (re-encoded, metadata removed) and PDF,
    judged by the bytes, never by the file name.
    """
    name = Path(name or "upload").name[:255]
    if len(data) > limit_bytes:
        raise InvalidInput(
            {
                field: _l(
                    "%(name)s is larger than %(mb)d MB.", name=name, mb=limit_bytes // (1024 * 1024)
                )
            }
        )
    if not data:
        raise InvalidInput({field: _l("%(name)s is empty.", name=name)})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput({field: _l("%(name)s is not a complete PDF.", name=name)})
        return PreparedFile(data, *PDF_TYPE, original_name=name)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in IMAGE_TYPES:
            raise UnidentifiedImageError(fmt)
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput({field: _l("%(name)s has too many pixels.", name=name)})
            image.load()
            # Read before the re-encode, which drops the EXIF.
            captured_on = fingerprint.capture_day(image)
            encoded = _reencode(image, fmt)
        photo_hash = fingerprint.photo_hash(encoded)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(
            {field: _l("%(name)s is not a JPEG, PNG, WebP image or PDF file.", name=name)}
        ) from None
    content_type, extension = IMAGE_TYPES[fmt]
    return PreparedFile(
        encoded,
        content_type,
        extension,
        original_name=name,
        photo_hash=photo_hash,
        captured_on=captured_on,
    )


# Files follow the transaction that records them: a file written for a
# transaction that does not commit is removed, and a file taken off a record
# is deleted only once that change is committed. Domain functions only
# flush, so the door's commit (or its failure) decides.
_WRITTEN = "tracker.evidence.written"
_DOOMED = "tracker.evidence.doomed"


def store(session: Session, folder: str | Path, prepared: PreparedFile) -> str:
    """Write the file under a generated name and return that name.

    The file appears whole or not at all (written beside, then renamed), and
    it is removed again unless the session's transaction commits.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.{prepared.extension}"
    partial = folder / f".{stored_name}.part"
    try:
        partial.write_bytes(prepared.data)
        os.replace(partial, folder / stored_name)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    _within_transaction(session)
    session.info.setdefault(_WRITTEN, []).append(folder / stored_name)
    return stored_name


def delete_on_commit(session: Session, folder: str | Path, stored_names: list[str]) -> None:
    """Delete these files once the session's transaction commits, not before."""
    _within_transaction(session)
    session.info.setdefault(_DOOMED, []).extend(Path(folder) / name for name in stored_names)


def _within_transaction(session: Session) -> None:
    # The files are tied to the end of a transaction, so there must be one.
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()


def remove(folder: str | Path, stored_names: list[str]) -> None:
    for stored_name in stored_names:
        (Path(folder) / stored_name).unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    # After a commit both lists are empty; anything left was never committed.
    session.info.pop(_DOOMED, None)
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)
