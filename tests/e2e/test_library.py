"""The library end to end: a committee sends a document with a DOCX attachment; a member of the cell finds a
passage of the attachment with /ask, 🔎 Hỏi đáp and /documents words, hears it, and never sees another cell's
document; a question nothing answers can go to the secretary as feedback; 📚 Duyệt thư viện by kind, year and
issuing unit.

Demo personas: the elderly member is in cell 1; the committee officer of the ward is in cell 5.
"""
from __future__ import annotations

import asyncio
import io
import time

import docx
import pytest
from sqlalchemy import delete, select

from models import notices
from models.deliveries import Delivery
from models.library import LibraryDocument, LibraryPassage
from models.notices import NOTICE_DELIVERY, Notice, NoticeKind
from models.permissions import load_actor
from models.units import Unit

from .test_notices import buttons, compose, plain

ATTACHMENT = ("Số: 12-QĐ/ĐU", "QUY ĐỊNH về đảng phí", "Điều 3. Mức đóng đảng phí",
              "Đảng viên đã nghỉ hưu đóng đảng phí hằng tháng bằng 0,5% lương hưu.",
              "Điều 4. Thu nộp", "Chi bộ thu đảng phí vào kỳ sinh hoạt thường kỳ.")


@pytest.fixture(autouse=True)
def _audio_cache(monkeypatch, tmp_path):
    """🔊 speaks here, not in the working directory (where audio goes when the database is no file)."""
    monkeypatch.setenv("HANDBOOK_TTS_CACHE_DIR", str(tmp_path / "audio"))


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def send_document(driver, officer: int, title: str, body: str, cell: str, file: tuple[bytes, str] | None):
    ask_file = await compose(driver, officer, kind="Văn bản", title=title, body=body)
    if file:
        await driver.send_file(officer, file[0], file[1])
        _, ask_units = await driver.wait_for_bot_messages(officer, 2)
    else:
        await driver.press_button(officer, ask_file, "Không đính kèm")
        [ask_units] = await driver.wait_for_bot_messages(officer)
    await driver.press_button(officer, ask_units, cell)
    ask_units = await driver.wait_for_edit(officer, ask_units["message_id"])
    await driver.press_button(officer, ask_units, "Tiếp tục")
    [ask_when] = await driver.wait_for_bot_messages(officer)
    await driver.press_button(officer, ask_when, "Gửi ngay")
    _, summary = await driver.wait_for_bot_messages(officer, 2)
    await driver.press_button(officer, summary, "Gửi")
    await driver.wait_for_bot_messages(officer)  # the status


async def put_documents(run, officer: int, cell: str, *documents: tuple[str, str, NoticeKind],
                        delivered: bool = True) -> None:
    """Documents sent at once to one cell by the officer, straight through the model (no conversation);
    `delivered=False`: as if they had reached everyone long ago (no message comes now)."""
    async with run.sessionmaker() as s:
        actor = await load_actor(s, officer)
        unit = await s.scalar(select(Unit.id).where(Unit.name == cell))
        made = [await notices.create_notice(s, actor, kind=kind, title=title, body=body, audience_unit_ids=[unit])
                for title, body, kind in documents]
        if not delivered:
            await s.execute(delete(Delivery).where(Delivery.kind == NOTICE_DELIVERY,
                                                   Delivery.ref_id.in_([n.id for n in made])))
        await s.commit()


async def indexed(run, title: str, timeout: float = 15) -> str:
    """What became of the document's attachment, once the document is in the library."""
    deadline = time.monotonic() + timeout
    while True:
        async with run.sessionmaker() as s:
            state = await s.scalar(select(LibraryDocument.attachment).join(Notice, Notice.id == LibraryDocument.notice_id)
                                   .where(Notice.title == title))
        if state is not None or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.1)


