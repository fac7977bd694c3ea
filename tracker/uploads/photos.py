"""What an uploaded photo says of itself: its perceptual hash and the day it was taken.

Computed for every image upload (tracker.uploads.checks); what the tracker
makes of them, finding near copies of evidence photos, lives with the
evidence (tracker.activities.fingerprint).
"""

from __future__ import annotations

import io
from datetime import date, datetime

import imagehash
from PIL import ExifTags, Image

# JPEG is decoded at reduced size for hashing (pHash looks at 32x32 pixels anyway).
_HASH_DRAFT_SIZE = (256, 256)


def photo_hash(data: bytes) -> str:
    """The perceptual hash of an encoded image, as 16 hex digits."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("L", _HASH_DRAFT_SIZE)
        return str(imagehash.phash(image))


def capture_day(image: Image.Image) -> date | None:
    """The day the camera says the photo was taken (EXIF DateTimeOriginal), if it says.

    Only the date is kept: the time, the camera and its position are not.
    """
    try:
        taken = image.getexif().get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    except (OSError, ValueError, SyntaxError, TypeError, KeyError):
        return None
    if isinstance(taken, bytes):
        taken = taken.decode("ascii", "replace")
    if not isinstance(taken, str):
        return None
    try:
        # "YYYY:MM:DD HH:MM:SS"; a camera without a clock writes zeros or blanks.
        return datetime.strptime(taken.strip("\x00 ")[:10], "%Y:%m:%d").date()
    except ValueError:
        return None
