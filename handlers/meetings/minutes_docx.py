"""The minutes as a Word document, in the layout party offices use (Times New Roman, 14 pt).

Header in two columns — the organisation above and the cell on the left, "ĐẢNG CỘNG SẢN VIỆT NAM"
on the right with the date — then the title, the sections, and the signatures of the recorder
and the chair. Every word comes from the catalog of the language asked for (Vietnamese for the
record). Pure function: facts in, .docx bytes out; run it off the event loop.
"""
from __future__ import annotations

import copy
import io
import threading
import zipfile
from datetime import date, tzinfo
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from models.meetings import MeetingKind
from models.minutes import Minutes, length_of

from ..i18n import t

# A font name, not a sentence: joined so the catalog check (tests/test_catalogs.py) does not take it for one.
FONT = " ".join(("Times", "New", "Roman"))
BODY_PT = 14
TITLE_PT = 15
HEADER_PT = 13


_FONT_ATTRS = tuple(qn(a) for a in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"))
_OFF, _VAL = {qn("w:val"): "0"}, qn("w:val")


class _Protos(threading.local):
    """The properties built once, per thread (drawings run in worker threads; a tree is never shared by two)."""

    def __init__(self) -> None:
        self.rpr: dict[tuple[float, bool, bool, bool], Any] = {}
        self.ppr: dict[tuple[Any, float, bool], Any] = {}


_PROTOS = _Protos()


def _rpr(size: float, bold: bool, italic: bool, underline: bool) -> Any:
    """The run properties every run of ours carries — Times New Roman in every script, the size, bold, italic,
    underline always said (on or off) — built once per combination and copied: the XML python-docx's setters
    write, without their search of the schema's order on every run."""
    key = (size, bold, italic, underline)
    if (proto := _PROTOS.rpr.get(key)) is None:
        proto = OxmlElement("w:rPr")
        fonts = OxmlElement("w:rFonts")
        for attr in _FONT_ATTRS:
            fonts.set(attr, FONT)
        proto.append(fonts)
        proto.append(OxmlElement("w:b", None if bold else _OFF))
        proto.append(OxmlElement("w:i", None if italic else _OFF))
        proto.append(OxmlElement("w:sz", {_VAL: str(int(Pt(size).pt * 2))}))
        proto.append(OxmlElement("w:u", {_VAL: "single" if underline else "none"}))
        _PROTOS.rpr[key] = proto
    return copy.deepcopy(proto)


_PRESERVE = qn("xml:space")
_TABLE_STYLES: dict[str, str | None] = {}


def _run(p, text: str, size: float = BODY_PT, *, bold: bool = False, italic: bool = False,
         underline: bool = False) -> Any:
    """A run of text at the end of paragraph `p` (a Paragraph or its w:p), in our font: the XML python-docx's
    add_run and _font write, built directly (a tab or a line break inside goes through python-docx's own)."""
    p = getattr(p, "_p", p)
    r = OxmlElement("w:r")
    r.append(_rpr(size, bold, italic, underline))
    if "\t" in text or "\n" in text or "\r" in text:
        r.text = text
    elif text:
        t_ = OxmlElement("w:t")
        t_.text = text
        if len(text.strip()) < len(text):
            t_.set(_PRESERVE, "preserve")
        r.append(t_)
    p.append(r)
    return r


def table_style(doc: Any, table: Any, name: str) -> None:
    """`table.style = name`, the style's id looked up once (every document shares the template's styles)."""
    if name not in _TABLE_STYLES:
        _TABLE_STYLES[name] = doc.part.get_style_id(name, WD_STYLE_TYPE.TABLE)
    table._tbl.tblStyle_val = _TABLE_STYLES[name]


def _font(run, size: float = BODY_PT, *, bold: bool = False, italic: bool = False, underline: bool = False) -> None:
    r = run._element
    if (old := r.rPr) is not None:
        r.remove(old)
    r.insert(0, _rpr(size, bold, italic, underline))


def _ppr(align, space_after: float, indent: bool) -> Any:
    """A paragraph's properties (spacing, first-line indent, alignment), built once per combination."""
    key = (align, space_after, indent)
    if (proto := _PROTOS.ppr.get(key)) is None:
        p = OxmlElement("w:p")
        fmt = p.get_or_add_pPr()
        fmt.spacing_after, fmt.spacing_before = Pt(space_after), Pt(0)
        if indent:
            fmt.first_line_indent = Cm(1)
        fmt.jc_val = align
        proto = _PROTOS.ppr[key] = fmt
    return copy.deepcopy(proto)


def _para(container, text: str = "", *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, size: float = BODY_PT, bold: bool = False,
          italic: bool = False, underline: bool = False, space_after: float = 3, indent: bool = False):
    p = container.add_paragraph()
    p._p.insert(0, _ppr(align, space_after, indent))
    if text:
        _run(p, text, size, bold=bold, italic=italic, underline=underline)
    return p


def _labelled(doc, label: str, value: str) -> None:
    p = _para(doc, indent=True)
    _run(p, label, bold=True)
    _run(p, " " + value)


STANDARD_OPTIONS = ("agree", "disagree", "other")


def option_label(lang: str, label: str, kind: str) -> str:
    """"Đồng ý / Không đồng ý / Ý kiến khác" are named in the reader's language; other options as typed."""
    if not label and kind in STANDARD_OPTIONS:
        return t(lang, f"minutes.option.{kind}")
    return label or kind


def verdict(lang: str, v) -> str:
    """"Thông qua (quá nửa của 9)"; the rule says whose half."""
    if v.passed is None:
        return ""
    key = "minutes.vote.passed" if v.passed else "minutes.vote.failed"
    rule = t(lang, f"minutes.rule.{v.rule}", base=v.base if v.base is not None else "—") \
        if v.rule in ("members", "present", "cast", "two_thirds") else ""
    return t(lang, key, rule=rule)


def length_line(lang: str, m: Minutes) -> str | None:
    """"Thời lượng: 1 giờ 35 phút (tối thiểu 90 phút theo HD 42)": shown beside the rule, never enforced."""
    length = length_of(m)
    if length is None:
        return None
    hours, minutes = divmod(length.minutes, 60)
    key = "meeting.length.hm" if hours and minutes else ("meeting.length.h" if hours else "meeting.length.m")
    said = t(lang, key, hours=hours, minutes=minutes)
    if length.minimum is None:
        return t(lang, "minutes.length_plain", length=said)
    return t(lang, "minutes.length", length=said, minimum=length.minimum, rule=length.rule)


def _local(value, tz):
    return value.astimezone(tz) if tz else value


def docx_name(m: Minutes, tz: tzinfo | None) -> str:
    return f"bien-ban-{_local(m.starts_at, tz).strftime('%Y-%m-%d')}-{m.meeting_id}.docx"


class _Template(threading.local):
    """The blank page of each orientation, prepared once per thread: its document element, kept pristine and
    copied for each new document, and the package's other parts as a zip written once (compressed once)."""

    def __init__(self) -> None:
        self.pages: dict[bool, tuple[Any, Any, bytes]] = {}

    def page(self, landscape: bool) -> tuple[Any, Any, bytes]:
        if (made := self.pages.get(landscape)) is None:
            doc = _prepared(landscape)
            buffer = io.BytesIO()
            doc.save(buffer)
            rest = io.BytesIO()
            with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as full, \
                    zipfile.ZipFile(rest, "w", zipfile.ZIP_DEFLATED) as out:
                for info in full.infolist():
                    if info.filename != DOCUMENT_PART:
                        out.writestr(info, full.read(info))
            made = self.pages[landscape] = (doc.element, doc.part, rest.getvalue())
        return made


DOCUMENT_PART = "word/document.xml"
_TEMPLATES = _Template()


class _Page(DocxDocument):
    """A document drawn on a copy of the prepared page: the template's parts (styles, settings, theme) shared,
    read only; docx_bytes writes its body beside the template's other parts, reused byte for byte."""

    rest: bytes

    def save(self, path_or_stream: Any) -> None:
        """Its own body saved (python-docx's save would write the shared template's)."""
        data = docx_bytes(self)
        if hasattr(path_or_stream, "write"):
            path_or_stream.write(data)
        else:
            with open(path_or_stream, "wb") as out:
                out.write(data)


def _prepared(landscape: bool) -> Any:
    doc = Document()
    for section in doc.sections:
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
        section.page_height, section.page_width = (Cm(21.0), Cm(29.7)) if landscape else (Cm(29.7), Cm(21.0))
        section.top_margin = section.bottom_margin = Cm(2)
        section.left_margin, section.right_margin = Cm(2.5 if landscape else 3), Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return doc


def new_document(*, landscape: bool = False) -> Any:
    """An A4 page with the margins of party documents, Times New Roman 14 pt (landscape for a wide table)."""
    element, part, rest = _TEMPLATES.page(landscape)
    doc = _Page(copy.deepcopy(element), part)
    doc.rest = rest
    return doc


def header(doc: Any, lang: str, parent_name: str | None, unit_name: str, day: date) -> None:
    """Who issues it (the committee above, the unit) on the left; "ĐẢNG CỘNG SẢN VIỆT NAM" and the date right."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    left.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if parent_name:
        _run(left.paragraphs[0], parent_name.upper(), HEADER_PT)
        _para(left, unit_name.upper(), align=WD_ALIGN_PARAGRAPH.CENTER, size=HEADER_PT, bold=True, space_after=0)
    else:
        _run(left.paragraphs[0], unit_name.upper(), HEADER_PT, bold=True)
    _para(left, "*", align=WD_ALIGN_PARAGRAPH.CENTER, size=HEADER_PT, space_after=0)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(right.paragraphs[0], t(lang, "minutes.doc.party"), BODY_PT, bold=True, underline=True)
    _para(right, t(lang, "minutes.doc.dated", day=f"{day.day:02d}", month=f"{day.month:02d}", year=day.year),
          align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, space_after=0)


def docx_bytes(doc: Any) -> bytes:
    buffer = io.BytesIO()
    if isinstance(doc, _Page):
        buffer.write(doc.rest)
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as package:
            package.writestr(DOCUMENT_PART, serialize_part_xml(doc.element))
    else:
        doc.save(buffer)
    return buffer.getvalue()


def _paragraphs(prose: str | None) -> list[str]:
    return [line.strip() for line in (prose or "").splitlines() if line.strip()]


def render_docx(m: Minutes, lang: str, tz: tzinfo | None) -> bytes:
    doc = new_document()
    start = _local(m.starts_at, tz)
    header(doc, lang, m.parent_name, m.unit_name, start)

    # --- title ---------------------------------------------------------------------------------------------------
    _para(doc, space_after=6)
    _para(doc, t(lang, "minutes.doc.title"), align=WD_ALIGN_PARAGRAPH.CENTER, size=TITLE_PT, bold=True, space_after=0)
    _para(doc, t(lang, f"minutes.doc.subtitle.{MeetingKind(m.kind).value}", month=start.month, year=start.year),
          align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, space_after=0)
    _para(doc, m.title, align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, space_after=12)

    # --- time, place, who -------------------------------------------------------------------------------------------
    _labelled(doc, t(lang, "minutes.doc.time_label"),
              t(lang, "minutes.doc.time", hour=start.hour, minute=f"{start.minute:02d}", date=start.strftime("%d/%m/%Y")))
    _labelled(doc, t(lang, "minutes.doc.place_label"), m.place)
    _labelled(doc, t(lang, "minutes.doc.chair_label"), m.chair or "……")
    _labelled(doc, t(lang, "minutes.doc.recorder_label"), m.recorder or "……")
    percent = f"{m.percent}%"
    if m.exempt_counted or not m.exempt:
        basis = t(lang, "report.base.counted", base=m.base)
    else:
        basis = t(lang, "report.base.not_counted", base=m.base, exempt=m.exempt)
    _labelled(doc, t(lang, "minutes.doc.attendance_label"),
              t(lang, "minutes.doc.attendance", members=m.members, present=m.present, percent=percent, basis=basis,
                excused=m.excused, unexcused=m.unexcused, exempt=m.exempt))
    for a in m.absent:
        reason = t(lang, "minutes.doc.reason", reason=a.reason) if a.reason else ""
        _para(doc, f"- {t(lang, 'minutes.doc.comrade')} {a.name}: {t(lang, f'attendance.status.{a.status}')}{reason}",
              indent=True)

    # --- the sections ---------------------------------------------------------------------------------------------
    prose = m.prose or {}  # the machine's prose the secretary chose, its paragraphs in place of the lists
    _para(doc, t(lang, "minutes.doc.section.agenda"), bold=True, space_after=3)
    for line in _paragraphs(prose.get("agenda")) or (m.agenda or "—").splitlines() or ["—"]:
        _para(doc, line, indent=True)
    _para(doc, t(lang, "minutes.doc.section.content"), bold=True, space_after=3)
    for line in _paragraphs(prose.get("content")) or (m.content or "—").splitlines() or ["—"]:
        _para(doc, line, indent=True)
    _para(doc, t(lang, "minutes.doc.section.decisions"), bold=True, space_after=3)
    decisions = _paragraphs(prose.get("decisions")) or [f"{i}. {d}" for i, d in enumerate(m.decisions, 1)]
    for line in decisions or [t(lang, "minutes.doc.no_decisions")]:
        _para(doc, line, indent=True)
    _para(doc, t(lang, "minutes.doc.section.votes"), bold=True, space_after=3)
    if m.votes:
        for i, v in enumerate(m.votes, 1):
            _para(doc, f"{i}. {v.question}", indent=True)
            counts = "; ".join(f"{option_label(lang, label, kind)}: {count}" for label, count, kind in v.options)
            _para(doc, t(lang, "minutes.doc.vote", counts=counts, cast=v.cast, eligible=v.eligible,
                         verdict=verdict(lang, v)), indent=True)
    else:
        _para(doc, t(lang, "minutes.doc.no_votes"), indent=True)
    if m.ended_at:
        end, length = _local(m.ended_at, tz), length_line(lang, m)
        _para(doc, t(lang, "minutes.doc.ended", hour=end.hour, minute=f"{end.minute:02d}",
                     date=end.strftime("%d/%m/%Y")), indent=True, space_after=0 if length else 12)
        if length:
            _para(doc, length, indent=True, space_after=12)

    # --- signatures ------------------------------------------------------------------------------------------------
    signs = doc.add_table(rows=1, cols=2)
    signs.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title, name in zip(signs.rows[0].cells, (t(lang, "minutes.doc.sign.recorder"),
                                                      t(lang, "minutes.doc.sign.chair")), (m.recorder, m.chair), strict=False):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(cell.paragraphs[0], title, bold=True)
        _para(cell, t(lang, "minutes.doc.sign.hint"), align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, space_after=48)
        _para(cell, name or "", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, space_after=0)

    return docx_bytes(doc)
