"""The review's Word documents (issue 16), in the layout of party documents (handlers/meetings/minutes_docx.py's
page and header): a member's self-review form (2A/2B/2C: details, the criterion groups with points, the three
texts, the self level, then the cell's comments and proposal and the committee's decision once known), the
cell's list of levels and its collective report Mẫu 01. Pure functions: data in, .docx bytes out (run them off
the event loop); every text the members typed goes in as written (a Word run is never markup)."""
from __future__ import annotations

import copy
import io
import re
import zipfile
from datetime import date
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.text.paragraph import Paragraph

from models import clock
from models.dates import VIETNAM
from models.review.documents import LEVEL_ORDER, CellDoc, FormDoc
from models.text import fold

from ..feedback.views import minutes_seconds
from ..i18n import t
from ..meetings.minutes_docx import TITLE_PT, _labelled, _para, _run, docx_bytes, header, new_document, table_style
from .views import counts_line, level_name

CENTER = WD_ALIGN_PARAGRAPH.CENTER


def slug(text: str) -> str:
    """A file name's part: ASCII letters and digits joined by "-" ("Lê Văn Bảy" → "le-van-bay")."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60] or "x"


def form_name(d: FormDoc) -> str:
    return f"tu-kiem-diem-{d.sheet.round.year}-{slug(d.sheet.full_name)}.docx"


def forms_name(forms: list[FormDoc]) -> str:
    s = forms[0].sheet
    return f"tu-kiem-diem-{s.round.year}-{slug(s.cell_name)}.zip"


def forms_zip(forms: list[FormDoc], lang: str) -> bytes:
    """📦 The cell's forms in one .zip, each under its own name (namesakes numbered); stored, not compressed
    again (a .docx is a zip already)."""
    buffer, taken = io.BytesIO(), set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for d in forms:
            name, n = form_name(d), 1
            while name in taken:
                n += 1
                name = form_name(d).removesuffix(".docx") + f"-{n}.docx"
            taken.add(name)
            package.writestr(name, form_docx(d, lang))
    return buffer.getvalue()


def list_name(d: CellDoc, ext: str) -> str:
    return f"danh-sach-xep-loai-{d.appraisal.round.year}-{slug(d.appraisal.cell_name)}.{ext}"


def report_name(d: CellDoc) -> str:
    return f"mau-01-{d.appraisal.round.year}-{slug(d.appraisal.cell_name)}.docx"


def _today() -> date:
    return clock.now().astimezone(VIETNAM).date()


def _title(doc: Any, *lines: str) -> None:
    _para(doc, space_after=6)
    for i, line in enumerate(lines):
        _para(doc, line, align=CENTER, size=TITLE_PT if i == 0 else 14, bold=i == 0, italic=i > 0,
              space_after=12 if i == len(lines) - 1 else 0)


def _heading(doc: Any, text: str) -> None:
    _para(doc, text, bold=True, space_after=3)


def _lines(doc: Any, text: str | None, lang: str) -> None:
    for line in (text or t(lang, "review.doc.none")).splitlines() or [t(lang, "review.doc.none")]:
        _para(doc, line, indent=True)


def _table(doc: Any, head: list[str], rows: list[list[str]], *, bold_last: bool = False) -> None:
    table = doc.add_table(rows=1, cols=len(head))
    table_style(doc, table, "Table Grid")
    tbl = table._tbl
    [first] = tbl.tr_lst
    blank = copy.deepcopy(first)  # the row python-docx's add_row would add: each cell its width, one paragraph
    for tc, text in zip(first.tc_lst, head, strict=True):
        Paragraph(tc.p_lst[0], None).alignment = CENTER
        _run(tc.p_lst[0], text, 12, bold=True)
    for n, values in enumerate(rows, 1):
        tr = copy.deepcopy(blank)
        tbl.append(tr)
        for tc, text in zip(tr.tc_lst, values, strict=True):
            _run(tc.p_lst[0], text, 12, bold=bold_last and n == len(rows))
    _para(doc, space_after=6)


def _signature(doc: Any, title: str, hint: str, name: str = "") -> None:
    signs = doc.add_table(rows=1, cols=2)
    cell = signs.rows[0].cells[1]
    cell.paragraphs[0].alignment = CENTER
    _run(cell.paragraphs[0], title, bold=True)
    _para(cell, hint, align=CENTER, italic=True, space_after=48)
    _para(cell, name, align=CENTER, bold=True, space_after=0)


def form_docx(d: FormDoc, lang: str) -> bytes:
    """A member's self-review form with what the cell and the committee said of it once known."""
    s, e = d.sheet, d.sheet.entry
    doc = new_document()
    sent = e.submitted_at.astimezone(VIETNAM).date() if e.submitted_at else _today()
    header(doc, lang, d.parent_name, s.cell_name, sent)
    _title(doc, t(lang, "review.doc.form_title"), t(lang, "review.doc.form_year", year=s.round.year),
           t(lang, "review.doc.form_kind", form=e.form.value, name=t(lang, f"review.form.{e.form.value}")))
    _labelled(doc, t(lang, "review.doc.name_label"), s.full_name)
    _labelled(doc, t(lang, "review.doc.cell_label"), s.cell_name)
    if e.by_proxy:
        _para(doc, t(lang, "review.doc.by_proxy"), italic=True, indent=True)
    _heading(doc, t(lang, "review.doc.section.points"))
    points = e.points or {}
    rows = [[str(n), t(lang, f"review.group.{g.id}"), str(g.max), str(points.get(g.id, 0))]
            for n, g in enumerate(s.groups, 1)]
    rows.append(["", t(lang, "review.doc.total"), str(sum(g.max for g in s.groups)), str(s.total)])
    _table(doc, [t(lang, f"review.doc.col.{c}") for c in ("no", "group", "max", "self")], rows, bold_last=True)
    for n, field in enumerate(("strengths", "shortcomings", "remedies"), 2):
        _heading(doc, t(lang, "review.doc.section.text", n=n, label=t(lang, f"review.text_label.{field}").upper()))
        if (voice := e.voice(field)) is not None:
            _para(doc, t(lang, "review.doc.voice", time=minutes_seconds(voice[1])), italic=True, indent=True)
        else:
            _lines(doc, getattr(e, field), lang)
    _heading(doc, t(lang, "review.doc.section.self_level"))
    _para(doc, t(lang, "review.doc.self_level", total=s.total, level=level_name(lang, e.self_level or s.level)),
          indent=True)
    _heading(doc, t(lang, "review.doc.section.cell"))
    _lines(doc, e.cell_comment, lang)
    if e.proposed_level is not None:
        proposal = t(lang, "review.doc.proposed", level=level_name(lang, e.proposed_level))
        _para(doc, " ".join(p for p in (proposal, counts_line(lang, e.proposal_counts)) if p), indent=True)
        if e.proposal_reason:
            _para(doc, t(lang, "review.doc.reason", reason=e.proposal_reason), indent=True)
    _heading(doc, t(lang, "review.doc.section.decision"))
    _para(doc, t(lang, "review.doc.decided", level=level_name(lang, e.decided_level)), indent=True)
    if e.decision_reason:
        _para(doc, t(lang, "review.doc.reason", reason=e.decision_reason), indent=True)
    _para(doc, space_after=6)
    _signature(doc, t(lang, "review.doc.sign.member"), t(lang, "minutes.doc.sign.hint"), s.full_name)
    return docx_bytes(doc)


