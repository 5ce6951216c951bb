"""Votes end to end: the real bot, its dispatcher and ticks over HTTP against the sandbox.

Demo personas: the secretary, the elderly and the young (probationary) member are in cell 1;
the committee officer of the ward is in cell 5; the newcomer (cell 2) is not linked. The other
members of cell 1 are linked here to Telegram users of their own, so a whole cell votes.
"""
from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from models import clock
from models.accounts import Account
from models.audit import AuditEntry
from models.deliveries import Delivery, DeliveryState
from models.members import Member
from models.units import Unit
from models.votes import Ballot, Elector, SecretTally, SecretVoter, Vote

from .outbox import settled

CELL = "Chi bộ Tổ dân phố 1"
QUESTION = "Thông qua Nghị quyết chi bộ về công tác quý IV năm 2026"
FIRST_EXTRA_USER = 310000


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def buttons(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def wait_text(driver, chat_id: int, message_id: int, needle: str, timeout: float = 15) -> dict:
    """The message once its text (after edits) contains needle."""
    deadline = time.monotonic() + timeout
    while True:
        msg = next(m for m in await driver.messages(chat_id) if m["message_id"] == message_id)
        if needle in plain(msg):
            return msg
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never appeared in: {plain(msg)}")
        await asyncio.sleep(0.1)


async def wait_for(driver, chat_id: int, predicate, what: str, timeout: float = 15) -> dict:
    """The first bot message in the chat (ever) that satisfies predicate."""
    deadline = time.monotonic() + timeout
    while True:
        for msg in await driver.bot_messages(chat_id):
            if predicate(msg):
                return msg
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} in chat {chat_id}: {[plain(m)[:60] for m in await driver.bot_messages(chat_id)]}")
        await asyncio.sleep(0.1)


async def link_cell(run, driver, cell: str = CELL) -> dict[int, int]:
    """Every not yet linked member of the cell gets a Telegram user: member id → user id."""
    async with run.sessionmaker() as s:
        linked = select(Account.member_id).where(Account.member_id.is_not(None))
        rows = (await s.execute(
            select(Member.id, Member.full_name).join(Unit, Unit.id == Member.cell_id)
            .where(Unit.name == cell, Member.id.not_in(linked)).order_by(Member.id)
        )).all()
    users = {}
    for member_id, name in rows:
        users[member_id] = FIRST_EXTRA_USER + member_id
        await driver.create_user(name.rpartition(" ")[2], id=users[member_id], last_name=name.rpartition(" ")[0])
    async with run.sessionmaker() as s:
        for member_id, user_id in users.items():
            s.add(Account(telegram_user_id=user_id, member_id=member_id, language="vi", linked_at=clock.now()))
        await s.commit()
    return users


async def latest_vote(run) -> Vote:
    async with run.sessionmaker() as s:
        return await s.scalar(select(Vote).order_by(Vote.id.desc()).limit(1))


async def ballot_of(driver, user_id: int, vote_id: int) -> dict:
    return await wait_for(driver, user_id, lambda m: any(
        b.get("callback_data", "").startswith(f"v:{vote_id}:")
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row), "ballot")


async def open_step_by_step(driver, sec_id: int, *, closes: str = "2h", toggles: tuple[str, ...] = ()) -> dict:
    """/vote through question, options and closing time; presses the settings toggles; opens it."""
    [ask] = await driver.exchange(sec_id, "/vote")
    assert "nội dung cần biểu quyết" in plain(ask) and CELL in plain(ask)
    [ask_options] = await driver.exchange(sec_id, QUESTION)
    assert "phương án" in plain(ask_options)
    await driver.press_button(sec_id, ask_options, "Đồng ý / Không đồng ý")
    [ask_closes] = await driver.wait_for_bot_messages(sec_id)
    assert "Khi nào kết thúc" in plain(ask_closes)
    [card] = await driver.exchange(sec_id, closes)
    assert "Xem lại trước khi mở" in plain(card) and QUESTION in plain(card)
    assert "Đồng ý / Không đồng ý / Ý kiến khác" in plain(card)
    for toggle in toggles:
        await driver.press_button(sec_id, card, toggle)
        for _ in range(5):  # the edit that shows the toggle taken (an earlier edit of the card may come first)
            card = await driver.wait_for_edit(sec_id, card["message_id"])
            if not any(toggle in b for b in buttons(card)):
                break
    await driver.press_button(sec_id, card, "Mở biểu quyết")
    opened = await driver.wait_for_edit(sec_id, card["message_id"])
    assert "Đã mở biểu quyết" in plain(opened)
    [status] = await driver.wait_for_bot_messages(sec_id)
    assert "📊" in plain(status) and QUESTION in plain(status)
    return status


