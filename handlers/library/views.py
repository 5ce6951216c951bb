"""🔎 Hỏi đáp and /ask: the three passages of the library that best answer a question, among the documents
the member may see; /documents words: the passages holding every word. 🔊 Nghe reads a passage aloud;
nothing found, the question can go to the secretary as feedback (handlers/feedback's draft card)."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import library
from models.feedback import Draft, FeedbackKind
from models.library import QUERY_CHARS

from ..keyboards import list_markup
from ..listen import notice_language, part_captions, speak_to, speech_of, spoken_text
from ..steps import parse_or_refuse, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .render import hit_rows, hits_text

QUESTION = 0
ANSWERS = 3
ASKED = "library_question"  # the last question nothing answered: what 📨 sends
FOUND_PAGE = 5  # passages a page of /documents words shows


async def answer(turn: Turn, question: str) -> None:
    question = question[:QUERY_CHARS]
    hits = await library.search(turn.session, turn.actor.member_id, question, any_word=True, limit=ANSWERS)
    shown = esc(question if len(question) <= 200 else question[:199] + "…")
    if not hits:
        turn.settle(lambda memory: memory.__setitem__(ASKED, question))
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            turn.t("library.button.to_secretary"), callback_data=btn.TO_SECRETARY.data("send"))]])
        turn.reply(turn.t("library.not_found", question=shown), markup)
        return
    text = turn.t("library.answers", question=shown) + "\n\n" + hits_text(turn.lang, turn.services.timezone, hits)
    turn.reply(text, InlineKeyboardMarkup(hit_rows(turn.lang, hits)))


@member_handler
async def ask_command(turn: Turn):
    """/ask question: answered at once; /ask or 🔎 Hỏi đáp alone: the question is asked for."""
    question = turn.args if turn.text.startswith("/") else ""
    if question:
        await answer(turn, question)
        return ConversationHandler.END
    turn.reply(turn.t("library.ask"))
    return QUESTION


@member_handler
async def got_question(turn: Turn):
    await answer(turn, turn.text)
    return ConversationHandler.END


@member_handler
async def hear_passage(turn: Turn):
    fields = await parse_or_refuse(turn, btn.HEAR, "library_listen")
    if fields is None:
        return
    found = await library.visible_passage(turn.session, turn.actor.member_id, fields[0])
    if found is None:
        await refuse(turn, "library_listen")
        return
    passage, notice = found
    head = turn.t("listen.caption", title=esc(notice.title))
    lang = await notice_language(turn.session, notice, turn.services.default_language)  # the document's language
    if await speak_to(turn, speech_of(turn.context), spoken_text(notice.title, passage.text),
                      lang, lambda total: part_captions(turn.lang, head, total)[0]):
        turn.answer(turn.t("listen.preparing"))


@member_handler
async def to_secretary(turn: Turn):
    """📨 under "nothing found": the question becomes a feedback draft (its card: about what, named or not, send)."""
    from ..feedback.member import take_draft

    question = turn.context.user_data.get(ASKED)
    if not question:
        turn.answer(turn.t("library.expired"), alert=True)
        return
    turn.settle(lambda memory: memory.pop(ASKED, None))  # sent once
    turn.edit_buttons(None)
    await take_draft(turn, Draft(FeedbackKind.text, body=question))


async def show_found(turn: Turn, query: str, page: int, codec, *, edit: bool) -> None:
    """/documents words: a page of the passages that hold every word, best first."""
    hits = await library.search(turn.session, turn.actor.member_id, query, limit=FOUND_PAGE + 1,
                                offset=page * FOUND_PAGE)
    shown, more = hits[:FOUND_PAGE], len(hits) > FOUND_PAGE
    if not shown:
        text, markup = turn.t("documents.not_found", query=esc(query)), None
    else:
        first = page * FOUND_PAGE + 1
        text = (turn.t("library.found", query=esc(query)) + "\n\n"
                + hits_text(turn.lang, turn.services.timezone, shown, first))
        total = page * FOUND_PAGE + len(shown) + (1 if more else 0)  # the pager needs only "is there more"
        markup = list_markup(hit_rows(turn.lang, shown, first), codec, page, total, FOUND_PAGE, turn.lang)
    turn.edit(text, markup) if edit else turn.reply(text, markup)
