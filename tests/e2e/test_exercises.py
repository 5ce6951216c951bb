"""📋 Bài tập against the real bot (issue 15): the secretary's tasks done by taps (tests/e2e/test_officer_by_taps.py)
tick her exercises and nobody else's; a member's answer to an invitation, vote, profile, 🔊, ✅ Đã đọc and
language tick his — the checks of sandbox/exercises.toml match what the bot really does, not only synthetic logs."""
from __future__ import annotations

import pytest

from models import accounts

from .test_meetings import _invitation, schedule_one_line, wait_until
from .test_officer_by_taps import inline
from .test_officer_by_taps import test_a_meeting_with_documents_a_paper_answer_and_the_roll_call_by_taps as meeting
from .test_officer_by_taps import test_a_notice_is_sent_from_the_panel_with_taps as notice
from .test_officer_by_taps import test_a_vote_is_opened_and_closed_from_the_panel_with_taps as vote
from .test_officer_by_taps import test_feedback_is_answered_and_a_correction_approved_from_the_panel as feedback


async def done(driver, user_id: int) -> set[str]:
    answer = await driver._request("GET", f"/exercises?user_id={user_id}")
    [persona] = answer["personas"]
    return {e["id"] for e in persona["exercises"] if e["done"]}


# Each task of the secretary (a fresh sandbox each: those flows wait for "the next message" of a chat), and
# what it ticks: hers, and the elderly member's in the feedback flow (his feedback, his profile with ✏️).
TASKS = [
    (lambda d, p, r: notice(d, p), {"secretary": {"send_notice"}}),
    (lambda d, p, r: vote(d, p), {"secretary": {"open_close_vote"}}),
    (feedback, {"secretary": {"reply_feedback"}, "elderly_member": {"feedback", "profile"}}),  # /profile for ✏️
    (meeting, {"secretary": {"schedule_meeting", "roll_call"}}),
]


@pytest.mark.parametrize("task, ticked", TASKS, ids=["notice", "vote", "feedback", "meeting"])
async def test_the_secretary_s_tasks_by_taps_tick_her_exercises(driver, personas, sandbox_run, task, ticked):
    assert await done(driver, personas["secretary"].user_id) == set()
    await task(driver, personas, sandbox_run)
    for key in ("secretary", "elderly_member", "young_member", "committee_officer"):
        assert await done(driver, personas[key].user_id) == ticked.get(key, set()), key


async def test_a_member_s_exercises_tick_from_what_he_taps(driver, personas, sandbox_run):
    member, sec = personas["elderly_member"].user_id, personas["secretary"]
    await schedule_one_line(driver, sandbox_run, sec)
    invitation = await wait_until(lambda: _invitation(driver, member), what="the invitation")
    await driver.press_button(member, invitation, "Tôi sẽ tham dự")
    await driver.exchange(sec.user_id, "/vote Đồng ý kế hoạch quý? | Đồng ý | Không đồng ý")

    async def ballot():
        return next((m for m in await driver.bot_messages(member)
                     if any(b["callback_data"].startswith("v:") for b in inline(m))), None)

    await driver.press_button(member, await wait_until(ballot, what="the ballot"), "Đồng ý")
    await driver.exchange(member, "/profile")
    assert await done(driver, member) == {"meeting_answer", "vote", "profile"}

    # A notice: 🔊 Nghe (a voice note comes), ✅ Đã đọc; then English from /language.
    await driver.exchange(sec.user_id, "/notice Thu đảng phí quý | Đề nghị các đồng chí nộp đảng phí trước ngày 20.")

    async def the_notice():
        return next((m for m in await driver.bot_messages(member)
                     if any(b["callback_data"].startswith("nr:") for b in inline(m))), None)

    got = await wait_until(the_notice, what="the notice")
    await driver.press_button(member, got, "🔊 Nghe")

    async def voice():
        return any(m["media_kind"] in ("voice", "audio") for m in await driver.bot_messages(member))

    await wait_until(voice, timeout=30, what="the voice note")
    await driver.press_button(member, got, "✅ Đã đọc")
    [picker] = await driver.exchange(member, "/language")
    await driver.press_button(member, picker, "English")
    everything = {"meeting_answer", "vote", "profile", "listen", "read_notice", "language"}

    async def ticked():  # a press ticks when the bot has answered it
        return await done(driver, member) == everything

    await wait_until(ticked, what=f"the ticks {everything}")
    assert await done(driver, personas["young_member"].user_id) == set()


@pytest.mark.parametrize("how", ["contact", "invite"])
async def test_the_newcomer_s_exercises_tick_from_his_linking_profile_and_meetings(driver, personas, sandbox_run, how):
    newcomer = personas["newcomer"].user_id
    await driver.exchange(newcomer, "/profile")  # not linked yet: no profile, no tick
    await driver.exchange(newcomer, "/start")
    assert await done(driver, newcomer) == set()
    if how == "contact":
        await driver.send_contact(newcomer)
        await driver.wait_for_bot_messages(newcomer)
    else:
        async with sandbox_run.sessionmaker() as session:
            code = await accounts.create_invite(session, personas["newcomer"].member_id)
            await session.commit()
        await driver.exchange(newcomer, f"/start {code}")
    assert await done(driver, newcomer) == {"link"}
    await driver.exchange(newcomer, "/profile")
    await driver.exchange(newcomer, "/meetings")
    assert await done(driver, newcomer) == {"link", "profile", "meetings"}