async def test_open_tap_change_close_by_time_results_and_chart(driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    others = await link_cell(sandbox_run, driver)
    status = await open_step_by_step(driver, sec.user_id, toggles=("Kết quả: công bố khi kết thúc",))
    assert "Đã biểu quyết: <b>0/10</b>" in status["text"] or "Đã biểu quyết: 0/10" in plain(status)
    vote = await latest_vote(sandbox_run)
    assert vote.results_live and vote.may_change and not vote.is_secret

    # The elderly member: one big button per option; a tap answered at once, the message edited.
    ballot = await ballot_of(driver, old.user_id, vote.id)
    assert buttons(ballot) == ["Đồng ý", "Không đồng ý", "Ý kiến khác"]
    assert QUESTION in plain(ballot) and len(plain(ballot).splitlines()) <= 3
    press = await driver.press_button(old.user_id, ballot, "Không đồng ý")
    assert (await driver.callback_answer(press))["text"] == "✅ Đã ghi nhận: Không đồng ý"
    edited = await driver.wait_for_edit(old.user_id, ballot["message_id"])
    assert "Đồng chí đã chọn: Không đồng ý" in plain(edited) and "✅ Không đồng ý" in buttons(edited)
    # … and changes their mind before the close.
    press = await driver.press_button(old.user_id, edited, "Đồng ý")
    assert "Đã đổi lựa chọn thành: Đồng ý" in (await driver.callback_answer(press))["text"]
    edited = await driver.wait_for_edit(old.user_id, ballot["message_id"])
    assert "Đồng chí đã chọn: Đồng ý" in plain(edited)

    # The probationary member receives it to read, without buttons, and is told why.
    reading = await wait_for(driver, young.user_id, lambda m: QUESTION in plain(m), "copy to read")
    assert buttons(reading) == [] and "Điều 3" in plain(reading) and "dự bị" in plain(reading)

    # Five more agree, two disagree, one gives another opinion in words; one does not vote.
    member_ids = list(others)
    choices = ["Đồng ý"] * 5 + ["Không đồng ý"] * 2
    for member_id, choice in zip(member_ids, choices, strict=False):
        user = others[member_id]
        mine = await ballot_of(driver, user, vote.id)
        press = await driver.press_button(user, mine, choice)
        assert choice in (await driver.callback_answer(press))["text"]
    opinion_user = others[member_ids[len(choices)]]
    mine = await ballot_of(driver, opinion_user, vote.id)
    # First "Đồng ý", then at once "Ý kiến khác" with its words: the ballot ends saying the opinion (the edit of
    # the first tap, sent behind its toast, never lands after the opinion's).
    press = await driver.press_button(opinion_user, mine, "Đồng ý")
    assert "Đồng ý" in (await driver.callback_answer(press))["text"]
    press = await driver.press_button(opinion_user, mine, "Ý kiến khác")
    assert "gõ ý kiến" in (await driver.callback_answer(press))["text"]
    [ask_text] = await driver.wait_for_bot_messages(opinion_user)
    assert "ý kiến khác" in plain(ask_text)
    [done] = await driver.exchange(opinion_user, "Đề nghị bổ sung chỉ tiêu phát triển đảng viên trẻ")
    assert "Đã ghi nhận" in plain(done)
    await wait_text(driver, opinion_user, mine["message_id"], "Đồng chí đã chọn: Ý kiến khác")
    await asyncio.sleep(0.3)
    shown = next(m for m in await driver.messages(opinion_user) if m["message_id"] == mine["message_id"])
    assert "Đồng chí đã chọn: Ý kiến khác" in plain(shown)

    # The secretary's status follows live: counts (the results are live) and who has not voted.
    live = await wait_text(driver, sec.user_id, status["message_id"], "Đã biểu quyết: 9/10")
    assert "Đồng ý: 6 phiếu" in plain(live) and "Chưa biểu quyết (1)" in plain(live)

    # The clock moves past the close: the tick closes it once, and everyone gets the result and the chart.
    clock.advance(timedelta(hours=2, minutes=1))
    results = {}
    for user in [old.user_id, young.user_id, sec.user_id, *others.values()]:
        results[user] = await wait_for(driver, user, lambda m: "Kết quả biểu quyết" in plain(m), "result", timeout=20)
    result = results[old.user_id]
    assert result.get("photo"), result  # the bar chart, with the result as its caption
    text = plain(result)
    assert "Đồng ý: 6 phiếu" in text and "66,7% số phiếu (6/9)" in text and "60% tổng số đảng viên (6/10)" in text
    assert "Được thông qua" in text and "6/10 tổng số đảng viên chính thức" in text
    assert "Số phiếu biểu quyết: 9/10" in text and "Đề nghị bổ sung chỉ tiêu" in text
    png = await driver.download(result["photo"][-1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # Uploaded once, then re-sent by file_id to everyone else.
    assert len({results[u]["photo"][-1]["file_id"] for u in results}) == 1
    assert (await driver.stats())["uploads"] == 1
    # The secretary of an open vote also gets who chose what.
    roll = await wait_for(driver, sec.user_id, lambda m: "Ai chọn gì" in plain(m), "roll")
    assert old.name in plain(roll) and "Chưa biểu quyết</b> (1)" not in plain(roll)
    assert "Chưa biểu quyết (1)" in plain(roll)
    async with sandbox_run.sessionmaker() as s:
        closed = await s.get(Vote, vote.id)
        assert closed.closed_at is not None and closed.closed_by_member_id is None
        assert await s.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)) == 9
        sent = await s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.kind == "vote_result", Delivery.state == DeliveryState.sent))
        assert sent == 11  # every member of the cell on Telegram, once

    # A tap after the close: refused with a toast, nothing recorded, audited.
    press = await driver.press(old.user_id, ballot["message_id"], data=f"v:{vote.id}:2")
    assert "đã kết thúc" in (await driver.callback_answer(press))["text"]
    over = await wait_text(driver, old.user_id, ballot["message_id"], "đã kết thúc")
    assert buttons(over) == [] and "Đồng chí đã chọn: Đồng ý" in plain(over)
    async with sandbox_run.sessionmaker() as s:
        ballot_row = await s.scalar(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.member_id == old.member_id))
        assert ballot_row.position == 1
        refused = (await s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "vote_refused"))).all()
        assert any('"closed"' in d for d in refused)


