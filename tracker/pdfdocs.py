"""PDFs the tracker prints: an event's sign-in sheet (签到表) and a member's points
certificate (积分证明), in a Chinese font found on the server.

Drawing only: the doors hand over text already in the reader's language, so this
module knows nothing of requests, access or translations. fpdf2 draws, because it
embeds the subset of a font's glyphs a page uses from TrueType and OpenType (CFF)
fonts alike, collections (.ttc) included; Debian's fonts-noto-cjk ships only
OpenType/CFF collections, which reportlab cannot embed.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import TableBordersLayout, WrapMode

# Where Debian's packages put a Chinese font, best first, with the package that does.
WELL_KNOWN_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "fonts-noto-cjk"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
)
# What `doctor` and the README tell a campus server to install.
FONT_PACKAGE = "fonts-noto-cjk"
# A character every document prints (积分, 签到): a font without it prints boxes.
PROBE = "积签"
FAMILY = "cjk"
GREY = (235, 235, 235)


@dataclass(frozen=True)
class Font:
    path: Path
    face: int  # which face of a collection (.ttc): the simplified-Chinese one


def find_font(configured: str = "") -> Font | None:
    """The font ``TRACKER_PDF_FONT`` names, else the first of WELL_KNOWN_FONTS on this
    machine; None when there is none, or it has no Chinese characters."""
    candidates = [configured] if configured else [path for path, _ in WELL_KNOWN_FONTS]
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            face = _chinese_face(str(path), path.stat().st_mtime_ns)
            if face is not None:
                return Font(path, face)
    return None


@functools.cache
def _chinese_face(path: str, _mtime: int) -> int | None:
    """The face of the file that has Chinese characters, preferring a simplified-Chinese
    one ("Noto Sans CJK SC" is the third of its collection); None if none has them."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    try:
        if path.lower().endswith((".ttc", ".otc")):
            with TTCollection(path, lazy=True) as collection:
                return _best_face(list(collection.fonts))
        with TTFont(path, lazy=True) as font:
            return _best_face([font])
    except (OSError, TTLibError, AssertionError, KeyError, ValueError):
        return None


def _best_face(faces: list) -> int | None:
    # Names first (a small table), then the character map of one face only.
    order = sorted(
        range(len(faces)),
        key=lambda i: (not str(faces[i]["name"].getDebugName(1) or "").endswith(" SC"), i),
    )
    for index in order:
        cmap = faces[index].getBestCmap() or {}
        if all(ord(ch) in cmap for ch in PROBE):
            return index
    return None


class _Paper(FPDF):
    """A4, portrait, with the page number at the foot of each page."""

    def __init__(self, font: Font, title: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(FAMILY, fname=str(font.path), collection_font_number=font.face)
        self.set_title(title)
        self.set_creator("tracker")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=16)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="C")

    def heading(self, text: str, size: int = 16) -> None:
        self.set_font(FAMILY, size=size)
        self.multi_cell(0, 9, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def lines(self, lines: Sequence[str], size: int = 10) -> None:
        self.set_font(FAMILY, size=size)
        for line in lines:
            self.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)

    def grid(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[int],
        line_height: float = 8,
    ) -> None:
        self.set_font(FAMILY, size=10)
        with self.table(
            col_widths=tuple(widths),
            line_height=line_height,
            wrapmode=WrapMode.CHAR,
            headings_style=FontFace(fill_color=GREY),
            borders_layout=TableBordersLayout.ALL,
            repeat_headings=1,
        ) as table:
            for values in (header, *rows):
                row = table.row()
                for value in values:
                    row.cell(value)


def signin_sheet(
    font: Font,
    *,
    title: str,
    lines: Sequence[str],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> bytes:
    """A printable A4 sign-in sheet: the title, the event's particulars and one row a
    person, the last column left blank for a signature in ink."""
    paper = _Paper(font, title)
    paper.heading(title)
    paper.lines(lines)
    paper.ln(3)
    # Name, student number, checked in or leave, signature: the signature gets room.
    paper.grid(header, rows, widths=(26, 28, 56, 42), line_height=10)
    return bytes(paper.output())


@dataclass(frozen=True)
class CertificateText:
    """What a certificate says, in the reader's language."""

    title: str
    lines: Sequence[str]  # who, which branch, which period
    header: Sequence[str]  # category, points, hours
    rows: Sequence[Sequence[str]]
    milestones_heading: str
    milestones: Sequence[str]
    closing: Sequence[str]  # issued by, on; the verification code and address
    verify_url: str


def certificate(font: Font, text: CertificateText) -> bytes:
    """A one-page A4 certificate with a QR code of its public verification address."""
    paper = _Paper(font, text.title)
    paper.ln(6)
    paper.heading(text.title, size=20)
    paper.ln(2)
    paper.lines(text.lines, size=11)
    paper.ln(3)
    paper.grid(text.header, text.rows, widths=(80, 46, 46))
    if text.milestones:
        paper.ln(4)
        paper.lines([text.milestones_heading], size=11)
        paper.lines([f"· {name}" for name in text.milestones])
    paper.ln(6)
    paper.lines(text.closing)
    qr = io.BytesIO()
    segno.make(text.verify_url, error="m").save(qr, kind="png", scale=8, border=2)
    qr.seek(0)
    side = 32
    paper.image(qr, x=paper.w - paper.r_margin - side, y=paper.get_y() + 2, w=side)
    return bytes(paper.output())
