"""📋 Bài tập: the exercises' data file and their checks over the emulator's event log (sandbox/exercises.py)."""
from __future__ import annotations

import itertools
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handlers.i18n import t
from sandbox import Emulator
from sandbox.exercises import LANGS, ExerciseFileError, Progress, add_exercise_routes, load_catalogue, parse_catalogue

CHAT = 200001  # the elderly member's chat
OTHER = 200002
SECRETARY = 200003
OFFICER = 200004
NEWCOMER = 200005
GROUPS = {CHAT: "member", OTHER: "member", SECRETARY: "secretary", OFFICER: "committee", NEWCOMER: "newcomer"}
_seq = itertools.count(1)


def _event(kind: str, chat: int = CHAT, **data) -> dict:
    return {"seq": next(_seq), "type": kind, "time": 1_800_000_000.0, "chat_id": chat, **data}


def text(t: str, chat: int = CHAT) -> dict:
    return _event("message_new", chat, from_bot=False, message={"from_bot": False, "text": t})


def contact(phone: str = "+84914222333") -> dict:
    return _event("message_new", from_bot=False, message={"from_bot": False, "text": None,
                                                          "contact": {"phone_number": phone}})


def press(data: str, qid: str = "q1", chat: int = CHAT, forged: bool = False) -> dict:
    return _event("callback_query", chat, message_id=1, callback_query_id=qid, data=data, forged=forged)


def answer(qid: str = "q1", t: str | None = "✅", chat: int = CHAT) -> dict:
    return _event("callback_answered", chat, callback_query_id=qid, text=t, show_alert=False)


def bot(t: str | None = None, media: str | None = None, buttons: tuple[str, ...] = (), chat: int = CHAT,
        kind: str = "message_new") -> dict:
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": d}] for d in buttons]} if buttons else None
    return _event(kind, chat, from_bot=True, message={"from_bot": True, "text": t, "caption": None,
                                                     "media_kind": media, "reply_markup": markup})


# Each exercise: a log that does it, and near misses that must not tick it.
CASES = {
    "profile": ([text("👤 Hồ sơ của tôi"), bot("👤 Đồng chí Nguyễn Văn An\nNgày sinh: 01/01/1950")], [
        [text("👤 Hồ sơ của tôi"), bot("Đồng chí chưa kết nối tài khoản.")],
        [bot("👤 Đồng chí Nguyễn Văn An")],  # nothing asked
        [text("/profiles"), bot("👤 Đồng chí Nguyễn Văn An")],
    ]),
    "read_notice": ([press("nr:5"), answer()], [
        [press("nr:5", forged=True), answer()],
        [press("no:5"), answer()],  # opened, not confirmed
        [press("nr:5")],  # never answered
        [press("nr:5"), answer("q2")],  # another press's answer
    ]),
    "listen": ([press("bh:3"), answer(), bot(media="voice")], [
        [press("bh:3"), answer(), bot("Chưa đọc được thông báo này.")],
        [bot(media="voice")],  # a broadcast nobody asked for
    ]),
    "meeting_answer": ([press("ga:7"), answer()], [[press("gs:7"), answer()]]),
    "vote": ([press("v:3:1"), answer()], [[press("vo:3"), answer()], [press("v:3:1", forged=True), answer()]]),
    "feedback": ([press("fbs:123:0"), answer()], [[press("fbx:123"), answer()], [press("fba:123:1"), answer()]]),
    "language": ([text("/language"), bot("Đồng chí chọn ngôn ngữ:"), press("lang:en"), answer()], [
        [text("/language"), bot("Đồng chí chọn ngôn ngữ:")],
    ]),
    "send_notice": ([press("nc:yes"), answer(), bot("📊 Thu đảng phí", buttons=("nt:4", "nm:4"))], [
        [press("nc:no"), answer(), bot("Đã hủy.")],
        [text("/notice"), bot("Loại văn bản?", buttons=("nk:notice",))],
        [press("nx:0"), answer(), bot("📤 Thông báo đã gửi", buttons=("nt:4",))],  # the list of those sent before
    ]),
    "schedule_meeting": ([press("gy:yes"), answer()], [[press("gy:no"), answer()]]),
    "roll_call": ([press("gla:7:0"), answer()], [[press("gr:7:0"), answer()]]),
    "open_close_vote": ([press("vk:ok"), answer(), press("vy:5", "q2"), answer("q2")], [
        [press("vk:ok"), answer()],
        [press("vy:5", "q2"), answer("q2"), press("vk:ok"), answer()],  # closed before it was opened
    ]),
    "reply_feedback": ([press("fbr:9"), answer(), text("Cảm ơn đồng chí"), bot("✅ Đã ghi", buttons=("fbc:9", "fbi:0"))], [
        [press("fbo:9"), answer(), bot("Ý kiến số 9", buttons=("fbr:9", "fbc:9", "fbl:1:0:0"))],
        [press("fbr:9"), answer(), bot("Ý kiến đã đóng", buttons=("fbi:0",))],
    ]),
    "link": ([contact(), bot("Kính chào đồng chí Trần Văn Mới!\nTài khoản của đồng chí đã được kết nối")], [
        [text("▶ Bắt đầu"), bot("Kính chào đồng chí Trần Văn Mới!")],  # not a link
        [contact(), bot("Số điện thoại này chưa có trong danh sách đảng viên.")],
        [text("/start"), bot("Đồng chí chưa kết nối tài khoản.")],
        [text("/start SAI-MA"), bot("Mã mời không đúng.")],
    ]),
    "meetings": ([text("📅 Lịch sinh hoạt"), bot("📅 Lịch sinh hoạt chi bộ\n\nCác buổi sắp tới:")], [
        [text("📅 Lịch sinh hoạt"), bot("Đồng chí chưa kết nối tài khoản.")],
        [bot("📅 Lịch sinh hoạt chi bộ")],  # nothing asked
    ]),
    "report": ([press("rpt"), answer(), bot("📊 Sinh hoạt chi bộ ngày 05/12/2026")], [
        [text("/report 13/2026"), bot("Tháng không hợp lệ.")],
        [bot("📊 Sinh hoạt chi bộ ngày 05/12/2026")],
    ]),
}
CHATS = {"member": CHAT, "secretary": SECRETARY, "committee": OFFICER, "newcomer": NEWCOMER}


