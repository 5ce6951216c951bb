"""Hostile users on the officer's panel and what it opens (the weekly to-do, invites, the month board, /help):
forged button data, other cells' ids, the wrong persona, a press twice fast, typed junk. Every press is
answered in the person's words, nothing of anyone else's is shown, and nothing breaks in the logs."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy import func, select

from handlers.features import panel_items
from models.accounts import Invite
from models.units import Unit

from .test_panel import CELL_PANEL, PARTY_PANEL, open_panel, plain

NOT_ALLOWED = "không có quyền"
NOT_LINKED = "kết nối tài khoản"
GENERIC = "đã có lỗi xảy ra"
STALE = "không còn hiệu lực"  # data no handler of this prefix takes: the fallback's answer
# 10,000 characters reach a bot as three messages (a client splits them): the sandbox takes 4,096 at most.
HOSTILE_TEXT = ["x" * 4000, "ả" * 4000, "<b>đậm</b> <script>alert(1)</script>", "🗂🔥" * 50, "\u200b\u200e\u202eabc\u202c",
                "31/02/2026", ""]


async def ids(sandbox_run) -> dict[str, int]:
    async with sandbox_run.sessionmaker() as s:
        rows = (await s.execute(select(Unit.name, Unit.id))).all()
    by_name = dict(rows)
    return {"mine": by_name["Chi bộ Tổ dân phố 1"], "other": by_name["Chi bộ Tổ dân phố 2"],
            "ward": by_name["Đảng bộ phường Phú Hội"]}


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR or "Traceback" in r.getMessage() or r.exc_info]


async def said(driver, user_id: int, message_id: int, data: str, settle: float = 0.15) -> str:
    """The answer to a press of `data` and whatever messages came with it, or were edited by it."""
    before = {m["message_id"]: plain(m) for m in await driver.bot_messages(user_id)}
    answer = await driver.callback_answer(await driver.press(user_id, message_id, data=data))

    async def changed() -> list[dict]:
        return [m for m in await driver.bot_messages(user_id) if before.get(m["message_id"]) != plain(m)]

    # Up to `settle` for what the press sends or edits; a turn's replies go out together once it is done, so once
    # one has come, a short pause more takes the rest (and the next press does not wait out the whole settle).
    deadline = time.monotonic() + settle
    while not (now := await changed()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if now:
        await asyncio.sleep(0.1)
        now = await changed()
    return " ".join([answer.get("text") or "", *(plain(m) for m in now)])


def forged_data(cell: dict[str, int]) -> list[str]:
    """Every new button's data with what a hostile client can put in it, none of it a valid press."""
    mine, other, ward = cell["mine"], cell["other"], cell["ward"]
    long = "9" * 70
    return [
        # the panel itself and the to-do: no fields, or fields that are not offered
        "pn:1", "pn:", "pnx", "td:1", "td:", "tdw:", "tdw:maybe", "tdw:on:1", "tdw:ON", "tdh:-1", "tdh:07", "tdh:24",
        "tdh:7:1", "tdh:x", "tdh:" + long,
        # invites: another cell, the ward, 0, too big, negative, letters, extra fields, 64+ characters
        f"ivc:{other}", f"ivc:{ward}", "ivc:0", "ivc:9999999999", "ivc:-1", "ivc:abc", "ivc:" + long,
        f"ivc:{mine}:1", f"ivs:{other}:0", f"ivs:{ward}:0", f"ivs:{mine}:-1", f"ivs:{mine}:9999999999",
        f"ivs:{mine}", f"ivs:{mine}:0:0", f"ivs:{mine}:x", f"ivq:{other}", f"ivq:{mine}:0", "ivq:0", "ivq:",
        "iva:1", "iva:" + long,
        # the month board: another cell, months not offered, the right prefix with junk
        f"mbc:{other}", "mbc:0", "mbc:9999999999", "mbc:-3", f"mbc:{mine}:1", f"mbm:{other}:202601",
        f"mbm:{mine}:000000", f"mbm:{mine}:202600", f"mbm:{mine}:2026011", f"mbm:{mine}:20260", f"mbm:{mine}:abcdef",
        f"mbm:{mine}:202601:1", f"mbm:{ward}:202601", "mbm:0:202601", "mbn:1", "mll:1",
    ]


