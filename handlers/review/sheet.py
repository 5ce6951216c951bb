"""📝 The member's self-review, with buttons only: one screen per step, edited in place — the form (i), each
criterion group with its points and − / + (g<n>), the extra conditions of "xuất sắc" when the points reach
it (c), strengths, shortcomings and remedies typed or skipped with "Không có ý kiến thêm" (t<n>), the preview
(p), then 📨 Gửi: locked, "đã gửi". Every screen is drawn from the database (the entry and the step a button
names, both checked by models/review: whose entry, before the deadline, not sent yet); only the text being
typed is remembered in the conversation. The secretary's ✍️ Làm thay opens the same screens, marked."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import review
from models.review import Level, ReviewError, Sheet, YearRecord

from ..buttons.common import NOOP
from ..feedback.views import minutes_seconds
from ..i18n import fmt_date, t
from ..listen import part_captions, send_calls, speak_to, speech_of
from ..paper import plain
from ..steps import named_handler, refuse, settle
from ..turn import Turn, esc, member_handler
from . import buttons as btn

WRITING = 0  # the conversation's one state: a text step is waiting for what the member types
TYPED = "review_writing"  # user_data: (entry id, the text's place) while a text step waits
TEXTS = review.TEXT_FIELDS
T = TypeVar("T")


def screens(s: Sheet) -> list[str]:
    """The steps of this entry, in order: the conditions' only once the points reach "xuất sắc"."""
    names = ["i", *(f"g{n}" for n in range(len(s.groups)))]
    if s.total >= s.rules.thresholds[Level.excellent]:
        names.append("c")
    return [*names, *(f"t{n}" for n in range(len(TEXTS))), "p"]


def _next(s: Sheet, step: str) -> str:
    names = screens(s)
    return names[min(names.index(step) + 1, len(names) - 1)] if step in names else "i"


def _before(s: Sheet, step: str) -> str | None:
    names = screens(s)
    return names[names.index(step) - 1] if step in names and names.index(step) > 0 else None


def level_line(lang: str, s: Sheet) -> str:
    """"Tổng điểm: 80/100. Mức xếp loại: Hoàn thành tốt nhiệm vụ (từ 70 đến dưới 90 điểm)." """
    level, th = s.level, s.rules.thresholds
    why = "good_short" if level is Level.good and s.total >= th[Level.excellent] else level.value
    return t(lang, "review.total", total=s.total, level=t(lang, f"review.level.{level.value}"),
             why=t(lang, f"review.why.{why}", excellent=th[Level.excellent], good=th[Level.good],
                   done=th[Level.done]))


def _head(lang: str, s: Sheet) -> list[str]:
    lines = [t(lang, "review.head", year=s.round.year, name=esc(s.full_name))]
    if s.proxy:
        lines.append(t(lang, "review.proxy_mark"))
    return lines