def fresh() -> Progress:
    return Progress(load_catalogue(), dict(GROUPS))


def test_the_data_file_loads_with_every_text_in_three_languages():
    catalogue = load_catalogue()
    assert set(catalogue.groups) == {"member", "secretary", "committee", "newcomer"}
    assert {e.id for e in catalogue.of_group("member")} == {
        "profile", "read_notice", "listen", "meeting_answer", "vote", "feedback", "language"}
    assert {e.id for e in catalogue.of_group("secretary")} == {
        "send_notice", "schedule_meeting", "roll_call", "open_close_vote", "reply_feedback"}
    assert {e.id for e in catalogue.of_group("committee")} == {"report"}
    assert [e.id for e in catalogue.of_group("newcomer")] == ["link", "profile", "meetings"]
    assert set(CASES) == {e.id for e in catalogue.exercises}
    for exercise in catalogue.exercises:
        for lang in LANGS:
            assert exercise.title[lang].strip() and exercise.hint[lang].strip(), (exercise.id, lang)
        assert exercise.title["vi"] != exercise.title["en"] != exercise.title["bn"]
    assert catalogue.group_of("elderly_member").key == "member"
    assert catalogue.group_of("newcomer").key == "newcomer"


def test_the_link_check_knows_the_greeting_of_a_linked_member_in_every_language():
    [_, greeted] = next(e for e in load_catalogue().exercises if e.id == "link").steps
    for lang in LANGS:
        for key in ("start.linked", "start.welcome_back"):
            shown = re.sub(r"<[^>]+>", "", t(lang, key, name="Trần Văn Mới"))
            assert greeted.match(bot(shown, chat=NEWCOMER), None)[0], (lang, key)
        assert not greeted.match(bot(re.sub(r"<[^>]+>", "", t(lang, "start.stranger")), chat=NEWCOMER), None)[0]


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_each_check_ticks_on_its_log_and_not_on_a_near_miss(exercise_id):
    catalogue = load_catalogue()
    exercise = next(e for e in catalogue.exercises if e.id == exercise_id)
    done, misses = CASES[exercise_id]
    for chat in (CHATS[g] for g in exercise.groups):
        progress = fresh()
        progress.feed([{**e, "chat_id": chat} for e in done])
        assert (chat, exercise_id) in progress.done
        assert [i["id"] for i in progress.view(chat, "vi") if i["done"]] == [exercise_id]
        for miss in misses:
            progress = fresh()
            progress.feed([{**e, "chat_id": chat} for e in miss])
            assert (chat, exercise_id) not in progress.done, miss


def test_one_persona_s_doing_ticks_nobody_else_and_a_retry_after_a_lost_answer_counts():
    progress = fresh()
    progress.feed([press("nr:5", "q1"), press("nr:5", "q2", chat=OTHER), answer("q2", chat=OTHER)])
    assert (OTHER, "read_notice") in progress.done and (CHAT, "read_notice") not in progress.done
    progress.feed([press("nr:5", "q3"), answer("q3")])  # q1's answer never came: the second press counts
    assert (CHAT, "read_notice") in progress.done
    progress.feed([press("ga:7", "q9", chat=SECRETARY), answer("q9", chat=SECRETARY)])
    assert not any(chat == SECRETARY for chat, _ in progress.done)  # not a secretary's exercise


