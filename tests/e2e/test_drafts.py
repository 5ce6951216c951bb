"""Drafts by the optional language model, never sent unseen (issue 18), end to end over the Bot API against a
fake OpenAI-compatible server (tests/fake_llm.py). The secretary types a few lines of a notice, taps ✨ Nhờ máy
soạn, sees the machine's draft and takes it, edits it or keeps her words; the notice still goes out only from
the preview's ✅ Gửi. A model that fails, is slow, answers garbage or too much leaves her lines, and says so.
"""
from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta

import pytest
from docx import Document

from bot.chat_model import ChatModel
from tests.fake_llm import FakeModel

from .test_feedback import write
from .test_meeting_steps import BACK, CANCEL
from .test_meetings import PLACE, move_clock_to, schedule_one_line
from .test_meetings_hd42 import answer, said
from .test_notice_steps import latest, notice_count
from .test_notices import TITLE, buttons, plain

LINES = "họp chi bộ 19h30 thứ Bảy 12/12\nnhà văn hóa tổ 5\nmang sổ đảng viên, đóng đảng phí quý IV"
DRAFT = ("Kính gửi các đồng chí đảng viên,\n\nChi bộ tổ chức sinh hoạt vào lúc 19 giờ 30 thứ Bảy, ngày 12/12, "
         "tại nhà văn hóa tổ 5. Đề nghị các đồng chí mang theo sổ đảng viên và đóng đảng phí quý IV.")
MARK = "Bản nháp do máy soạn, đồng chí xem lại"
FAILED = "Máy chưa soạn được, đồng chí dùng lời của mình"


def lines_of(body: dict) -> str:
    found = re.search(r"<y_chinh>\n(.*?)\n</y_chinh>", body["messages"][-1]["content"], re.DOTALL)
    return found.group(1) if found else ""


def fake_model(body: dict) -> tuple[str, object]:
    """A model that writes as the secretary's first line says."""
    lines = lines_of(body)
    if lines.startswith("họp chi bộ"):
        return "json", f"**{DRAFT}**"  # markdown's bold comes off: the draft is plain text
    if lines.startswith("chậm"):
        return "slow", 5
    if lines.startswith("rác"):
        return "json", "@@@ ### !!! 12345 %%% ~~~ 0000 ***"
    if lines.startswith("dài"):
        return "huge", 400 * 1024
    return "status", 500


@pytest.fixture
async def model(sandbox_run):
    async with FakeModel(fake_model) as fake:
        sandbox_run.runtime.services.chat_model = ChatModel(fake.url, "qwen2.5:7b", None, timeout_s=1)
        yield fake


async def typed_lines(driver, user: int, lines: str) -> dict:
    """/notice → Thông báo → the title → `lines`: the message under them."""
    [ask_kind] = await driver.exchange(user, "/notice")
    await driver.press_button(user, ask_kind, "Thông báo")
    await driver.wait_for_bot_messages(user)
    await driver.exchange(user, TITLE)
    [offer] = await driver.exchange(user, lines)
    return offer


async def to_preview(driver, user: int, ask_file: dict) -> tuple[dict, dict]:
    await driver.press_button(user, ask_file, "Không đính kèm")
    [ask_when] = await driver.wait_for_bot_messages(user)  # a cell's secretary: no audience to choose
    await driver.press_button(user, ask_when, "Gửi ngay")
    preview, summary = await driver.wait_for_bot_messages(user, 2)
    return preview, summary