def list_rows(d: CellDoc, lang: str) -> list[list[Any]]:
    """The list's rows (shared with the workbook): STT, name, self-score, self level, proposal (votes), decision."""
    rows: list[list[Any]] = []
    for n, x in enumerate(d.appraisal.lines, 1):
        proposal = level_name(lang, x.proposed) if x.proposed else t(lang, "review.doc.none")
        if x.counts:
            proposal += " " + counts_line(lang, x.counts)
        rows.append([n, x.full_name, x.total if x.submitted else None,
                     level_name(lang, x.self_level) if x.submitted else t(lang, "review.doc.not_sent"),
                     proposal, level_name(lang, x.decided)])
    return rows


def list_docx(d: CellDoc, lang: str) -> bytes:
    a = d.appraisal
    doc = new_document()
    header(doc, lang, d.parent_name, a.cell_name, _today())
    _title(doc, t(lang, "review.doc.list_title", year=a.round.year), a.cell_name)
    rows = [[str(v) if v is not None else "—" for v in row] for row in list_rows(d, lang)]
    _table(doc, [t(lang, f"review.doc.col.{c}") for c in ("no", "name", "score", "self_level", "proposal", "decision")],
           rows)
    _signature(doc, t(lang, "review.doc.sign.secretary"), t(lang, "minutes.doc.sign.hint"))
    return docx_bytes(doc)


def report_docx(d: CellDoc, lang: str) -> bytes:
    """Mẫu 01: the cell's counts by level, the exempt members with the reason, those not rated."""
    a = d.appraisal
    doc = new_document()
    header(doc, lang, d.parent_name, a.cell_name, _today())
    _para(doc, t(lang, "review.doc.report_form"), align=WD_ALIGN_PARAGRAPH.RIGHT, italic=True, space_after=0)
    _title(doc, t(lang, "review.doc.report_title", year=a.round.year), a.cell_name)
    reviewed, exempt = len(a.lines), len(d.exempt)
    _para(doc, t(lang, "review.doc.report_members", total=reviewed + exempt, reviewed=reviewed, exempt=exempt),
          indent=True)
    _heading(doc, t(lang, "review.doc.section.levels"))
    levels = d.levels
    for lv in LEVEL_ORDER:
        count = levels.get(lv, 0)
        share = f"{count * 100 / reviewed:.1f}%" if reviewed else "—"
        _para(doc, t(lang, "review.doc.level_count", level=level_name(lang, lv), count=count, share=share),
              indent=True)
    _para(doc, t(lang, "review.doc.unrated", count=d.unrated), indent=True)
    _heading(doc, t(lang, "review.doc.section.exempt"))
    if not d.exempt:
        _lines(doc, None, lang)
    for name, reason in d.exempt:
        _para(doc, t(lang, "review.doc.exempt_line", name=name, reason=t(lang, f"review.exempt.{reason}")),
              indent=True)
    _para(doc, space_after=6)
    _signature(doc, t(lang, "review.doc.sign.secretary"), t(lang, "minutes.doc.sign.hint"))
    return docx_bytes(doc)
