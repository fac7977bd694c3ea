"""Writing a report as a Word file (.docx), the format colleges ask branches for.

A report is a title, a few lines under it, paragraphs, and numbered sections
each holding a table and the note that says where its numbers come from; the
same ``Report`` is also written as a workbook (``spreadsheets.to_xlsx_book``,
a sheet per table), so both files carry the same numbers. Chinese text is set
in 宋体 with 黑体 headings, as the documents a college files are.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

BODY_FONT, HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"


@dataclass
class Table:
    title: str
    header: Sequence[str]
    rows: list[Sequence]
    source: str  # the page or export that shows the same numbers
    sheet: str = ""  # the workbook's sheet name; the title when empty


@dataclass
class Report:
    title: str
    lines: list[str]  # under the title: who, which period, when written
    summary: list[str]
    tables: list[Table]
    closing: list[str] = field(default_factory=list)  # signature lines
    front_sheet: str = "Report"  # the workbook's first sheet: title, lines and summary


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fonts(run_or_style, east_asian: str) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    # python-docx sets only the Latin font; Word picks Chinese glyphs from eastAsia.
    element = run_or_style.element
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)


def _run(paragraph, text: str, *, size: float, bold: bool = False, font: str = BODY_FONT):
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    run.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(run, font)
    return run


def _table(document, table: Table) -> None:
    grid = document.add_table(rows=1, cols=len(table.header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
        cell.text = ""
        _run(cell.paragraphs[0], str(text), size=9, bold=True, font=HEADING_FONT)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = ""
            _run(cell.paragraphs[0], cell_text(value), size=9)


def to_docx(report: Report) -> bytes:
    """The report as a Word document: title, lines, summary, then each table with its source."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(11)
    _fonts(normal, BODY_FONT)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, report.title, size=18, bold=True, font=HEADING_FONT)
    for line in report.lines:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, line, size=10.5)
    for text in report.summary:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(22)
        _run(paragraph, text, size=11)
    for table in report.tables:
        heading = document.add_paragraph()
        heading.paragraph_format.space_before = Pt(12)
        _run(heading, table.title, size=13, bold=True, font=HEADING_FONT)
        _table(document, table)
        note = document.add_paragraph()
        _run(note, table.source, size=8.5).italic = True
    for line in report.closing:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.space_before = Pt(18)
        _run(paragraph, line, size=11)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def sheets(report: Report) -> list[tuple[str, Sequence[str], list[Sequence], str | None]]:
    """The report's tables as ``spreadsheets.to_xlsx_book`` takes them: each sheet's title
    row names the table and its source; a first sheet holds the title and summary."""
    front = [[line] for line in (*report.lines, *report.summary)]
    front += [[f"{t.title} · {t.source}"] for t in report.tables]
    return [
        (report.front_sheet, [report.title], front, None),
        *(
            (t.sheet or t.title, list(t.header), t.rows, f"{t.title} · {t.source}")
            for t in report.tables
        ),
    ]