async def test_a_notice_drafted_from_a_few_lines(driver, personas, sandbox_run, model):
    sec = personas["secretary"]
    user = sec.user_id
    before = await notice_count(sandbox_run)
    offer = await typed_lines(driver, user, LINES)
    assert "Nội dung: họp chi bộ 19h30" in plain(offer)
    assert buttons(offer) == ["✨ Nhờ máy soạn", "▶ Tiếp tục", BACK, CANCEL]

    gate = asyncio.Event()  # the model writes until the test lets it: the button is answered before that
    model.behave = lambda body: ("gate", (gate, fake_model(body)[1]))
    press = await driver.press_button(user, offer, "Nhờ máy soạn")
    await driver.callback_answer(press)
    gate.set()
    [shown] = await driver.wait_for_bot_messages(user)
    model.behave = fake_model
    assert plain(shown).startswith("📝 " + MARK) and DRAFT in plain(shown) and "**" not in plain(shown)
    assert buttons(shown)[:3] == ["✅ Dùng bản nháp", "✏️ Sửa", "↩ Giữ lời của tôi"]
    # What left the server: her lines and the notice's kind; not the title, not her name.
    [(headers, body)] = model.requests
    assert "Authorization" not in headers and body["model"] == "qwen2.5:7b"
    assert lines_of(body) == LINES and "thông báo" in body["messages"][0]["content"]
    sent = repr(body)
    assert TITLE not in sent and sec.name not in sent and str(user) not in sent
    assert await notice_count(sandbox_run) == before  # nothing yet

    await driver.press_button(user, shown, "Dùng bản nháp")
    used, ask_file = await driver.wait_for_bot_messages(user, 2)
    assert "bản nháp do máy soạn" in plain(used)
    preview, summary = await to_preview(driver, user, ask_file)
    assert DRAFT.split("\n\n")[1] in plain(preview) and "✅ Gửi" in buttons(summary)
    assert await notice_count(sandbox_run) == before  # the preview's ✅ Gửi is the only way out
    await driver.press_button(user, summary, "✅ Gửi")
    [status] = await driver.wait_for_bot_messages(user)
    assert "📊" in plain(status)
    assert (await latest(sandbox_run)).body == DRAFT
    [got] = await driver.wait_for_bot_messages(personas["elderly_member"].user_id, timeout=10)
    assert DRAFT.split("\n\n")[1] in plain(got) and MARK not in plain(got)

    # ✏️ Sửa: she types her own version, taken as it is (no second offer).
    offer = await typed_lines(driver, user, LINES)
    await driver.press_button(user, offer, "Nhờ máy soạn")
    [shown] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, shown, "Sửa")
    [ask_own] = await driver.wait_for_bot_messages(user)
    assert "gõ nội dung của mình" in plain(ask_own)
    mine = "Kính mời các đồng chí dự họp chi bộ lúc 19 giờ 30 thứ Bảy, 12/12."
    [ask_file] = await driver.exchange(user, mine)
    assert "Không đính kèm" in " ".join(buttons(ask_file))
    preview, summary = await to_preview(driver, user, ask_file)
    assert mine in plain(preview) and DRAFT.split("\n\n")[1] not in plain(preview)

    # ↩ Giữ lời của tôi: her lines, as typed.
    await driver.press_button(user, summary, "Hủy")
    offer = await typed_lines(driver, user, LINES)
    await driver.press_button(user, offer, "Nhờ máy soạn")
    [shown] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, shown, "Giữ lời của tôi")
    kept, ask_file = await driver.wait_for_bot_messages(user, 2)
    preview, summary = await to_preview(driver, user, ask_file)
    assert "mang sổ đảng viên, đóng đảng phí quý IV" in plain(preview) and DRAFT.split("\n\n")[1] not in plain(preview)
    await driver.press_button(user, summary, "Hủy")
    assert await notice_count(sandbox_run) == before + 1


async def test_a_model_that_fails_leaves_her_lines(driver, personas, sandbox_run, model):
    user = personas["secretary"].user_id
    for lines in ("chậm: họp chi bộ thứ Bảy", "rác: họp chi bộ thứ Bảy", "dài: họp chi bộ thứ Bảy",
                  "lỗi: họp chi bộ thứ Bảy"):
        offer = await typed_lines(driver, user, lines)
        await driver.press_button(user, offer, "Nhờ máy soạn")
        failed, ask_file = await driver.wait_for_bot_messages(user, 2)
        assert FAILED in plain(failed) and MARK not in plain(failed), lines
        preview, summary = await to_preview(driver, user, ask_file)
        assert lines in plain(preview), lines
        await driver.press_button(user, summary, "Hủy")
    assert sandbox_run.runtime.services.chat_model.outcomes == {"timeout": 1, "answered": 1, "refused": 1,
                                                                "too_large": 1, "http_500": 1}


