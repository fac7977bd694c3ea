"""Uploaded PDFs (evidence, minutes attachments), re-written so only what the pages show is kept.

A PDF can carry JavaScript (document, page and link actions), files embedded
in it, forms that submit somewhere, and bytes that another program reads as
HTML. Reviewers and members open these files, so none of that is stored: the pages are
copied into a new document with pypdf, and of each page only what draws it
(its boxes, rotation, contents and the fonts, images and colours those use).
The catalog with its open action, name trees (scripts, attached files) and
form is not copied, nor are annotations (links, widgets, attachments) or the
document's metadata. A file pypdf cannot read is refused.
"""

from __future__ import annotations

import io

from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from tracker.errors import InvalidInput

# What a page needs to be drawn; everything else (/Annots, /AA, /Metadata,
# /PieceInfo, /Thumb, keys a viewer does not know) stays behind.
PAGE_KEYS = {
    "/Type",
    "/Parent",
    "/MediaBox",
    "/CropBox",
    "/BleedBox",
    "/TrimBox",
    "/ArtBox",
    "/Rotate",
    "/UserUnit",
    "/Group",
    "/Contents",
    "/Resources",
}
RESOURCE_KEYS = {
    "/ExtGState",
    "/ColorSpace",
    "/Pattern",
    "/Shading",
    "/XObject",
    "/Font",
    "/ProcSet",
    "/Properties",
}
# A certificate or a scan has a few pages; a document of thousands of empty
# pages would only cost time to copy.
MAX_PAGES = 100


def rewritten(name: str, data: bytes, field: str) -> bytes:
    """The PDF ``data`` re-written without scripts, actions, attachments or forms.

    The result starts with its own %PDF header and holds only the copied
    pages; raises InvalidInput when the file is cut short, cannot be parsed,
    is locked with a password or has no pages (or too many).
    """
    if b"%%EOF" not in data[-2048:]:
        raise InvalidInput({field: _l("%(name)s is not a complete PDF.", name=name)})
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _unreadable(name, field)
        if _more_pages_than(reader, MAX_PAGES):
            raise InvalidInput(
                {field: _l("%(name)s has more than %(n)d pages.", name=name, n=MAX_PAGES)}
            )
        pages = list(reader.pages)
        if not pages:
            raise _unreadable(name, field)
        writer = PdfWriter()
        for page in pages:
            writer.add_page(_drawing_only(page))
        out = io.BytesIO()
        writer.write(out)
    except InvalidInput:
        raise
    # The parser meets hostile input: whatever it raises on a malformed file
    # (its own errors, but also KeyError, TypeError, RecursionError...) means
    # that this file is refused, not that the request fails.
    except Exception:
        raise _unreadable(name, field) from None
    return out.getvalue()


def _more_pages_than(reader: PdfReader, limit: int) -> bool:
    """Whether the page tree holds more than ``limit`` pages, reading little of it.

    pypdf reads every page object to count them (seconds for 40,000 of them
    in a 5 MB file); this walk stops as soon as the limit is passed, whatever
    the tree's /Count claims. Intermediate nodes count too, so a chain or a
    loop of them ends the walk as well.
    """
    pending = [reader.root_object["/Pages"]]
    seen = 0
    while pending:
        node = pending.pop().get_object()
        seen += 1
        kids = node.get("/Kids")
        if kids is not None:
            if len(kids) > limit:
                return True
            pending.extend(kids)
        if seen > 2 * limit:
            return True
    return False


def _unreadable(name: str, field: str) -> InvalidInput:
    message = _l(
        "%(name)s could not be read as a PDF (damaged, or locked with a password).", name=name
    )
    return InvalidInput({field: message})


def _drawing_only(page: DictionaryObject) -> DictionaryObject:
    for key in set(page.keys()) - PAGE_KEYS:
        del page[key]
    resources = page.get("/Resources")
    if resources is not None:
        resources = resources.get_object()
        kept = {key: resources.raw_get(key) for key in resources if key in RESOURCE_KEYS}
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject(key): value for key, value in kept.items()}
        )
    return page
