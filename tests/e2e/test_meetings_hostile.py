"""Hostile users on /meeting by buttons, 📄 Bản in and answers given on paper (issue 14): members, a secretary of
another cell, a committee officer and someone not linked pressing forged data; invisible, huge and marked-up
typed answers. Each press is answered, in Vietnamese, nothing is stored half-written, nothing is logged as an
error, and nobody sees another's data."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import func, select

from models import meetings
from models.meetings import AgendaTemplate, Meeting, MeetingRsvp, MeetingState
from models.members import Member
from models.paper import members_without_telegram
from models.roles import RoleKind, grant
from models.units import Unit

from .test_meeting_steps import days, today
from .test_meetings import PLACE, buttons, latest_meeting, plain, schedule_one_line

CELL1, CELL2 = "Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2"
LONG = "9" * 70


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR or "Traceback" in r.getMessage() or r.exc_info]


async def cell_of(run, name: str) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(Unit.id).where(Unit.name == name))


async def paperless_member(run, cell: int) -> int:
    """A member of the cell without Telegram (the demo's cell 1 has eight)."""
    async with run.sessionmaker() as s:
        return (await members_without_telegram(s, cell))[0].id


async def rsvps(run, meeting_id: int) -> list[tuple[int, str, bool]]:
    async with run.sessionmaker() as s:
        rows = (await s.scalars(select(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting_id))).all()
        return sorted((r.member_id, r.answer.value, r.on_paper) for r in rows)


async def pressed(driver, user_id: int, message_id: int, data: str) -> dict:
    return await driver.callback_answer(await driver.press(user_id, message_id, data=data), timeout=15)


async def test_forged_meeting_print_and_paper_presses_are_answered_and_change_nothing(driver, personas, sandbox_run,
                                                                                        caplog):
    sec, young, old, officer, new = (personas[k] for k in ("secretary", "young_member", "elderly_member",
                                                           "committee_officer", "newcomer"))
    meeting = await schedule_one_line(driver, sandbox_run, sec)
    cell1, cell2 = await cell_of(sandbox_run, CELL1), await cell_of(sandbox_run, CELL2)
    paper_member = await paperless_member(sandbox_run, cell1)
    async with sandbox_run.sessionmaker() as s:  # the young member becomes the secretary of cell 2 (not hers)
        await grant(s, young.member_id, cell2, RoleKind.secretary)
        other = await s.scalar(select(Member.id).where(Member.cell_id == cell2).limit(1))
        await s.commit()
    before = await rsvps(sandbox_run, meeting.id)
    m = meeting.id
    forged = [f"gpr:{m}", f"gpw:{m}", f"gpwa:{m}:{paper_member}:1", f"gpwa:{m}:{paper_member}:0",
              f"gpwz:{m}:{paper_member}:0", f"gs:{m}", f"gq:{m}", f"gx:{m}", f"gxy:{m}", f"gv:{m}",
              f"gtr:{cell1}", f"gtc:{cell1}", "gpr:0", "gpr:9999999999", "gpr:abc", f"gpr:{LONG}", "gpw:",
              f"gpwa:{m}:{LONG}:1", "gpwz:x:y:z", f"gtc:{LONG}", "gtr:0", "grd", "gdd"]
    for user in (young, old, new):
        msg = (await driver.exchange(user.user_id, "/start"))[-1]
        for data in forged:
            answer = await pressed(driver, user.user_id, msg["message_id"], data)
            if user is young and data in ("grd", "gdd"):  # her own cell 2's: answered with a message
                continue
            assert answer.get("text"), (user.key, data, answer)
            if user is not new:
                assert answer["show_alert"] and "không có quyền" in answer["text"], (user.key, data, answer)
    # The officer of the ward may print and copy answers for cell 1; forged ids stay refused for her too.
    [msg] = await driver.exchange(officer.user_id, "/start")
    for data in ("gpr:0", "gpr:9999999999", "gpr:abc", f"gpwa:{m}:{other}:1", f"gpwa:{m}:0:1", f"gpwz:{m}:{other}:0",
                 f"gpwz:{m}:{paper_member}:9", f"gpwa:{m}:{paper_member}:7"):
        answer = await pressed(driver, officer.user_id, msg["message_id"], data)
        assert answer["show_alert"] and "không có quyền" in answer["text"], (data, answer)
    assert await rsvps(sandbox_run, meeting.id) == before
    assert (await latest_meeting(sandbox_run)).state is MeetingState.scheduled
    assert not [x for u in (young, old, new) for x in await driver.bot_messages(u.user_id) if x.get("document")]
    assert errors(caplog) == []


async def test_paper_answers_only_for_members_without_telegram_and_not_once_cancelled(driver, personas, sandbox_run,
                                                                                     caplog):
    sec, old = personas["secretary"], personas["elderly_member"]
    meeting = await schedule_one_line(driver, sandbox_run, sec)
    status = (await driver.bot_messages(sec.user_id))[-1]
    m, cell1 = meeting.id, await cell_of(sandbox_run, CELL1)
    paper_member = await paperless_member(sandbox_run, cell1)
    # The elderly member is on Telegram: nobody wrote her answer on a sheet she never got.
    for data in (f"gpwa:{m}:{old.member_id}:1", f"gpwz:{m}:{old.member_id}:0"):
        answer = await pressed(driver, sec.user_id, status["message_id"], data)
        assert answer["show_alert"] and answer["text"], (data, answer)
    assert await meetings_answer_of(sandbox_run, m, old.member_id) is None
    # A cancelled meeting takes no answer from paper, whichever button.
    [card] = await driver.exchange(sec.user_id, "/meetings")
    await pressed(driver, sec.user_id, status["message_id"], f"gx:{m}")
    await pressed(driver, sec.user_id, status["message_id"], f"gxy:{m}")
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Meeting, m)).state is MeetingState.cancelled
    seq = driver.cursor(sec.user_id)
    for data in (f"gpr:{m}", f"gpw:{m}", f"gpwa:{m}:{paper_member}:1", f"gpwa:{m}:{paper_member}:0",
                 f"gpwz:{m}:{paper_member}:1"):
        answer = await pressed(driver, sec.user_id, status["message_id"], data)
        assert answer["show_alert"] and "đã hủy" in answer["text"], (data, answer)
    assert await meetings_answer_of(sandbox_run, m, paper_member) is None
    assert not [x for x in await driver.bot_messages(sec.user_id, seq) if x.get("document")]
    assert errors(caplog) == []