async def test_without_a_model_no_button(driver, personas):
    user = personas["secretary"].user_id
    ask_file = await typed_lines(driver, user, LINES)
    assert "Nhờ máy soạn" not in " ".join(buttons(ask_file)) and "Không đính kèm" in " ".join(buttons(ask_file))
    await write(driver, personas["elderly_member"].user_id, "Đề nghị sửa đường điện ở kiệt 5")
    [digest] = await driver.exchange(user, "/feedback digest")
    assert "Số ý kiến: 1" in plain(digest) and not any("✨" in b for b in buttons(digest))


PROSE = ("<chuong_trinh>Cuộc họp gồm hai nội dung: kiểm điểm công việc tháng và bàn việc tháng tới.</chuong_trinh>\n"
         "<dien_bien>Chi bộ đã kiểm điểm việc thực hiện nhiệm vụ trong tháng.\n\n"
         "Các đồng chí thống nhất phương hướng cho tháng tới.</dien_bien>\n"
         "<ket_luan>Chi bộ quyết định tổ chức tổng vệ sinh khu phố ngày 15/12.</ket_luan>")


async def test_the_minutes_drafted_from_the_meetings_facts(driver, personas, sandbox_run, model):
    sec = personas["secretary"]
    user = sec.user_id
    meeting = await schedule_one_line(driver, sandbox_run, sec, days=2)
    move_clock_to(meeting.starts_at - timedelta(minutes=10))
    roll = await answer(driver, user, "/attendance", "Điểm danh")
    await driver.press_button(user, roll, "còn lại đều có mặt")
    roll = await driver.wait_for_edit(user, roll["message_id"])
    move_clock_to(meeting.starts_at + timedelta(minutes=95))
    seq = driver.cursor(user)
    await driver.press_button(user, roll, "Ghi nội dung")
    await said(driver, user, "nội dung chính", seq)
    await answer(driver, user, "Kiểm điểm việc tháng; bàn việc tháng tới.", "mỗi dòng một ý")
    confirm = await answer(driver, user, "Tổng vệ sinh khu phố ngày 15/12", "1 quyết định")
    seq = driver.cursor(user)
    await driver.press_button(user, confirm, "Kết thúc buổi sinh hoạt")
    card = await said(driver, user, "DỰ THẢO BIÊN BẢN", seq)
    assert "✨ Bản nháp biên bản do máy soạn" in buttons(card) and "↩ Bản mẫu" not in buttons(card)

    # The model fails: told so, the template stays.
    model.behave = lambda body: ("raw", b"<html>502</html>")
    seq = driver.cursor(user)
    await driver.press_button(user, card, "Bản nháp biên bản do máy soạn")
    assert "Máy chưa soạn được bản nháp biên bản" in plain(await said(driver, user, "Máy chưa", seq))

    # A good draft: shown as the machine's, three parts; what left the server holds no name, place or cell.
    model.behave = lambda body: ("json", PROSE)
    seq = driver.cursor(user)
    await driver.press_button(user, card, "Bản nháp biên bản do máy soạn")
    shown = await said(driver, user, "Bản nháp biên bản do máy soạn, đồng chí xem lại", seq)
    assert "Chương trình\nCuộc họp gồm hai nội dung" in plain(shown) and "tổng vệ sinh khu phố ngày 15/12" in plain(shown)
    assert buttons(shown) == ["✅ Dùng", "↩ Bản mẫu"]
    _, body = model.requests[-1]
    sent = repr(body)
    assert "Kiểm điểm việc tháng; bàn việc tháng tới." in sent and "Tổng vệ sinh khu phố ngày 15/12" in sent
    assert "có mặt: 10;" in sent and "sinh hoạt chi bộ thường kỳ" in sent
    for person in personas.values():
        assert person.name not in sent and person.phone not in sent
    assert PLACE not in sent and "Tổ dân phố 1" not in sent and meeting.title not in sent

    # ✅ Dùng: the minutes take the prose; a draft Word file shows it in place of the lists; approved, kept.
    seq = driver.cursor(user)
    await driver.press_button(user, shown, "Dùng")
    card = await said(driver, user, "DỰ THẢO BIÊN BẢN", seq)
    assert "bản nháp do máy soạn mà đồng chí đã chọn" in plain(card) and "↩ Bản mẫu" in buttons(card)
    word = await said(driver, user, "Dự thảo biên bản (chưa duyệt)", seq)
    text = "\n".join(p.text for p in Document(io.BytesIO(await driver.download(word["document"]))).paragraphs)
    assert "Chi bộ đã kiểm điểm việc thực hiện nhiệm vụ trong tháng." in text
    assert "Các đồng chí thống nhất phương hướng cho tháng tới." in text
    assert "1. Tổng vệ sinh khu phố" not in text and "có mặt: 10 đồng chí" in text  # the facts as in the template
    # ↩ Bản mẫu on the card: the template's lists again; ✨ and ✅ Dùng once more before approving.
    await driver.press_button(user, card, "Bản mẫu")
    told, card = await driver.wait_for_bot_messages(user, 2)
    assert "Biên bản dùng bản mẫu" in plain(told) and "DỰ THẢO BIÊN BẢN" in plain(card)
    assert "bản nháp do máy soạn" not in plain(card) and "↩ Bản mẫu" not in buttons(card)
    seq = driver.cursor(user)
    await driver.press_button(user, card, "Bản nháp biên bản do máy soạn")
    shown = await said(driver, user, "Bản nháp biên bản do máy soạn, đồng chí xem lại", seq)
    seq = driver.cursor(user)
    await driver.press_button(user, shown, "Dùng")
    card = await said(driver, user, "DỰ THẢO BIÊN BẢN", seq)
    await said(driver, user, "Dự thảo biên bản (chưa duyệt)", seq)
    seq = driver.cursor(user)
    await driver.press_button(user, card, "Duyệt")
    word = await said(driver, user, "📄 Biên bản", seq)
    text = "\n".join(p.text for p in Document(io.BytesIO(await driver.download(word["document"]))).paragraphs)
    assert "Chi bộ quyết định tổ chức tổng vệ sinh khu phố ngày 15/12." in text and "1. Tổng vệ sinh" not in text


