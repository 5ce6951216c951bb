"""Anniversary greetings (issue 17) over the Bot API: the secretary turns on the cell's greetings from the cell
panel; on the day the member gets one greeting in the cell's name, once; a member who turned them off under a
greeting gets no more; a cell that left them off sends none. The clock the bot reads is moved, never slept on."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

from sqlalchemy import update

from models import anniversaries, clock
from models.dates import VIETNAM
from models.members import Member
from models.party_age import add_months
from models.permissions import load_actor

from .test_panel import CELL_PANEL, labels, open_panel, plain

GREETING = "kính chúc đồng chí"


async def _dates(run, member_id: int, **values: date) -> None:
    async with run.sessionmaker() as s:
        await s.execute(update(Member).where(Member.id == member_id).values(**values))
        await s.commit()


def _to(day: date, hour: int = 8) -> None:
    clock.advance(datetime.combine(day, time(hour, 0, 30), tzinfo=VIETNAM) - clock.now())


LOOKED: dict[int, int] = {}  # chat → the seq of the last message a look saw


async def _greetings(driver, user_id: int, wait: float, want: int = 0) -> list[dict]:
    """The greetings the chat got since the last look (among whatever else the moved clock brought: the demo's
    meeting reminders…), waiting until `want` came, or `wait` seconds when none is wanted."""
    loop = asyncio.get_running_loop()
    end, start = loop.time() + wait, max(LOOKED.get(user_id, 0), driver.cursor(user_id))
    while True:
        came = await driver.bot_messages(user_id, start)
        found = [m for m in came if GREETING in plain(m)]
        if (want and len(found) >= want) or loop.time() >= end:
            break
        await asyncio.sleep(0.3)
    LOOKED[user_id] = max([start, *(m["seq"] for m in came)])
    return found


async def test_greetings_on_the_day_once_when_the_cell_has_them_on(driver, personas, sandbox_run):
    sec, old, officer = personas["secretary"], personas["elderly_member"], personas["committee_officer"]
    LOOKED.clear()
    today = clock.now().astimezone(VIETNAM).date()
    day1, day2 = today + timedelta(days=1), today + timedelta(days=2)
    await _dates(sandbox_run, old.member_id, birth_date=add_months(day2, -12 * 80))  # mừng thọ 80 the day after
    # the secretary: her birthday tomorrow, 30 years in the Party the day after
    await _dates(sandbox_run, sec.member_id, birth_date=add_months(day1, -12 * 60),
                 joined_on=add_months(day2, -12 * 30))
    await _dates(sandbox_run, officer.member_id, birth_date=add_months(day2, -12 * 50))  # her cell: off

    panel = await open_panel(driver, sec.user_id, CELL_PANEL)
    async with sandbox_run.sessionmaker() as s:  # the button counts the week's occasions of her cell
        week = await anniversaries.upcoming(s, await load_actor(s, sec.user_id))
    assert {old.name, sec.name} <= {o.full_name for o in week}
    assert f"🎂 Lời chúc mừng ({len(week)})" in labels(panel), labels(panel)
    await driver.press_button(sec.user_id, panel, "🎂 Lời chúc mừng")
    [page] = await driver.wait_for_bot_messages(sec.user_id)
    assert "Gửi lời chúc mừng thay mặt chi bộ" in plain(page) and "• Chi bộ Tổ dân phố 1: đang tắt" in plain(page)
    await driver.press_button(sec.user_id, page, "🔔 Bật — Chi bộ Tổ dân phố 1")
    page = await driver.wait_for_edit(sec.user_id, page["message_id"])
    assert "• Chi bộ Tổ dân phố 1: đang bật" in plain(page), plain(page)

    _to(day1)
    [mine] = await _greetings(driver, sec.user_id, 15, 1)
    assert plain(mine) == ("🎂 Nhân dịp sinh nhật lần thứ 60 của đồng chí Nguyễn Thị Hồng Nhung, Chi bộ Tổ dân phố 1 "
                           "kính chúc đồng chí luôn mạnh khỏe, hạnh phúc!")
    await driver.press_button(sec.user_id, mine, "Không nhận lời chúc nữa")
    mine = await driver.wait_for_edit(sec.user_id, mine["message_id"])
    assert labels(mine) == ["Nhận lại lời chúc"]

    _to(day2)
    [greeting] = await _greetings(driver, old.user_id, 15, 1)
    assert plain(greeting) == ("🎂 Chi bộ Tổ dân phố 1 kính chúc đồng chí Lê Văn Bảy mừng thọ 80 tuổi, "
                               "luôn mạnh khỏe, hạnh phúc!")
    assert labels(greeting) == ["Không nhận lời chúc nữa"]
    clock.advance(timedelta(hours=3))  # later ticks of the day: no second one
    assert await _greetings(driver, old.user_id, 3) == []
    assert await _greetings(driver, sec.user_id, 0.5) == []  # she turned them off: no 30 years' greeting
    assert await _greetings(driver, officer.user_id, 0.5) == []  # her cell left them off


async def test_a_member_may_not_turn_a_cells_greetings_on(driver, personas):
    old = personas["elderly_member"]
    [msg] = await driver.exchange(old.user_id, "/profile")
    for data in ("anc", "ang:1:on"):
        answer = await driver.callback_answer(await driver.press(old.user_id, msg["message_id"], data=data))
        assert "không có quyền" in (answer.get("text") or "")
