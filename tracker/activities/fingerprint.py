"""What identifies a photo across uploads: a perceptual hash and the day it was taken.

The perceptual hash (pHash, from ``imagehash``) of two copies of one photo
stays within a few bits of each other when a copy is re-saved at another JPEG
quality or resized, where a byte checksum would differ completely. It is
computed from the file as stored, after the upload's re-encode: every copy
then goes through the same re-encode before it is hashed, and the backfill
(``flask evidence rehash``), which only has the stored files, gets exactly the
hash an upload got. (The re-encode applies the EXIF orientation first, so a
photo and its rotated-by-EXIF twin hash alike.) The hash and the capture day
are computed where every upload is checked (tracker.uploads.photos).

Near copies are found without reading every hash of the school: the 64-bit
hash is also stored as four indexed 16-bit bands. Two hashes at most
``SAME_PHOTO_DISTANCE`` (< 8) bits apart differ in at most one bit in at
least one band (pigeonhole), so looking up each band's value and its 16
one-bit neighbours finds every near copy, and only a few other rows
(multi-index hashing). A stored prefix alone would miss a copy whose changed
bits fall in the prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.models import Evidence
from tracker.storage import Storage
from tracker.uploads.photos import photo_hash  # what every image upload is hashed with

# Measured on 24 photographs (scikit-image's sample images), each re-encoded
# as an upload is: re-saving at JPEG quality 30 to 95 or resizing to 50-150 %
# moved the hash by at most 4 bits, brightening by 10 % by at most 6; the
# closest two different photographs were 20 bits apart (unrelated photos are
# typically ~32 apart), two frames of a stereo camera 4. Crops of a few per cent
# and mirrored copies are not caught. pHash sets exactly half of its bits, so
# distances are even: 6 is the next step above the re-save and resize margin.
# It must stay below 8 for the band look-up (see above) to find every copy.
SAME_PHOTO_DISTANCE = 6
BANDS = 4
BAND_BITS = 16
BAND_MASK = (1 << BAND_BITS) - 1
BAND_COLUMNS = tuple(f"hash_band_{n}" for n in range(BANDS))


def bands(value: int) -> tuple[int, ...]:
    """A hash's four 16-bit bands, most significant first."""
    return tuple((value >> (BAND_BITS * (BANDS - 1 - n))) & BAND_MASK for n in range(BANDS))


def band_columns(hex_hash: str | None) -> dict[str, int | None]:
    """The band columns of an Evidence row for this hash (all None without one)."""
    if hex_hash is None:
        return dict.fromkeys(BAND_COLUMNS)
    return dict(zip(BAND_COLUMNS, bands(int(hex_hash, 16)), strict=True))


def near_band_values(value: int) -> Iterator[set[int]]:
    """For each band, the values a near copy's band may have: the same or one bit away."""
    for band in bands(value):
        yield {band} | {band ^ (1 << bit) for bit in range(BAND_BITS)}


def distance(a: str, b: str) -> int:
    """How many bits two hashes differ in."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class Rehashed:
    hashed: int
    missing: int
    unreadable: int


REHASH_BATCH = 500


def rehash_stored(session: Session, storage: Storage) -> Rehashed:
    """Hash every stored image that has no hash yet (files uploaded before hashing); flushes.

    Capture days cannot be recovered: the upload's re-encode removed the EXIF.
    Reads the rows in batches by id, so a school's 100,000 rows are never held at once.
    """
    hashed = missing = unreadable = 0
    after = 0
    while True:
        batch = session.execute(
            select(Evidence.id, Evidence.stored_name)
            .where(
                Evidence.id > after,
                Evidence.photo_hash.is_(None),
                Evidence.content_type.like("image/%"),
            )
            .order_by(Evidence.id)
            .limit(REHASH_BATCH)
        ).all()
        if not batch:
            break
        found = []
        for evidence_id, stored_name in batch:
            try:
                hex_hash = photo_hash(storage.get(stored_name))
            except FileNotFoundError:
                missing += 1
                continue
            except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
                unreadable += 1
                continue
            found.append({"id": evidence_id, "photo_hash": hex_hash, **band_columns(hex_hash)})
        if found:
            session.execute(update(Evidence), found)
        hashed += len(found)
        after = batch[-1].id
    session.flush()
    return Rehashed(hashed, missing, unreadable)
