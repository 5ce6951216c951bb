"""Transfers of party activity (issue 17) over the Bot API: the secretary records a temporary transfer out of
the cell with taps from the member's card (31/02 refused on the way), the member is told, and forged presses
are refused."""
from __future__ import annotations

from sqlalchemy import select

from models import transfers
from models.audit import AuditEntry
from models.dates import local_today
from models.party_age import add_months
from models.transfers import Direction, Purpose, Transfer, TransferKind, TransferState

from .test_panel import CELL_PANEL, labels, open_panel, plain


async def _transfers(run) -> list[Transfer]:
    async with run.sessionmaker() as s:
        return list((await s.scalars(select(Transfer).order_by(Transfer.id))).all())


async def _answer(driver, user_id: int, message_id: int, data: str) -> str:
    answer = await driver.callback_answer(await driver.press(user_id, message_id, data=data))
    return answer.get("text") or ""


async def _card(driver, secretary, member) -> dict:
    [listing] = await driver.exchange(secretary.user_id, "/members")
    await driver.press(secretary.user_id, listing["message_id"], data=f"mp:{member.member_id}")
    [card] = await driver.wait_for_bot_messages(secretary.user_id)
    return card


async def test_the_secretary_records_a_temporary_transfer_with_taps(driver, personas, sandbox_run):
    secretary, old = personas["secretary"], personas["elderly_member"]
    card = await _card(driver, secretary, old)
    assert old.name in plain(card) and "🔁 Chuyển sinh hoạt" in labels(card), labels(card)

    await driver.press_button(secretary.user_id, card, "Chuyển sinh hoạt")
    [kind] = await driver.wait_for_bot_messages(secretary.user_id)
    assert f"Chuyển sinh hoạt đảng cho đồng chí {old.name}" in plain(kind)
    assert labels(kind)[:3] == ["Chính thức", "Tạm thời (đi công tác)", "Tạm thời (đi học)"]
    assert "✖️ Hủy" in labels(kind) and not any("Quay lại" in b for b in labels(kind))

    await driver.press_button(secretary.user_id, kind, "đi công tác")
    [where] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Chuyển đến đơn vị nào?" in plain(where)
    cells = [b for b in labels(where) if b.startswith("Chi bộ")]
    assert cells and secretary.cell not in cells, labels(where)
    assert "🏢 Đơn vị ngoài sổ tay" in labels(where) and any("Quay lại" in b for b in labels(where))
    host = cells[0]

    await driver.press_button(secretary.user_id, where, host)
    [when] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Ngày quyết định chuyển sinh hoạt" in plain(when)
    # A day the calendar does not have: said plainly, the step stays.
    [wrong] = await driver.exchange(secretary.user_id, "31/02/2027")
    assert "Không có ngày 31/02/2027 trên lịch" in plain(wrong), plain(wrong)

    today = local_today()
    await driver.press_button(secretary.user_id, when, "Hôm nay")
    [until] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Sinh hoạt tạm thời đến ngày nào? (từ 3 đến 12 tháng" in plain(until)
    end = add_months(today, 6)
    await driver.press_button(secretary.user_id, until, "6 tháng")
    [confirm] = await driver.wait_for_bot_messages(secretary.user_id)
    text = plain(confirm)
    for line in (f"Đồng chí: {old.name}", "Hình thức: Tạm thời (đi công tác)", f"Nơi chuyển đến: {host}",
                 f"Ngày quyết định: {today:%d/%m/%Y}", f"Sinh hoạt tạm thời đến ngày: {end:%d/%m/%Y}"):
        assert line in text, (line, text)
    assert await _transfers(sandbox_run) == []

    await driver.press_button(secretary.user_id, confirm, "Ghi nhận")
    done = await driver.wait_for_edit(secretary.user_id, confirm["message_id"])
    assert "Đã ghi nhận chuyển sinh hoạt đảng." in plain(done)
    assert f"Sinh hoạt tạm thời đến hết ngày {end:%d/%m/%Y}." in plain(done)
    [told] = await driver.wait_for_bot_messages(old.user_id)
    assert f"Chi bộ đã ghi nhận việc chuyển sinh hoạt đảng của đồng chí: Tạm thời (đi công tác), đến {host}" \
        in plain(told), plain(told)

    # Their profile shows the transfer under way.
    [profile] = await driver.exchange(old.user_id, "/profile")
    assert f"Đang chuyển sinh hoạt: Tạm thời (đi công tác), đến {host}, quyết định ngày {today:%d/%m/%Y}" \
        in plain(profile), plain(profile)

    [t] = await _transfers(sandbox_run)
    assert (t.member_id, t.kind, t.direction, t.purpose, t.decided_on, t.until_on, t.state) == (
        old.member_id, TransferKind.temporary, Direction.outgoing, Purpose.work, today, end, TransferState.open)
    async with sandbox_run.sessionmaker() as s:
        assert [m.id for m in await transfers.temporary_in(s, t.unit_id)] == [old.member_id]
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "transfer_recorded"))).one()
    assert (entry.actor_member_id, entry.subject_member_id) == (secretary.member_id, old.member_id)

    # The host cell's list names them apart (its committee officer sees every cell of the ward).
    officer = personas["committee_officer"]
    [ward_list] = await driver.exchange(officer.user_id, "/members")
    await driver.press(officer.user_id, ward_list["message_id"], data=f"ml:{t.unit_id}:0")
    host_list = await driver.wait_for_edit(officer.user_id, ward_list["message_id"])
    assert f"Sinh hoạt tạm thời tại chi bộ (không tính vào số đảng viên của chi bộ): {old.name}" in plain(host_list), \
        plain(host_list)

    # The confirmation pressed again, and a second transfer started: nothing more recorded.
    said = await _answer(driver, secretary.user_id, confirm["message_id"], "trc:ok")
    assert "hết hạn" in said, said
    await driver.press_button(secretary.user_id, card, "Chuyển sinh hoạt")
    [again] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "đang có một việc chuyển sinh hoạt chưa xong" in plain(again)
    assert len(await _transfers(sandbox_run)) == 1

    # The panel counts it; from its list the transfer is marked done with a tap.
    panel = await open_panel(driver, secretary.user_id, CELL_PANEL)
    assert "🔁 Chuyển sinh hoạt (1)" in labels(panel), labels(panel)
    await driver.press_button(secretary.user_id, panel, "Chuyển sinh hoạt")
    [listing] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "Chuyển sinh hoạt đang làm: 1" in plain(listing)
    assert f"• Đ/c {old.name} ({secretary.cell}): Tạm thời (đi công tác), đến {host}" in plain(listing), plain(listing)
    await driver.press_button(secretary.user_id, listing, old.name)
    [ask] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press_button(secretary.user_id, ask, "Đã chuyển xong")
    closed = await driver.wait_for_edit(secretary.user_id, ask["message_id"])
    assert f"Đã ghi nhận chuyển sinh hoạt xong ngày {today:%d/%m/%Y}." in plain(closed)
    [t] = await _transfers(sandbox_run)
    assert (t.state, t.closed_on) == (TransferState.done, today)
    said = await _answer(driver, secretary.user_id, ask["message_id"], f"trx:{t.id}")
    assert "đã xong hoặc đã hủy" in said, said