async def test_a_member_finds_a_passage_of_an_attachment_and_not_another_cells_document(driver, personas, sandbox_run):
    officer, old = personas["committee_officer"].user_id, personas["elderly_member"].user_id
    await send_document(driver, officer, "Quy định về đảng phí", "Gửi các chi bộ quy định mới về đảng phí.",
                        "Tổ dân phố 1", (docx_bytes(*ATTACHMENT), "quy-dinh-dang-phi.docx"))
    assert await indexed(sandbox_run, "Quy định về đảng phí") == "read"
    await send_document(driver, officer, "Quy chế chi tiêu nội bộ", "Chi bộ 5 thống nhất quy chế chi tiêu nội bộ.",
                        "Tổ dân phố 5", None)
    await driver.wait_for_bot_messages(old, timeout=10)  # the document reached the member

    [answer] = await driver.exchange(old, "/ask Đảng viên nghỉ hưu đóng đảng phí bao nhiêu?")
    text = plain(answer)
    assert "0,5% lương hưu" in text and "Điều 3. Mức đóng đảng phí" in text and "Quy định về đảng phí" in text
    assert "Số 12-QĐ/ĐU" in text and "Đảng bộ" in text
    assert "<b>hưu</b>" not in text  # the marks are HTML, not text: the page shows them bold
    assert any(e["type"] == "bold" for e in answer.get("entities", []))
    assert "📖 Mở văn bản 1" in buttons(answer) and "🔊 Nghe đoạn 1" in buttons(answer)
    await driver.press_button(old, answer, "Mở văn bản 1")
    [opened] = await driver.wait_for_bot_messages(old)
    assert opened["media_kind"] == "document" and opened["document"]["file_name"] == "quy-dinh-dang-phi.docx"

    [found] = await driver.exchange(old, "/documents luong huu")
    assert "0,5% lương hưu" in plain(found) and "Điều 3" in plain(found)

    [asked] = await driver.exchange(old, "🔎 Hỏi đáp")
    assert "muốn hỏi" in plain(asked)
    [answer] = await driver.exchange(old, "chi bộ thu đảng phí khi nào")
    assert "Điều 4. Thu nộp" in plain(answer).split("\n\n")[1]  # the best passage first

    # Cell 5's document: never for a cell-1 member; its officer (cell 5) finds it.
    [none] = await driver.exchange(old, "/documents chi tieu noi bo")
    assert "Không tìm thấy" in plain(none) and "Quy chế" not in plain(none)
    [nothing] = await driver.exchange(old, "/ask quy chế chi tiêu nội bộ")
    assert "Không tìm thấy trong tài liệu" in plain(nothing) and "Quy chế" not in plain(nothing)
    [theirs] = await driver.exchange(officer, "/documents chi tieu noi bo")
    assert "Quy chế chi tiêu nội bộ" in plain(theirs)
    # 🔊 on a passage: the member's own is heard (or they are told why not); cell 5's, forged, is refused.
    press = await driver.press_button(old, answer, "Nghe đoạn 1")
    said = (await driver.callback_answer(press))["text"]
    if "Đang chuẩn bị" in said:  # audio works here: the passage as a voice note, its document as the caption
        [voice] = await driver.wait_for_bot_messages(old, timeout=30)
        assert voice["voice"]["mime_type"] == "audio/ogg" and "Quy định về đảng phí" in plain(voice)
    else:
        assert "Chức năng nghe" in said
    async with sandbox_run.sessionmaker() as s:
        other = await s.scalar(select(LibraryPassage.id).join(Notice, Notice.id == LibraryPassage.notice_id)
                               .where(Notice.title == "Quy chế chi tiêu nội bộ"))
    for forged in (f"lh:{other}", "lh:999999"):
        press = await driver.press(old, answer["message_id"], data=forged)
        assert "không có quyền" in (await driver.callback_answer(press))["text"], forged

    # Nothing found: the question goes to the secretary through feedback's own card (named or not, then sent).
    await driver.press_button(old, nothing, "Gửi câu hỏi cho bí thư")
    [card] = await driver.wait_for_bot_messages(old)
    assert "quy chế chi tiêu nội bộ" in plain(card) and "📨 Gửi" in buttons(card)


async def test_hostile_questions_and_strangers(driver, personas, sandbox_run):
    old, newcomer = personas["elderly_member"].user_id, personas["newcomer"].user_id
    for hostile in ('/ask "" * NEAR( -- \' OR 1=1', "/ask <b>đảng</b> & phí", "/ask " + "đảng phí " * 440,
                    "/documents \"\" * NEAR( -- '"):
        [reply] = await driver.exchange(old, hostile)
        assert "Không tìm thấy" in plain(reply) or "❓" in plain(reply), hostile
    [plain_answer] = await driver.exchange(old, "/ask đảng phí")  # and the next question is answered as ever
    assert "Không tìm thấy trong tài liệu" in plain(plain_answer)
    for attempt in ("/ask đảng phí", "/documents đảng phí"):  # not linked: told how to link, nothing searched
        [refused] = await driver.exchange(newcomer, attempt)
        assert "liên kết" in plain(refused) and "Không tìm thấy" not in plain(refused)


