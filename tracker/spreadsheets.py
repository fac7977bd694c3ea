"""Writing tables as CSV (UTF-8 with a byte-order mark) and XLSX.

Every cell passes ``neutralise``: a text starting with = + - @ (or a tab or
carriage return) would be run as a formula by Excel or LibreOffice, so it is
prefixed with an apostrophe. Numbers stay numbers.

An XLSX file is for people: a bold title row (what, which branch, which
period), then the bold header, frozen and with a filter, and columns as wide
as their contents. A CSV file is for machines: the header is its first row,
no title above it, so every program reads it as a table.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters Excel refuses in a sheet name, and its length limit.
SHEET_NAME_REFUSED = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
MIN_WIDTH, MAX_WIDTH = 6, 60
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


def to_xlsx(
    sheet_name: str, header: Sequence[str], rows: Iterable[Sequence], *, title: str | None = None
) -> bytes:
    rows = [[_xlsx_cell(neutralise(v)) for v in row] for row in rows]
    header = [neutralise(h) for h in header]
    # openpyxl's write-only mode streams rows instead of holding a cell grid.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title(sheet_name))
    for number, width in enumerate(column_widths(header, rows), start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    header_row = 2 if title else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    if header:
        last = get_column_letter(len(header))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(rows), 1)}"
    if title:
        sheet.append([_styled(sheet, neutralise(title), Font(bold=True, size=13))])
    sheet.append([_styled(sheet, h, Font(bold=True)) for h in header])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styled(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def sheet_title(name: str) -> str:
    """A sheet name Excel takes: no []:*?/\\, at most 31 characters, never empty."""
    return SHEET_NAME_REFUSED.sub("_", str(name))[:SHEET_NAME_MAX] or "Sheet"


def text_width(value) -> int:
    """Columns the value takes on screen: a Chinese character is two."""
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value))


def column_widths(header: Sequence, rows: Sequence[Sequence]) -> list[int]:
    widths = [text_width(h) for h in header]
    for row in rows:
        for i, value in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], text_width(value))
    return [min(max(w + 2, MIN_WIDTH), MAX_WIDTH) for w in widths]


def _xlsx_cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def render(
    fmt: str,
    sheet_name: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    title: str | None = None,
) -> bytes:
    """The table as ``fmt``; ``title`` heads an XLSX sheet only (a CSV starts with its header)."""
    if fmt == "csv":
        return to_csv(header, rows)
    return to_xlsx(str(sheet_name), [str(h) for h in header], rows, title=title)


def attachment(name: str, fallback: str) -> str:
    """A Content-Disposition naming the download ``name`` (RFC 6266 / RFC 5987).

    Browsers take ``filename*`` with the UTF-8 name (Chinese included); the
    plain ``filename`` is an ASCII ``fallback`` for clients that do not.
    """
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip("-") or "export"
    if name == ascii_name:
        return f'attachment; filename="{ascii_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
