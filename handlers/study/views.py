"""What members see of a study item: the card the outbox brings ("📖 Học tập: <title>, hạn <date>") with
📄 Xem văn bản, 📖 Đã học, ▶ Làm bài kiểm tra and ✍ Nộp bài thu hoạch (and the day-before reminder with the same
buttons); the quiz, one Telegram quiz poll a question (non-anonymous, so the answer comes back as a poll_answer), the
score at the end with 🔁 Làm lại; the essay, handed in and reviewed; and /report's part, per cell, with its chart.

A poll is sent after the turn's commit and its id noted at once (models.study.poll_sent), still inside the turn's
replies: the member's next update — their answer — waits for them (handlers/state.py holds one person's updates
in order), so an answer always finds its poll. With several instances, an answer reaching another instance in the
milliseconds between Telegram's reply to sendPoll and that note would be ignored; ▶ or 🔁 on the card starts again.
"""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import accounts, study
from models.db import transaction
from models.study import Answered, Asked, EssayState, Studied, StudyError

from .. import charts
from ..i18n import fmt_date, fmt_number, t
from ..live_status import tell_outbox
from ..notices.render import notice_calls, send_calls
from ..render import CAPTION_LIMIT, picture, send_pictures, visible_length
from ..steps import refuse, settle, tell_refusal
from ..turn import Turn, bot_api, esc, handler, member_handler
from . import buttons as btn

Call = tuple[str, dict]
POLL_QUESTION_MAX = 300  # Telegram's limit, the "3/10. " before the question included
CELLS_SHOWN = 30


# --- the card ----------------------------------------------------------------------------------------------------
def card_markup(lang: str, study_id: int, questions: int, *, essay: bool, studied: bool = False,
                taken: bool = False, essay_done: bool = False) -> dict:
    rows = [[InlineKeyboardButton(t(lang, "study.button.open"), callback_data=btn.OPEN.data(study_id))]]
    if not studied:
        rows.append([InlineKeyboardButton(t(lang, "study.button.studied"), callback_data=btn.STUDIED.data(study_id))])
    if questions:
        key = "study.button.retake" if taken else "study.button.start"
        rows.append([InlineKeyboardButton(t(lang, key, count=questions), callback_data=btn.START.data(study_id))])
    if essay and not essay_done:
        rows.append([InlineKeyboardButton(t(lang, "study.button.essay"), callback_data=btn.ESSAY.data(study_id))])
    return InlineKeyboardMarkup(rows).to_dict()


def card_text(lang: str, item: study.StudyItem, questions: int, *, excused: bool = False) -> str:
    """The card; `excused`: to a member excused from the essay by age (models.study.excuses)."""
    lines = [t(lang, "study.card", title=esc(item.notice.title), date=fmt_date(item.deadline)),
             t(lang, "study.card_from", unit=esc(item.unit.name))]
    lines.append(t(lang, "study.card_quiz", count=questions) if questions else t(lang, "study.card_no_quiz"))
    if item.essay_required:
        lines.append(t(lang, "study.card_essay_excused", age=item.essay_excused_age)
                     if excused and item.essay_excused_age else t(lang, "study.card_essay"))
    return "\n".join(lines)


async def _card_calls(session: AsyncSession, study_id: int, lang: str, reminder: bool,
                      excused: bool = False) -> list[Call]:
    item = await study.get_study(session, study_id)
    if item is None:
        return []
    questions = await study.question_count(session, study_id)
    text = (t(lang, "study.reminder", title=esc(item.notice.title), date=fmt_date(item.deadline)) if reminder
            else card_text(lang, item, questions, excused=excused))
    return [("sendMessage", {"text": text, "parse_mode": "HTML",
                             "reply_markup": card_markup(lang, study_id, questions, essay=item.essay_required)})]


