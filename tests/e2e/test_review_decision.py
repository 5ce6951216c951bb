"""The year-end review over the Bot API (issue 16): the cell's appraisal and the committee's decision, in the
demo's cell 1 made 12 members (Tôn Nữ Thị Lài exempt, Phan Minh Khôi probationary; everyone linked to a
Telegram user of their own so that the whole cell votes). The round is opened by the ward officer and the
self-reviews are sent (the first slice's test taps those); then:

the secretary: 🗂 Công tác chi bộ → 📝 Tự kiểm điểm của chi bộ → 📋 Đánh giá, xếp loại: Chi bộ Tổ dân phố 1 →
👤 Lê Văn Bảy → ✏️ Nhận xét của chi bộ (typed; 4,000 characters refused) → ◀ Danh sách của chi bộ →
🗳 Biểu quyết xếp loại cho tất cả (11); the members tap their secret ballots (Khôi may not: probationary);
⏹ Kết thúc biểu quyết (11) → Bảy proposed by the vote, Oanh without a majority → 👤 Lê Thị Kim Oanh →
➜ Hoàn thành tốt nhiệm vụ → the reason typed;
the ward officer: 🗂 Công tác đảng bộ → 🏛 Quyết định xếp loại đảng viên (1) → Chi bộ Tổ dân phố 1 (2/11) →
✏️ Đổi mức: Lê Văn Bảy → ➜ Hoàn thành xuất sắc nhiệm vụ → the reason typed → ✅ Duyệt tất cả đề nghị của chi bộ
→ ◀ Các chi bộ → 🔒 Kết thúc đợt kiểm điểm → (the unrated listed) 🔒 Vẫn kết thúc, để chưa xếp loại;
each rated member is told their level once, and /profile shows it. Forged and foreign presses are refused."""
from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from models import clock, review, votes
from models.dates import VIETNAM
from models.deliveries import Delivery
from models.meetings.schema import Meeting, MeetingKind
from models.members import Member
from models.permissions import member_actor
from models.review import Level, ReviewEntry
from models.units import Unit

from .outbox import settled
from .test_feedback import voice_ogg
from .test_panel import CELL_PANEL, PARTY_PANEL, labels, open_panel, plain
from .test_review import _answer, _open_round
from .test_votes import CELL, link_cell


async def _said(driver, user_id: int, needle: str, start: int, timeout: float = 40) -> dict:
    """The first bot message in the chat after `start` whose text holds `needle` (the outbox's ballots and
    results come in between)."""
    deadline = time.monotonic() + timeout
    while True:
        for msg in await driver.bot_messages(user_id, start):
            if needle in plain(msg):
                return msg
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not in chat {user_id}: {[plain(m)[:70] for m in await driver.bot_messages(user_id, start)]}")
        await asyncio.sleep(0.1)


async def _press(driver, user_id: int, msg: dict, label: str, needle: str) -> dict:
    """Tap a button and get the bot's new message holding `needle`."""
    await driver.press_button(user_id, msg, label)
    return await _said(driver, user_id, needle, driver.cursor(user_id))


async def _send(driver, user_id: int, text: str, needle: str) -> dict:
    await driver.send(user_id, text)
    return await _said(driver, user_id, needle, driver.cursor(user_id))


async def _now(driver, user_id: int, message_id: int) -> dict:
    """The message as it is now (after its edits)."""
    return next(m for m in await driver.messages(user_id) if m["message_id"] == message_id)


async def _entries(run) -> dict[str, ReviewEntry]:
    async with run.sessionmaker() as s:
        rows = (await s.execute(select(Member.full_name, ReviewEntry).join(Member, Member.id == ReviewEntry.member_id)
                                .execution_options(populate_existing=True))).all()
    return {name: e for name, e in rows}


async def _vote(driver, user_id: int, name: str, label: str) -> None:
    """The member finds the secret ballot on `name`'s level among theirs and taps `label`."""
    ballot = await _said(driver, user_id, f"đối với đồng chí {name}", 0, timeout=60)
    await driver.press_button(user_id, ballot, label)
    await driver.wait_for_edit(user_id, ballot["message_id"])


