"""📄 Bản in end to end: the print buttons of a notice's status, the secretary's meeting card and a closed
vote's card send a large-print PDF with the cell's members who are not on Telegram; answers given on the
printed invitation are recorded and shown as such; members who forge the buttons are refused.

Demo personas: the secretary, the elderly and the young member are the only linked members of cell 1
("Chi bộ Tổ dân phố 1", 11 members); the committee officer of the ward is in cell 5; the newcomer (cell 2)
is not linked. The PDF is read back with poppler's pdftotext.
"""
from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
from sqlalchemy import select

import handlers.paper
from handlers.printing import PrintUnavailable
from models import meetings, paper
from models.audit import AuditEntry
from models.members import Member
from models.units import Unit

from .outbox import settled
from .test_meetings import PLACE, TITLE, buttons, latest_meeting, plain, schedule_one_line, wait_text
from .test_notices import latest_notice_id
from .test_votes import latest_vote

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
CELL1, CELL2 = "Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2"


def words_of(pdf: bytes) -> str:
    """The PDF's text with every run of spaces and line breaks as one space (pdftotext lays out columns)."""
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, timeout=60, check=True)
    return " ".join(done.stdout.decode().split())


async def paperless(run, cell_name: str) -> list[str]:
    """The names of the members of that cell without Telegram, as the sheet lists them."""
    async with run.sessionmaker() as s:
        cell_id = await s.scalar(select(Unit.id).where(Unit.name == cell_name))
        return [m.full_name for m in await paper.members_without_telegram(s, cell_id)]


async def printed(driver, user_id: int, message: dict, label: str = "📄 Bản in") -> tuple[dict, str]:
    """Press the print button; the document that comes, and its text."""
    press = await driver.press_button(user_id, message, label)
    assert "bản in" in (await driver.callback_answer(press))["text"]
    doc: dict = {}
    for _ in range(4):  # the outbox may bring something else first (a vote's result, a reminder)
        doc = next((m for m in await driver.wait_for_bot_messages(user_id, timeout=20) if "document" in m), {})
        if doc:
            break
    assert doc["document"]["file_name"].startswith("Bản in - ") and doc["document"]["file_name"].endswith(".pdf")
    pdf = await driver.download(doc["document"])
    assert pdf[:5] == b"%PDF-"
    return doc, words_of(pdf)


async def refused_presses(driver, user_id: int, message_id: int, forged: list[str]) -> None:
    for data in forged:
        press = await driver.press(user_id, message_id, data=data)
        answer = await driver.callback_answer(press)
        assert answer["show_alert"] is True and "không có quyền" in answer["text"], data


# --- notices ----------------------------------------------------------------------------------------------------
async def test_a_secretary_prints_her_notice_for_the_members_without_telegram(driver, personas, sandbox_run):
    sec = personas["secretary"]
    body = "Kính mời các đồng chí dự sinh hoạt chi bộ lúc 19 giờ 30, thứ Bảy, tại nhà văn hóa tổ dân phố."
    _, status = await driver.exchange(sec.user_id, f"/notice Họp chi bộ tháng 12 | {body}", count=2)
    assert "📄 Bản in" in buttons(status)
    doc, text = await printed(driver, sec.user_id, status)
    names = await paperless(sandbox_run, CELL1)
    assert len(names) == 8 and f"{len(names)} đảng viên chưa dùng Telegram" in plain(doc)
    assert CELL1 in text and "THÔNG BÁO" in text.upper() and "Họp chi bộ tháng 12" in text
    assert "nhà văn hóa tổ dân phố" in text and "Ký tên" in text
    assert all(name in text for name in names)
    assert sec.name not in text  # on Telegram: not on the paper list


async def test_a_committee_notice_asks_which_cell_and_prints_for_that_one(driver, personas, sandbox_run):
    officer, sec = personas["committee_officer"], personas["secretary"]
    await driver.exchange(officer.user_id, "/notice Kế hoạch tổng vệ sinh | Các chi bộ vận động đảng viên tham gia.",
                          count=2)
    notice_id = await latest_notice_id(sandbox_run)
    status = (await driver.bot_messages(officer.user_id))[-1]
    assert "📄 Bản in" in buttons(status)  # a committee's one-line notice goes to the whole ward
    await driver.press_button(officer.user_id, status, "📄 Bản in")
    [ask] = await driver.wait_for_bot_messages(officer.user_id)
    assert "chi bộ nào" in plain(ask)
    assert f"📄 {CELL1}" in buttons(ask) and f"📄 {CELL2}" in buttons(ask)
    doc, text = await printed(driver, officer.user_id, ask, f"📄 {CELL2}")
    assert CELL2 in text and "Kế hoạch tổng vệ sinh" in text
    assert personas["newcomer"].name in text and all(n in text for n in await paperless(sandbox_run, CELL2))
    # The cell's secretary prints it too, for her cell only; another cell's sheet is refused to her.
    async with sandbox_run.sessionmaker() as s:
        cell2 = await s.scalar(select(Unit.id).where(Unit.name == CELL2))
    [own] = await driver.exchange(sec.user_id, "/notices")
    await refused_presses(driver, sec.user_id, own["message_id"], [f"npc:{notice_id}:{cell2}"])
    press = await driver.press(sec.user_id, own["message_id"], data=f"npr:{notice_id}")
    assert "bản in" in (await driver.callback_answer(press))["text"]
    [doc] = await driver.wait_for_bot_messages(sec.user_id, timeout=20)
    assert CELL1 in words_of(await driver.download(doc["document"]))


