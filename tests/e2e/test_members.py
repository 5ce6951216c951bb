"""Profiles, the member list, language, and the file import, as members and secretaries use them."""
from __future__ import annotations

from sqlalchemy import func, select

from models.audit import AuditEntry
from models.members import Member
from models.units import Unit


def plain(msg: dict) -> str:
    return msg.get("text") or ""


def buttons(msg: dict) -> list[dict]:
    markup = msg.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def audit_rows(run, action: str) -> list[AuditEntry]:
    async with run.sessionmaker() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_profile_big_button_shows_own_record(driver, personas):
    elderly = personas["elderly_member"]
    await driver.exchange(elderly.user_id, "/start")
    await driver.press_reply_button(elderly.user_id, "👤 Hồ sơ của tôi")
    [reply] = await driver.wait_for_bot_messages(elderly.user_id)
    text = plain(reply)
    assert elderly.name in text
    assert "Số thẻ đảng" in text and "Ngày vào Đảng" in text
    bold = [e for e in reply["entities"] if e["type"] == "bold"]
    assert bold, "section titles are bold"
    # dd/mm/yyyy dates only
    import re

    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    # Party age and the next badge (issue 17), on an award day (3/2, 19/5, 2/9, 7/11).
    assert re.search(r"^Tuổi Đảng: \d{2} năm( \d{1,2} tháng)?$", text, re.M), text
    assert re.search(r"^Huy hiệu tiếp theo: Huy hiệu \d{2} năm tuổi Đảng, dự kiến trao ngày "
                     r"(03/02|19/05|02/09|07/11)/20\d\d$", text, re.M), text
    assert "Đảng viên dự bị" not in text  # a full member: no probation line


async def test_a_probationary_member_sees_the_conversion_deadline_and_the_secretary_too(driver, personas):
    """Issue 17: the demo's young member passed month 12 a few weeks ago; the conversion meeting is due."""
    import re

    young, sec = personas["young_member"], personas["secretary"]
    [own] = await driver.exchange(young.user_id, "/profile")
    line = re.compile(r"^Đảng viên dự bị — đã đến kỳ xét chuyển chính thức, hạn: \d{2}/\d{2}/20\d\d$", re.M)
    assert line.search(plain(own)), plain(own)
    [listing] = await driver.exchange(sec.user_id, "/members")
    [khoi] = [b for b in buttons(listing) if b["text"].startswith(young.name)]
    press = await driver.press(sec.user_id, listing["message_id"], data=khoi["callback_data"])
    await driver.callback_answer(press)
    [seen] = await driver.wait_for_bot_messages(sec.user_id)
    assert line.search(plain(seen)), plain(seen)


async def test_language_switch_changes_menu_and_profile(driver, personas):
    young = personas["young_member"]
    [menu] = await driver.exchange(young.user_id, "/language")
    await driver.press_button(young.user_id, menu, "English")
    replies = await driver.wait_for_bot_messages(young.user_id)
    assert any("Switched to English" in plain(m) for m in replies)
    keyboard = await driver.reply_keyboard(young.user_id)
    labels = [b["text"] for row in keyboard["keyboard"] for b in row]
    assert "👤 My profile" in labels
    [profile] = await driver.exchange(young.user_id, "/profile")
    assert "Party card number" in plain(profile)
    assert "probationary member" in plain(profile)  # the demo's young member is probationary
    await driver.press_reply_button(young.user_id, "👤 My profile")
    [again] = await driver.wait_for_bot_messages(young.user_id)
    assert "Party card number" in plain(again)
    # an old Vietnamese keyboard still works after switching (members share phones)
    [again] = await driver.exchange(young.user_id, "👤 Hồ sơ của tôi")
    assert "Party card number" in plain(again)


