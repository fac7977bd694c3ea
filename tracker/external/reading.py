"""Reading a system of record's report: which row is the header, which column is which.

The bytes are decoded as member import decodes them (UTF-8 with or without a
BOM, else GB18030, as Excel saves CSV on Chinese Windows; XLSX by openpyxl).
A report may start with a title row or two ("学习强国积分统计"), so the header is
the first of the top rows that names a known column.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from tracker.spreadsheets import FileRefused, read_rows

FIELDS = ("student_no", "name", "phone", "organisation", "value")
MAX_ROWS = 10000
HEADER_SEARCH = 10

# Headers recognised without a mapping, in the words the exports use.
DEFAULT_HEADERS = {
    "student_no": ("学号", "学工号", "student_no"),
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机号码", "phone"),
    "organisation": ("所属组织", "组织", "所在支部", "organisation"),
}
# The number's column depends on the period the report covers: a 学习强国 export
# has both 总积分 (cumulative) and 本周积分.
VALUE_HEADERS = {
    "cumulative": ("总积分", "累计积分", "总时长", "累计时长", "时长", "学分", "积分", "value"),
    "week": ("本周积分", "周积分", "时长", "学分", "积分", "value"),
    "month": ("本月积分", "月积分", "时长", "学分", "积分", "value"),
    "day": ("今日积分", "当日积分", "时长", "学分", "积分", "value"),
}


@dataclass
class Report:
    header: list[str]
    # {field: index of its column}
    columns: dict[str, int]
    # (row number as the spreadsheet numbers it, cells)
    rows: list[tuple[int, list[str]]]

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return (cells[index] or "").strip()

    def mapping(self) -> dict[str, str]:
        """{field: header} as found, to remember for the source."""
        return {name: self.header[index] for name, index in self.columns.items()}


def raw_rows(data: bytes) -> list[list[str]]:
    return read_rows(data, MAX_ROWS + HEADER_SEARCH)


def _find(header: list[str], names) -> int | None:
    for name in names:
        if name and name in header:
            return header.index(name)
    return None


def _columns(header: list[str], period_kind: str, remembered: dict, chosen: dict) -> dict:
    columns = {}
    for name in FIELDS:
        defaults = VALUE_HEADERS[period_kind] if name == "value" else DEFAULT_HEADERS[name]
        index = _find(header, (chosen.get(name), remembered.get(name), *defaults))
        if index is not None:
            columns[name] = index
    return columns


def _header_row(rows, period_kind: str, remembered: dict, chosen: dict) -> tuple[int, dict]:
    for at, header in enumerate(rows[:HEADER_SEARCH]):
        columns = _columns(header, period_kind, remembered, chosen)
        if "value" in columns and ("student_no" in columns or "name" in columns):
            return at, columns
    raise FileRefused(
        _l(
            "No column of the file was recognised. Choose which column holds the number "
            "and which the student number or name; recognised headers are %(known)s.",
            known="学号, 姓名, 手机号, 所属组织, 总积分, 本周积分, 时长",
        )
    )


def read_report(
    data: bytes, period_kind: str, remembered: dict | None = None, chosen: dict | None = None
) -> Report:
    """The report's header, columns and non-empty rows.

    ``chosen`` ({field: header}) is what the user picked now, ``remembered``
    what the source used last time; the default headers come after both.
    Raises FileRefused when no header names the number and a member.
    """
    rows = raw_rows(data)
    at, columns = _header_row(rows, period_kind, remembered or {}, chosen or {})
    header = rows[at]
    body = [
        (number, cells) for number, cells in enumerate(rows[at + 1 :], start=at + 2) if any(cells)
    ]
    if len(body) > MAX_ROWS:
        raise FileRefused(_l("At most %(n)d rows per file.", n=MAX_ROWS))
    return Report(header=header, columns=columns, rows=body)


def header_of(data: bytes) -> list[str]:
    """The first non-empty row, for a page that asks which column is which."""
    return next((row for row in raw_rows(data)[:HEADER_SEARCH] if any(row)), [])