async def test_browsing_the_library_by_kind_year_and_unit(driver, personas, sandbox_run):
    officer, old = personas["committee_officer"], personas["elderly_member"]
    plans = [(f"Kế hoạch số {i} của Đảng ủy", f"Nội dung kế hoạch {i}.", NoticeKind.document) for i in range(9)]
    await put_documents(sandbox_run, officer.user_id, old.cell,
                        ("Nghị quyết 57-NQ/TW về khoa học, công nghệ", "Đột phá phát triển.", NoticeKind.resolution),
                        ("Hướng dẫn học tập chuyên đề", "Các chi bộ học tập.", NoticeKind.document), *plans,
                        delivered=False)
    await put_documents(sandbox_run, officer.user_id, "Chi bộ Tổ dân phố 5",
                        ("Quy chế chi tiêu nội bộ", "Chi bộ 5.", NoticeKind.document), delivered=False)

    [listed] = await driver.exchange(old.user_id, "/documents")
    await driver.press_button(old.user_id, listed, "Duyệt thư viện")
    home = await driver.wait_for_edit(old.user_id, listed["message_id"])
    assert "11 văn bản" in plain(home)
    await driver.press_button(old.user_id, home, "Loại văn bản")
    kinds = await driver.wait_for_edit(old.user_id, listed["message_id"])
    assert buttons(kinds) == ["Nghị quyết (1)", "Hướng dẫn (1)", "Kế hoạch (9)", "◀ Quay lại"]
    await driver.press_button(old.user_id, kinds, "Kế hoạch (9)")
    shelf = await driver.wait_for_edit(old.user_id, listed["message_id"])
    assert "Kế hoạch" in plain(shelf) and "9 văn bản" in plain(shelf)
    titles = [b for b in buttons(shelf) if "Kế hoạch số" in b]
    assert len(titles) == 8 and "Kế hoạch số 8" in titles[0] and "1/2" in buttons(shelf)  # newest first, paged
    await driver.press_button(old.user_id, shelf, "Sau")
    shelf = await driver.wait_for_edit(old.user_id, listed["message_id"])
    assert [b for b in buttons(shelf) if "Kế hoạch số" in b] == [b for b in buttons(shelf) if "Kế hoạch số 0" in b]
    await driver.press_button(old.user_id, shelf, "Kế hoạch số 0")  # opens as in /documents
    [opened] = await driver.wait_for_bot_messages(old.user_id)
    assert "Kế hoạch số 0 của Đảng ủy" in plain(opened) and "Nội dung kế hoạch 0." in plain(opened)
    await driver.press_button(old.user_id, shelf, "Quay lại")
    kinds = await driver.wait_for_edit(old.user_id, listed["message_id"])
    await driver.press_button(old.user_id, kinds, "Quay lại")
    home = await driver.wait_for_edit(old.user_id, listed["message_id"])
    await driver.press_button(old.user_id, home, "Nơi ban hành")
    units = await driver.wait_for_edit(old.user_id, listed["message_id"])
    assert buttons(units) == ["Đảng bộ phường Phú Hội (11)", "◀ Quay lại"]  # never cell 5's document
    await driver.press_button(old.user_id, units, "Quay lại")
    home = await driver.wait_for_edit(old.user_id, listed["message_id"])
    await driver.press_button(old.user_id, home, "Năm ban hành")
    years = await driver.wait_for_edit(old.user_id, listed["message_id"])
    [year] = [b for b in buttons(years) if b.endswith("(11)")]
    await driver.press_button(old.user_id, years, year)
    shelf = await driver.wait_for_edit(old.user_id, listed["message_id"])
    assert f"Năm {year.split()[0]}" in plain(shelf) and "11 văn bản" in plain(shelf)

    # From 🔎 Hỏi đáp too; a forged shelf of cell 5 shows nothing of it; forged data is refused.
    [asked] = await driver.exchange(old.user_id, "🔎 Hỏi đáp")
    await driver.press_button(old.user_id, asked, "Duyệt thư viện")
    assert "11 văn bản" in plain(await driver.wait_for_edit(old.user_id, asked["message_id"]))
    async with sandbox_run.sessionmaker() as s:
        cell5 = await s.scalar(select(Unit.id).where(Unit.name == "Chi bộ Tổ dân phố 5"))
    await driver.press(old.user_id, asked["message_id"], data=f"ls:u:{cell5}:0")
    empty = await driver.wait_for_edit(old.user_id, asked["message_id"])
    assert "không còn văn bản" in plain(empty) and "Quy chế" not in plain(empty) + " ".join(buttons(empty))
    press = await driver.press(old.user_id, asked["message_id"], data="lb:all")
    assert "không có quyền" in (await driver.callback_answer(press))["text"]