async def test_secret_ballot_racing_taps_and_closing_early(driver, personas, sandbox_run):
    sec, old = personas["secretary"], personas["elderly_member"]
    status = await open_step_by_step(driver, sec.user_id, toggles=("Hình thức: công khai",))
    vote = await latest_vote(sandbox_run)
    assert vote.is_secret and not vote.may_change and not vote.results_live
    assert "Kết quả sẽ hiện khi kết thúc" in plain(status)
    ballot = await ballot_of(driver, old.user_id, vote.id)
    assert "Bỏ phiếu kín" in plain(ballot)

    # Thirty racing taps of the same member on both options: one ballot, every tap answered.
    presses = await asyncio.gather(*(
        driver.press(old.user_id, ballot["message_id"], data=f"v:{vote.id}:{1 + i % 2}") for i in range(30)))
    answers = [await driver.callback_answer(p, timeout=15) for p in presses]
    assert sum("Đã ghi nhận" in a["text"] for a in answers) == 1
    assert all("đã bỏ phiếu" in a["text"] for a in answers if "Đã ghi nhận" not in a["text"])
    edited = await wait_text(driver, old.user_id, ballot["message_id"], "Đồng chí đã chọn")
    assert buttons(edited) == []  # a secret ballot cannot change: no buttons left
    assert "không được lưu kèm tên" in plain(edited)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(SecretVoter).where(SecretVoter.vote_id == vote.id)) == 1
        assert await s.scalar(select(func.sum(SecretTally.count)).where(SecretTally.vote_id == vote.id)) == 1
        assert await s.scalar(select(func.count()).select_from(Ballot)) == 0

    # The secretary closes early: asked to confirm, then the results go out; no roll of names.
    status = await wait_text(driver, sec.user_id, status["message_id"], "Đã biểu quyết: 1/")
    await driver.press_button(sec.user_id, status, "Kết thúc biểu quyết ngay")
    confirm = await driver.wait_for_edit(sec.user_id, status["message_id"])
    assert "ngay bây giờ" in plain(confirm)
    press = await driver.press_button(sec.user_id, confirm, "Kết thúc ngay")
    assert "Đã kết thúc" in (await driver.callback_answer(press))["text"]
    result = await wait_for(driver, old.user_id, lambda m: "Kết quả biểu quyết" in plain(m), "result", timeout=20)
    assert "Bỏ phiếu kín" in plain(result) and "Không được thông qua" in plain(result)  # 1 of 10
    await asyncio.sleep(1.5)
    assert not [m for m in await driver.bot_messages(sec.user_id) if "Ai chọn gì" in plain(m)]
    async with sandbox_run.sessionmaker() as s:
        closed = await s.get(Vote, vote.id)
        assert closed.closed_by_member_id == sec.member_id