SUMMARY = "Hai góp ý về đường điện ở kiệt 5 và tổ 3, chưa được trả lời. Một góp ý đề nghị làm vệ sinh quanh chợ."


async def test_the_months_feedback_summed_up_by_the_model(driver, personas, sandbox_run, model):
    elderly, young, sec = personas["elderly_member"], personas["young_member"], personas["secretary"]
    await write(driver, elderly.user_id, "Đề nghị sửa đường điện ở kiệt 5")
    await write(driver, young.user_id, "Đường điện khu vực tổ 3 hay bị chập", anonymous=True)
    await write(driver, young.user_id, "Cần làm vệ sinh môi trường quanh chợ")
    [digest] = await driver.exchange(sec.user_id, "/feedback digest")
    assert "Số ý kiến: 3" in plain(digest) and "✨ Bản tổng hợp do máy soạn" in buttons(digest)

    model.behave = lambda body: ("status", 503)
    await driver.press_button(sec.user_id, digest, "Bản tổng hợp do máy soạn")
    [failed] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Máy chưa soạn được bản tổng hợp" in plain(failed)

    model.behave = lambda body: ("json", SUMMARY)
    await driver.press_button(sec.user_id, digest, "Bản tổng hợp do máy soạn")
    [summary] = await driver.wait_for_bot_messages(sec.user_id)
    assert "do máy soạn, đồng chí xem lại" in plain(summary) and SUMMARY in plain(summary)
    assert "Chi bộ Tổ dân phố 1" in plain(summary)
    # What left the server: the items' texts, what about, the day; not who wrote them, named or not.
    _, body = model.requests[-1]
    sent = repr(body)
    asked = body["messages"][-1]["content"]
    assert "Đề nghị sửa đường điện ở kiệt 5" in asked and "quanh chợ" in asked and asked.count('ve="chung"') == 3
    for person in personas.values():
        assert person.name not in sent and str(person.user_id) not in sent
    assert "Tổ dân phố" not in sent and "ẩn danh" not in sent
    # Nobody else got anything.
    assert not [m for m in await driver.bot_messages(elderly.user_id) if SUMMARY in plain(m)]