async def meetings_answer_of(run, meeting_id: int, member_id: int):
    async with run.sessionmaker() as s:
        return await meetings.answer_of(s, meeting_id, member_id)


async def test_invisible_huge_and_marked_up_typed_answers(driver, personas, sandbox_run, caplog):
    sec = personas["secretary"]
    [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
    await driver.press_button(sec.user_id, ask_kind, "thường kỳ")
    [ask_day] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press(sec.user_id, ask_day["message_id"], data=next(iter(days(ask_day).values())))
    [ask_time] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press_button(sec.user_id, ask_time, "19:30")
    [ask_title] = await driver.wait_for_bot_messages(sec.user_id)
    # Invisible: zero-width spaces, a byte order mark, a right-to-left override: nothing to call the meeting.
    for invisible in ("\u200b\u200b", "\ufeff \u202e", "\u2060"):
        [reply] = await driver.exchange(sec.user_id, invisible)
        assert "Tên buổi sinh hoạt không được để trống" in plain(reply), (invisible, plain(reply))
    # 10,000 characters come as three messages (a client splits at 4096): one answer, the tail not a title.
    seq = driver.cursor(sec.user_id)
    pasted = "Đ" * 10_000
    for part in (pasted[:4096], pasted[4096:8192], pasted[8192:]):
        await driver.send(sec.user_id, part)
    await asyncio.sleep(1)
    [reply] = await driver.bot_messages(sec.user_id, seq)
    assert "200 ký tự" in plain(reply)
    seq = driver.cursor(sec.user_id)
    await driver.send(sec.user_id, "Đ" * 4096)
    await driver.send(sec.user_id, "Đuôi của đoạn dán")
    await asyncio.sleep(3)
    [reply] = await driver.bot_messages(sec.user_id, seq)
    assert "200 ký tự" in plain(reply)
    title = "<b>Họp</b> & <i>bàn</i> \u202eviệc 🎉"
    [ask_place] = await driver.exchange(sec.user_id, title)
    assert "Địa điểm" in plain(ask_place)
    [reply] = await driver.exchange(sec.user_id, "\u200b")
    assert "Địa điểm không được để trống" in plain(reply), plain(reply)
    [ask_agenda] = await driver.exchange(sec.user_id, "Nhà <bác> Tư \u200b& 🏠")
    seq = driver.cursor(sec.user_id)
    for part in ("x" * 4096, "x" * 4096, "x" * 1808):
        await driver.send(sec.user_id, part)
    await asyncio.sleep(3)
    [reply] = await driver.bot_messages(sec.user_id, seq)
    assert "2000" in plain(reply)
    [ask_docs] = await driver.exchange(sec.user_id, "1. <script>alert(1)</script>\n2. Ý kiến \u202e đảng viên")
    await driver.press_button(sec.user_id, ask_docs, "Xong")
    preview, confirm = await driver.wait_for_bot_messages(sec.user_id, 2)
    assert "<b>Họp</b> & <i>bàn</i> việc 🎉" in plain(preview), plain(preview)
    assert "\u202e" not in plain(preview) and "<script>alert(1)</script>" in plain(preview)
    await driver.press_button(sec.user_id, confirm, "Gửi thông báo")
    await driver.wait_for_edit(sec.user_id, confirm["message_id"], timeout=20)
    meeting = await latest_meeting(sandbox_run)
    assert (meeting.title, meeting.place) == ("<b>Họp</b> & <i>bàn</i> việc 🎉", "Nhà <bác> Tư & 🏠")
    assert meeting.agenda == "1. <script>alert(1)</script>\n2. Ý kiến  đảng viên"
    # ◀ and ✅ again on the messages of a meeting already sent: expired, no second meeting.
    for data in ("gbk:8", "gy:yes", "gy:no", "gu:0", "gd:20270101", "gmo:202713", f"gh:{LONG}"):
        answer = await pressed(driver, sec.user_id, confirm["message_id"], data)
        assert "hết hạn" in answer["text"], (data, answer)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Meeting)) == 1
    assert errors(caplog) == []


