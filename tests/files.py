"""Files the tests upload, made in memory."""

from __future__ import annotations

import io

from openpyxl import Workbook


def xlsx(rows) -> bytes:
    """A workbook whose first sheet holds ``rows``."""
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