async def test_forged_taps_strangers_and_probationary_members_are_refused(driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    officer, newcomer = personas["committee_officer"], personas["newcomer"]
    done, status = await driver.exchange(sec.user_id, f"/vote {QUESTION}", count=2)
    assert "Đã mở biểu quyết" in plain(done) and "📊" in plain(status)
    vote = await latest_vote(sandbox_run)
    assert abs(vote.closes_at - vote.opened_at - timedelta(hours=24)) < timedelta(minutes=1)
    ballot = await ballot_of(driver, old.user_id, vote.id)
    reading = await wait_for(driver, young.user_id, lambda m: QUESTION in plain(m), "copy to read")

    async def refused(user_id: int, message_id: int, data: str) -> str:
        press = await driver.press(user_id, message_id, data=data)
        return (await driver.callback_answer(press))["text"]

    # Forged or broken data from a member of the cell.
    for data in ("v:abc:1", f"v:{vote.id}", f"v:{vote.id}:9", f"v:{vote.id + 50}:1", f"v:{vote.id}:1:1"):
        assert "không có quyền" in await refused(old.user_id, ballot["message_id"], data), data
    # A probationary member: kindly refused (Charter art. 3).
    assert "Điều 3" in await refused(young.user_id, reading["message_id"], f"v:{vote.id}:1")
    # A member of another cell (the ward's officer lives in cell 5), and someone not linked at all.
    [officer_help] = await driver.exchange(officer.user_id, "/help")
    assert "không có quyền" in await refused(officer.user_id, officer_help["message_id"], f"v:{vote.id}:1")
    [stranger_msg] = await driver.exchange(newcomer.user_id, "/start")
    assert "không có quyền" in await refused(newcomer.user_id, stranger_msg["message_id"], f"v:{vote.id}:1")
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Ballot)) == 0
        details = (await s.scalars(select(AuditEntry.detail).where(
            AuditEntry.action.in_(("refused", "vote_refused"))))).all()
    assert len(details) == 8
    assert sum('"probationary"' in d for d in details) == 1 and sum("vote_not_elector" in d for d in details) == 1
    # The real button still works afterwards.
    press = await driver.press_button(old.user_id, ballot, "Đồng ý")
    assert (await driver.callback_answer(press))["text"] == "✅ Đã ghi nhận: Đồng ý"