async def test_hostile_template_lines_and_stale_template_buttons(driver, personas, sandbox_run, caplog):
    sec = personas["secretary"]
    [reply] = await driver.exchange(sec.user_id, "/start")
    await driver.press(sec.user_id, reply["message_id"], data="gtm")
    [shown] = await driver.wait_for_bot_messages(sec.user_id)
    assert "mẫu chung" in plain(shown), plain(shown)
    [reply] = await driver.exchange(sec.user_id, "\u200b\n \u202e\n- \n1.")
    assert "Mẫu chưa có phần nào" in plain(reply), plain(reply)
    [reply] = await driver.exchange(sec.user_id, "\n".join(f"Phần {i}" for i in range(16)))
    assert "15" in plain(reply)
    [saved] = await driver.exchange(sec.user_id, "<b>Kiểm điểm</b> & 🎯\n- Ý kiến \u200bđảng viên")
    assert "<b>Kiểm điểm</b> & 🎯" in plain(saved) and "2. Ý kiến đảng viên" in plain(saved)
    async with sandbox_run.sessionmaker() as s:
        row = (await s.scalars(select(AgendaTemplate))).one()
    assert row.parts == "<b>Kiểm điểm</b> & 🎯\nÝ kiến đảng viên"
    assert errors(caplog) == []


