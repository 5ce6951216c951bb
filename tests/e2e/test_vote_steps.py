"""/vote by buttons (issue 14): ◀ Quay lại and ✖ Hủy on every step, what was typed kept and one tap away.
Over the sandbox, as a secretary on a phone would."""
from __future__ import annotations

from sqlalchemy import func, select

from models.units import Unit
from models.votes import BallotKind, Vote

from .test_meeting_steps import BACK, CANCEL, answer_to, rows
from .test_votes import QUESTION, buttons, latest_vote, plain

EXPIRED = "hết hạn"
STANDARD = "✅ Đồng ý / Không đồng ý / Ý kiến khác"


async def vote_count(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Vote))


async def test_back_keeps_what_was_typed_and_the_vote_opens(driver, personas, sandbox_run):
    user = personas["secretary"].user_id
    [ask_question] = await driver.exchange(user, "/vote")
    assert rows(ask_question) == [[CANCEL]]  # a cell's secretary starts at the question: nothing before it
    [ask_options] = await driver.exchange(user, QUESTION)
    assert rows(ask_options) == [[STANDARD], [BACK, CANCEL]]
    await driver.press_button(user, ask_options, BACK)
    question_again = await driver.wait_for_edit(user, ask_options["message_id"])
    assert f"Nội dung biểu quyết: {QUESTION}" in plain(question_again) and rows(question_again)[-1] == [CANCEL]
    await driver.press_button(user, question_again, f"✔ {QUESTION[:20]}")  # what was typed, one tap away
    [ask_options] = await driver.wait_for_bot_messages(user)
    [ask_closes] = await driver.exchange(user, "Phương án A\nPhương án B")
    assert rows(ask_closes)[-1] == [BACK, CANCEL] and "2 giờ" in buttons(ask_closes)
    await driver.press_button(user, ask_closes, BACK)
    options_again = await driver.wait_for_edit(user, ask_closes["message_id"])
    assert "Phương án: Phương án A / Phương án B" in plain(options_again)
    assert buttons(options_again)[:2] == ["✔ Giữ các phương án đã gõ", STANDARD]
    await driver.press_button(user, options_again, "Giữ các phương án")
    [ask_closes] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_closes, "1 ngày")
    card = await driver.wait_for_edit(user, ask_closes["message_id"])
    assert rows(card)[-2:] == [["✅ Mở biểu quyết"], [BACK, CANCEL]]
    await driver.press_button(user, card, "Hình thức")  # a setting changed: the card keeps its ◀ / ✖
    card = await driver.wait_for_edit(user, card["message_id"])
    assert "bỏ phiếu kín" in " ".join(buttons(card)) and rows(card)[-1] == [BACK, CANCEL]
    await driver.press_button(user, card, BACK)  # from the card back to the closing time
    closes_again = await driver.wait_for_edit(user, card["message_id"])
    assert "Kết thúc lúc:" in plain(closes_again) and buttons(closes_again)[0].startswith("✔ ")
    await driver.press_button(user, closes_again, "✔ ")
    card = await driver.wait_for_edit(user, card["message_id"])
    assert "Bỏ phiếu kín" in plain(card) and "Phương án A / Phương án B" in plain(card)  # the settings kept
    await driver.press_button(user, card, "Mở biểu quyết")
    assert "Đã mở biểu quyết" in plain(await driver.wait_for_edit(user, card["message_id"]))
    vote = await latest_vote(sandbox_run)
    assert (vote.question, vote.ballot) == (QUESTION, BallotKind.secret)


async def test_cancel_on_any_step_ends_and_drops_the_draft(driver, personas, sandbox_run):
    user = personas["secretary"].user_id
    count = await vote_count(sandbox_run)
    for stop_at in ("question", "options", "closes", "settings"):
        [step] = await driver.exchange(user, "/vote")
        if stop_at != "question":
            [step] = await driver.exchange(user, QUESTION)
        if stop_at in ("closes", "settings"):
            await driver.press_button(user, step, "Đồng ý / Không đồng ý")
            [step] = await driver.wait_for_bot_messages(user)
        if stop_at == "settings":
            [step] = await driver.exchange(user, "2h")
        await driver.press_button(user, step, CANCEL)
        cancelled = await driver.wait_for_edit(user, step["message_id"])
        assert "Đã hủy" in plain(cancelled) and not buttons(cancelled), stop_at
        # What is typed next is not taken for the step; the old buttons are over.
        [reply] = await driver.exchange(user, "2h")
        assert "Xem lại trước khi mở" not in plain(reply) and "phương án" not in plain(reply), stop_at
        assert EXPIRED in await answer_to(driver, user, step, "vbk:1"), stop_at
        assert EXPIRED in await answer_to(driver, user, step, "vk:ok"), stop_at
    assert await vote_count(sandbox_run) == count


async def test_older_back_buttons_and_forged_data_leave_the_step_as_it_is(driver, personas):
    user = personas["secretary"].user_id
    await driver.exchange(user, "/vote")
    [ask_options] = await driver.exchange(user, QUESTION)
    [ask_closes] = await driver.exchange(user, "Phương án A\nPhương án B")
    # The options' question, answered by typing, still shows its ◀: it is not the current step any more.
    assert EXPIRED in await answer_to(driver, user, ask_options, next(
        b["callback_data"] for row in ask_options["reply_markup"]["inline_keyboard"] for b in row if b["text"] == BACK))
    for forged in ("vbk:99", "vbk:x", "vbk:", "vqt:1", "vkp:question", "vkp:zzz", "vkp:closes"):
        assert EXPIRED in await answer_to(driver, user, ask_closes, forged), forged
    [card] = await driver.exchange(user, "2h")  # still at the closing time
    assert "Xem lại trước khi mở" in plain(card)


async def test_an_officer_goes_back_to_the_cell_of_a_one_line_vote(driver, personas, sandbox_run):
    user = personas["committee_officer"].user_id
    [ask_cell] = await driver.exchange(user, f"/vote {QUESTION}")
    assert rows(ask_cell)[-1] == [CANCEL]
    await driver.press_button(user, ask_cell, "Tổ dân phố 2")
    await driver.wait_for_edit(user, ask_cell["message_id"])
    [card] = await driver.wait_for_bot_messages(user)  # the one-line form: straight to the settings
    assert "Chi bộ Tổ dân phố 2" in plain(card) and rows(card)[-1] == [BACK, CANCEL]
    await driver.press_button(user, card, BACK)
    cells_again = await driver.wait_for_edit(user, card["message_id"])
    assert "Chi bộ: Chi bộ Tổ dân phố 2" in plain(cells_again) and "chi bộ nào" in plain(cells_again)
    await driver.press_button(user, cells_again, "Tổ dân phố 1")
    [card] = await driver.wait_for_bot_messages(user)
    assert "Chi bộ Tổ dân phố 1" in plain(card) and QUESTION in plain(card)
    await driver.press_button(user, card, "Mở biểu quyết")
    await driver.wait_for_edit(user, card["message_id"])
    vote = await latest_vote(sandbox_run)
    async with sandbox_run.sessionmaker() as s:
        assert (await s.get(Unit, vote.cell_id)).name == "Chi bộ Tổ dân phố 1"