async def test_a_congress_tapping_at_once_every_tap_answered_each_ballot_once(driver, personas, sandbox_run):
    """Fifty taps at the same moment (a cell of 40-odd members, the elderly one tapping three times and the
    probationary one refused): every tap is answered with the toast naming the choice, one ballot each."""
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    async with sandbox_run.sessionmaker() as s:
        cell_id = await s.scalar(select(Unit.id).where(Unit.name == CELL))
        s.add_all(Member(full_name=f"Nguyễn Văn Đại Biểu {i}", cell_id=cell_id, official_on=date(2000, 1, 1))
                  for i in range(36))
        await s.commit()
    users = await link_cell(sandbox_run, driver)
    await driver.exchange(sec.user_id, f"/vote {QUESTION}", count=2)
    vote = await latest_vote(sandbox_run)
    async with sandbox_run.sessionmaker() as s:
        electors = set((await s.scalars(select(Elector.member_id).where(
            Elector.vote_id == vote.id, Elector.can_vote.is_(True)))).all())
    user_of = {**users, sec.member_id: sec.user_id, old.member_id: old.user_id}
    voters = [user_of[m] for m in sorted(electors)]
    ballots = {u: await ballot_of(driver, u, vote.id) for u in voters}
    reading = await wait_for(driver, young.user_id, lambda m: QUESTION in plain(m), "copy to read")
    taps = [(u, ballots[u]["message_id"], 1 + i % 2) for i, u in enumerate(voters)]
    taps += [(old.user_id, ballots[old.user_id]["message_id"], 1)] * 2 + [(young.user_id, reading["message_id"], 1)]
    assert len(taps) >= 40

    presses = await asyncio.gather(*(driver.press(u, m, data=f"v:{vote.id}:{p}") for u, m, p in taps))
    answers = [(await driver.callback_answer(p, timeout=30))["text"] for p in presses]
    chosen = {1: "Đồng ý", 2: "Không đồng ý"}
    for (_, _, position), answer in zip(taps, answers, strict=True):  # each names the option its tap chose
        if position in chosen:
            assert answer in (f"✅ Đã ghi nhận: {chosen[position]}", f"🔁 Đã đổi lựa chọn thành: {chosen[position]}",
                              f"Đồng chí đã chọn: {chosen[position]}") or "Điều 3" in answer, answer
    assert sum(a.startswith("✅ Đã ghi nhận") for a in answers) == len(voters)
    assert "Điều 3" in answers[-1]
    async with sandbox_run.sessionmaker() as s:
        held = dict((await s.execute(select(Ballot.member_id, Ballot.position).where(Ballot.vote_id == vote.id))).all())
    assert set(held) == electors
    member_of = {u: m for m, u in user_of.items()}
    assert all(held[member_of[u]] == p for u, _, p in taps[: len(voters)] if u != old.user_id)

    # Ten members change their minds at once, tap after tap (each toast waited for; their ballots' edits go
    # behind the toasts): every ballot ends showing what its member chose last, as the database holds it.
    last = {u: 3 - held[member_of[u]] for u in voters[:10]}  # the other option: taps other, same, other, …

    async def change_mind(u: int) -> None:
        for position in (last[u], 3 - last[u], last[u], 3 - last[u], last[u]):
            press = await driver.press(u, ballots[u]["message_id"], data=f"v:{vote.id}:{position}")
            assert chosen[position] in (await driver.callback_answer(press, timeout=30))["text"]

    await asyncio.gather(*(change_mind(u) for u in voters[:10]))
    async with sandbox_run.sessionmaker() as s:
        held = dict((await s.execute(select(Ballot.member_id, Ballot.position).where(Ballot.vote_id == vote.id))).all())
    assert all(held[member_of[u]] == position for u, position in last.items())
    for u in voters:
        card = await wait_text(driver, u, ballots[u]["message_id"], f"Đồng chí đã chọn: {chosen[held[member_of[u]]]}")
        assert f"✅ {chosen[held[member_of[u]]]}" in buttons(card), buttons(card)
    await asyncio.sleep(0.5)  # and it stays so: no older edit lands after the latest
    for u in voters[:10]:
        card = next(m for m in await driver.messages(u) if m["message_id"] == ballots[u]["message_id"])
        assert f"Đồng chí đã chọn: {chosen[held[member_of[u]]]}" in plain(card)