async def test_a_regular_meetings_template_button_does_not_fill_a_thematic_one(driver, personas, sandbox_run, caplog):
    """◀ from the agenda back to the kind: the old 'use the template' button of the regular meeting is stale."""
    sec = personas["secretary"]
    [ask_kind] = await driver.exchange(sec.user_id, "/meeting")
    await driver.press_button(sec.user_id, ask_kind, "thường kỳ")
    [ask_day] = await driver.wait_for_bot_messages(sec.user_id)
    day = today() + timedelta(days=3)
    await driver.press(sec.user_id, ask_day["message_id"], data=f"gd:{day:%Y%m%d}")
    [ask_time] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press_button(sec.user_id, ask_time, "19:30")
    [ask_title] = await driver.wait_for_bot_messages(sec.user_id)
    [ask_place] = await driver.exchange(sec.user_id, "Họp")
    [ask_agenda] = await driver.exchange(sec.user_id, PLACE)
    assert "theo mẫu" in " ".join(buttons(ask_agenda)) or "mẫu" in plain(ask_agenda)
    template_data = next(b["callback_data"] for row in ask_agenda["reply_markup"]["inline_keyboard"] for b in row
                         if b["callback_data"].startswith("gu:"))
    # Back, step by step, to the kind; a thematic meeting this time.
    message = ask_agenda
    for _ in range(5):
        await driver.press(sec.user_id, message["message_id"], data=next(
            b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
            if b["callback_data"].startswith("gbk:")))
        message = await driver.wait_for_edit(sec.user_id, message["message_id"])
    assert "chọn loại" in plain(message)
    await driver.press_button(sec.user_id, message, "chuyên đề")
    [ask_day] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press(sec.user_id, ask_day["message_id"], data=f"gd:{day:%Y%m%d}")
    [ask_time] = await driver.wait_for_bot_messages(sec.user_id)
    await driver.press_button(sec.user_id, ask_time, "19:30")
    [ask_title] = await driver.wait_for_bot_messages(sec.user_id)
    [ask_place] = await driver.exchange(sec.user_id, "Chuyên đề quý")
    [ask_agenda] = await driver.exchange(sec.user_id, PLACE)
    assert not [b for b in buttons(ask_agenda) if "mẫu" in b]
    answer = await pressed(driver, sec.user_id, ask_agenda["message_id"], template_data)
    assert answer.get("text"), answer
    [ask_docs] = await driver.exchange(sec.user_id, "Học tập Nghị quyết")
    assert "tài liệu" in plain(ask_docs)
    assert errors(caplog) == []


async def test_a_marked_up_name_prints_as_written_and_two_fast_presses_make_two_sheets(driver, personas, sandbox_run,
                                                                                       caplog):
    from .test_printing import words_of

    sec = personas["secretary"]
    cell1 = await cell_of(sandbox_run, CELL1)
    member_id = await paperless_member(sandbox_run, cell1)
    name = "<b>Tư</b> {nb} & {pages0}"
    async with sandbox_run.sessionmaker() as s:
        (await s.get(Member, member_id)).full_name = name
        await s.commit()
    await schedule_one_line(driver, sandbox_run, sec, title="Họp <i>tháng</i> {nb}")
    status = (await driver.bot_messages(sec.user_id))[-1]
    seq = driver.cursor(sec.user_id)
    first = await driver.press_button(sec.user_id, status, "📄 Bản in")
    second = await driver.press_button(sec.user_id, status, "📄 Bản in")
    for press in (first, second):
        assert "bản in" in (await driver.callback_answer(press, timeout=15))["text"]
    docs = await driver.wait_for_bot_messages(sec.user_id, 2, after_seq=seq, timeout=30)
    texts = [words_of(await driver.download(d["document"])) for d in docs if d.get("document")]
    assert len(texts) == 2
    # As written (the cell wraps the name: its words are read one by one); no page count in place of {nb}.
    assert all("<b>Tư</b> {nb} &" in text and "{pages0}" in text and "Họp <i>tháng</i> {nb}" in text
               for text in texts), texts[0]
    await driver.press_button(sec.user_id, status, "Trả lời trên giấy")
    listing = await driver.wait_for_edit(sec.user_id, status["message_id"])
    assert any(name in b for b in buttons(listing))
    assert errors(caplog) == []