@pytest.mark.parametrize("who", ["elderly_member", "secretary", "committee_officer", "newcomer"])
async def test_forged_presses_on_the_new_buttons_are_answered_and_break_nothing(driver, personas, sandbox_run,
                                                                               caplog, who):
    person = personas[who]
    cell = await ids(sandbox_run)
    [start] = await driver.exchange(person.user_id, "/start")
    for data in forged_data(cell):
        if who == "committee_officer" and data in (f"ivc:{cell['other']}", f"ivs:{cell['other']}:0",
                                                   f"ivq:{cell['other']}", f"mbc:{cell['other']}",
                                                   f"mbm:{cell['other']}:202601"):
            continue  # the ward's officer may see the other cell: a press of hers, not a forged one
        text = await said(driver, person.user_id, start["message_id"], data)
        expected = NOT_LINKED if who == "newcomer" else NOT_ALLOWED
        assert any(said_ in text for said_ in (expected, STALE)), (data, text)
        assert GENERIC not in text, (data, text)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count(Invite.id))) == 0  # no forged press made a code
    assert errors(caplog) == []


@pytest.mark.parametrize("who", ["secretary", "committee_officer"])
async def test_the_other_panels_buttons_are_answered(driver, personas, caplog, who):
    """A secretary pressing the committee panel's buttons and the ward's officer the cell panel's: each is
    either the task (her own) or a refusal, never an error."""
    person = personas[who]
    [start] = await driver.exchange(person.user_id, "/start")
    for data in sorted({item.data() for p in ("cell", "party") for item in panel_items(p)}):
        text = await said(driver, person.user_id, start["message_id"], data, settle=0.8)
        assert text.strip(), data
        assert GENERIC not in text, (data, text)
        await driver.exchange(person.user_id, "/cancel")
    assert errors(caplog) == []


async def test_typed_junk_on_the_panel_and_help_is_answered(driver, personas, caplog):
    sec, old, newcomer = personas["secretary"], personas["elderly_member"], personas["newcomer"]
    for junk in HOSTILE_TEXT:
        for user in (sec, old, newcomer):
            for command in ("/panel", "/help"):
                [reply] = await driver.exchange(user.user_id, f"{command} {junk}".strip())
                assert plain(reply) and GENERIC not in plain(reply)
    assert errors(caplog) == []


async def test_a_member_typing_the_panels_label_is_refused_and_a_stranger_told_to_link(driver, personas, caplog):
    old, newcomer = personas["elderly_member"], personas["newcomer"]
    for label in (CELL_PANEL, PARTY_PANEL):
        [reply] = await driver.exchange(old.user_id, label)
        assert NOT_ALLOWED in plain(reply)
        replies = await driver.exchange(newcomer.user_id, label)
        assert "liên kết mời" in plain(replies[0]), plain(replies[0])  # how to get linked
    assert errors(caplog) == []


async def test_the_todo_switch_pressed_twice_fast_is_kept_once(driver, personas, caplog):
    sec = personas["secretary"]
    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    await driver.press_button(sec.user_id, panel, "Việc cần làm")
    page = await driver.wait_for_edit(sec.user_id, panel["message_id"])
    on_off = next(b["callback_data"] for row in page["reply_markup"]["inline_keyboard"] for b in row
                  if b["callback_data"].startswith("tdw:"))
    presses = await asyncio.gather(*(driver.press(sec.user_id, page["message_id"], data=on_off) for _ in range(4)))
    answers = [await driver.callback_answer(p) for p in presses]
    assert all(GENERIC not in (a.get("text") or "") for a in answers), answers
    presses = await asyncio.gather(*(driver.press(sec.user_id, page["message_id"], data=d)
                                     for d in ("tdh:8", "tdh:9", "tdh:8", "tdw:on")))
    answers = [await driver.callback_answer(p) for p in presses]
    assert all(GENERIC not in (a.get("text") or "") for a in answers), answers
    assert errors(caplog) == []


async def test_invites_pressed_twice_fast_and_by_two_officers_give_the_same_codes(driver, personas, sandbox_run,
                                                                                 caplog):
    """The secretary taps 📤 twice fast while the ward's officer prints the same cell: every code shown works."""
    sec, officer = personas["secretary"], personas["committee_officer"]
    cell = (await ids(sandbox_run))["mine"]
    [a] = await driver.exchange(sec.user_id, "/start")
    [b] = await driver.exchange(officer.user_id, "/start")
    await asyncio.gather(driver.press(sec.user_id, a["message_id"], data=f"ivs:{cell}:0"),
                         driver.press(sec.user_id, a["message_id"], data=f"ivs:{cell}:0"),
                         driver.press(officer.user_id, b["message_id"], data=f"ivs:{cell}:0"))
    await driver.wait_for_bot_messages(sec.user_id, 20, timeout=30)
    await driver.wait_for_bot_messages(officer.user_id, 10, timeout=30)
    await asyncio.sleep(1)
    async with sandbox_run.sessionmaker() as s:
        live = await s.scalar(select(func.count(Invite.id)).where(Invite.revoked_at.is_(None)))
        made = await s.scalar(select(func.count(Invite.id)))
    assert live == made == 8, (live, made)  # one code each, none broken by the other press
    assert errors(caplog) == []