async def render_study(session: AsyncSession, study_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The outbox's renderer: the card, to each member of the unit."""
    return await _card_calls(session, study_id, lang, reminder=False)


async def render_study_excused(session: AsyncSession, study_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The outbox's renderer: the card, to each member excused from its essay by age — saying so (they may still
    hand one in: ✍ stays)."""
    return await _card_calls(session, study_id, lang, reminder=False, excused=True)


async def render_reminder(session: AsyncSession, study_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The outbox's renderer: the day before the deadline, to who has not finished — the card's buttons again."""
    return await _card_calls(session, study_id, lang, reminder=True)


async def _card(turn: Turn) -> study.Card | None:
    """The pressed card's study item, when it was given to the presser; else refused and None."""
    data = turn.update.callback_query.data
    ids = next((fields for codec in (btn.OPEN, btn.STUDIED, btn.START, btn.ESSAY)
                if (fields := codec.parse(data)) is not None), None)
    card = await study.member_card(turn.session, ids[0], turn.actor.member_id) if ids else None
    if card is None:
        await refuse(turn, "study_card")
    return card


@member_handler
async def open_pressed(turn: Turn):
    card = await _card(turn)
    if card is not None:  # the document itself, without its own ✅ Đã đọc: studying it is what this card asks
        send_calls(turn, notice_calls(card.item.notice, turn.lang, turn.services.timezone, read=True,
                                      studied=True))


@member_handler
async def studied_pressed(turn: Turn):
    card = await _card(turn)
    if card is None:
        return
    result = await study.mark_studied(turn.session, card.item.id, turn.actor.member_id)
    turn.answer(turn.t("study.studied_thanks" if result is Studied.recorded else "study.studied_already"))
    turn.edit_buttons(InlineKeyboardMarkup.de_json(
        card_markup(turn.lang, card.item.id, card.questions, essay=card.item.essay_required, studied=True,
                    taken=card.attempts > 0, essay_done=card.essay is EssayState.received),
        turn.context.bot))


# --- the quiz --------------------------------------------------------------------------------------------------------
def send_question(turn: Turn, asked: Asked) -> None:
    """After the commit: the question as a quiz poll, and its poll id noted."""
    bot, chat_id, sessionmaker = turn.context.bot, turn.chat_id, turn.services.sessionmaker
    head = f"{asked.number}/{asked.total}. "
    text = head + asked.text
    if len(text) > POLL_QUESTION_MAX:
        text = text[:POLL_QUESTION_MAX - 1] + "…"
    params: dict = {"chat_id": chat_id, "question": text, "options": [{"text": o} for o in asked.options],
                    "type": "quiz", "is_anonymous": False, "correct_option_ids": [asked.correct]}
    if asked.explanation:
        params["explanation"] = asked.explanation

    async def send() -> None:
        message = await bot_api(bot, "sendPoll", params)
        async with transaction(sessionmaker) as session:
            await study.poll_sent(session, message["poll"]["id"], asked)

    turn.later(send)


@member_handler
async def start_pressed(turn: Turn):
    card = await _card(turn)
    if card is None:
        return
    try:
        asked = await study.start_attempt(turn.session, card.item.id, turn.actor.member_id)
    except StudyError as exc:
        turn.answer(turn.t(f"study.error.{exc.reason}"), alert=True)
        return
    turn.answer()
    turn.reply(turn.t("study.quiz_intro", title=esc(card.item.notice.title), count=asked.total))
    send_question(turn, asked)


@handler
async def poll_answered(turn: Turn):
    """A poll_answer: recorded when it answers a quiz poll we sent this member; the next question, or the score."""
    answer = turn.update.poll_answer
    result = await study.answer_poll(turn.session, answer.poll_id, turn.actor.member_id, list(answer.option_ids))
    if result.outcome is Answered.next and result.asked is not None:
        send_question(turn, result.asked)
    elif result.outcome is Answered.finished:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            turn.t("study.button.retake", count=result.total), callback_data=btn.START.data(result.study_id))]])
        turn.reply(turn.t("study.quiz_done", score=result.score, total=result.total, best=result.best), markup)


# --- /report's part --------------------------------------------------------------------------------------------------
def _average(lang: str, value: float | None) -> str:
    return "—" if value is None else fmt_number(lang, round(value, 1))