async def test_forged_presses_are_refused(driver, personas, sandbox_run):
    secretary, old, newcomer = personas["secretary"], personas["elderly_member"], personas["newcomer"]
    assert secretary.cell != newcomer.cell
    [start] = await driver.exchange(secretary.user_id, "/start")
    # Another cell's member, no such member, data of no shape.
    for forged in (f"trs:{newcomer.member_id}", "trs:987654", "trs:abc", "trs:1:2"):
        said = await _answer(driver, secretary.user_id, start["message_id"], forged)
        assert "không có quyền" in said, (forged, said)
    # A member is no officer: their own card's button, forged.
    [own] = await driver.exchange(old.user_id, "/start")
    said = await _answer(driver, old.user_id, own["message_id"], f"trs:{old.member_id}")
    assert "không có quyền" in said, said
    # The list's buttons, forged: no such transfer, or a member pressing them.
    for forged in ("tra:987654", "trx:987654", "trz:987654", "trx:abc"):
        said = await _answer(driver, secretary.user_id, start["message_id"], forged)
        assert "không có quyền" in said, (forged, said)
    said = await _answer(driver, old.user_id, own["message_id"], "trl:0")
    assert "không có quyền" in said, said
    # Steps of no conversation: expired.
    for stale in ("trk:work", "trd:1", "trt", "tru:6", "trc:ok"):
        said = await _answer(driver, secretary.user_id, start["message_id"], stale)
        assert "hết hạn" in said, (stale, said)
    # Inside a conversation: a unit that is not a cell, and an end of no offered length, refused.
    card = await _card(driver, secretary, old)
    await driver.press_button(secretary.user_id, card, "Chuyển sinh hoạt")
    [kind] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press_button(secretary.user_id, kind, "đi học")
    [where] = await driver.wait_for_bot_messages(secretary.user_id)
    said = await _answer(driver, secretary.user_id, where["message_id"], "trd:987654")
    assert "không có quyền" in said, said
    assert await _transfers(sandbox_run) == []
    async with sandbox_run.sessionmaker() as s:
        refused = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all()
    assert len(refused) >= 6


