"""Large-print A4 sheets for members without Telegram: a notice, a meeting invitation or a vote's
result, with the cell's members who are not on Telegram in a table to sign, so the secretary can
hand it out on paper.

Like handlers/charts.py this draws and nothing else: render_sheet(sheet) -> PDF bytes, pure and
synchronous (the fonts are parsed each time: callers run it in a thread, asyncio.to_thread). The
members come from models.paper.members_without_telegram; who may print is the caller's check.

Large print: nothing smaller than 16 pt (body 18 pt, titles larger), wide margins, a header with
the cell's name and the date on every page, "Trang 1/2" at the foot, the table's header repeated
on every page it runs over. Fonts (Debian's fonts-noto-core): Noto Sans for Latin and Vietnamese,
Noto Sans Bengali as the fallback for Bengali script, text shaped by HarfBuzz (Bengali conjuncts
and vowel signs). A missing font raises PrintUnavailable, which callers catch.

Every string is drawn as written: no markdown, no HTML, and the page-total placeholder is chosen
so that no text on the sheet contains it (fpdf2 would otherwise replace "{nb}" in a title).
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from handlers.i18n import fmt_date, t

SheetKind = Literal["notice", "meeting", "vote"]
FactKind = Literal["time", "place", "closes", "sender"]

NOTO = Path("/usr/share/fonts/truetype/noto")
# family name in the PDF -> style -> the file fonts-noto-core installs
FONTS: dict[str, dict[str, str]] = {
    "NotoSans": {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"},
    "NotoSansBengali": {"": "NotoSansBengali-Regular.ttf", "B": "NotoSansBengali-Bold.ttf"},
}
REQUIRED = {("NotoSans", ""), ("NotoSans", "B"), ("NotoSansBengali", "")}

# Sizes in points, lengths in millimetres.
HEADER, FOOTER, TABLE = 16, 16, 16
BODY, FACT, SECTION = 18, 18, 18
KIND, TITLE = 24, 21
MARGIN, TOP, BOTTOM = 20.0, 16.0, 22.0
SIGN_WIDTH, ANSWER_WIDTH, NUMBER_WIDTH = 58.0, 36.0, 16.0
ROW_HEIGHT = 15.0  # room for a signature
PT = 25.4 / 72  # one point in millimetres
LEADING = 1.45  # line height as a multiple of the font size
# What the header and a table cell print at most (a name or a unit is at most 200 in the database):
# a row must fit on one page, and the header repeats on every page.
CLIP = 200

# C0/C1 controls (but the newline) print as boxes or shift the text: they go; a tab is a space.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bengali script: its conjuncts and vowel signs need shaping (Vietnamese in NFC does not, and shaping is slower).
_BENGALI = re.compile(r"[\u0980-\u09ff]")


class PrintUnavailable(RuntimeError):
    """The sheet cannot be drawn on this machine (a font is missing); the message says what to install."""


@dataclass(frozen=True)
class SheetMember:
    """One row of the table: a member without Telegram, and what the optional column says (their answer)."""

    name: str
    answer: str = ""


@dataclass(frozen=True)
class Sheet:
    """What a printed sheet says. Texts come as written (people's words and names); labels and
    headings are worded here from locales/*/printing.po in `language`."""

    language: str
    kind: SheetKind  # the heading: "Thông báo", "Giấy mời họp", "Kết quả biểu quyết"
    unit: str  # the cell's name
    title: str
    printed_on: date  # the caller's local date (this module reads no clock)
    body: Sequence[str] = ()  # paragraphs; a newline inside one breaks the line
    facts: Sequence[tuple[FactKind, str]] = ()  # e.g. ("time", "19:30 05/12/2026"), ("place", "Nhà văn hóa tổ 3")
    members: Sequence[SheetMember] = ()
    answer_column: bool = False  # a column between the name and the signature, filled from SheetMember.answer


def literal(text: str) -> str:
    """The text as it will print: NFC, tabs as spaces, control characters (but newlines) removed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    return _CONTROLS.sub("", text)


def clipped(text: str, limit: int = CLIP) -> str:
    """`text` as printed where one page must hold it (the header, a table cell): at most `limit` characters."""
    text = literal(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sheet_texts(sheet: Sheet) -> list[str]:
    """Every string of the sheet that comes from people (what the page-total placeholder must not occur in)."""
    return [sheet.unit, sheet.title, *sheet.body, *(v for _, v in sheet.facts),
            *(m.name for m in sheet.members), *(m.answer for m in sheet.members)]


def total_placeholder(texts: Sequence[str]) -> str:
    """A page-total alias that occurs in none of `texts` (fpdf2 replaces it wherever it is drawn)."""
    n = 0
    while any(f"{{pages{n}}}" in text for text in texts):
        n += 1
    return f"{{pages{n}}}"


def filename(sheet: Sheet) -> str:
    """The PDF's file name as members see it in Telegram: "Bản in - Thông báo - 05-12-2026.pdf"."""
    name = t(sheet.language, "print.filename", kind=t(sheet.language, f"print.kind.{sheet.kind}"),
             date=sheet.printed_on.strftime("%d-%m-%Y"))
    return re.sub(r'[\\/:*?"<>|]', "-", literal(name).replace("\n", " "))


def _fontconfig_files() -> dict[str, Path]:
    """File name -> path of every font fontconfig knows (fc-list), for fonts installed elsewhere."""
    fc = shutil.which("fc-list")
    if fc is None:
        return {}
    try:
        out = subprocess.run([fc, "-f", "%{file}\n"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    paths = [Path(line) for line in out.stdout.splitlines() if line.strip()]
    return {path.name: path for path in paths if path.is_file()}


@functools.cache
def font_files() -> dict[tuple[str, str], Path]:
    """(family, style) -> the TTF file: Debian's path first, else a file of that name that fontconfig knows."""
    found = {(family, style): NOTO / file for family, styles in FONTS.items() for style, file in styles.items()
             if (NOTO / file).is_file()}
    if len(found) < sum(len(styles) for styles in FONTS.values()):
        elsewhere = _fontconfig_files()
        for family, styles in FONTS.items():
            for style, file in styles.items():
                if (family, style) not in found and file in elsewhere:
                    found[family, style] = elsewhere[file]
    missing = sorted(FONTS[family][style] for family, style in REQUIRED - set(found))
    if missing:
        raise PrintUnavailable(f"fonts missing: {', '.join(missing)} (install the Debian package fonts-noto-core)")
    return found


def render_sheet(sheet: Sheet) -> bytes:
    """The sheet as a PDF (A4 portrait, large print). Raises PrintUnavailable without the fonts."""
    fonts = font_files()
    from fpdf import FPDF
    from fpdf.enums import Align, XPos, YPos
    from fpdf.fonts import FontFace

    lang = sheet.language
    alias = total_placeholder(sheet_texts(sheet))
    header_left = clipped(sheet.unit).replace("\n", " ")
    header_right = t(lang, "print.printed_on", date=fmt_date(sheet.printed_on))

    class Paper(FPDF):
        def header(self) -> None:
            height = HEADER * PT * 1.3
            self.set_font("NotoSans", "", HEADER)
            right = self.get_string_width(header_right) + 2
            self.set_xy(self.w - MARGIN - right, TOP)
            self.cell(right, height, header_right, align=Align.R)
            self.set_font("NotoSans", "B", HEADER)
            self.set_xy(MARGIN, TOP)
            self.multi_cell(self.epw - right - 4, height, header_left, align=Align.L,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            bottom = max(self.y, TOP + height) + 1.5
            self.line(MARGIN, bottom, self.w - MARGIN, bottom)
            self.set_y(bottom + 5)

        def footer(self) -> None:
            self.set_y(-BOTTOM + 6)
            self.set_font("NotoSans", "", FOOTER)
            self.cell(0, FOOTER * PT * 1.3, t(lang, "print.page", page=self.page_no(), pages=alias), align=Align.C)

    pdf = Paper(orientation="P", unit="mm", format="A4")
    pdf.alias_nb_pages(alias)
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.set_title(literal(sheet.title).replace("\n", " "))
    pdf.set_lang(lang)
    pdf.set_creator("handbook")
    for (family, style), path in fonts.items():
        pdf.add_font(family, style, str(path))
    pdf.set_fallback_fonts(["NotoSansBengali"], exact_match=False)
    if lang == "bn" or any(_BENGALI.search(text) for text in sheet_texts(sheet)):
        pdf.set_text_shaping(True)
    pdf.add_page()

    def paragraph(text: str, size: int, style: str = "", align: Align = Align.L, after: float = 0) -> None:
        pdf.set_font("NotoSans", style, size)
        pdf.multi_cell(0, size * PT * LEADING, literal(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(after)

    paragraph(t(lang, f"print.kind.{sheet.kind}"), KIND, "B", Align.C, after=2)
    paragraph(sheet.title, TITLE, "B", Align.C, after=6)
    for kind, value in sheet.facts:
        pdf.set_font("NotoSans", "B", FACT)
        label = t(lang, f"print.fact.{kind}") + " "
        pdf.set_x(MARGIN)
        pdf.cell(pdf.get_string_width(label) + 1, FACT * PT * LEADING, label)
        pdf.set_font("NotoSans", "", FACT)
        pdf.multi_cell(0, FACT * PT * LEADING, literal(value), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if sheet.facts:
        pdf.ln(4)
    for text in sheet.body:
        paragraph(text, BODY, after=BODY * PT * 0.5)

    # The table: its section heading is never left alone at the foot of a page.
    if pdf.will_page_break(SECTION * PT * LEADING * 2 + 2 * ROW_HEIGHT + 8):
        pdf.add_page()
    pdf.ln(4)
    paragraph(t(lang, "print.members_heading"), SECTION, "B", after=1)
    if not sheet.members:
        paragraph(t(lang, "print.no_members"), BODY)
        return bytes(pdf.output())
    paragraph(t(lang, "print.sign_note"), TABLE, after=3)
    widths = [NUMBER_WIDTH, 0.0, *([ANSWER_WIDTH] if sheet.answer_column else []), SIGN_WIDTH]
    widths[1] = pdf.epw - sum(widths)
    headings = [t(lang, "print.col.number"), t(lang, "print.col.name"),
                *([t(lang, "print.col.answer")] if sheet.answer_column else []), t(lang, "print.col.sign")]
    aligns = ["C", "L", *(["L"] if sheet.answer_column else []), "L"]
    pdf.set_font("NotoSans", "", TABLE)
    with pdf.table(col_widths=widths, width=pdf.epw, text_align=aligns, line_height=TABLE * PT * 1.35,
                   min_row_height=ROW_HEIGHT, padding=(1.5, 2.0), markdown=False, repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(225, 225, 225))) as table:
        row = table.row()
        for heading in headings:
            row.cell(heading)
        for number, member in enumerate(sheet.members, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(clipped(member.name))
            if sheet.answer_column:
                row.cell(clipped(member.answer))
            row.cell("")
    return bytes(pdf.output())
