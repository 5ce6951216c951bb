"""/notice by buttons (issue 14): ◀ Quay lại and ✖ Hủy on every step, what was typed kept and one tap away.
Over the sandbox, as a secretary on a phone would."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import clock
from models.dates import VIETNAM
from models.notices import Notice

from .test_meeting_steps import BACK, CANCEL, answer_to, rows
from .test_notices import BODY, TITLE, buttons, plain

EXPIRED = "hết hiệu lực"


async def notice_count(run) -> int:
    async with run.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(Notice))


async def latest(run) -> Notice:
    async with run.sessionmaker() as s:
        return await s.scalar(select(Notice).order_by(Notice.id.desc()).limit(1))


async def test_back_keeps_what_was_typed_and_the_notice_goes_out(driver, personas, sandbox_run):
    sec = personas["secretary"]
    user = sec.user_id
    [ask_kind] = await driver.exchange(user, "/notice")
    assert rows(ask_kind)[-1] == [CANCEL]  # the first step: nothing to go back to
    await driver.press_button(user, ask_kind, "Nghị quyết")
    [ask_title] = await driver.wait_for_bot_messages(user)
    assert rows(ask_title) == [[BACK, CANCEL]]
    await driver.press_button(user, ask_title, BACK)  # the kind again, in place, what was chosen said
    kind_again = await driver.wait_for_edit(user, ask_title["message_id"])
    assert "Loại: " in plain(kind_again) and "Nghị quyết" in plain(kind_again) and "loại nào" in plain(kind_again)
    assert rows(kind_again)[-1] == [CANCEL]
    await driver.press_button(user, kind_again, "Thông báo")
    [ask_title] = await driver.wait_for_bot_messages(user)
    [ask_body] = await driver.exchange(user, TITLE)
    await driver.press_button(user, ask_body, BACK)
    title_again = await driver.wait_for_edit(user, ask_body["message_id"])
    assert f"Tiêu đề: {TITLE}" in plain(title_again) and rows(title_again)[-1] == [BACK, CANCEL]
    await driver.press_button(user, title_again, f"✔ {TITLE}")  # what was typed, one tap away
    assert f"Tiêu đề: {TITLE}" in plain(await driver.wait_for_edit(user, title_again["message_id"]))
    [ask_body] = await driver.wait_for_bot_messages(user)
    assert "nội dung" in plain(ask_body) and not any("Giữ" in b for b in buttons(ask_body))
    [ask_file] = await driver.exchange(user, BODY)
    assert rows(ask_file) == [["⏭ Không đính kèm tệp"], [BACK, CANCEL]]
    await driver.press_button(user, ask_file, BACK)
    body_again = await driver.wait_for_edit(user, ask_file["message_id"])
    assert f"Nội dung: {BODY}" in plain(body_again)
    await driver.press_button(user, body_again, "Giữ nội dung đã gõ")
    [ask_file] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_file, "Không đính kèm")
    [ask_when] = await driver.wait_for_bot_messages(user)  # a cell's secretary: no audience to choose
    assert rows(ask_when) == [["📤 Gửi ngay", "⏰ Hẹn giờ gửi"], [BACK, CANCEL]]
    await driver.press_button(user, ask_when, "Hẹn giờ")
    ask_at = await driver.wait_for_edit(user, ask_when["message_id"])
    assert "ngày/tháng/năm" in plain(ask_at) and rows(ask_at) == [[BACK, CANCEL]]
    when = (clock.now() + timedelta(days=2)).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    preview, summary = await driver.exchange(user, when, count=2)
    assert rows(summary) == [["✅ Gửi"], [BACK, CANCEL]]
    await driver.press_button(user, summary, BACK)  # from the preview back to the time
    at_again = await driver.wait_for_edit(user, summary["message_id"])
    assert f"Sẽ gửi lúc {when}" in plain(at_again)
    await driver.press_button(user, at_again, f"✔ {when}")
    preview, summary = await driver.wait_for_bot_messages(user, 2)
    assert f"Sẽ gửi lúc {when}" in plain(summary)
    await driver.press_button(user, summary, BACK)
    at_again = await driver.wait_for_edit(user, summary["message_id"])
    await driver.press_button(user, at_again, BACK)  # and back to "now or later?"
    when_again = await driver.wait_for_edit(user, summary["message_id"])
    assert f"Sẽ gửi lúc {when}" in plain(when_again) and "Gửi ngay hay hẹn giờ" in plain(when_again)
    await driver.press_button(user, when_again, "Gửi ngay")
    preview, summary = await driver.wait_for_bot_messages(user, 2)
    assert TITLE in plain(preview) and BODY in plain(preview) and "Gửi ngay khi" in plain(summary)
    await driver.press_button(user, summary, "✅ Gửi")
    assert "hàng gửi" in plain(await driver.wait_for_edit(user, summary["message_id"]))
    notice = await latest(sandbox_run)
    assert (notice.kind.value, notice.title, notice.body, notice.study_required) == ("notice", TITLE, BODY, False)


async def test_cancel_on_any_step_ends_and_drops_the_draft(driver, personas, sandbox_run):
    user = personas["secretary"].user_id
    count = await notice_count(sandbox_run)
    for stop_at in ("kind", "body", "when", "confirm"):
        [step] = await driver.exchange(user, "/notice")
        if stop_at != "kind":
            await driver.press_button(user, step, "Thông báo")
            await driver.wait_for_bot_messages(user)
            [step] = await driver.exchange(user, TITLE)
        if stop_at in ("when", "confirm"):
            [ask_file] = await driver.exchange(user, BODY)
            await driver.press_button(user, ask_file, "Không đính kèm")
            [step] = await driver.wait_for_bot_messages(user)
        if stop_at == "confirm":
            await driver.press_button(user, step, "Gửi ngay")
            _, step = await driver.wait_for_bot_messages(user, 2)
        await driver.press_button(user, step, CANCEL)
        cancelled = await driver.wait_for_edit(user, step["message_id"])
        assert "Đã hủy" in plain(cancelled) and not buttons(cancelled), stop_at
        # What is typed next is not taken for the step; the old buttons are over.
        [reply] = await driver.exchange(user, BODY)
        assert "hàng gửi" not in plain(reply) and "tệp đính kèm" not in plain(reply), stop_at
        assert EXPIRED in await answer_to(driver, user, step, "nbk:1"), stop_at
        assert EXPIRED in await answer_to(driver, user, step, "nc:yes"), stop_at
    assert await notice_count(sandbox_run) == count


async def test_older_back_buttons_and_forged_data_leave_the_step_as_it_is(driver, personas):
    user = personas["secretary"].user_id
    [ask_kind] = await driver.exchange(user, "/notice")
    await driver.press_button(user, ask_kind, "Thông báo")
    [ask_title] = await driver.wait_for_bot_messages(user)
    [ask_body] = await driver.exchange(user, TITLE)
    # The title's question, answered by typing, still shows its ◀: it is not the current step any more.
    assert EXPIRED in await answer_to(driver, user, ask_title, next(
        b["callback_data"] for row in ask_title["reply_markup"]["inline_keyboard"] for b in row if b["text"] == BACK))
    for forged in ("nbk:99", "nbk:x", "nbk:", "nqt:1", "nkp:title", "nkp:zzz", "nkp:at"):
        assert EXPIRED in await answer_to(driver, user, ask_body, forged), forged
    [ask_file] = await driver.exchange(user, BODY)  # still at the text
    assert "tệp đính kèm" in plain(ask_file)


async def test_an_officer_goes_back_to_the_kind_and_the_resolution_s_study_is_dropped(driver, personas, sandbox_run):
    user = personas["committee_officer"].user_id
    [ask_kind] = await driver.exchange(user, "/notice")
    await driver.press_button(user, ask_kind, "Nghị quyết")
    await driver.wait_for_bot_messages(user)
    await driver.exchange(user, TITLE)
    [ask_file] = await driver.exchange(user, BODY)
    await driver.send_file(user, b"%PDF-1.4 nghi quyet", "nq.pdf")
    _, ask_study = await driver.wait_for_bot_messages(user, 2)
    assert rows(ask_study)[-1] == [BACK, CANCEL]
    await driver.press_button(user, ask_study, "Có")
    [ask_units] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_units, "Tổ dân phố 2")  # a cell ticked, the list redrawn
    ask_units = await driver.wait_for_edit(user, ask_units["message_id"])
    assert "✅ Chi bộ Tổ dân phố 2" in buttons(ask_units) and rows(ask_units)[-1] == [BACK, CANCEL]
    await driver.press_button(user, ask_units, "Tiếp tục")
    ask_when = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_when[0], BACK)  # the cells again, the ticked one still ticked
    step = await driver.wait_for_edit(user, ask_when[0]["message_id"])
    assert "Nơi nhận: Chi bộ Tổ dân phố 2" in plain(step) and "✅ Chi bộ Tổ dân phố 2" in buttons(step)
    said = ("đề nghị xác nhận đã học", "nq.pdf", "Nội dung:", f"Tiêu đề: {TITLE}", "loại nào")
    for earlier in said:  # ◀ five times, the same message: study, file, text, title, kind
        await driver.press_button(user, step, BACK)
        step = await driver.wait_for_edit(user, step["message_id"])
        assert earlier in plain(step), earlier
    await driver.press_button(user, step, "Thông báo")
    [ask_title] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_title, f"✔ {TITLE}")
    [ask_body] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_body, "Giữ nội dung")
    [ask_file] = await driver.wait_for_bot_messages(user)
    assert buttons(ask_file)[:2] == ["✔ Giữ tệp đã gửi", "⏭ Không đính kèm tệp"]
    await driver.press_button(user, ask_file, "Giữ tệp")
    [ask_units] = await driver.wait_for_bot_messages(user)  # a notice: no study asked
    assert "Nơi nhận: Chi bộ Tổ dân phố 2" in plain(ask_units)
    await driver.press_button(user, ask_units, "Tiếp tục")
    [ask_when] = await driver.wait_for_bot_messages(user)
    await driver.press_button(user, ask_when, "Gửi ngay")
    _, summary = await driver.wait_for_bot_messages(user, 2)
    assert "nq.pdf" in plain(summary)
    await driver.press_button(user, summary, "✅ Gửi")
    await driver.wait_for_edit(user, summary["message_id"])
    notice = await latest(sandbox_run)
    assert (notice.kind.value, notice.study_required, notice.file_name) == ("notice", False, "nq.pdf")