def _nav(lang: str, s: Sheet, step: str, forward: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if (before := _before(s, step)) is not None:
        row.append(InlineKeyboardButton(t(lang, "steps.back"), callback_data=btn.STEP.data(s.entry.id, before)))
    if forward:
        row.append(InlineKeyboardButton(t(lang, "review.button.next"),
                                        callback_data=btn.STEP.data(s.entry.id, _next(s, step))))
    return row


def _group_screen(lang: str, s: Sheet, n: int) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    g = s.groups[n]
    value = int((s.entry.points or {}).get(g.id, 0))
    lines = [t(lang, "review.group_step", n=n + 1, count=len(s.groups), group=t(lang, f"review.group.{g.id}")),
             t(lang, "review.points", points=value, max=g.max), level_line(lang, s)]

    def press(delta: int, key: str) -> InlineKeyboardButton:
        to = value + delta
        data = btn.POINTS.data(s.entry.id, n, to) if 0 <= to <= g.max else NOOP.data()  # clamped: inert
        return InlineKeyboardButton(t(lang, key), callback_data=data)

    return lines, [[press(-1, "review.button.minus"), press(1, "review.button.plus")]]


def _conditions_screen(lang: str, s: Sheet) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    held = set(s.entry.conditions or ())
    lines = [t(lang, "review.conditions", excellent=s.rules.thresholds[Level.excellent]), level_line(lang, s)]
    rows = []
    for n, name in enumerate(s.rules.excellent_conditions):
        on = name in held
        label = t(lang, "review.button.cond_on" if on else "review.button.cond_off",
                  what=t(lang, f"review.condition.{name}"))
        rows.append([InlineKeyboardButton(label, callback_data=btn.COND.data(s.entry.id, n, "n" if on else "y"))])
    return lines, rows


def summary(lang: str, s: Sheet) -> list[str]:
    """What the member sends: the form, each group's points, the level, the three texts."""
    lines = [t(lang, "review.form_line", form=s.entry.form.value, name=t(lang, f"review.form.{s.entry.form.value}"))]
    points = s.entry.points or {}
    lines += [t(lang, "review.summary_group", group=t(lang, f"review.group.{g.id}"), points=points.get(g.id, 0),
                max=g.max) for g in s.groups]
    lines.append(level_line(lang, s))
    for name in TEXTS:
        lines.append(t(lang, f"review.text_label.{name}") + ": " + answer_text(lang, s, name))
    return lines


def answer_text(lang: str, s: Sheet, name: str) -> str:
    """What the member answered: the text, "🎤 ghi âm (0:42)", or "không có ý kiến thêm"."""
    if (voice := s.entry.voice(name)) is not None:
        return t(lang, "review.voice_answer", time=minutes_seconds(voice[1]))
    said = getattr(s.entry, name)
    return esc(said) if said else t(lang, "review.text_none")


def voice_buttons(lang: str, s: Sheet) -> list[list[InlineKeyboardButton]]:
    """▶ Nghe ghi âm: each answer given as a voice message, re-sent by its file_id."""
    return [[InlineKeyboardButton(t(lang, "review.button.voice", what=t(lang, f"review.text_label.{name}")),
                                  callback_data=btn.VOICE.data(s.entry.id, n))]
            for n, name in enumerate(TEXTS) if s.entry.voice(name) is not None]


def _text_screen(lang: str, s: Sheet, n: int) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    name = TEXTS[n]
    said, voice = getattr(s.entry, name), s.entry.voice(name)
    lines = [t(lang, "review.text_step", n=n + 1, count=len(TEXTS), what=t(lang, f"review.text_label.{name}")),
             t(lang, f"review.text_hint.{name}")]
    if said or voice:
        lines.append(t(lang, "review.text_now", text=answer_text(lang, s, name)))
    else:
        lines.append(t(lang, "review.text_ask", limit=s.rules.text_max))
    lines.append(t(lang, "review.voice_hint", minutes=review.VOICE_MAX_SECONDS // 60))
    rows = [[InlineKeyboardButton(t(lang, "review.button.no_more"), callback_data=btn.NO_MORE.data(s.entry.id, n))]]
    if voice:
        rows += [row for row in voice_buttons(lang, s) if row[0].callback_data == btn.VOICE.data(s.entry.id, n)]
    return lines, rows


def record_line(lang: str, year: int, r: YearRecord | None) -> list[str]:
    """The year as the handbook recorded it, for reference (the points are not changed from it)."""
    if r is None or not (r.meetings or r.to_study):
        return []
    return [t(lang, "review.record", year=year, attended=r.attended, meetings=r.meetings, studied=r.studied,
              to_study=r.to_study)]


def screen(lang: str, s: Sheet, step: str, record: YearRecord | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of one step of this entry (the year's record on the first)."""
    lines, rows = _head(lang, s), []
    forward = True
    if step == "i":
        lines += [*summary(lang, s)[:1], t(lang, "review.deadline", day=fmt_date(s.round.self_deadline)),
                  *record_line(lang, s.round.year, record), t(lang, "review.intro", count=len(s.groups))]
        rows = [[InlineKeyboardButton(t(lang, "review.button.begin"), callback_data=btn.STEP.data(s.entry.id, "g0"))]]
        forward = False
    elif step.startswith("g"):
        more, rows = _group_screen(lang, s, int(step[1:]))
        lines += more
    elif step == "c":
        more, rows = _conditions_screen(lang, s)
        lines += more
    elif step.startswith("t"):
        more, rows = _text_screen(lang, s, int(step[1:]))
        lines += more
        forward = bool(getattr(s.entry, TEXTS[int(step[1:])]) or s.entry.voice(TEXTS[int(step[1:])]))
    else:  # the preview
        lines += [t(lang, "review.preview"), *summary(lang, s), t(lang, "review.preview_send")]
        rows = [[InlineKeyboardButton(t(lang, "review.button.send"), callback_data=btn.SEND.data(s.entry.id))]]
        forward = False
    rows.append([InlineKeyboardButton(t(lang, "listen.button"), callback_data=btn.HEAR.data(s.entry.id, step))])
    if nav := _nav(lang, s, step, forward):
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def form_button(lang: str, entry_id: int) -> list[InlineKeyboardButton]:
    """📄 The sent form as a Word file (handlers/review/documents.py)."""
    return [InlineKeyboardButton(t(lang, "review.button.form_doc"), callback_data=btn.FORM_DOC.data(entry_id))]


def sent_markup(lang: str, s: Sheet) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([form_button(lang, s.entry.id)])


def sent_text(lang: str, s: Sheet) -> str:
    key = "review.sent_proxy" if s.entry.by_proxy else "review.sent"
    return "\n".join([*_head(lang, s), t(lang, key, day=fmt_date(s.entry.submitted_at)), *summary(lang, s)])


# --- the handlers -----------------------------------------------------------------------------------------------
async def refused(turn: Turn, exc: ReviewError, what: str) -> None:
    """A refusal said in the member's language (a forged or foreign button: refused and recorded)."""
    if exc.reason == "not_allowed":
        await refuse(turn, what)
    else:
        turn.answer(turn.t(f"review.refused.{exc.reason}"), alert=True)
        if turn.update.callback_query is None:
            turn.reply(turn.t(f"review.refused.{exc.reason}"))


async def attempt(turn: Turn, action: Awaitable[T], what: str) -> T | None:
    """What models/review gives, or None once its refusal is said (see refused; recorded as `what`)."""
    try:
        return await action
    except ReviewError as exc:
        await refused(turn, exc, what)
        return None


async def show(turn: Turn, s: Sheet, step: str, *, edit: bool = True) -> Any:
    """Put the step's screen (in place, or a new message); the conversation waits for text on a text step."""
    record = await review.year_record(turn.session, s.entry.member_id, s.round.year) if step == "i" else None
    text, markup = screen(turn.lang, s, step, record)
    turn.edit(text, markup) if edit else turn.reply(text, markup)
    writing = (s.entry.id, int(step[1:])) if step.startswith("t") else None
    settle(turn, lambda data: data.update({TYPED: writing}) if writing else data.pop(TYPED, None))
    return WRITING if writing else ConversationHandler.END


def _fields(turn: Turn, codec) -> tuple | None:
    return codec.parse(turn.update.callback_query.data)


async def _acting(turn: Turn, codec, what: str, act: Callable[..., Awaitable[Sheet]]) -> tuple[Sheet, tuple] | None:
    """The button's fields and the entry after `act` (models/review checks whose, the deadline, the lock)."""
    fields = _fields(turn, codec)
    try:
        if fields is None:
            raise ReviewError("not_allowed")
        return await act(turn.session, turn.actor, *fields), fields
    except ReviewError as exc:
        await refused(turn, exc, what)
        return None


async def _open_sheet(turn: Turn, entry_id: int, what: str, *, edit: bool) -> Any:
    s = await attempt(turn, review.sheet(turn.session, turn.actor, entry_id), what)
    if s is None:
        return ConversationHandler.END
    if s.entry.submitted:
        markup = sent_markup(turn.lang, s)
        turn.edit(sent_text(turn.lang, s), markup) if edit else turn.reply(sent_text(turn.lang, s), markup)
        return ConversationHandler.END
    try:
        review.check_open(s)
    except ReviewError as exc:
        await refused(turn, exc, what)
        return ConversationHandler.END
    return await show(turn, s, "i", edit=edit)


def _opening(codec, what: str):
    """📝 Tự kiểm điểm (the member's own) or ✍️ Làm thay (by proxy): the entry's first screen, a new message."""

    async def opened(turn: Turn):
        fields = _fields(turn, codec)
        if fields is None:
            await refuse(turn, what)
            return ConversationHandler.END
        return await _open_sheet(turn, fields[0], what, edit=False)

    return named_handler(what, opened)


start_pressed = _opening(btn.START, "review_start")
proxy_pressed = _opening(btn.PROXY, "review_proxy")


@member_handler
async def step_pressed(turn: Turn):
    async def goes(session, actor, entry_id, step):
        return await review.editable(session, actor, entry_id)

    done = await _acting(turn, btn.STEP, "review_step", goes)
    if done is None:
        return ConversationHandler.END
    s, (_entry_id, step) = done
    if step not in screens(s):
        await refuse(turn, "review_step")
        return ConversationHandler.END
    return await show(turn, s, step)


@member_handler
async def points_pressed(turn: Turn):
    done = await _acting(turn, btn.POINTS, "review_points", review.set_points)
    return ConversationHandler.END if done is None else await show(turn, done[0], f"g{done[1][1]}")


@member_handler
async def cond_pressed(turn: Turn):
    async def states(session, actor, entry_id, n, choice):
        return await review.set_condition(session, actor, entry_id, n, choice == "y")

    done = await _acting(turn, btn.COND, "review_condition", states)
    return ConversationHandler.END if done is None else await show(turn, done[0], "c")


@member_handler
async def no_more_pressed(turn: Turn):
    async def clears(session, actor, entry_id, n):
        if n >= len(TEXTS):
            raise ReviewError("not_allowed")
        return await review.set_text(session, actor, entry_id, TEXTS[n], None)

    done = await _acting(turn, btn.NO_MORE, "review_text", clears)
    return ConversationHandler.END if done is None else await show(turn, done[0], _next(done[0], f"t{done[1][1]}"))


@member_handler
async def got_text(turn: Turn):
    entry_id, n = turn.context.user_data.get(TYPED) or (0, 0)
    try:
        s = await review.set_text(turn.session, turn.actor, entry_id, TEXTS[n], turn.text)
    except ReviewError as exc:
        if exc.reason == "text_long":
            turn.reply(turn.t("review.refused.text_long", limit=review.rules().text_max, count=len(turn.text)))
            return WRITING
        await refused(turn, exc, "review_text")
        return ConversationHandler.END
    turn.reply(turn.t("review.text_kept"))
    return await show(turn, s, _next(s, f"t{n}"), edit=False)


@member_handler
async def hear_pressed(turn: Turn):
    """🔊 Nghe: the step's text (the group and its points, the question) as a voice note under the screen, which
    stays as it is. Anyone who may open the entry may hear any of its steps, sent or not."""
    fields = _fields(turn, btn.HEAR)
    try:
        if fields is None:
            raise ReviewError("not_allowed")
        s = await review.sheet(turn.session, turn.actor, fields[0])
    except ReviewError as exc:
        await refused(turn, exc, "review_hear")
        return
    step = fields[1]
    if step not in screens(s):
        await refuse(turn, "review_hear")
        return
    record = await review.year_record(turn.session, s.entry.member_id, s.round.year) if step == "i" else None
    text, _markup = screen(turn.lang, s, step, record)
    head = t(turn.lang, "listen.caption", title=t(turn.lang, "review.hear_caption", year=s.round.year))
    if await speak_to(turn, speech_of(turn.context), plain(text), turn.lang,
                      lambda total: part_captions(turn.lang, head, total)[0]):
        turn.answer(turn.t("listen.preparing"))


def _seconds(voice) -> int:
    return int(voice.to_dict().get("duration") or 0)  # whole seconds as Telegram sent them (PTB's type is changing)


@member_handler
async def got_voice(turn: Turn):
    """A voice message on a text step: kept as the answer (its file_id and length), the next step shown."""
    entry_id, n = turn.context.user_data.get(TYPED) or (0, 0)
    voice = turn.update.effective_message.voice
    seconds = _seconds(voice)
    try:
        s = await review.set_voice(turn.session, turn.actor, entry_id, TEXTS[n], voice.file_id, seconds)
    except ReviewError as exc:
        if exc.reason == "voice_long":
            turn.reply(turn.t("review.refused.voice_long", time=minutes_seconds(seconds),
                              minutes=review.VOICE_MAX_SECONDS // 60))
            return WRITING
        await refused(turn, exc, "review_voice")
        return ConversationHandler.END
    turn.reply(turn.t("review.voice_kept", time=minutes_seconds(seconds)))
    return await show(turn, s, _next(s, f"t{n}"), edit=False)


def not_taken(key: str, state: int) -> Any:
    """A message of a kind not taken where `state` waits for one (a photo, a sticker, a file…): said (`key`),
    still waiting."""

    async def answered(turn: Turn):
        turn.reply(turn.t(key))
        return state

    return named_handler(f"review_not_taken_{state}", answered)


got_other = not_taken("review.refused.not_text", WRITING)  # a text or a voice message is asked


@member_handler
async def voice_pressed(turn: Turn):
    """▶ Nghe ghi âm: a voice answer re-sent by its file_id (to the member, the proxy, the cell's officers and
    the committees above it: models/review says who)."""
    fields = _fields(turn, btn.VOICE)
    try:
        if fields is None or fields[1] >= len(TEXTS):
            raise ReviewError("not_allowed")
        s, (file_id, seconds) = await review.voice_answer(turn.session, turn.actor, fields[0], TEXTS[fields[1]])
    except ReviewError as exc:
        await refused(turn, exc, "review_voice")
        return
    caption = t(turn.lang, "review.voice_caption", name=esc(s.full_name), year=s.round.year,
                what=t(turn.lang, f"review.text_label.{TEXTS[fields[1]]}"))
    bot, chat_id, sessionmaker = turn.context.bot, turn.chat_id, turn.services.sessionmaker
    call = ("sendVoice", {"voice": file_id, "caption": caption, "parse_mode": "HTML", "duration": max(1, seconds)})
    turn.answer()
    turn.later(lambda: send_calls(bot, sessionmaker, chat_id, [call]))


@member_handler
async def send_pressed(turn: Turn):
    done = await _acting(turn, btn.SEND, "review_send", review.submit)
    if done is None:
        return ConversationHandler.END
    turn.edit(sent_text(turn.lang, done[0]), sent_markup(turn.lang, done[0]))
    return ConversationHandler.END