async def test_the_cell_votes_the_levels_and_the_committee_decides_with_one_change(driver, personas, sandbox_run):
    officer, old, secretary, young = (personas[k] for k in ("committee_officer", "elderly_member", "secretary",
                                                             "young_member"))
    async with sandbox_run.sessionmaker() as s:  # the twelfth member of the cell
        cell = (await s.scalars(select(Unit).where(Unit.name == CELL))).one()
        s.add(Member(full_name="Trương Thị Thu", cell_id=cell.id, joined_on=date(1985, 3, 2),
                     official_on=date(1986, 3, 2), position="Cán bộ hưu trí"))
        await s.commit()
        assert await s.scalar(select(func.count()).select_from(Member).where(Member.cell_id == cell.id)) == 12
    users = await link_cell(sandbox_run, driver)
    await _open_round(driver, officer)
    entries = await _entries(sandbox_run)
    async with sandbox_run.sessionmaker() as s:  # every reviewed member sends theirs (the first slice taps it)
        for e in entries.values():
            if not e.exempt:
                await review.submit(s, await member_actor(s, e.member_id), e.id)
        await s.commit()
        names = dict((await s.execute(select(Member.id, Member.full_name).where(Member.cell_id == cell.id))).all())
    user_of = {names[m]: u for m, u in users.items()} | {old.name: old.user_id, secretary.name: secretary.user_id,
                                                          young.name: young.user_id}
    oanh = "Lê Thị Kim Oanh"

    # The secretary: from the cell's list to the cell's appraisal, a member's sheet, the cell's comments.
    panel = await open_panel(driver, secretary.user_id, CELL_PANEL)
    listing = await _press(driver, secretary.user_id, panel, "Tự kiểm điểm của chi bộ", "Tự kiểm điểm của đảng viên")
    page = await _press(driver, secretary.user_id, listing, f"Đánh giá, xếp loại: {CELL}", "Chi bộ đánh giá, xếp loại")
    text = plain(page)
    assert f"{old.name} — tự chấm 80 điểm, tự xếp loại: Hoàn thành tốt nhiệm vụ" in text, text
    assert "Tôn Nữ Thị Lài" not in text and "Chi bộ chưa biểu quyết xếp loại" in text, text
    sheet = await _press(driver, secretary.user_id, page, old.name, "Đánh giá đảng viên năm")
    assert "Mẫu 2C" in plain(sheet) and "Chi bộ chưa ghi nhận xét" in plain(sheet), plain(sheet)
    await _press(driver, secretary.user_id, sheet, "Nhận xét của chi bộ", "gõ nhận xét của chi bộ")
    said = await _send(driver, secretary.user_id, "x" * 4000, "dài quá")  # Telegram's longest (the models: 10,000)
    assert "4000 ký tự, tối đa 2000" in plain(said), plain(said)
    await driver.send_file(secretary.user_id, voice_ogg(), "voice.ogg", kind="voice")  # typed only, here
    [said] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "xin đồng chí gõ chữ" in plain(said), plain(said)
    assert (await _entries(sandbox_run))[old.name].cell_comment is None
    shown = await _send(driver, secretary.user_id, "<b>Gương mẫu</b>, nhiệt tình với tổ dân phố",
                        "Nhận xét của chi bộ: <b>Gương mẫu</b>")
    assert (await _entries(sandbox_run))[old.name].cell_comment == "<b>Gương mẫu</b>, nhiệt tình với tổ dân phố"
    # A member may not read another's sheet; the secretary may not decide a level (a forged committee button).
    [own] = await driver.exchange(young.user_id, "/profile")
    said = await _answer(driver, young.user_id, own["message_id"], f"rve:{entries[old.name].id}")
    assert said and "Gương mẫu" not in said, said
    said = await _answer(driver, secretary.user_id, shown["message_id"], f"rdt:{entries[old.name].id}:excellent")
    assert said and (await _entries(sandbox_run))[old.name].decided_level is None, said
    said = await _answer(driver, secretary.user_id, shown["message_id"], "rva:1:x<b>")  # forged data
    assert said, said

    # One tap opens a secret vote on each sent member's level; the members vote on their ballots.
    page = await _press(driver, secretary.user_id, shown, "Danh sách của chi bộ", "Chi bộ đánh giá, xếp loại")
    await _press(driver, secretary.user_id, page, "Biểu quyết xếp loại cho tất cả (11)", "Đã mở 11 cuộc biểu quyết")
    voters = [n for n in user_of if n != young.name]
    assert len(voters) == 11  # the full members, the exempt Lài among them
    await asyncio.gather(*(_vote(driver, user_of[n], old.name, "Hoàn thành tốt nhiệm vụ") for n in voters[:7]),
                         *(_vote(driver, user_of[n], oanh, "Hoàn thành xuất sắc nhiệm vụ") for n in voters[:4]),
                         *(_vote(driver, user_of[n], oanh, "Hoàn thành tốt nhiệm vụ") for n in voters[4:8]))
    said = await _answer(driver, young.user_id, own["message_id"],
                         f"v:{(await _entries(sandbox_run))[old.name].proposal_vote_id}:2")
    assert "dự bị" in said, said  # probationary: rated, does not vote

    # The meeting is over: the secretary ends the votes; a majority proposes, a tie leaves her to pick.
    page = await _now(driver, secretary.user_id, page["message_id"])  # edited when the votes opened
    await driver.press_button(secretary.user_id, page, "Kết thúc biểu quyết (11)")
    page = await driver.wait_for_edit(secretary.user_id, page["message_id"])
    text = plain(page)
    assert "Chi bộ đề nghị xếp loại: Hoàn thành tốt nhiệm vụ (phiếu: Xuất sắc 0 · Tốt 7 · Hoàn thành 0 · " \
           "Không hoàn thành 0; 7 phiếu trên 11 đảng viên chính thức)" in text, text
    assert "Không mức nào được quá nửa số đảng viên chính thức. (phiếu: Xuất sắc 4 · Tốt 4" in text, text
    # Every member who received the ballots is told the 11 levels voted in ONE message, not a result a vote.
    told = await _said(driver, user_of[oanh], "Kết quả biểu quyết xếp loại năm", 0)
    text = plain(told)
    assert f"{old.name}: Hoàn thành tốt nhiệm vụ (phiếu: Xuất sắc 0 · Tốt 7 · Hoàn thành 0" in text, text
    assert f"{oanh}: không mức nào được quá nửa số đảng viên chính thức (phiếu: Xuất sắc 4 · Tốt 4" in text, text
    assert text.count("phiếu trên 11 đảng viên chính thức") == 11, text
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Delivery)
                              .where(Delivery.kind == votes.RESULT_DELIVERY)) == 0
        told_to = (await s.scalars(select(Delivery.member_id).where(Delivery.kind == review.VOTES_DELIVERY))).all()
        assert len(told_to) == len(set(told_to)) == 12  # the cell: the probationary Khôi received the ballots too
    await _said(driver, young.user_id, "Kết quả biểu quyết xếp loại năm", 0)
    results = [m for m in await driver.bot_messages(user_of[oanh], 0)
               if "Kết quả biểu quyết" in plain(m) or "photo" in m]
    assert results == [told], [plain(m)[:70] for m in results]

    sheet = await _press(driver, secretary.user_id, page, oanh, "Đánh giá đảng viên năm")
    assert "bí thư chọn một mức" in plain(sheet), plain(sheet)
    await _press(driver, secretary.user_id, sheet, "Hoàn thành tốt nhiệm vụ", "Đồng chí gõ lý do")
    sheet = await _send(driver, secretary.user_id, "Hòa phiếu; chi bộ thống nhất đề nghị mức tốt",
                        "bí thư chọn sau biểu quyết")
    e = (await _entries(sandbox_run))
    assert (e[old.name].proposed_level, e[oanh].proposed_level, e[oanh].proposal_reason) == (
        Level.good, Level.good, "Hòa phiếu; chi bộ thống nhất đề nghị mức tốt")

    # The ward officer: the cell's proposals, one level changed with its reason, the rest approved at once.
    panel = await open_panel(driver, officer.user_id, PARTY_PANEL)
    assert "🏛 Quyết định xếp loại đảng viên (2)" in labels(panel), labels(panel)
    rounds = await _press(driver, officer.user_id, panel, "Quyết định xếp loại đảng viên", "Cấp ủy quyết định xếp loại")
    assert f"{CELL}: chi bộ đề nghị 2/11, cấp ủy đã quyết định 0" in plain(rounds), plain(rounds)
    cell_page = await _press(driver, officer.user_id, rounds, f"{CELL} (2/11)", "Đề nghị xếp loại của")
    assert "Tốt 7" in plain(cell_page) and "bí thư chọn sau biểu quyết: Hòa phiếu" in plain(cell_page)
    ask = await _press(driver, officer.user_id, cell_page, f"Đổi mức: {old.name}", "Cấp ủy quyết định mức nào")
    assert "hiện nay: Hoàn thành tốt nhiệm vụ" in plain(ask) and "➜ Hoàn thành tốt nhiệm vụ" not in labels(ask)
    await _press(driver, officer.user_id, ask, "Hoàn thành xuất sắc nhiệm vụ", "Đồng chí gõ lý do")
    await _send(driver, officer.user_id, "z" * 4000, "Lý do dài quá")
    cell_page = await _send(driver, officer.user_id, "Có <i>sáng kiến</i> được phường khen thưởng",
                            "Đề nghị xếp loại của")
    assert "Cấp ủy quyết định: Hoàn thành xuất sắc nhiệm vụ (lý do: Có <i>sáng kiến</i>" in plain(cell_page)
    await driver.press_button(officer.user_id, cell_page, "Duyệt tất cả đề nghị của chi bộ")
    cell_page = await driver.wait_for_edit(officer.user_id, cell_page["message_id"])
    e = await _entries(sandbox_run)
    assert (e[old.name].decided_level, e[oanh].decided_level, e["Trần Văn Sáu"].decided_level) == (
        Level.excellent, Level.good, None)

    # Closing: members without a proposal are listed; confirmed, the round closes once.
    rounds = await _press(driver, officer.user_id, cell_page, "Các chi bộ", "Cấp ủy quyết định xếp loại")
    unrated = await _press(driver, officer.user_id, rounds, "Kết thúc đợt kiểm điểm", "chưa có đề nghị xếp loại")
    assert "• Trần Văn Sáu (Chi bộ Tổ dân phố 1)" in plain(unrated), plain(unrated)
    done = await _press(driver, officer.user_id, unrated, "Vẫn kết thúc", "Đã kết thúc đợt kiểm điểm")
    assert "2 đảng viên được xếp loại" in plain(done) and "2 đồng chí được báo kết quả" in plain(done), plain(done)
    said = await _answer(driver, officer.user_id, unrated["message_id"],
                         unrated["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "Đợt kiểm điểm này đã kết thúc" in said, said

    # Each rated member is told their level privately, once; the profile keeps it.
    told = await _said(driver, old.user_id, "Kết quả xếp loại chất lượng đảng viên năm", 0)
    assert "Hoàn thành xuất sắc nhiệm vụ" in plain(told), plain(told)
    told = await _said(driver, user_of[oanh], "Kết quả xếp loại chất lượng đảng viên năm", 0)
    assert "Hoàn thành tốt nhiệm vụ" in plain(told), plain(told)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Delivery)
                              .where(Delivery.kind == review.RESULT_DELIVERY)) == 2
    profile = await _send(driver, old.user_id, "/profile", "Xếp loại chất lượng đảng viên")
    year = await _round_year(sandbox_run)
    assert f"Năm {year}: Hoàn thành xuất sắc nhiệm vụ" in plain(profile), plain(profile)