async def test_secretary_lists_members_pages_and_views_one_audited(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    [listing] = await driver.exchange(secretary.user_id, "/members")
    names = [b["text"] for b in buttons(listing) if b["callback_data"].startswith("mp:")]
    assert names and secretary.cell in plain(listing)
    nxt = [b for b in buttons(listing) if b["callback_data"].startswith("ml:")]
    if nxt:
        await driver.press(secretary.user_id, listing["message_id"], data=nxt[-1]["callback_data"])
        edited = await driver.wait_for_edit(secretary.user_id, listing["message_id"])
        assert edited["text"] == listing["text"] or "đảng viên" in edited["text"]
    elderly = personas["elderly_member"]
    await driver.press(secretary.user_id, listing["message_id"], data=f"mp:{elderly.member_id}")
    [profile] = await driver.wait_for_bot_messages(secretary.user_id)
    assert elderly.name in plain(profile)
    viewed = await audit_rows(sandbox_run, "profile_viewed")
    assert [(v.actor_member_id, v.subject_member_id) for v in viewed] == [(secretary.member_id, elderly.member_id)]


async def test_member_cannot_reach_another_profile_by_forged_callback(driver, personas, sandbox_run):
    young, elderly = personas["young_member"], personas["elderly_member"]
    [profile] = await driver.exchange(young.user_id, "/profile")
    for forged in (f"mp:{elderly.member_id}", "mp:abc", "mp:1:2", "ml:1:0", "iv:1", "x" * 64):
        cb = await driver.press(young.user_id, profile["message_id"], data=forged)
        answer = await driver.callback_answer(cb)
        assert answer is not None
    messages = await driver.bot_messages(young.user_id)
    assert not any(elderly.name in plain(m) for m in messages)
    assert len(await audit_rows(sandbox_run, "refused")) >= 4
    assert await audit_rows(sandbox_run, "profile_viewed") == []


async def test_secretary_cannot_open_a_member_of_another_cell(driver, personas, sandbox_run):
    secretary, newcomer = personas["secretary"], personas["newcomer"]
    assert secretary.cell != newcomer.cell
    [listing] = await driver.exchange(secretary.user_id, "/members")
    cb = await driver.press(secretary.user_id, listing["message_id"], data=f"mp:{newcomer.member_id}")
    answer = await driver.callback_answer(cb)
    assert answer["show_alert"] is True
    assert not any(newcomer.name in plain(m) for m in await driver.bot_messages(secretary.user_id))


async def test_committee_officer_sees_every_cell_of_the_ward(driver, personas):
    officer = personas["committee_officer"]
    [listing] = await driver.exchange(officer.user_id, "/members")
    assert "30" in plain(listing) or "đảng viên" in plain(listing)
    cb_data = f"mp:{personas['newcomer'].member_id}"
    await driver.press(officer.user_id, listing["message_id"], data=cb_data)
    [profile] = await driver.wait_for_bot_messages(officer.user_id)
    assert personas["newcomer"].name in plain(profile)


async def test_secretary_invites_by_name_and_the_link_works(driver, personas):
    secretary, young = personas["secretary"], personas["young_member"]
    # The young member is on Telegram already (issue 12): a new phone needs the re-link confirmed.
    [ask] = await driver.exchange(secretary.user_id, f"/invite {young.name}")
    await driver.press_button(secretary.user_id, ask, "✅")
    await driver.wait_for_edit(secretary.user_id, ask["message_id"])
    [reply] = await driver.wait_for_bot_messages(secretary.user_id)
    code = next(e for e in reply["entities"] if e["type"] == "code")
    text = plain(reply)
    code_text = text[code["offset"]: code["offset"] + code["length"]]
    assert f"?start={code_text}" in text
    await driver.create_user("Máy mới", id=300777)
    [welcome] = await driver.exchange(300777, f"/start {code_text}")
    assert young.name in plain(welcome)


async def test_invite_step_by_step_and_cancel(driver, personas):
    secretary = personas["secretary"]
    [ask] = await driver.exchange(secretary.user_id, "/invite")
    assert "/cancel" in plain(ask)
    [nothing] = await driver.exchange(secretary.user_id, "Không Có Ai Tên Này")
    assert "Không tìm thấy" in plain(nothing)
    [done] = await driver.exchange(secretary.user_id, "/cancel")
    assert "Đã hủy" in plain(done)


async def test_invite_finds_a_name_written_in_capitals_or_without_diacritics(driver, personas):
    """SQLite's lower() folds ASCII only: "/invite Đặng Thị Thu Hà" used to find nobody, where "Thu Hà" worked."""
    officer, newcomer = personas["committee_officer"], personas["newcomer"]
    assert newcomer.name == "Đặng Thị Thu Hà"
    for query in ("Đặng Thị Thu Hà", "ĐẶNG THỊ THU HÀ", "dang thi thu ha", "thu hà"):
        [reply] = await driver.exchange(officer.user_id, f"/invite {query}")
        assert "Mã mời cho đồng chí Đặng Thị Thu Hà" in plain(reply), query
    [choice] = await driver.exchange(officer.user_id, "/invite ĐẶNG THỊ")  # Đặng Thị Hương too
    assert f"iv:{newcomer.member_id}" in {b["callback_data"] for b in buttons(choice)}


async def test_member_cannot_invite(driver, personas):
    young = personas["young_member"]
    [reply] = await driver.exchange(young.user_id, "/invite Lê")
    assert "không có quyền" in plain(reply)


async def test_html_in_a_name_is_shown_as_text(driver, personas, sandbox_run):
    async with sandbox_run.sessionmaker() as s:
        member = await s.get(Member, personas["elderly_member"].member_id)
        member.full_name = "<b>Lê</b> & <script>x</script>"
        await s.commit()
    [profile] = await driver.exchange(personas["elderly_member"].user_id, "/profile")
    assert "<b>Lê</b> & <script>x</script>" in plain(profile)


async def test_a_very_long_message_is_answered(driver, personas):
    young = personas["young_member"]
    # Telegram clients split longer texts; the longest single message must still get an answer.
    [reply] = await driver.exchange(young.user_id, "a" * 4096)
    assert reply["text"]


CSV_GOOD = (
    "Họ và tên;Ngày sinh;Giới tính;Số điện thoại;Số thẻ đảng;Ngày vào Đảng;Ngày chính thức;Chi bộ;Chức vụ\n"
    "Trần Văn Mới;05/12/1960;Nam;0905 111 222;07.099001;03/02/1990;03/02/1991;Chi bộ Tổ dân phố 1;Hưu trí\n"
    "Lê Thị Hai;01/01/1970;Nữ;0905 111 333;07.099002;19/05/2000;;Chi bộ Tổ dân phố 1;\n"
).encode("utf-8-sig")

CSV_BAD = (
    "Họ và tên;Ngày sinh;Giới tính;Số thẻ đảng;Chi bộ\n"
    "Trần Văn Sai;31/02/1950;Nam;07.099003;Chi bộ Tổ dân phố 1\n"
    ";01/01/1970;Nữ;07.099004;Chi bộ Tổ dân phố 1\n"
).encode()


async def member_count(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Member))


