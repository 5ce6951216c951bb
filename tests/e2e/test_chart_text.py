"""Text from people in a chart ("$", "\\", braces, "%"): every member still gets the vote's result, the
results button answers, and a ward's /report goes out — with the chart drawn as written, or, when a
chart cannot be drawn at all, without it (the sender is told how many went so)."""
from __future__ import annotations

import asyncio
import io
import time

from openpyxl import load_workbook
from sqlalchemy import func, select

from models import clock
from models.deliveries import Delivery, DeliveryState
from models.units import Unit

from .test_votes import CELL, ballot_of, buttons, latest_vote, link_cell, plain, wait_for, wait_text

QUESTION = "Giá 5$ hay 10$?"
CHOICES = ("$_$", r"$\frac{1}{$")


async def open_and_close(driver, sandbox_run, personas) -> tuple[int, dict, list[int]]:
    """The one-line /vote with "$" everywhere, one ballot cast, closed early; (vote id, status, every user)."""
    sec, old, young = personas["secretary"], personas["elderly_member"], personas["young_member"]
    others = await link_cell(sandbox_run, driver)
    done, status = await driver.exchange(sec.user_id, f"/vote {QUESTION} | {' | '.join(CHOICES)}", count=2)
    assert "Đã mở biểu quyết" in plain(done)
    vote = await latest_vote(sandbox_run)
    assert vote.question == QUESTION
    ballot = await ballot_of(driver, old.user_id, vote.id)
    assert buttons(ballot) == list(CHOICES)
    press = await driver.press_button(old.user_id, ballot, "$_$")
    assert (await driver.callback_answer(press))["text"] == "✅ Đã ghi nhận: $_$"
    status = await wait_text(driver, sec.user_id, status["message_id"], "Đã biểu quyết: 1/")
    await driver.press_button(sec.user_id, status, "Kết thúc biểu quyết ngay")
    confirm = await driver.wait_for_edit(sec.user_id, status["message_id"])
    press = await driver.press_button(sec.user_id, confirm, "Kết thúc ngay")
    assert "Đã kết thúc" in (await driver.callback_answer(press))["text"]
    return vote.id, status, [old.user_id, young.user_id, sec.user_id, *others.values()]


async def results_of(driver, users: list[int]) -> dict[int, dict]:
    return {user: await wait_for(driver, user, lambda m: "Kết quả biểu quyết" in plain(m), "result", timeout=20)
            for user in users}


async def sent_results(sandbox_run, vote_id: int, timeout: float = 15) -> dict[DeliveryState, int]:
    """The result's deliveries by state, once none is waiting or being sent any more."""
    deadline = time.monotonic() + timeout
    while True:
        async with sandbox_run.sessionmaker() as s:
            rows = await s.execute(select(Delivery.state, func.count()).where(
                Delivery.kind == "vote_result", Delivery.ref_id == vote_id).group_by(Delivery.state))
            by_state = dict(rows.all())
        if not by_state.keys() & {DeliveryState.queued, DeliveryState.sending} or time.monotonic() > deadline:
            return by_state
        await asyncio.sleep(0.1)


async def press_results_button(driver, user_id: int) -> dict:
    """/votes, then the 📊 of the closed vote: what the button sends back."""
    [listing] = await driver.exchange(user_id, "/votes")
    await driver.press_button(user_id, listing, "📊")
    [answer] = await driver.wait_for_bot_messages(user_id, timeout=15)
    return answer


async def test_a_dollar_in_the_question_and_choices_reaches_every_member_with_the_chart(driver, personas,
                                                                                        sandbox_run):
    vote_id, status, users = await open_and_close(driver, sandbox_run, personas)
    results = await results_of(driver, users)
    for user, result in results.items():
        assert result.get("photo"), (user, plain(result))  # the chart, the result as its caption
        assert QUESTION in plain(result) and "$_$: 1 phiếu" in plain(result)
    png = await driver.download(results[users[0]]["photo"][-1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert await sent_results(sandbox_run, vote_id) == {DeliveryState.sent: len(users)}
    answer = await press_results_button(driver, personas["elderly_member"].user_id)
    assert answer.get("photo") and "$_$: 1 phiếu" in plain(answer)
    closed = await wait_text(driver, personas["secretary"].user_id, status["message_id"], "Đã kết thúc")
    assert "không kèm ảnh" not in plain(closed)


async def test_a_chart_that_cannot_be_drawn_leaves_the_result_as_text(driver, personas, sandbox_run, monkeypatch):
    from handlers.votes import render as vote_render

    def broken(**kwargs) -> bytes:
        raise ValueError("a drawing bug")

    monkeypatch.setattr(vote_render, "chart_png", broken)
    vote_id, status, users = await open_and_close(driver, sandbox_run, personas)
    results = await results_of(driver, users)
    for user, result in results.items():
        assert not result.get("photo") and QUESTION in plain(result) and "$_$: 1 phiếu" in plain(result), user
    assert await sent_results(sandbox_run, vote_id) == {DeliveryState.sent: len(users)}
    # The opener's status says how many went without the chart.
    await wait_text(driver, personas["secretary"].user_id, status["message_id"],
                    f"{len(users)} tin kết quả đã gửi không kèm ảnh biểu đồ (lỗi vẽ)")
    # The results button answers with the result, not "an error occurred".
    answer = await press_results_button(driver, personas["elderly_member"].user_id)
    assert "Kết quả biểu quyết" in plain(answer) and "$_$: 1 phiếu" in plain(answer)


async def test_report_of_a_ward_with_a_dollar_in_a_cells_name(driver, personas, sandbox_run):
    async with sandbox_run.sessionmaker() as s:
        cell = await s.scalar(select(Unit).where(Unit.name == CELL))
        cell.name = "Chi bộ $_$"
        await s.commit()
    now = clock.now()
    replies = await driver.exchange(personas["committee_officer"].user_id, f"/report {now:%m/%Y}", count=3,
                                    timeout=20)
    summary, photo, sheet = replies
    assert "Chi bộ $_$" in plain(summary)
    assert photo.get("photo") and (await driver.download(photo["photo"][-1]))[:8] == b"\x89PNG\r\n\x1a\n"
    book = load_workbook(io.BytesIO(await driver.download(sheet["document"])))
    assert any(r and r[0] == "Chi bộ $_$" for r in book.active.iter_rows(values_only=True))