async def _round_year(run) -> int:
    async with run.sessionmaker() as s:
        return (await s.scalars(select(review.ReviewRound.year))).one()


async def test_the_review_meeting_is_a_meeting_of_kind_kiem_diem_linked_from_the_appraisal(driver, personas,
                                                                                         sandbox_run):
    """📅 Đặt lịch họp kiểm điểm on the cell's appraisal: the meetings' steps with the kind chosen, the
    invitations as for any meeting, the roll call at the meeting; the appraisal then shows its day and
    attendance and links to it."""
    officer, old, secretary = (personas[k] for k in ("committee_officer", "elderly_member", "secretary"))
    await _open_round(driver, officer)
    await settled(sandbox_run, secretary.user_id)  # the round's card to her, not taken for her panel
    panel = await open_panel(driver, secretary.user_id, CELL_PANEL)
    listing = await _press(driver, secretary.user_id, panel, "Tự kiểm điểm của chi bộ", "Tự kiểm điểm của đảng viên")
    page = await _press(driver, secretary.user_id, listing, f"Đánh giá, xếp loại: {CELL}", "Chi bộ đánh giá, xếp loại")
    assert "Chi bộ chưa có lịch họp kiểm điểm cuối năm" in plain(page), plain(page)
    await driver.press_button(secretary.user_id, page, "Đặt lịch họp kiểm điểm")
    pressed = driver.cursor(secretary.user_id)
    ask_day = await _said(driver, secretary.user_id, "Ngày sinh hoạt?", pressed)
    await _said(driver, secretary.user_id, "Họp kiểm điểm cuối năm", pressed)  # the kind chosen, said
    days = [b["callback_data"] for row in ask_day["reply_markup"]["inline_keyboard"] for b in row
            if b["callback_data"].startswith("gd:")]
    await driver.press(secretary.user_id, ask_day["message_id"], data=days[2])
    ask_time = await _said(driver, secretary.user_id, "Mấy giờ bắt đầu?", driver.cursor(secretary.user_id))
    ask_title = await _press(driver, secretary.user_id, ask_time, "19:30", "Tên buổi sinh hoạt?")
    assert labels(ask_title)[0] == "✔ Họp kiểm điểm cuối năm", labels(ask_title)
    await _press(driver, secretary.user_id, ask_title, "Họp kiểm điểm cuối năm", "Địa điểm sinh hoạt?")
    await _send(driver, secretary.user_id, "Nhà văn hóa tổ 5", "Gõ chương trình")
    ask_docs = await _send(driver, secretary.user_id, "Kiểm điểm, đánh giá, xếp loại đảng viên năm nay",
                           "Gửi tài liệu kèm theo")
    confirm = await _press(driver, secretary.user_id, ask_docs, "Xong", "Gửi tới")
    await driver.press_button(secretary.user_id, confirm, "Gửi thông báo")
    invitation = await _said(driver, old.user_id, "Nhà văn hóa tổ 5", 0)
    assert "Họp kiểm điểm cuối năm" in plain(invitation) and "Tôi sẽ tham dự" in labels(invitation)[0], plain(invitation)
    async with sandbox_run.sessionmaker() as s:
        meeting = (await s.scalars(select(Meeting))).one()
    assert meeting.kind is MeetingKind.review and meeting.title == "Họp kiểm điểm cuối năm"
    page = await _press(driver, secretary.user_id, listing, f"Đánh giá, xếp loại: {CELL}", "Chi bộ đánh giá, xếp loại")
    when = meeting.starts_at.astimezone(VIETNAM)
    assert f"📝 Họp kiểm điểm cuối năm: {when:%d/%m/%Y %H:%M}" in plain(page) and "Chưa điểm danh" in plain(page)
    # At the meeting: the roll call as for any meeting; the appraisal says who came.
    clock.advance(meeting.starts_at - timedelta(minutes=20) - clock.now())
    [roll] = await driver.exchange(secretary.user_id, "/attendance")
    await driver.press_button(secretary.user_id, roll, "còn lại đều có mặt")
    roll = await driver.wait_for_edit(secretary.user_id, roll["message_id"])
    async with sandbox_run.sessionmaker() as s:
        meeting = (await s.scalars(select(Meeting))).one()
    page = await _press(driver, secretary.user_id, listing, f"Đánh giá, xếp loại: {CELL}", "Chi bộ đánh giá, xếp loại")
    assert f"Có mặt {meeting.present_count}/{meeting.member_count} đảng viên (theo điểm danh)" in plain(page), plain(page)
    assert meeting.present_count > 0 and "Cuộc họp kiểm điểm" in " ".join(labels(page))
    card = await _press(driver, secretary.user_id, page, "Cuộc họp kiểm điểm", "Họp kiểm điểm cuối năm")
    assert "Nhà văn hóa tổ 5" in plain(card), plain(card)