async def test_members_forging_print_buttons_are_refused(driver, personas, sandbox_run):
    sec, young = personas["secretary"], personas["young_member"]
    await driver.exchange(sec.user_id, "/notice Họp chi bộ | Nội dung", count=2)
    notice_id = await latest_notice_id(sandbox_run)
    meeting = await schedule_one_line(driver, sandbox_run, sec)
    await driver.exchange(sec.user_id, "/vote Thông qua kế hoạch năm 2027?", count=2)
    vote = await latest_vote(sandbox_run)
    async with sandbox_run.sessionmaker() as s:
        cell1 = await s.scalar(select(Unit.id).where(Unit.name == CELL1))
        other = await s.scalar(select(Member.id).where(Member.cell_id == cell1, Member.id.not_in(
            [p.member_id for p in personas.values() if p.member_id])).limit(1))
    await settled(sandbox_run, young.user_id)  # the notice, the invitation and the ballot reached them first
    [own] = await driver.exchange(young.user_id, "/notices")
    forged = [f"npr:{notice_id}", f"npl:{notice_id}:0", f"npc:{notice_id}:{cell1}", "npr:abc", "npc:1",
              f"gpr:{meeting.id}", f"gpw:{meeting.id}", f"gpwa:{meeting.id}:{other}:1", f"gpwz:{meeting.id}:{other}:0",
              f"vpr:{vote.id}", "vpr:99999"]
    await refused_presses(driver, young.user_id, own["message_id"], forged)
    await asyncio.sleep(0.5)
    assert not [m for m in await driver.bot_messages(young.user_id) if m.get("document")]
    async with sandbox_run.sessionmaker() as s:
        assert await meetings.answer_of(s, meeting.id, other) is None
        refused = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all()
    assert len(refused) >= len(forged)


# --- meetings: the invitation and answers given on it ---------------------------------------------------------------
async def test_the_invitation_is_printed_and_answers_on_paper_are_recorded_and_shown(driver, personas, sandbox_run):
    sec = personas["secretary"]
    meeting = await schedule_one_line(driver, sandbox_run, sec)
    status = (await driver.bot_messages(sec.user_id))[-1]
    assert "📄 Bản in" in buttons(status) and "✍️ Trả lời trên giấy" in buttons(status)
    _, text = await printed(driver, sec.user_id, status)
    names = await paperless(sandbox_run, CELL1)
    assert "GIẤY MỜI HỌP" in text.upper() and CELL1 in text and TITLE in text and PLACE in text and "19:30" in text
    assert "Trả lời" in text and "Ký tên" in text and all(name in text for name in names)

    # Answers written on the sheet: one will attend, one is absent (a quick reason).
    status = await wait_text(driver, sec.user_id, status["message_id"], TITLE)
    await driver.press_button(sec.user_id, status, "Trả lời trên giấy")
    listing = await driver.wait_for_edit(sec.user_id, status["message_id"])
    assert "Ghi trả lời trên giấy" in plain(listing)
    listed = [b for b in buttons(listing) if b.startswith("✅")]
    assert listed and all("📵" in b for b in listed)  # members without Telegram only
    first, second = (b.replace("✅ ", "").replace("📵 ", "") for b in listed[:2])
    await driver.press_button(sec.user_id, listing, listed[0])
    listing = await driver.wait_for_edit(sec.user_id, status["message_id"])
    assert not any(first in b for b in buttons(listing))
    absent = next(b for row in listing["reply_markup"]["inline_keyboard"] for b in row
                  if second in row[0]["text"] and b["text"] == "🙏 Vắng")
    await driver.press(sec.user_id, listing["message_id"], data=absent["callback_data"])
    reasons = await driver.wait_for_edit(sec.user_id, status["message_id"])
    await driver.press_button(sec.user_id, reasons, "Ốm đau")
    await wait_until_gone(driver, sec.user_id, status["message_id"], second)
    async with sandbox_run.sessionmaker() as s:
        a = await meetings.answers(s, meeting.id)
    [came] = [x for x in a.attend if x.name == first]
    [away] = [x for x in a.absent if x.name == second]
    assert came.on_paper and came.by_proxy and away.on_paper and away.reason == "Ốm đau, sức khỏe yếu"

    # The card says which answers came on paper; a fresh sheet carries them in its answer column.
    await driver.press_button(sec.user_id, await latest(driver, sec.user_id, status["message_id"]), "Quay lại")
    card = await wait_text(driver, sec.user_id, status["message_id"], "(📄 trả lời trên giấy)")
    assert f"{first} (📄 trả lời trên giấy)" in plain(card) and f"{second} — Ốm đau, sức khỏe yếu (📄" in plain(card)
    _, text = await printed(driver, sec.user_id, card)
    assert f"{first} Tham dự" in text and "Vắng: Ốm" in text
    assert (await latest_meeting(sandbox_run)).id == meeting.id