async def test_a_unit_outside_the_handbook_typed_back_and_cancelled(driver, personas, sandbox_run):
    secretary, old = personas["secretary"], personas["elderly_member"]
    card = await _card(driver, secretary, old)
    await driver.press_button(secretary.user_id, card, "Chuyển sinh hoạt")
    [kind] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press_button(secretary.user_id, kind, "đi học")
    [where] = await driver.wait_for_bot_messages(secretary.user_id)
    await driver.press_button(secretary.user_id, where, "Đơn vị ngoài sổ tay")
    named = await driver.wait_for_edit(secretary.user_id, where["message_id"])
    assert "Gõ tên đơn vị chuyển đến" in plain(named)
    [when] = await driver.exchange(secretary.user_id, "Chi bộ Trường Đại học Sư phạm Huế")
    assert "Ngày quyết định chuyển sinh hoạt" in plain(when)
    # ◀ on the date: the name asked again, in place.
    await driver.press_button(secretary.user_id, when, "Quay lại")
    again = await driver.wait_for_edit(secretary.user_id, when["message_id"])
    assert "Gõ tên đơn vị chuyển đến" in plain(again)
    [when] = await driver.exchange(secretary.user_id, "Chi bộ Trường Đại học Sư phạm")
    [wrong] = await driver.exchange(secretary.user_id, "15/13/2026")
    assert "Không có ngày 15/13/2026 trên lịch" in plain(wrong), plain(wrong)
    today = local_today()
    [until] = await driver.exchange(secretary.user_id, f"{today:%d/%m/%Y}")
    assert "(từ 3 đến 24 tháng" in plain(until), plain(until)
    [too_long] = await driver.exchange(secretary.user_id, f"{add_months(today, 30):%d/%m/%Y}")
    assert "Sinh hoạt tạm thời khi đi học từ 3 tháng đến 2 năm" in plain(too_long), plain(too_long)
    [confirm] = await driver.exchange(secretary.user_id, f"{add_months(today, 18):%d/%m/%Y}")
    assert "Nơi chuyển đến: Chi bộ Trường Đại học Sư phạm" in plain(confirm) and "Huế" not in plain(confirm)
    await driver.press_button(secretary.user_id, confirm, "Hủy")
    await driver.wait_for_edit(secretary.user_id, confirm["message_id"])
    assert await _transfers(sandbox_run) == []