async def report_study(turn: Turn) -> None:
    """/report's part: each study item given to members of the officer's units (deadline not long past), per cell
    of theirs: studied, took the quiz, the average best score."""
    for p in await study.study_progress(turn.session, turn.actor):
        item = p.item
        lines = [turn.t("study.report_head", title=esc(item.notice.title), date=fmt_date(item.deadline),
                        unit=esc(item.unit.name))]
        for c in p.cells[:CELLS_SHOWN]:
            line = turn.t("study.report_cell", cell=esc(c.cell), studied=c.studied, members=c.members)
            if p.questions:
                line += turn.t("study.report_quiz", taken=c.taken, members=c.members,
                               average=_average(turn.lang, c.average), total=p.questions)
            if item.essay_required:
                line += turn.t("study.report_essay", essays=c.essays, base=c.essay_base, received=c.received)
                if c.excused:
                    line += turn.t("study.report_excused", count=c.excused)
            lines.append(line)
        if len(p.cells) > CELLS_SHOWN:
            lines.append(turn.t("study.report_more", count=len(p.cells) - CELLS_SHOWN))
        turn.reply("\n".join(lines))
        _send_chart(turn, p)


def study_chart(p: study.StudyProgress, lang: str) -> list[bytes]:
    """Per cell: the share who studied, the average best score over the questions, the essays handed in."""
    bars = []
    for c in p.cells[:CELLS_SHOWN]:
        bars.append(charts.Bar(t(lang, "study.chart.studied", cell=c.cell), f"{c.studied}/{c.members}",
                               c.studied / c.members if c.members else 0, charts.GREEN))
        if p.questions:
            bars.append(charts.Bar(t(lang, "study.chart.score", cell=c.cell),
                                   f"{_average(lang, c.average)}/{p.questions}", (c.average or 0) / p.questions,
                                   charts.PALETTE[3]))
        if p.item.essay_required:
            bars.append(charts.Bar(t(lang, "study.chart.essays", cell=c.cell), f"{c.essays}/{c.essay_base}",
                                   c.essays / c.essay_base if c.essay_base else 0, charts.AMBER))
    return charts.percent_bars(title=t(lang, "study.chart.title", title=p.item.notice.title),
                               axis=t(lang, "study.chart.axis"), bars=bars,
                               note=t(lang, "study.chart.note", date=fmt_date(p.item.deadline)))


def _send_chart(turn: Turn, p: study.StudyProgress) -> None:
    """After the commit, the chart (a chart that cannot be drawn never holds the text back: it went first)."""
    bot, chat_id, lang = turn.context.bot, turn.chat_id, turn.lang
    caption = t(lang, "study.chart.caption", title=esc(p.item.notice.title))

    async def send() -> None:
        await send_pictures(bot, chat_id, await picture("study", study_chart, p, lang), f"hoc-tap-{p.item.id}",
                            caption)

    turn.later(send)


# --- essays (bài thu hoạch) --------------------------------------------------------------------------------------------
ESSAY_WAIT = 0
ESSAY_FOR = "study_essay"  # user_data: the study item whose essay is awaited


@member_handler
async def essay_pressed(turn: Turn):
    """✍ Nộp bài thu hoạch: the next message (typed, a file, a photo, a voice message) is the essay."""
    card = await _card(turn)
    if card is None:
        return ConversationHandler.END
    if not card.item.essay_required or card.essay is EssayState.received:
        turn.answer(turn.t("study.error.no_essay" if not card.item.essay_required else "study.error.essay_received"),
                    alert=True)
        return ConversationHandler.END
    study_id = card.item.id
    settle(turn, lambda data: data.__setitem__(ESSAY_FOR, study_id))
    turn.answer()
    turn.reply(turn.t("study.ask_essay_text", title=esc(card.item.notice.title)), InlineKeyboardMarkup(
        [[InlineKeyboardButton(turn.t("steps.cancel"), callback_data=btn.ESSAY_QUIT.data())]]))
    return ESSAY_WAIT


