"""🔎 Hỏi đáp and /ask: the three passages of the library that best answer a question, among the documents
the member may see; /documents words: the passages holding every word. 🔊 Nghe reads a passage aloud;
nothing found, the question can go to the secretary as feedback (handlers/feedback's draft card). With a
language model configured (HANDBOOK_LLM_URL), its short answer from the three passages, checked by
models.library.answers, is shown above them as the machine's; refused or failed, the passages alone."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import library
from models.feedback import Draft, FeedbackKind
from models.library import QUERY_CHARS, Hit
from models.library.answers import Answer, Source, check, prompt

from ..drafting import ask_model, has_model, refused
from ..i18n import t
from ..keyboards import list_markup
from ..listen import notice_language, part_captions, speak_to, speech_of, spoken_text
from ..notices.render import local_day
from ..steps import parse_or_refuse, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .browse import browse_row
from .render import hit_rows, hits_text

QUESTION = 0
ANSWERS = 3
ASKED = "library_question"  # the last question nothing answered: what 📨 sends
ANSWERED = "library_answer"  # the model's last answer, what its 🔊 reads: {"n", "text", "lang"}
FOUND_PAGE = 5  # passages a page of /documents words shows


async def answer(turn: Turn, question: str) -> None:
    question = question[:QUERY_CHARS]
    hits = await library.search(turn.session, turn.actor.member_id, question, any_word=True, limit=ANSWERS)
    shown = esc(question if len(question) <= 200 else question[:199] + "…")
    to_secretary = [InlineKeyboardButton(turn.t("library.button.to_secretary"),
                                         callback_data=btn.TO_SECRETARY.data("send"))]
    if not hits:
        turn.settle(lambda memory: memory.__setitem__(ASKED, question))
        turn.reply(turn.t("library.not_found", question=shown), InlineKeyboardMarkup([to_secretary]))
        return
    said = await model_answer(turn, question, hits)
    head = turn.t("library.question", question=shown)
    if said is not None:  # the machine's answer between the question and the passages it comes from
        head += "\n\n" + (turn.t("library.model_not_found") if said.not_found
                           else turn.t("library.model_answer") + "\n" + esc(said.text)) + "\n"
    passages = hits_text(turn.lang, turn.services.timezone, hits)
    rows = hit_rows(turn.lang, hits)
    if said is not None and not said.not_found:  # 🔊 on the answer as on each passage
        rows.insert(0, await _hear_answer_row(turn, said, hits))
    if said is not None and said.not_found:  # the passages did not answer it: the secretary may
        turn.settle(lambda memory: memory.__setitem__(ASKED, question))
        rows.append(to_secretary)
    turn.reply(f"{head}\n{turn.t('library.passages')}\n\n{passages}", InlineKeyboardMarkup(rows))


async def _hear_answer_row(turn: Turn, said: Answer, hits: list[Hit]) -> list[InlineKeyboardButton]:
    """🔊 Nghe câu trả lời: the answer kept in the member's memory (the last one only) under a new number."""
    number = (turn.context.user_data.get(ANSWERED) or {}).get("n", 0) + 1
    kept = {"n": number, "text": said.spoken,  # read in the documents' language, as their passages
            "lang": await notice_language(turn.session, hits[0].notice, turn.services.default_language)}
    turn.settle(lambda memory: memory.__setitem__(ANSWERED, kept))
    return [InlineKeyboardButton(turn.t("library.button.listen_answer"), callback_data=btn.HEAR_ANSWER.data(number))]


async def model_answer(turn: Turn, question: str, hits: list[Hit]) -> Answer | None:
    """The configured language model's answer from these passages, checked (models.library.answers); None
    without a model, or when it failed, was slow, or answered in a way the check refuses."""
    if not has_model(turn):
        return None
    tz = turn.services.timezone
    sources = [Source(hit.text, hit.notice.title, hit.number, hit.section,
                      local_day(hit.dated, tz) if hit.dated else None) for hit in hits]
    reply = await ask_model(turn, prompt(question, sources))
    said = check(reply, len(sources)) if reply is not None else None
    if reply is not None and said is None:
        refused(turn)
    return said


@member_handler
async def ask_command(turn: Turn):
    """/ask question: answered at once; /ask or 🔎 Hỏi đáp alone: the question is asked for."""
    question = turn.args if turn.text.startswith("/") else ""
    if question:
        await answer(turn, question)
        return ConversationHandler.END
    turn.reply(turn.t("library.ask"), InlineKeyboardMarkup([browse_row(turn)]))
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
async def hear_answer(turn: Turn):
    """🔊 under the model's answer: read aloud, when it is still the member's last one."""
    fields = await parse_or_refuse(turn, btn.HEAR_ANSWER, "library_listen_answer")
    if fields is None:
        return
    kept = turn.context.user_data.get(ANSWERED) or {}
    if kept.get("n") != fields[0] or not kept.get("text"):
        turn.answer(turn.t("library.answer_expired"), alert=True)
        return
    head = turn.t("library.answer_caption")
    spoken = spoken_text(t(kept["lang"], "library.answer_spoken"), kept["text"])  # all in the voice's language
    if await speak_to(turn, speech_of(turn.context), spoken, kept["lang"], lambda total: part_captions(turn.lang, head, total)[0]):
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
