"""Browsing the library without Telegram (models/library/browse.py): a document's kind from its title, number or
how it was sent; the shelves by kind, year and issuing unit of what a member may see; a shelf's pages."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.library import browse
from models.library.browse import KINDS, kind_of
from models.notices import NoticeKind
from tests.models.test_library import OFFICER, corpus, send, tree  # noqa: F401 (fixtures)

HUE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize("title, number, sent_as, kind", [
    ("Nghị quyết 57-NQ/TW về khoa học, công nghệ", "57-NQ/TW", NoticeKind.resolution, "nghi_quyet"),
    ("NGHỊ QUYẾT của chi bộ", None, NoticeKind.document, "nghi_quyet"),
    ("Quy định về đảng phí", "12-QĐ/ĐU", NoticeKind.document, "quy_dinh"),  # the title first
    ("Hướng dẫn học tập chuyên đề năm 2026", None, NoticeKind.document, "huong_dan"),
    ("Kế hoạch tổ chức đại hội chi bộ", None, NoticeKind.resolution, "ke_hoach"),
    ("Thông báo kết luận của Thường vụ", None, NoticeKind.document, "thong_bao"),
    ("Chỉ thị 35 về đại hội đảng bộ các cấp", "35-CT/TW", NoticeKind.document, "chi_thi"),
    ("Về việc tổ chức học tập", "01-HD/BTGTW", NoticeKind.document, "huong_dan"),  # the number's type
    ("Về việc khen thưởng", "123/QĐ-UBND", NoticeKind.document, "quyet_dinh"),
    ("Về đảng phí", "05-QĐi/TW", NoticeKind.document, "quy_dinh"),
    ("Về tổng kết năm", "45-KL/TW", NoticeKind.document, "ket_luan"),
    ("Về việc kiểm tra", "7-XYZ/ĐU", NoticeKind.resolution, "nghi_quyet"),  # how it was sent
    ("Tài liệu sinh hoạt tháng 12", None, NoticeKind.document, "khac"),
    ("Chỉ tiêu thi đua", None, NoticeKind.document, "khac"),  # "chi" alone is no "chỉ thị"
])
def test_a_documents_kind(title, number, sent_as, kind):
    assert kind_of(title, number, sent_as) == kind


async def test_the_shelves_of_what_a_member_may_see(session, corpus):
    people, nq57, dues, cell2 = corpus
    year = datetime.now(HUE).year
    shelves = await browse.shelves(session, people["member1"].id, HUE)
    assert shelves.total == 2  # cell 2's plan is not theirs; a plain notice is no document
    assert shelves.kinds == [("nghi_quyet", 1), ("quy_dinh", 1)]
    assert shelves.years == [(year, 2)]
    assert shelves.units == [(nq57.unit_id, "Đảng bộ phường Phú Hội", 2)]
    theirs = await browse.shelves(session, people["secretary2"].id, HUE)
    assert theirs.total == 3 and ("ke_hoach", 1) in theirs.kinds
    assert [(name, n) for _, name, n in theirs.units] == [("Đảng bộ phường Phú Hội", 2), ("Chi bộ 2", 1)]
    assert await browse.shelves(session, people["far"].id, HUE) == browse.Shelves()


async def test_a_shelf_pages_newest_first_within_the_scope(session, tree, corpus):
    t, people = tree
    _, nq57, dues, cell2 = corpus
    member = people["member1"].id
    for i in range(9):
        await send(session, OFFICER, [t.ward], title=f"Nghị quyết số {i} của Đảng ủy", body=f"Nội dung {i}.")
    first = await browse.shelf(session, member, HUE, "k", KINDS.index("nghi_quyet"), 0)
    assert first.total == 10 and len(first.notices) == browse.PAGE and first.page == 0
    assert first.notices[0].title == "Nghị quyết số 8 của Đảng ủy" and first.notices[0].unit.name
    last = await browse.shelf(session, member, HUE, "k", KINDS.index("nghi_quyet"), 99)  # past the end: the last
    assert last.page == 1 and [n.id for n in last.notices][-1] == nq57.id
    assert [n.id for n in (await browse.shelf(session, member, HUE, "k", KINDS.index("quy_dinh"), 0)).notices] == [dues.id]
    # Another cell's unit, a kind out of range, a year with nothing: empty, never another cell's document.
    assert (await browse.shelf(session, member, HUE, "u", t.cell2.id, 0)).total == 0
    assert (await browse.shelf(session, member, HUE, "k", 999, 0)).total == 0
    assert (await browse.shelf(session, member, HUE, "y", 1999, 0)).total == 0
    ward = await browse.shelf(session, member, HUE, "u", t.ward.id, 0)
    assert ward.total == 11 and ward.unit_name == "Đảng bộ phường Phú Hội"
    assert (await browse.shelf(session, people["secretary2"].id, HUE, "u", t.cell2.id, 0)).notices[0].id == cell2.id


async def test_years_are_local(session, corpus):
    people, nq57, dues, _ = corpus
    nq57.dispatched_at = datetime(2025, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 January 2026 in Huế
    dues.dispatched_at = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 23:30 on 31 December 2025
    await session.commit()
    shelves = await browse.shelves(session, people["member1"].id, HUE)
    assert shelves.years == [(2026, 1), (2025, 1)]
    assert [n.id for n in (await browse.shelf(session, people["member1"].id, HUE, "y", 2025, 0)).notices] == [dues.id]
