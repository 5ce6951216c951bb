"""/help (issue 14): an officer's differs from a member's; every command in it is tappable ("/name" as plain
text, which Telegram turns into a link that sends it) and shows its one-line form with a Vietnamese example;
an officer gets a button to the panel."""
from __future__ import annotations

import re

from handlers.features import commands


def plain(msg: dict) -> str:
    return msg.get("text") or msg.get("caption") or ""


def labels(msg: dict) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def tappable(msg: dict) -> set[str]:
    """The commands Telegram links in the message: "/name" standing alone, outside code and links."""
    text = plain(msg)
    covered = [(e["offset"], e["offset"] + e["length"]) for e in msg.get("entities", [])
               if e["type"] in ("code", "pre", "text_link", "url")]
    found = set()
    for m in re.finditer(r"(?<![\w/])/([a-z_]{1,32})(?![\w/])", text):
        start = len(text[:m.start()].encode("utf-16-le")) // 2
        if not any(a <= start < b for a, b in covered):
            found.add(m[1])
    return found


async def test_an_officer_gets_her_commands_with_their_forms_and_a_button_to_the_panel(driver, personas):
    sec = personas["secretary"]
    [answer] = await driver.exchange(sec.user_id, "/help")
    text = plain(answer)
    officer_commands = {c.name for c in commands(officer=True) if c.officer}
    assert officer_commands <= tappable(answer), officer_commands - tappable(answer)
    # The one-line forms, with examples in Vietnamese that the parsers take (tests/test_help.py checks them).
    for line in ("Ví dụ: /meeting 05/12/2026 19:30 | Nhà văn hóa tổ 3 | Sinh hoạt tháng 12",
                 "Mẫu: ngày giờ | địa điểm | tên buổi", "Ví dụ: /notice ", "Ví dụ: /vote ", "Ví dụ: /bulletin ",
                 "Ví dụ: /invite ", "/report 12/2026"):
        assert line in text, line
    assert "/meeting — Lên lịch sinh hoạt" in text and "/attendance — Điểm danh" in text
    assert {"profile", "language", "cancel"} <= tappable(answer)  # everyone's commands too
    assert labels(answer) == ["🗂 Công tác chi bộ"]
    await driver.press_button(sec.user_id, answer, "Công tác chi bộ")
    panel = await driver.wait_for_edit(sec.user_id, answer["message_id"])
    assert "Công tác chi bộ" in plain(panel) and "📰 Bảng tin tháng" in labels(panel)


async def test_a_committee_officer_gets_the_committee_panel_button(driver, personas):
    [answer] = await driver.exchange(personas["committee_officer"].user_id, "/help")
    assert labels(answer) == ["🗂 Công tác đảng bộ"] and "/report" in plain(answer)


async def test_a_member_gets_a_short_help_and_only_her_commands(driver, personas):
    old, sec = personas["elderly_member"], personas["secretary"]
    [answer] = await driver.exchange(old.user_id, "/help")
    [officer] = await driver.exchange(sec.user_id, "/help")
    assert plain(answer) != plain(officer)
    shown = tappable(answer)
    assert {c.name for c in commands(officer=False)} - {"help"} <= shown
    assert not {c.name for c in commands(officer=True) if c.officer} & shown  # no officer command
    assert "Ví dụ: /feedback " in plain(answer) and "Ví dụ: /documents " in plain(answer)
    assert "Hồ sơ của tôi" in plain(answer) and labels(answer) == []
    assert await driver.reply_keyboard(old.user_id)  # the member's main menu comes with it


async def test_a_stranger_is_told_how_to_get_linked(driver, sandbox_run):
    sandbox_run.emulator.add_user("Khách", id=987654)
    [answer] = await driver.exchange(987654, "/help")
    assert "liên kết mời" in plain(answer) and "/meeting" not in plain(answer)
