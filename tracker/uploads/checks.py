"""What every uploaded file passes: judged by its content, images re-encoded without metadata.

Evidence (tracker.activities.evidence) and minutes attachments
(tracker.events.minutes_files) go through the same checks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from tracker.errors import InvalidInput
from tracker.uploads import pdfs, photos

IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
PDF_TYPE = ("application/pdf", "pdf")
# Pixels are counted from the file's header, before anything is decoded:
# decoding costs as much as the pixels, not the bytes (a 100 KB PNG of 36
# million black pixels took 1.4 s and 280 MB to decode and store). Phones take
# 12 MP photos by default and 48-50 MP ones in a "high resolution" mode, as
# baseline JPEG, which is decoded already scaled down by 2, 4 or 8 (see
# _reencode): 50 MP of it costs about what 12 MP do, 0.5 s and 100 MB. Any
# other image is decoded whole, so it may have 16 MP, enough for a 12-16 MP
# photo saved as PNG, WebP or progressive JPEG; the costliest such file (RGBA
# PNG, progressive JPEG) takes about 1.6 s and 195 MB. A progressive JPEG keeps
# all its coefficients in memory at any scale: 50 MP of it took 335 MB. (Times
# measured on a busy 2-core machine; one member sends at most
# TRACKER_UPLOAD_LIMIT_PER_MINUTE files a minute.)
MAX_PIXELS = 16_000_000
MAX_PIXELS_SCALED_JPEG = 50_000_000
# Stored photos need not be larger than a screen shows them: 2560 px on the
# long side keeps a certificate legible at a few hundred KB.
MAX_EDGE = 2560


@dataclass(frozen=True)
class PreparedFile:
    data: bytes
    content_type: str
    extension: str
    original_name: str
    # Images only: the perceptual hash of the stored file and the day the
    # camera says it was taken (see tracker.uploads.photos).
    photo_hash: str | None = None
    captured_on: date | None = None


# What of an image's metadata the re-encode keeps: only what draws the pixels.
_KEPT_INFO = ("transparency",)


def _reencode(image: Image.Image, fmt: str) -> bytes:
    # A JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size when that is
    # still at least MAX_EDGE (draft; must come before anything loads it), then
    # scaled down for good; the smaller image is what is turned and encoded.
    image.draft(None, _fitting(image.size))
    image.thumbnail((MAX_EDGE, MAX_EDGE))
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


def prepare(name: str, data: bytes, limit_bytes: int, field: str) -> PreparedFile:
    """Check one uploaded file and return what will be stored.

    Accepts JPEG, PNG and WebP images (re-encoded, metadata removed) and PDF,
    judged by the bytes, never by the file name. A refusal is an InvalidInput
    on ``field`` that names the file and says what is wrong with it.
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
        return PreparedFile(pdfs.rewritten(name, data, field), *PDF_TYPE, original_name=name)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Opening reads only the header: the size is known, nothing is decoded yet.
            fmt = probe.format
            if fmt not in IMAGE_TYPES:
                raise UnidentifiedImageError(fmt)
            if probe.width * probe.height > _pixel_limit(probe):
                raise _too_many_pixels(name, field)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            # Read before the re-encode, which drops the EXIF (the header has it).
            captured_on = photos.capture_day(image)
            encoded = _reencode(image, fmt)
        photo_hash = photos.photo_hash(encoded)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard, far above MAX_PIXELS
        raise _too_many_pixels(name, field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
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


def _pixel_limit(image: Image.Image) -> int:
    """Baseline JPEGs are decoded scaled down (see ``_reencode``), other images whole."""
    if image.format == "JPEG" and not image.info.get("progressive"):
        return MAX_PIXELS_SCALED_JPEG
    return MAX_PIXELS


def _too_many_pixels(name: str, field: str) -> InvalidInput:
    return InvalidInput({field: _l("%(name)s has too many pixels.", name=name)})


def _fitting(size: tuple[int, int]) -> tuple[int, int]:
    """The largest size within MAX_EDGE x MAX_EDGE with the proportions of ``size``."""
    scale = min(1, MAX_EDGE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
