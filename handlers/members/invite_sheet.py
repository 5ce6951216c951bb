"""The printed invitations of a cell: an A4 sheet of cards, each a member's name in large print, the QR
code of their invite link, and the code to type; dashed lines to cut along, four cards a page.

Like handlers/printing.py (whose fonts it uses) this draws and nothing else: pure and synchronous,
callers run it in a thread. The QR codes are drawn by segno (pure Python) as PNG images.
"""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from handlers.i18n import fmt_date, t

from ..printing import _BENGALI, MARGIN, PT, PrintUnavailable, clipped, font_files, literal

NAME, TEXT, HEADER = 22, 16, 16  # points: the name large, nothing under 16
LEADING = 1.2
QR_MM = 62.0
COLUMNS, ROWS = 2, 2
TOP = 14.0
NAME_CLIP = 60  # what a card prints of a name at most (a name is at most 200 in the database)


@dataclass(frozen=True)
class InviteCard:
    name: str
    link: str  # https://t.me/<bot>?start=CODE, what the QR code holds
    code: str
    until: date  # the last day it works, in the cell's time zone


def spaced(code: str) -> str:
    """ABCD EFGH JKLM: read aloud and retyped more easily (spaces are ignored when redeemed)."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def sheet_filename(language: str, cell: str) -> str:
    name = t(language, "invites.sheet.filename", cell=literal(cell).replace("\n", " "))
    return re.sub(r'[\\/:*?"<>|]', "-", name)


def qr_png(link: str) -> bytes:
    try:
        import segno
    except ImportError as exc:  # a dependency of the project (pyproject), missing on this machine
        raise PrintUnavailable("the QR code library is missing (pip install segno)") from exc
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def render_invite_sheet(language: str, cell: str, printed_on: date, cards: Sequence[InviteCard]) -> bytes:
    """The cards as a PDF (A4 portrait). Raises PrintUnavailable without the fonts or the QR library."""
    fonts = font_files()
    images = [qr_png(card.link) for card in cards]
    from fpdf import FPDF
    from fpdf.enums import Align, XPos, YPos

    title = t(language, "invites.sheet.title")
    header = f"{title} — {clipped(cell, 120)}".replace("\n", " ")
    printed = t(language, "print.printed_on", date=fmt_date(printed_on))

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN / 2, TOP, MARGIN / 2)
    pdf.set_title(literal(title))
    pdf.set_lang(language)
    pdf.set_creator("handbook")
    for (family, style), path in fonts.items():
        pdf.add_font(family, style, str(path))
    pdf.set_fallback_fonts(["NotoSansBengali"], exact_match=False)
    if language == "bn" or _BENGALI.search(cell) or any(_BENGALI.search(c.name) for c in cards):
        pdf.set_text_shaping(True)

    left, top = MARGIN / 2, TOP + HEADER * PT * 1.4 * 2 + 2
    width = (pdf.w - 2 * left) / COLUMNS
    height = (pdf.h - top - MARGIN / 2) / ROWS
    per_page = COLUMNS * ROWS
    for index, (card, image) in enumerate(zip(cards, images, strict=True)):
        slot = index % per_page
        if slot == 0:
            pdf.add_page()
            pdf.set_font("NotoSans", "B", HEADER)
            pdf.set_xy(left, TOP)
            pdf.multi_cell(pdf.w - 2 * left, HEADER * PT * 1.4, header + "\n" + printed, align=Align.C,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            _cut_lines(pdf, left, top, width, height)
        x = left + (slot % COLUMNS) * width
        y = top + (slot // COLUMNS) * height + 3
        pdf.set_xy(x + 3, y)
        _name(pdf, clipped(card.name, NAME_CLIP).replace("\n", " "), width - 6)
        pdf.image(io.BytesIO(image), x=x + (width - QR_MM) / 2, y=pdf.get_y() + 1, w=QR_MM, h=QR_MM)
        pdf.set_xy(x + 3, pdf.get_y() + QR_MM + 2)
        lines = (("", t(language, "invites.sheet.scan")),
                 ("B", t(language, "invites.sheet.code", code=spaced(card.code))),
                 ("", t(language, "invites.sheet.until", date=fmt_date(card.until))))
        for style, text in lines:
            pdf.set_font("NotoSans", style, TEXT)
            pdf.multi_cell(width - 6, TEXT * PT * LEADING, text, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _name(pdf, name: str, width: float) -> None:
    """The member's name, bold and centred: as large as two lines allow (never under 16 pt)."""
    from fpdf.enums import Align, XPos, YPos

    for size in (NAME, 19, TEXT):
        pdf.set_font("NotoSans", "B", size)
        if len(pdf.multi_cell(width, size * PT * LEADING, name, dry_run=True, output="LINES")) <= 2 or size == TEXT:
            break
    pdf.multi_cell(width, size * PT * LEADING, name, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _cut_lines(pdf, left: float, top: float, width: float, height: float) -> None:
    """Dashed lines around and between the cards of a page."""
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=3, gap=2)
        for column in range(COLUMNS + 1):
            pdf.line(left + column * width, top, left + column * width, top + ROWS * height)
        for row in range(ROWS + 1):
            pdf.line(left, top + row * height, left + COLUMNS * width, top + row * height)
