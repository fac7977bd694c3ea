"""Writing tables as CSV (UTF-8 with a byte-order mark) and XLSX.

Every cell passes ``neutralise``: a text starting with = + - @ (or a tab or
carriage return) would be run as a formula by Excel or LibreOffice, so it is
prefixed with an apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv",  # Flask adds "; charset=utf-8" to text types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value):
    """A cell value safe to open in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    # The BOM makes Excel read the file as UTF-8, so Chinese names survive.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(neutralise(v)) for v in row])
    return out.getvalue().encode("utf-8")


def _csv_cell(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    # openpyxl's write-only mode streams rows instead of holding a cell grid.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([neutralise(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(neutralise(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def render(fmt: str, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    if fmt == "csv":
        return to_csv(header, rows)
    return to_xlsx(title, header, rows)
