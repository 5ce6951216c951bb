"""A member coming from another cell of the handbook by an official transfer (issue 17), over the Bot API: the
receiving cell's secretary finds "đến từ …" in her to-do and the transfers list, receives the member with
✅ Tiếp nhận (their cell changes, the cell left kept in their history, audited; both cells' secretaries and the
member told, the member's Telegram link kept; one not on Telegram yet gets an invitation with a tap). Refused:
a third cell's secretary, receiving twice, a transfer cancelled meanwhile."""
from __future__ import annotations

from sqlalchemy import select

from models import clock, transfers
from models.accounts import Account
from models.audit import AuditEntry
from models.dates import local_today
from models.members import Member
from models.permissions import load_actor
from models.transfers import Direction, Transfer, TransferKind, TransferState
from models.units import Unit

from .test_panel import CELL_PANEL, labels, open_panel, plain
from .test_todo import open_todo_page

CELL1, CELL2 = "Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2"
SECRETARY2, SECRETARY3 = "Trần Văn Lâm", "Võ Văn Tùng"  # the demo's secretaries of cells 2 and 5
EXTRA = 299000


async def _link(run, driver, name: str) -> int:
    """A Telegram user for the demo member `name`; their user id."""
    async with run.sessionmaker() as s:
        member_id = await s.scalar(select(Member.id).where(Member.full_name == name))
        user_id = EXTRA + member_id
        s.add(Account(telegram_user_id=user_id, member_id=member_id, language="vi", linked_at=clock.now()))
        await s.commit()
    await driver.create_user(name.rpartition(" ")[2], id=user_id, last_name=name.rpartition(" ")[0])
    return user_id


async def _official(run, user_id: int, member_id: int, to_cell: str) -> int:
    """An official transfer out to `to_cell`, decided today, recorded by the officer `user_id`; its id."""
    async with run.sessionmaker() as s:
        actor = await load_actor(s, user_id)
        unit_id = await s.scalar(select(Unit.id).where(Unit.name == to_cell))
        t = await transfers.record_transfer(s, actor, member_id, kind=TransferKind.official,
                                            direction=Direction.outgoing, decided_on=local_today(), unit_id=unit_id)
        await s.commit()
        return t.id


async def _answer(driver, user_id: int, message_id: int, data: str) -> str:
    answer = await driver.callback_answer(await driver.press(user_id, message_id, data=data))
    return answer.get("text") or ""


async def test_the_receiving_secretary_receives_a_linked_member_from_her_todo(driver, personas, sandbox_run):
    secretary, old = personas["secretary"], personas["elderly_member"]
    receiver, third = await _link(sandbox_run, driver, SECRETARY2), await _link(sandbox_run, driver, SECRETARY3)
    tid = await _official(sandbox_run, secretary.user_id, old.member_id, CELL2)
    today = f"{local_today():%d/%m/%Y}"

    page = await open_todo_page(driver, receiver)
    assert "📥 Đảng viên chuyển đến, chờ tiếp nhận (1):" in plain(page), plain(page)
    assert f"• Đến từ {CELL1}: đồng chí {old.name}, quyết định ngày {today}; hạn chuyển" in plain(page), plain(page)
    await driver.press_button(receiver, page, f"Tiếp nhận: {old.name}")
    [ask] = await driver.wait_for_bot_messages(receiver)
    assert f"Tiếp nhận đồng chí vào {CELL2} từ hôm nay ({today})?" in plain(ask), plain(ask)
    assert "✅ Tiếp nhận" in labels(ask)

    # A third cell's secretary: neither the question nor the receipt, forged.
    [start] = await driver.exchange(third, "/start")
    for forged in (f"tra:{tid}", f"trr:{tid}"):
        said = await _answer(driver, third, start["message_id"], forged)
        assert "không có quyền" in said, (forged, said)

    await driver.press_button(receiver, ask, "✅ Tiếp nhận")
    done = await driver.wait_for_edit(receiver, ask["message_id"])
    assert f"✅ Đã tiếp nhận đồng chí {old.name} từ {CELL1} vào {CELL2}, ngày {today}." in plain(done), plain(done)
    assert "vẫn dùng sổ tay bằng tài khoản Telegram đang có" in plain(done)
    [told] = await driver.wait_for_bot_messages(old.user_id)
    assert f"Đồng chí đã được tiếp nhận vào {CELL2} (chuyển từ {CELL1}), ngày {today}." in plain(told), plain(told)
    [former] = await driver.wait_for_bot_messages(secretary.user_id)
    assert f"{CELL2} đã tiếp nhận đồng chí {old.name} (chuyển sinh hoạt chính thức từ {CELL1})" in plain(former)

    # Their link works: /profile, as before, now in the new cell with the cell left in their history.
    [profile] = await driver.exchange(old.user_id, "/profile")
    assert CELL2 in plain(profile) and f"{CELL1} (đến {today})" in plain(profile), plain(profile)
    async with sandbox_run.sessionmaker() as s:
        t = await s.get(Transfer, tid)
        assert t.state is TransferState.done
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "transfer_received"))).one()
    assert entry.subject_member_id == old.member_id and entry.actor_telegram_id == receiver
    # Received twice: said, nothing more recorded.
    said = await _answer(driver, receiver, ask["message_id"], f"trr:{tid}")
    assert "đã được tiếp nhận rồi" in said, said