async def test_secretary_imports_a_file_after_confirming(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    before = await member_count(sandbox_run)
    await driver.send_file(secretary.user_id, CSV_GOOD, "danh_sach.csv")
    [check] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "2" in plain(check) and await member_count(sandbox_run) == before
    await driver.press_button(secretary.user_id, check, "Nhập")
    edited = await driver.wait_for_edit(secretary.user_id, check["message_id"])
    assert "Đã nhập xong" in edited["text"]
    assert await member_count(sandbox_run) == before + 2
    # the same file again changes nothing
    await driver.send_file(secretary.user_id, CSV_GOOD, "danh_sach.csv")
    [again] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "0 đảng viên mới" in plain(again)


async def test_bad_file_reports_rows_and_changes_nothing(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    before = await member_count(sandbox_run)
    await driver.send_file(secretary.user_id, CSV_BAD, "sai.csv")
    [reply] = await driver.wait_for_bot_messages(secretary.user_id)
    text = plain(reply)
    assert "Dòng 2" in text and "31/02/1950" in text
    assert "Dòng 3" in text and "thiếu họ và tên" in text
    assert await member_count(sandbox_run) == before


async def test_not_a_csv_is_refused_kindly(driver, personas):
    secretary = personas["secretary"]
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    await driver.send_file(secretary.user_id, png, "anh.csv")
    [reply] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "không phải bảng CSV" in plain(reply)


async def test_secretary_cannot_import_into_another_cell(driver, personas, sandbox_run):
    secretary = personas["secretary"]
    before = await member_count(sandbox_run)
    other = CSV_GOOD.replace("Chi bộ Tổ dân phố 1".encode(), "Chi bộ Tổ dân phố 2".encode())
    await driver.send_file(secretary.user_id, other, "khac.csv")
    [reply] = await driver.wait_for_bot_messages(secretary.user_id)
    assert "ngoài đơn vị" in plain(reply)
    assert await member_count(sandbox_run) == before


async def test_member_cannot_import(driver, personas, sandbox_run):
    young = personas["young_member"]
    await driver.send_file(young.user_id, CSV_GOOD, "danh_sach.csv")
    [reply] = await driver.wait_for_bot_messages(young.user_id)
    assert "Chỉ bí thư" in plain(reply)
    async with sandbox_run.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Unit).where(Unit.name == "x")) == 0


