"""Study items end to end over the Bot API: the secretary gives a resolution to study with an XLSX question bank
(a bad one refused with its rows named, then a good one) and an essay, members of 80 or over excused; members get the
card (the elderly one told he is excused), one marks it studied and hands in an essay anyway (a photo, asked again,
then typed, received), another takes the quiz by answering Telegram quiz polls and retakes it, and /report shows per cell who studied, the best scores and the essays, with a chart.

Demo personas: the secretary, the elderly and the young member are in cell 1 ("Chi bộ Tổ dân phố 1", 11 members).
"""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import openpyxl
from PIL import Image
from sqlalchemy import select, update

from models import clock, notices, study
from models.dates import VIETNAM
from models.deliveries import Delivery, DeliveryState
from models.members import Member
from models.notices import NoticeKind
from models.permissions import load_actor

TITLE = "Nghị quyết 57-NQ/TW về phát triển khoa học, công nghệ"
HEADER = ["Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng", "Giải thích"]
GOOD = [["Nghị quyết 57-NQ/TW bàn về lĩnh vực nào?", "Nông nghiệp", "Khoa học, công nghệ", "Du lịch", "B",
         "Đột phá phát triển khoa học, công nghệ."],
        ["Ai chịu trách nhiệm tổ chức học tập trong chi bộ?", "Bí thư chi bộ", "Tổ trưởng dân phố", None, "A", None]]


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def sent_resolution(run, sender_user_id: int) -> None:
    """A resolution the secretary sent to her cell earlier (its deliveries long done)."""
    async with run.sessionmaker() as s:
        actor = await load_actor(s, sender_user_id)
        await notices.create_notice(s, actor, kind=NoticeKind.resolution, title=TITLE, body="Toàn văn nghị quyết.",
                                    audience_unit_ids=[actor.cell_id])
        await s.execute(update(Delivery).values(state=DeliveryState.sent))
        await s.commit()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 60), (250, 250, 240)).save(out, "PNG")
    return out.getvalue()


async def essay_for(driver, user_id: int) -> dict:
    """The next essay the officer gets (her own study card may come meanwhile: she is a member of the cell too)."""
    while True:
        for msg in await driver.wait_for_bot_messages(user_id):
            if "Bài thu hoạch" in plain(msg) and msg["reply_markup"]:
                return msg


def button(msg: dict, data: str) -> str:
    return next(b["text"] for row in msg["reply_markup"]["inline_keyboard"] for b in row if b.get("callback_data") == data)


async def answer_quiz(driver, user_id: int, choices: list[int]) -> dict:
    """Answers each quiz poll as it comes; returns the bot's message after the last answer."""
    for choice in choices:
        [poll] = [m for m in await driver.wait_for_bot_messages(user_id) if m["poll"]]
        assert poll["poll"]["type"] == "quiz" and not poll["poll"]["is_anonymous"]
        await driver.answer_poll(user_id, poll["message_id"], choice)
    [done] = await driver.wait_for_bot_messages(user_id)
    return done