async def test_a_member_not_on_telegram_is_received_and_invited_a_cancelled_one_is_not(driver, personas,
                                                                                        sandbox_run):
    secretary, newcomer = personas["secretary"], personas["newcomer"]
    sender = await _link(sandbox_run, driver, SECRETARY2)
    tid = await _official(sandbox_run, sender, newcomer.member_id, CELL1)

    # From the panel's transfers list: the member coming, with the receiving button.
    panel = await open_panel(driver, secretary.user_id, CELL_PANEL)
    await driver.press_button(secretary.user_id, panel, "Chuyển sinh hoạt")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    assert f"• Đến từ {CELL2}: đồng chí {newcomer.name}" in plain(listing), plain(listing)
    await driver.press_button(secretary.user_id, listing, f"Tiếp nhận: {newcomer.name}")
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    # Meanwhile the sending cell cancels it: the receipt is refused, the member stays.
    async with sandbox_run.sessionmaker() as s:
        await transfers.cancel_transfer(s, await load_actor(s, sender), tid)
        await s.commit()
    said = await _answer(driver, secretary.user_id, ask["message_id"], f"trr:{tid}")
    assert "đã bị hủy" in said, said

    tid = await _official(sandbox_run, sender, newcomer.member_id, CELL1)
    page = await open_todo_page(driver, secretary.user_id)
    await driver.press_button(secretary.user_id, page, f"Tiếp nhận: {newcomer.name}")
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press_button(secretary.user_id, ask, "✅ Tiếp nhận")
    done = await driver.wait_for_edit(secretary.user_id, ask["message_id"])
    assert f"Đồng chí {newcomer.name} chưa dùng sổ tay trên Telegram" in plain(done), plain(done)
    [told] = await driver.wait_for_bot_messages(sender)
    assert f"{CELL1} đã tiếp nhận đồng chí {newcomer.name}" in plain(told), plain(told)
    await driver.press_button(secretary.user_id, done, "Tạo mã mời")
    [invite] = await driver.wait_for_bot_messages(secretary.user_id)
    assert newcomer.name in plain(invite) and "?start=" in plain(invite), plain(invite)
    async with sandbox_run.sessionmaker() as s:
        cell = await s.scalar(select(Unit.name).join(Member, Member.cell_id == Unit.id)
                              .where(Member.id == newcomer.member_id))
        states = (await s.scalars(select(Transfer.state).order_by(Transfer.id))).all()
    assert cell == CELL1 and states == [TransferState.cancelled, TransferState.done]