async def test_a_failing_handler_tells_the_user_in_their_language(driver, personas, monkeypatch, caplog):
    import handlers.profile

    def broken(turn, view, *more, **named):
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers.profile, "render_profile", broken)
    elderly = personas["elderly_member"]
    [reply] = await driver.exchange(elderly.user_id, "/profile")
    assert "đã có lỗi xảy ra" in plain(reply)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and elderly.name not in logged and (elderly.phone or "") not in logged


async def test_an_answer_waits_out_flood_control_instead_of_being_lost(driver, personas, sandbox_run):
    """While a broadcast uses the bot's quota, Telegram answers 429: the member still gets the reply."""
    young = personas["young_member"]
    await driver.exchange(young.user_id, "/start")
    await driver.configure(per_chat_limit_per_s=1)
    [first] = await driver.exchange(young.user_id, "/help")
    [second] = await driver.exchange(young.user_id, "/help", timeout=15)  # the same second: 429, then waited
    assert plain(second) == plain(first)
    stats = await driver.stats()
    assert stats["requests"]["sendMessage"] >= 3


async def test_a_member_who_died_is_listed_apart_at_the_end_and_not_counted(driver, personas, sandbox_run):
    from datetime import date

    from sqlalchemy import update

    secretary = personas["secretary"]
    [before] = await driver.exchange(secretary.user_id, "/members")
    count = int(plain(before).split(": ")[1].split(" ")[0])
    async with sandbox_run.sessionmaker() as s:
        await s.execute(update(Member).where(Member.full_name == "Trần Văn Sáu").values(deceased_on=date(2026, 10, 1)))
        await s.commit()
    [listing] = await driver.exchange(secretary.user_id, "/members")
    assert f"{secretary.cell}: {count - 1} đảng viên" in plain(listing), plain(listing)
    assert "🕯 Đã từ trần: 1 đồng chí, ở cuối danh sách (không tính vào số đảng viên)." in plain(listing)
    assert not any("Trần Văn Sáu" in b["text"] for b in buttons(listing))  # not among the living on page 1
    # The last page ends with them, marked with the date.
    pages = [b for b in buttons(listing) if b["callback_data"].startswith("ml:")]
    await driver.press(secretary.user_id, listing["message_id"], data=pages[-1]["callback_data"])
    last = await driver.wait_for_edit(secretary.user_id, listing["message_id"])
    names = [b["text"] for b in buttons(last) if b["callback_data"].startswith("mp:")]
    assert names[-1] == "🕯 Trần Văn Sáu (từ trần 01/10/2026)", names
