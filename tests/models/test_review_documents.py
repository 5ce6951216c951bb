"""The review's documents (issue 16), read back: a member's form (.docx) has their name, points and level and —
once known — the cell's comments, proposal and the committee's decision; the cell's list (.docx, .xlsx) and
Mẫu 01; the committee's summary (.xlsx and a chart). Who may have which: the member their own form only, the
cell's officers their cell's, a committee its subtree's. A member named "=1+1" stays text in every workbook; a
cell named with "$" is drawn as written."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from docx import Document

from handlers.review.docx import (
    form_docx,
    form_name,
    forms_name,
    forms_zip,
    list_docx,
    list_name,
    report_docx,
    report_name,
)
from handlers.review.files import list_xlsx, summary_chart, summary_name, summary_xlsx
from models import review
from models.review import Level, ReviewError, documents

from ..test_charts import assert_literal, drawn  # noqa: F401  (a fixture)
from .test_review_decision import _actor, _cast, _open, cell  # noqa: F401  (a fixture)
from .test_sheets import formula_cells

HOSTILE_NAME = "=1+1"
CELL_NAME = r"Chi bộ $\frac{1}{$ Tổ 1"


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for table in doc.tables for row in table.rows for c in row.cells]
    return "\n".join(parts)


def values(data: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.fixture
async def decided(session, cell):
    """Bảy proposed "tốt" by the vote, the committee changes him to "xuất sắc" and approves the cell; Oanh is
    named "=1+1"; the cell has a "$" in its name."""
    w, rnd, entries = cell["w"], cell["round"], cell["entries"]
    cell["oanh"].full_name = HOSTILE_NAME
    w.cell1.name = CELL_NAME
    entries["bay"].strengths = "Gương mẫu <b>nhiệt tình</b>"
    await review.set_comment(session, await _actor(session, cell, "secretary"), entries["bay"].id,
                             "Chi bộ ghi nhận: gương mẫu")
    await _open(session, cell, entries["bay"].id)
    await _cast(session, entries["bay"].proposal_vote_id, cell, ("secretary", "bay", "oanh", "sau", "mai", "quang"), 2)
    await review.close_votes(session, await _actor(session, cell, "secretary"), rnd.id, w.cell1.id)
    officer = await _actor(session, cell, "officer")
    await review.change_level(session, officer, entries["bay"].id, Level.excellent, "Có sáng kiến được khen")
    await session.flush()
    return cell


async def test_the_members_form_read_back_with_the_cells_and_the_committees_word(session, decided):
    entries = decided["entries"]
    bay = await _actor(session, decided, "bay")
    entries["bay"].voices = {"shortcomings": {"file_id": "AwACAgQ", "duration": 42}}  # answered by voice
    d = await documents.form_doc(session, bay, entries["bay"].id)
    text = docx_text(form_docx(d, "vi"))
    for said in ("BẢN TỰ KIỂM ĐIỂM", "Đảng viên Bay", "Mẫu 2C", "Tự chấm 80 điểm", "Hoàn thành tốt nhiệm vụ",
                 "(Đảng viên trả lời bằng ghi âm, dài 0:42; nghe lại trong Sổ tay đảng viên điện tử.)",
                 "Gương mẫu <b>nhiệt tình</b>", "Chi bộ ghi nhận: gương mẫu", "Tốt 6",
                 "Cấp ủy quyết định xếp loại: Hoàn thành xuất sắc nhiệm vụ", "Lý do: Có sáng kiến được khen",
                 "ĐẢNG CỘNG SẢN VIỆT NAM", CELL_NAME.upper()):
        assert said in text, (said, text)
    assert form_name(d) == "tu-kiem-diem-2026-dang-vien-bay.docx"
    # The secretary and the committee above have it; another member, a committee elsewhere do not.
    for key in ("secretary", "officer"):
        assert (await documents.form_doc(session, await _actor(session, decided, key), entries["bay"].id)).sheet
    for key in ("oanh", "far_officer"):
        with pytest.raises(ReviewError, match="not_allowed"):
            await documents.form_doc(session, await _actor(session, decided, key), entries["bay"].id)
    with pytest.raises(ReviewError, match="not_submitted"):  # the exempt Lài has no form
        await documents.form_doc(session, await _actor(session, decided, "secretary"), entries["lai"].id)
    with pytest.raises(ReviewError, match="not_allowed"):
        await documents.form_doc(session, bay, 10**9)


async def test_the_cells_list_and_report_and_the_committees_summary(session, decided, drawn):  # noqa: F811
    w, rnd = decided["w"], decided["round"]
    secretary = await _actor(session, decided, "secretary")
    d = await documents.cell_doc(session, secretary, rnd.id, w.cell1.id)
    text = docx_text(list_docx(d, "vi"))
    assert "DANH SÁCH XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN NĂM 2026" in text and HOSTILE_NAME in text, text
    assert "Hoàn thành xuất sắc nhiệm vụ" in text and "Đảng viên Bay" in text, text
    assert list_name(d, "docx") == "danh-sach-xep-loai-2026-chi-bo-frac-1-to-1.docx"
    book = list_xlsx(d, "vi")
    assert formula_cells(book) == [] and HOSTILE_NAME in values(book)
    report = docx_text(report_docx(d, "vi"))
    assert "Mẫu 01" in report and "Tổng số đảng viên của chi bộ: 12; số đảng viên được kiểm điểm: 11; miễn " \
           "kiểm điểm: 1." in report, report
    assert "- Hoàn thành xuất sắc nhiệm vụ: 1 đồng chí (9.1%)" in report and "Chưa xếp loại: 10" in report, report
    assert "Tôn Nữ Thị Lài" in report, report
    assert report_name(d).startswith("mau-01-2026-")
    # A member of the cell may not have the cell's documents; a committee elsewhere neither.
    for key in ("bay", "far_officer"):
        with pytest.raises(ReviewError, match="not_allowed"):
            await documents.cell_doc(session, await _actor(session, decided, key), rnd.id, w.cell1.id)
    # 📦 The cell's sent forms in one .zip: the forms one by one, each its own file; refused as the list is.
    forms = await documents.cell_forms(session, secretary, rnd.id, w.cell1.id)
    sent = sorted(e.id for e in decided["entries"].values() if e.cell_id == w.cell1.id and e.submitted and not e.exempt)
    assert sent and sorted(f.sheet.entry.id for f in forms) == sent
    with zipfile.ZipFile(io.BytesIO(forms_zip(forms, "vi"))) as package:
        texts = [docx_text(package.read(n)) for n in package.namelist()]
    assert len(texts) == len(forms) and any("Lý do: Có sáng kiến được khen" in x for x in texts), texts
    assert forms_name(forms) == "tu-kiem-diem-2026-chi-bo-frac-1-to-1.zip"
    for key in ("bay", "far_officer"):
        with pytest.raises(ReviewError, match="not_allowed"):
            await documents.cell_forms(session, await _actor(session, decided, key), rnd.id, w.cell1.id)

    officer = await _actor(session, decided, "officer")
    s = await documents.summary(session, officer, rnd.id)
    first = next(c for c in s.cells if c.cell_name == CELL_NAME)
    assert (first.reviewed, first.sent, first.proposed, first.decided, first.levels) == (
        11, 11, 1, 1, {Level.excellent: 1})
    assert s.total("reviewed") == sum(c.reviewed for c in s.cells) >= 12
    sheet = summary_xlsx(s, "vi")
    assert formula_cells(sheet) == [] and CELL_NAME in values(sheet)
    [png] = summary_chart(s, "vi")
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    assert_literal(drawn, [CELL_NAME])
    assert summary_name(s, "xlsx").startswith("tong-hop-xep-loai-2026-")
    for key in ("secretary", "far_officer", "bay"):
        with pytest.raises(ReviewError, match="not_allowed"):
            await documents.summary(session, await _actor(session, decided, key), rnd.id)


def test_the_summary_chart_of_a_city_is_pages_a_phone_can_read(drawn):  # noqa: F811
    from PIL import Image

    from handlers.charts import MAX_HEIGHT_PX, WIDTH_PX
    from handlers.review.files import BARS_PER_PAGE, MAX_BARS

    cells = [documents.CellProgress(n, f"Chi bộ $_$ số {n} với một cái tên rất dài cho đủ hai dòng chữ", 20, 18, 15,
                                    12, {Level.excellent: 2, Level.good: 8, Level.done: 2}) for n in range(70)]
    pages = summary_chart(documents.Summary(2026, "Đảng bộ phường $x$", cells), "vi")
    assert len(pages) == -(-MAX_BARS // BARS_PER_PAGE)
    for png in pages:
        width, height = Image.open(io.BytesIO(png)).size
        assert width == WIDTH_PX and height <= MAX_HEIGHT_PX, (width, height)
    assert_literal(drawn, ["Hoàn thành", "12/20"])


async def test_documents_drawn_one_after_another_each_hold_their_own_only(session, decided):
    """The page is prepared once and copied (handlers/meetings/minutes_docx.py): a form drawn after another, in
    this thread or another, holds its member only, and a new page is blank."""
    import asyncio

    from handlers.meetings.minutes_docx import docx_bytes, new_document

    w, rnd = decided["w"], decided["round"]
    forms = await documents.cell_forms(session, await _actor(session, decided, "secretary"), rnd.id, w.cell1.id)
    assert len(forms) >= 2
    drawn = [form_docx(f, "vi") for f in forms] + await asyncio.gather(
        *(asyncio.to_thread(form_docx, f, "vi") for f in forms))
    for f, data in zip(forms * 2, drawn, strict=True):
        text = docx_text(data)
        assert [g.sheet.full_name for g in forms if g.sheet.full_name in text] == [f.sheet.full_name], text
    assert docx_text(docx_bytes(new_document())) == ""