async def latest(driver, chat_id: int, message_id: int) -> dict:
    return next(m for m in await driver.messages(chat_id) if m["message_id"] == message_id)


async def wait_until_gone(driver, chat_id: int, message_id: int, name: str, timeout: float = 10) -> dict:
    for _ in range(int(timeout * 10)):
        msg = await latest(driver, chat_id, message_id)
        if "Ghi trả lời trên giấy" in plain(msg) and not any(name in b for b in buttons(msg)):
            return msg
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} still listed")


# --- votes -----------------------------------------------------------------------------------------------------------
async def test_a_closed_votes_result_is_printed_with_its_counts(driver, personas, sandbox_run):
    sec, old = personas["secretary"], personas["elderly_member"]
    _, status = await driver.exchange(sec.user_id, "/vote Thông qua kế hoạch năm 2027? | Phương án A | Phương án B",
                                      count=2)
    vote = await latest_vote(sandbox_run)
    assert "📄 Bản in" not in buttons(status)  # not while it is open
    press = await driver.press(sec.user_id, status["message_id"], data=f"vpr:{vote.id}")
    assert "chưa kết thúc" in (await driver.callback_answer(press))["text"]
    ballot = next(m for m in await driver.wait_for_bot_messages(old.user_id, timeout=15))
    await driver.press_button(old.user_id, ballot, "Phương án B")
    [mine] = await driver.exchange(sec.user_id, "/votes")
    await driver.press_button(sec.user_id, mine, "⚙️")
    card = await driver.wait_for_edit(sec.user_id, mine["message_id"])
    await driver.press_button(sec.user_id, card, "Kết thúc biểu quyết ngay")
    confirm = await driver.wait_for_edit(sec.user_id, mine["message_id"])
    await driver.press_button(sec.user_id, confirm, "Kết thúc ngay")
    closed = await wait_text(driver, sec.user_id, mine["message_id"], "Đã kết thúc")
    assert "📄 Bản in" in buttons(closed)
    _, text = await printed(driver, sec.user_id, closed)
    assert "KẾT QUẢ BIỂU QUYẾT" in text.upper() and CELL1 in text and "Thông qua kế hoạch năm 2027?" in text
    assert "Phương án B: 1 phiếu" in text and "Phương án A: 0 phiếu" in text and "Không có phương án nào" in text
    assert all(name in text for name in await paperless(sandbox_run, CELL1))
    assert "<b>" not in text and "✅" not in text


# --- a sheet that cannot be drawn -----------------------------------------------------------------------------------
async def test_without_fonts_the_officer_is_told_and_nothing_else_is_lost(driver, personas, sandbox_run, monkeypatch):
    def no_fonts(sheet):
        raise PrintUnavailable("fonts missing: NotoSans-Regular.ttf")

    monkeypatch.setattr(handlers.paper, "render_sheet", no_fonts)
    sec = personas["secretary"]
    meeting = await schedule_one_line(driver, sandbox_run, sec)
    status = (await driver.bot_messages(sec.user_id))[-1]
    await driver.press_button(sec.user_id, status, "📄 Bản in")
    [failed] = await driver.wait_for_bot_messages(sec.user_id, timeout=15)
    assert "Chưa tạo được bản in" in plain(failed) and not failed.get("document")
    # The card still works.
    await driver.press_button(sec.user_id, status, "Trả lời trên giấy")
    listing = await driver.wait_for_edit(sec.user_id, status["message_id"])
    assert "Ghi trả lời trên giấy" in plain(listing)
    assert (await latest_meeting(sandbox_run)).id == meeting.id


def test_catalog_html_prints_as_plain_words():
    from handlers.paper import plain

    assert plain("✅ <b>Được thông qua</b>: A &amp; B ·  📵 7%\n   – «ý kiến»") == "Được thông qua: A & B · 7%\n– «ý kiến»"