async def test_a_secretary_gives_a_resolution_with_a_quiz_members_take_it_and_the_report_shows_it(
        driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    await sent_resolution(sandbox_run, sec.user_id)

    [ask_doc] = await driver.exchange(sec.user_id, "/study")
    assert "Giao học tập" in plain(ask_doc)
    await driver.press_button(sec.user_id, ask_doc, "Nghị quyết 57")
    [calendar] = await driver.wait_for_bot_messages(sec.user_id)
    assert "hạn" in plain(calendar)
    assert TITLE in plain(next(m for m in await driver.messages(sec.user_id) if m["message_id"] == ask_doc["message_id"]))
    deadline = clock.now().astimezone(VIETNAM).date()  # today still counts
    await driver.press_button(sec.user_id, calendar, button(calendar, f"sqy:{deadline:%Y%m%d}"))
    [ask_bank] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Đáp án đúng" in plain(ask_bank)

    # A bank with bad rows is refused, each named; a PDF is not a workbook; the good one is taken.
    await driver.send_file(sec.user_id, xlsx([GOOD[0], ["Thiếu đáp án", "Có", "Không", None, None, None],
                                              ["Một phương án", "Có", None, None, "A", None]]), "cau-hoi.xlsx")
    [refused] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Dòng 3: thiếu đáp án đúng" in plain(refused) and "Dòng 4: cần ít nhất 2 phương án" in plain(refused)
    await driver.send_file(sec.user_id, b"%PDF-1.4 ...", "nghi-quyet.pdf")
    [not_xlsx] = await driver.wait_for_bot_messages(sec.user_id)
    assert "không phải bảng tính Excel" in plain(not_xlsx)
    await driver.send_file(sec.user_id, xlsx(GOOD), "cau-hoi.xlsx")
    read, ask_essay = await driver.wait_for_bot_messages(sec.user_id, 2)
    assert "Đã nhận 2 câu hỏi" in plain(read) and "bài thu hoạch" in plain(ask_essay)
    await driver.press_button(sec.user_id, ask_essay, "Có, nộp bài thu hoạch")
    [ask_age] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Miễn bài thu hoạch cho đảng viên cao tuổi?" in plain(ask_age)
    forged = await driver.press(sec.user_id, ask_age["message_id"], data="sqg:60")
    assert (await driver.callback_answer(forged))["text"] == "Nút này không còn hiệu lực."
    await driver.press_button(sec.user_id, ask_age, "Từ 80 tuổi")
    [preview] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Bài kiểm tra: 2 câu hỏi" in plain(preview)
    assert "Bài thu hoạch: có, miễn cho đảng viên từ 80 tuổi" in plain(preview)
    assert "11 đảng viên" in plain(preview)  # the secretary too
    await driver.press_button(sec.user_id, preview, "Giao học tập")
    given = await driver.wait_for_edit(sec.user_id, preview["message_id"])
    assert "cho 11 đảng viên" in plain(given)

    card_for = {}
    for person in (old, young):
        card_for[person.key] = [c for c in await driver.wait_for_bot_messages(person.user_id, timeout=15)
                                if "Học tập" in plain(c)][0]
        card = card_for[person.key]
        assert f"📖 Học tập: {TITLE}, hạn {deadline:%d/%m/%Y}" in plain(card)
        assert [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row] == [
            "📄 Xem văn bản", "📖 Đã học", "▶ Làm bài kiểm tra (2 câu)", "✍ Nộp bài thu hoạch"]
    excused = "Đồng chí được miễn bài thu hoạch (từ 80 tuổi); nếu muốn, đồng chí vẫn có thể nộp."
    assert excused in plain(card_for["elderly_member"]) and excused not in plain(card_for["young_member"])

    await driver.press_button(old.user_id, card_for["elderly_member"], "Xem văn bản")
    [document] = await driver.wait_for_bot_messages(old.user_id)
    assert TITLE in plain(document) and "Toàn văn nghị quyết." in plain(document)
    press = await driver.press_button(old.user_id, card_for["elderly_member"], "Đã học")
    assert "Đã ghi nhận" in (await driver.callback_answer(press))["text"]
    left = await driver.wait_for_edit(old.user_id, card_for["elderly_member"]["message_id"])
    assert "📖 Đã học" not in [b["text"] for row in left["reply_markup"]["inline_keyboard"] for b in row]

    # The young member takes the quiz: one wrong, one right; retakes it: both right; the best is kept.
    await driver.press_button(young.user_id, card_for["young_member"], "Làm bài kiểm tra")
    [intro] = [m for m in await driver.wait_for_bot_messages(young.user_id) if not m["poll"]]
    assert "2 câu hỏi" in plain(intro)
    done = await answer_quiz(driver, young.user_id, [0, 0])
    assert "đúng 1/2 câu" in plain(done) and "Điểm cao nhất của đồng chí: 1/2" in plain(done)
    polls = [m for m in await driver.bot_messages(young.user_id) if m["poll"]]
    assert polls[0]["poll"]["explanation"] == "Đột phá phát triển khoa học, công nghệ."  # shown after answering
    assert [o["correct"] for o in polls[0]["poll"]["options"]] == [False, True, False]
    await driver.press_button(young.user_id, done, "Làm lại")
    await driver.wait_for_bot_messages(young.user_id)  # the intro
    done = await answer_quiz(driver, young.user_id, [1, 0])
    assert "đúng 2/2 câu" in plain(done) and "2/2" in plain(done).split("\n")[1]
    async with sandbox_run.sessionmaker() as s:
        row = await s.scalar(select(study.StudyMember).where(study.StudyMember.member_id == young.member_id))
        assert (row.best_score, row.attempts) == (2, 2)

    # The elderly member (excused, over 80) hands in a photo of his handwritten essay anyway; the secretary asks for
    # it again; typed, received.
    await driver.press_button(old.user_id, card_for["elderly_member"], "Nộp bài thu hoạch")
    [ask] = await driver.wait_for_bot_messages(old.user_id)
    assert "Bài thu hoạch" in plain(ask)
    await driver.send_file(old.user_id, png(), "bai-viet-tay.jpg", kind="photo", caption="Bài viết tay của tôi")
    [sent] = await driver.wait_for_bot_messages(old.user_id)
    assert "Đã nộp bài thu hoạch" in plain(sent)
    essay = await essay_for(driver, sec.user_id)
    assert essay["media_kind"] == "photo" and old.name in plain(essay) and "Bài viết tay của tôi" in plain(essay)
    await driver.press_button(sec.user_id, essay, "Yêu cầu làm lại")
    [redo] = await driver.wait_for_bot_messages(old.user_id)
    assert "cần làm lại" in plain(redo)
    await driver.press_button(old.user_id, redo, "Nộp lại")
    await driver.wait_for_bot_messages(old.user_id)
    await driver.send(old.user_id, "Nghị quyết 57 mở ra con đường cho khoa học, công nghệ ở khu phố chúng tôi.")
    await driver.wait_for_bot_messages(old.user_id)
    essay = await essay_for(driver, sec.user_id)
    assert "Nghị quyết 57 mở ra con đường" in plain(essay)
    await driver.press_button(sec.user_id, essay, "Đã nhận")
    [received] = await driver.wait_for_bot_messages(old.user_id)
    assert "đã được nhận" in plain(received)

    # /report: the cell's line with who studied, who took the quiz, the average best score, the essays — the other
    # members 80 or over at the deadline excused (the demo's birth years: at least Tôn Nữ Thị Lài, born 1940).
    async with sandbox_run.sessionmaker() as s:
        births = (await s.scalars(select(Member.birth_date).join(study.StudyMember, study.StudyMember.member_id
                                                                 == Member.id)
                                  .where(Member.id != old.member_id, Member.birth_date.is_not(None)))).all()
    over_80 = sum(deadline.year - b.year - ((deadline.month, deadline.day) < (b.month, b.day)) >= 80 for b in births)
    assert over_80 >= 1
    await driver.send(sec.user_id, "/report")
    seen: dict[int, dict] = {}
    while not any(m["media_kind"] == "photo" for m in seen.values()):  # the text, then its chart
        seen |= {m["message_id"]: m for m in await driver.wait_for_bot_messages(sec.user_id)}
    [report] = [plain(m) for m in seen.values() if "đã học" in plain(m)]
    [chart] = [m for m in seen.values() if m["media_kind"] == "photo"]
    assert plain(chart) == f"📊 {TITLE}" and chart["photo"][-1]["width"] == 1080
    assert TITLE in report
    assert ("Chi bộ Tổ dân phố 1: đã học 1/11 · làm bài 1/11 · điểm cao nhất trung bình 2/2"
            f" · bài thu hoạch 1/{11 - over_80}, đã nhận 1 (miễn {over_80})") in report


async def test_the_day_before_the_deadline_who_has_not_finished_is_reminded(driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    await sent_resolution(sandbox_run, sec.user_id)
    today = clock.now().astimezone(VIETNAM).date()
    async with sandbox_run.sessionmaker() as s:
        actor = await load_actor(s, sec.user_id)
        [resolution] = await study.eligible_documents(s, actor, await study.study_unit(s, actor))
        item, _ = await study.create_study(s, actor, notice_id=resolution.id, unit_id=actor.cell_id,
                                           deadline=today + timedelta(days=3))
        await study.mark_studied(s, item.id, old.member_id)
        await s.commit()
    [card] = await driver.wait_for_bot_messages(young.user_id, timeout=15)
    assert "📖 Học tập" in plain(card)
    clock.advance(datetime.combine(today + timedelta(days=2), time(8, 0, 30), tzinfo=VIETNAM) - clock.now())
    reminder = None
    while reminder is None:
        reminder = next((m for m in await driver.wait_for_bot_messages(young.user_id, timeout=15)
                         if "⏰" in plain(m)), None)
    assert f"Ngày mai ({today + timedelta(days=3):%d/%m/%Y}) là hạn học tập {TITLE}" in plain(reminder)
    assert [b["text"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row] == [
        "📄 Xem văn bản", "📖 Đã học"]
    assert not any("⏰" in plain(m) for m in await driver.bot_messages(old.user_id))  # he studied it