@pytest.mark.parametrize("broken, message", [
    ({"groups": {"member": {"personas": ["x"], "title": {"vi": "a", "en": "b"}}}}, "each of vi, en, bn"),
    ({"groups": {}, "exercise": [{"id": "a", "group": "member"}]}, "unknown group"),
    ({"groups": {"g": {"personas": ["x"], "title": {"vi": "a", "en": "b", "bn": "c"}}},
      "exercise": [{"id": "a", "group": ["g", "h"]}]}, "unknown group"),
    ({"groups": {"g": {"personas": ["x"], "title": {"vi": "a", "en": "b", "bn": "c"}}},
      "exercise": [{"id": "a", "group": "g", "title": {"vi": "a", "en": "b", "bn": "c"},
                    "hint": {"vi": "a", "en": "b", "bn": "c"}, "steps": [{"who": "user", "contact": "yes"}]}]},
     "contact must be true or false"),
    ({"groups": {"g": {"personas": ["x"], "title": {"vi": "a", "en": "b", "bn": "c"}}},
      "exercise": [{"id": "a", "group": "g", "title": {"vi": "a", "en": "b", "bn": "c"},
                    "hint": {"vi": "a", "en": "b", "bn": "c"}, "steps": [{"who": "bot", "does": "send"}]}]},
     "start with what the user does"),
    ({"groups": {"g": {"personas": ["x"], "title": {"vi": "a", "en": "b", "bn": "c"}}},
      "exercise": [{"id": "a", "group": "g", "title": {"vi": "a", "en": "b", "bn": "c"},
                    "hint": {"vi": "a", "en": "b", "bn": "c"}, "steps": [{"who": "user", "text": "("}]}]},
     "bad text regex"),
    ({"groups": {"g": {"personas": ["x"], "title": {"vi": "a", "en": "b", "bn": "c"}}},
      "exercise": [{"id": "a", "group": "g", "title": {"vi": "a", "en": "b", "bn": "c"},
                    "hint": {"vi": "a", "en": "b", "bn": "c"},
                    "steps": [{"who": "user", "data": ["x:"], "does": "send"}]}]}, "unknown keys"),
])
def test_a_broken_data_file_is_refused_with_where(broken, message):
    with pytest.raises(ExerciseFileError, match=message):
        parse_catalogue(broken)


async def test_the_route_reads_the_real_emulator_s_log_and_a_reset_clears_it():
    emulator = Emulator()
    emulator.add_user("An", id=CHAT)
    emulator.add_user("Bình", id=SECRETARY)
    personas = [{"user_id": CHAT, "key": "elderly_member", "name": "Nguyễn Văn An"},
                {"user_id": SECRETARY, "key": "secretary", "name": "Lê Văn Bình"},
                {"user_id": 200005, "key": "newcomer", "name": "Người mới"}]
    app = web.Application()
    add_exercise_routes(app, emulator, lambda: personas)
    async with TestClient(TestServer(app)) as client:
        emulator.user_send_text(CHAT, "👤 Hồ sơ của tôi")
        status, _ = await emulator.call("sendMessage", {"chat_id": CHAT, "text": "👤 <b>Đồng chí An</b>",
                                                        "parse_mode": "HTML"})
        assert status == 200
        body = await (await client.get("/_sandbox/exercises", params={"lang": "en"})).json()
        assert [p["key"] for p in body["personas"]] == ["elderly_member", "secretary", "newcomer"]
        assert [e["id"] for e in body["personas"][2]["exercises"]] == ["link", "profile", "meetings"]
        member = body["personas"][0]
        assert member["done"] == 1 and member["total"] == 7 and member["group_title"] == "Members"
        profile = next(e for e in member["exercises"] if e["id"] == "profile")
        assert profile["title"] == "See your own profile" and profile["done"] and profile["done_at"]

        await emulator.call("sendMessage", {"chat_id": CHAT, "text": "📢 Thông báo mới",
                                            "reply_markup": {"inline_keyboard": [[
                                                {"text": "✅ Đã đọc", "callback_data": "nr:4"}]]}})
        notice = max(emulator.chats[CHAT].messages)
        query = emulator.user_press(CHAT, notice, button_text="✅ Đã đọc")
        await emulator.call("answerCallbackQuery", {"callback_query_id": query.id, "text": "Đã ghi nhận"})
        only = await (await client.get("/_sandbox/exercises", params={"user_id": str(CHAT)})).json()
        assert [p["user_id"] for p in only["personas"]] == [CHAT]
        ticked = {e["id"]: e["title"] for e in only["personas"][0]["exercises"] if e["done"]}
        assert ticked == {"profile": "Xem hồ sơ của mình", "read_notice": "Đọc và xác nhận thông báo"}

        assert (await client.get("/_sandbox/exercises", params={"lang": "fr"})).status == 400
        emulator.reset()
        after = await (await client.get("/_sandbox/exercises")).json()
        assert all(not e["done"] for p in after["personas"] for e in p["exercises"])
