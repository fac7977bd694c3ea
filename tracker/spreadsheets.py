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
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from flask_babel import lazy_gettext as _l
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
    return to_xlsx_book([(sheet_name, header, rows, title)])


def to_xlsx_book(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence], str | None]],
) -> bytes:
    """Several tables in one workbook, a sheet each as ``to_xlsx`` writes one:
    (sheet name, header, rows, title). Sheet names are made unique."""
    # openpyxl's write-only mode streams rows instead of holding a cell grid.
    book = Workbook(write_only=True)
    used: set[str] = set()
    for sheet_name, header, rows, title in sheets:
        name = sheet_title(sheet_name)
        number = 2
        while name.lower() in used:
            suffix = f" ({number})"
            name = sheet_title(sheet_name)[: SHEET_NAME_MAX - len(suffix)] + suffix
            number += 1
        used.add(name.lower())
        _write_sheet(book.create_sheet(title=name), header, rows, title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(sheet, header: Sequence[str], rows: Iterable[Sequence], title: str | None):
    rows = [[_xlsx_cell(neutralise(v)) for v in row] for row in rows]
    header = [neutralise(h) for h in header]
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


# --- Reading what people upload ---------------------------------------------

MAX_FILE_BYTES = 5 * 1024 * 1024  # an uploaded sheet (member import, outside points)


class FileRefused(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def read_rows(data: bytes, limit: int) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX file as text, read no further than
    ``limit`` rows past the header (the caller says what is too long).

    CSV may be UTF-8 (with or without BOM) or GB18030, as Excel saves it on
    Chinese Windows; its delimiter is sniffed. Cells are stripped.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            _l("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 1024 // 1024)
        )
    if not data.strip():
        raise FileRefused(_l("The file is empty."))
    rows = _xlsx_rows(data, limit) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    return [[(cell or "").strip() for cell in row] for row in rows]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRefused(_l("The file is neither UTF-8 nor GB18030 text.")) from None


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise FileRefused(_l("This is not a CSV or XLSX file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(data: bytes, limit: int) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileRefused(_l("This XLSX file cannot be read.")) from None
    rows = []
    for values in workbook.worksheets[0].iter_rows(values_only=True):
        rows.append(["" if v is None else _cell_text(v) for v in values])
        if len(rows) > limit + 1:
            break
    workbook.close()
    return rows


def _cell_text(value) -> str:
    # Student numbers typed into Excel become numbers: 2023001 not 2023001.0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