async def test_votes_list_and_the_big_button(driver, personas, sandbox_run):
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    [empty] = await driver.exchange(old.user_id, "🗳 Biểu quyết")
    assert "chưa có cuộc biểu quyết" in plain(empty)
    await driver.exchange(sec.user_id, f"/vote {QUESTION} | Phương án A | Phương án B", count=2)
    vote = await latest_vote(sandbox_run)
    ballot = await ballot_of(driver, old.user_id, vote.id)
    assert buttons(ballot) == ["Phương án A", "Phương án B"]
    [listing] = await driver.exchange(old.user_id, "🗳 Biểu quyết")
    assert "Đang mở: 1" in plain(listing) and "chờ đồng chí biểu quyết: 1" in plain(listing)
    await driver.press_button(old.user_id, listing, QUESTION[:20])
    [again] = await driver.wait_for_bot_messages(old.user_id)
    press = await driver.press_button(old.user_id, again, "Phương án B")
    assert (await driver.callback_answer(press))["text"] == "✅ Đã ghi nhận: Phương án B"
    async with sandbox_run.sessionmaker() as s:
        from models import votes

        actor_vote = await votes.get_vote(s, vote.id)
        assert await votes.has_voted(s, actor_vote, old.member_id)
    # The probationary member's list offers it to read (once the card sent to them is out of the way).
    await settled(sandbox_run, young.user_id)
    [listing] = await driver.exchange(young.user_id, "/votes")
    assert "chờ đồng chí biểu quyết: 0" in plain(listing) and any("📖" in b for b in buttons(listing))
    # The secretary's list has the status; closing there sends the results, which the list then shows.
    [mine] = await driver.exchange(sec.user_id, "/votes")
    await driver.press_button(sec.user_id, mine, "⚙️")
    status = await driver.wait_for_edit(sec.user_id, mine["message_id"])
    await driver.press_button(sec.user_id, status, "Kết thúc biểu quyết ngay")
    confirm = await driver.wait_for_edit(sec.user_id, mine["message_id"])
    await driver.press_button(sec.user_id, confirm, "Kết thúc ngay")
    closed = await wait_text(driver, sec.user_id, mine["message_id"], "Đã kết thúc")
    assert "Không có phương án nào" in plain(closed)  # 1 of 10 members
    await wait_for(driver, old.user_id, lambda m: "Kết quả biểu quyết" in plain(m), "result", timeout=20)
    [listing] = await driver.exchange(old.user_id, "/votes")
    await driver.press_button(old.user_id, listing, "📊")
    [photo] = await driver.wait_for_bot_messages(old.user_id)
    assert photo.get("photo") and "Phương án B: 1 phiếu" in plain(photo)


async def test_a_secret_opinion_never_typed_is_deleted_from_the_database_after_ten_minutes(driver, personas, sandbox_run):
    from types import SimpleNamespace

    from handlers.state import forget_job
    from models.conversations import ConversationState

    sec, old = personas["secretary"], personas["elderly_member"]
    await open_step_by_step(driver, sec.user_id, toggles=("Hình thức: công khai",))
    vote = await latest_vote(sandbox_run)
    assert vote.is_secret
    ballot = await ballot_of(driver, old.user_id, vote.id)
    press = await driver.press_button(old.user_id, ballot, "Ý kiến khác")
    assert "gõ ý kiến" in (await driver.callback_answer(press))["text"]
    [ask] = await driver.wait_for_bot_messages(old.user_id)
    assert "Biểu quyết kín: đồng chí gõ ý kiến trong vòng 10 phút" in (ask.get("text") or "")

    async def state_row():
        async with sandbox_run.sessionmaker() as s:
            return await s.get(ConversationState, old.user_id)

    deadline = time.monotonic() + 15
    while (row := await state_row()) is None or row.expires_at is None:
        assert time.monotonic() < deadline, "the pending opinion was not stored with a deadline"
        await asyncio.sleep(0.1)
    assert "vote_pending_text" in row.data and row.expires_at <= clock.now() + timedelta(minutes=10)
    # The member walks away; ten minutes later the tick deletes the row (not merely ignores it).
    clock.advance(timedelta(minutes=11))
    await forget_job(SimpleNamespace(bot_data=sandbox_run.runtime.app.bot_data))
    assert await state_row() is None
    # A text now is not taken as the opinion: no ballot is counted.
    await driver.exchange(old.user_id, "Ý kiến gõ muộn")
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(SecretVoter).where(SecretVoter.vote_id == vote.id)) == 0