def _essay_of(message) -> tuple[str, str | None, str | None, str | None]:
    """(kind, text, file_id, file_name) of what the member sent."""
    if message.document is not None:
        return "document", message.caption, message.document.file_id, message.document.file_name
    if message.photo:
        return "photo", message.caption, message.photo[-1].file_id, None
    if message.voice is not None:
        return "voice", message.caption, message.voice.file_id, None
    return "text", message.text, None, None


@member_handler
async def got_essay(turn: Turn):
    study_id = turn.context.user_data.get(ESSAY_FOR)
    kind, text, file_id, file_name = _essay_of(turn.update.effective_message)
    try:
        await study.submit_essay(turn.session, study_id or 0, turn.actor.member_id, kind=kind, text=text,
                                 file_id=file_id, file_name=file_name)
    except StudyError as exc:
        turn.reply(turn.t(f"study.error.{exc.reason}"))
        if exc.reason in ("essay_empty", "essay_long"):
            return ESSAY_WAIT  # send it again
        settle(turn, lambda data: data.pop(ESSAY_FOR, None))
        return ConversationHandler.END
    settle(turn, lambda data: data.pop(ESSAY_FOR, None))
    turn.reply(turn.t("study.essay_sent"))
    tell_outbox(turn, study.ESSAY_DELIVERY, wake=True)
    return ConversationHandler.END


@member_handler
async def essay_expected(turn: Turn):
    turn.reply(turn.t("study.essay_expected"))
    return ESSAY_WAIT


@member_handler
async def essay_quit(turn: Turn):
    settle(turn, lambda data: data.pop(ESSAY_FOR, None))
    turn.edit(turn.t("cancel.done"))
    return ConversationHandler.END


async def render_essay(session: AsyncSession, essay_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The outbox's renderer: a member's essay, to the officer who gave the item, with ✅ Đã nhận / ↩ Yêu cầu làm lại."""
    view = await study.essay_view(session, essay_id)
    if view is None:
        return []
    essay = view.essay
    head = t(lang, "study.essay_head", name=esc(view.member_name), cell=esc(view.cell), title=esc(view.title))
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(t(lang, "study.button.received"), callback_data=btn.RECEIVED.data(essay.id)),
        InlineKeyboardButton(t(lang, "study.button.redo"), callback_data=btn.REDO.data(essay.id))]]).to_dict()
    if essay.kind == "text":
        return [("sendMessage", {"text": f"{head}\n\n{esc(essay.text)}", "parse_mode": "HTML", "reply_markup": markup})]
    caption = f"{head}\n\n{esc(essay.text)}" if essay.text else head
    if visible_length(caption) > CAPTION_LIMIT:
        caption = head
    return [(f"send{essay.kind.title()}", {essay.kind: essay.file_id, "caption": caption, "parse_mode": "HTML",
                                           "reply_markup": markup})]


async def _reviewed(turn: Turn, codec, received: bool) -> None:
    ids = codec.parse(turn.update.callback_query.data)
    try:
        result = await study.review_essay(turn.session, turn.actor, ids[0] if ids else 0, received=received)
    except StudyError as exc:
        await tell_refusal(turn, exc.reason, "study_essay_review", "study.error")
        return
    turn.answer(turn.t("study.essay_marked_received" if received else "study.essay_marked_redo"))
    turn.edit_buttons(None)
    if result.changed and result.member_chat_id is not None:
        lang = await accounts.language_of_user(turn.session, result.member_chat_id) or turn.lang
        if received:
            turn.send_to(result.member_chat_id, t(lang, "study.essay_received", title=esc(result.title)))
        else:
            turn.send_to(result.member_chat_id, t(lang, "study.essay_redo", title=esc(result.title)),
                         InlineKeyboardMarkup([[InlineKeyboardButton(
                             t(lang, "study.button.essay_again"),
                             callback_data=btn.ESSAY.data(result.essay.study_id))]]))


@member_handler
async def received_pressed(turn: Turn):
    await _reviewed(turn, btn.RECEIVED, True)


@member_handler
async def redo_pressed(turn: Turn):
    await _reviewed(turn, btn.REDO, False)
