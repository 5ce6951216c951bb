"""/study (and 📖 Giao học tập on the panel): a committee officer or a secretary gives a document or resolution to
their unit's members to study — which document (one they sent or one their unit received), the deadline (the
calendar), the quiz's question bank as an XLSX or none, whether an essay (bài thu hoạch) is asked for and, when it is,
whether older members are excused from it (from 70, 75 or 80 at the deadline, or nobody), then ✅. Every question has
◀ Quay lại and ✖ Hủy (TRAIL).

The bank is read when it comes (its errors said at once, the step asked again) and again at ✅, from Telegram by
its file_id: the draft keeps the file, not a hundred questions.
"""
from __future__ import annotations

from datetime import date, timedelta

from telegram import InlineKeyboardButton
from telegram.ext import ConversationHandler

from models import accounts, clock, notices, study, units
from models.study import BankError, StudyError

from ..calendar import day_of, month_markup, month_of
from ..i18n import fmt_date
from ..live_status import tell_outbox
from ..notices.render import EMOJI, button_title
from ..steps import Trail, asked, chose, confirmed_draft, paged, refuse, show_step, tell_refusal
from ..turn import Turn, esc, member_handler
from . import buttons as btn

DRAFT = "study_draft"
DOC, DAY, BANK, ESSAY, CONFIRM, ESSAY_AGE = range(6)  # ESSAY_AGE last: kept conversations keep their numbers
PROBLEMS_SHOWN = 10


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _today(turn: Turn) -> date:
    return clock.now().astimezone(turn.services.timezone).date()


@member_handler
async def study_command(turn: Turn):
    unit = await study.study_unit(turn.session, turn.actor)
    if unit is None:
        await refuse(turn, "study")
        return ConversationHandler.END
    turn.context.user_data[DRAFT] = {"unit": unit.id}
    return await _ask_doc(turn)


async def _ask_doc(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    unit = await units.get_unit(turn.session, draft.get("unit"))
    docs = await study.eligible_documents(turn.session, turn.actor, unit) if unit else []
    if not docs:
        turn.reply(turn.t("study.no_documents"))
        return ConversationHandler.END
    draft["offered"] = [d.id for d in docs]
    rows = [[InlineKeyboardButton(f"{EMOJI[d.kind]} {button_title(d.title)}", callback_data=btn.DOC.data(d.id))]
            for d in docs]
    return TRAIL.ask(turn, DOC, turn.t("study.ask_document", unit=esc(unit.name)), rows, edit)


@member_handler
async def chose_doc(turn: Turn):
    ids = btn.DOC.parse(turn.update.callback_query.data)
    draft = _draft(turn)
    notice = await notices.get_notice(turn.session, ids[0]) if ids and ids[0] in draft.get("offered", []) else None
    if notice is None:
        await refuse(turn, "study_document")
        return DOC
    draft["notice"], draft["title"] = notice.id, notice.title
    turn.edit(turn.t("study.document_chosen", title=esc(notice.title)))
    return _ask_day(turn)


def _ask_day(turn: Turn, *, edit: bool = False, month: date | None = None):
    today, draft = _today(turn), _draft(turn)
    chosen = date.fromisoformat(draft["deadline"]) if "deadline" in draft else None
    markup = month_markup(turn.lang, month or chosen or today, today=today, day=btn.DAY, page=btn.MONTH, first=today,
                          last=today + timedelta(days=study.DEADLINE_MAX_DAYS),
                          extra_rows=[TRAIL.row(turn, DAY)])
    show_step(turn, asked(turn, "study.ask_deadline", chosen and turn.t("study.deadline_chosen",
                                                                       date=fmt_date(chosen))), markup, edit)
    return DAY


async def _show_month(turn: Turn, raw: str, *, edit: bool = True):
    month, today = month_of(raw), _today(turn)
    if month is None or not today.replace(day=1) <= month <= today + timedelta(days=study.DEADLINE_MAX_DAYS):
        turn.answer(turn.t("study.error.deadline_far"), alert=True)
        return DAY
    return _ask_day(turn, edit=edit, month=month)


month_pressed = paged(btn.MONTH, _show_month, "study_month")


@member_handler
async def chose_day(turn: Turn):
    fields = btn.DAY.parse(turn.update.callback_query.data)
    day = day_of(fields[0]) if fields else None
    if day is None:
        turn.answer(turn.t("error.bad_button"), alert=True)
        return DAY
    try:
        study.check_deadline(day, _today(turn))
    except StudyError as exc:
        turn.answer(turn.t(f"study.error.{exc.reason}"), alert=True)
        return DAY
    _draft(turn)["deadline"] = day.isoformat()
    turn.edit(turn.t("study.deadline_chosen", date=fmt_date(day)))
    return _ask_bank(turn)


def _ask_bank(turn: Turn, *, edit: bool = False):
    rows = [[InlineKeyboardButton(turn.t("study.button.no_quiz"), callback_data=btn.NO_QUIZ.data("skip"))]]
    return TRAIL.ask(turn, BANK, turn.t("study.ask_bank"), rows, edit)


def bank_error_text(turn: Turn, exc: BankError) -> str:
    if exc.code != "rows":
        return turn.t(f"study.bank.{exc.code}", limit=exc.limit)
    lines = [turn.t("study.bank.rows", count=exc.count)]
    lines += [turn.t("study.bank.row", row=p.row, reason=turn.t(f"study.row.{p.reason}"))
              for p in exc.problems[:PROBLEMS_SHOWN]]
    if exc.count > PROBLEMS_SHOWN:
        lines.append(turn.t("study.bank.more", count=exc.count - PROBLEMS_SHOWN))
    return "\n".join(lines)


async def _read_bank(turn: Turn, file_id: str) -> list[study.Question]:
    """The bank's questions, fetched from Telegram and read in a worker thread; raises BankError."""
    data = bytes(await (await turn.context.bot.get_file(file_id)).download_as_bytearray())
    return await study.load_bank(data)


@member_handler
async def got_bank(turn: Turn):
    document = turn.update.effective_message.document
    if document.file_size and document.file_size > study.BANK_MAX_BYTES:
        turn.reply(bank_error_text(turn, BankError("too_large", study.BANK_MAX_BYTES // (1024 * 1024))))
        return BANK
    try:
        questions = await _read_bank(turn, document.file_id)
    except BankError as exc:
        turn.reply(bank_error_text(turn, exc) + "\n\n" + turn.t("study.bank.again"))
        return BANK
    draft = _draft(turn)
    draft["bank"], draft["questions"] = document.file_id, len(questions)
    turn.reply(turn.t("study.bank_read", count=len(questions)))
    return _ask_essay(turn)


@member_handler
async def bank_expected(turn: Turn):
    turn.reply(turn.t("study.bank_expected"))
    return BANK


@member_handler
async def skipped_bank(turn: Turn):
    draft = _draft(turn)
    draft.pop("bank", None)
    draft["questions"] = 0
    turn.edit(turn.t("study.no_quiz_chosen"))
    return _ask_essay(turn)


def _ask_essay(turn: Turn, *, edit: bool = False):
    rows = [[InlineKeyboardButton(turn.t("study.button.essay_yes"), callback_data=btn.ESSAY_ASKED.data("1"))],
            [InlineKeyboardButton(turn.t("study.button.essay_no"), callback_data=btn.ESSAY_ASKED.data("0"))]]
    return TRAIL.ask(turn, ESSAY, turn.t("study.ask_essay"), rows, edit)


@member_handler
async def chose_essay(turn: Turn):
    draft = _draft(turn)
    if not chose(turn, btn.ESSAY_ASKED, draft, "essay",
                 lambda turn, value: turn.t("study.essay_chosen" if value == "1" else "study.no_essay_chosen")):
        return ESSAY
    if draft["essay"] == "1":
        return _ask_essay_age(turn)
    draft.pop("essay_age", None)
    return await _preview(turn)


def _essay_age_said(turn: Turn, value: str) -> str:
    return turn.t("study.essay_age_chosen", age=value) if value != "0" else turn.t("study.no_essay_age_chosen")


def _ask_essay_age(turn: Turn, *, edit: bool = False):
    rows = [[InlineKeyboardButton(turn.t("study.button.essay_age", age=age),
                                  callback_data=btn.ESSAY_AGE.data(str(age))) for age in study.ESSAY_EXCUSED_AGES],
            [InlineKeyboardButton(turn.t("study.button.no_essay_age"), callback_data=btn.ESSAY_AGE.data("0"))]]
    return TRAIL.ask(turn, ESSAY_AGE, turn.t("study.ask_essay_age"), rows, edit)


@member_handler
async def chose_essay_age(turn: Turn):
    if not chose(turn, btn.ESSAY_AGE, _draft(turn), "essay_age", _essay_age_said):
        return ESSAY_AGE
    return await _preview(turn)


def _essay_age(draft: dict) -> int | None:
    """The age the draft excuses from the essay (None: nobody, or no essay)."""
    age = draft.get("essay_age")
    return int(age) if draft.get("essay") == "1" and age in {str(a) for a in study.ESSAY_EXCUSED_AGES} else None


async def _preview(turn: Turn):
    draft = _draft(turn)
    unit = await units.get_unit(turn.session, draft.get("unit"))
    if unit is None or not all(k in draft for k in ("notice", "deadline")):
        turn.reply(turn.t("study.expired"))
        return ConversationHandler.END
    members = await study.member_ids_of(turn.session, unit)
    quiz = (turn.t("study.preview_quiz", count=draft["questions"]) if draft.get("questions")
            else turn.t("study.preview_no_quiz"))
    essay = turn.t("study.preview_essay" if draft.get("essay") == "1" else "study.preview_no_essay")
    if (age := _essay_age(draft)) is not None:
        essay += turn.t("study.preview_essay_age", age=age)
    text = turn.t("study.preview", title=esc(draft.get("title", "")), date=fmt_date(date.fromisoformat(draft["deadline"])),
                  quiz=quiz, essay=essay, unit=esc(unit.name), members=len(members),
                  linked=await accounts.count_linked(turn.session, members))
    markup = TRAIL.markup(turn, CONFIRM, [[InlineKeyboardButton(turn.t("study.button.confirm"),
                                                                callback_data=btn.CONFIRM.data("yes"))]])
    turn.reply(text, markup)
    return CONFIRM


@member_handler
async def confirmed(turn: Turn):
    draft = confirmed_draft(turn, btn.CONFIRM, "yes", DRAFT, ("unit", "notice", "deadline"), "study.expired")
    if draft is None:
        return ConversationHandler.END
    try:
        questions = await _read_bank(turn, draft["bank"]) if draft.get("bank") else []
    except BankError as exc:  # read once already: only a file Telegram no longer gives comes here
        turn.edit(bank_error_text(turn, exc))
        return ConversationHandler.END
    try:
        item, count = await study.create_study(turn.session, turn.actor, notice_id=draft["notice"],
                                               unit_id=draft["unit"], deadline=date.fromisoformat(draft["deadline"]),
                                               questions=questions, essay=draft.get("essay") == "1",
                                               essay_excused_age=_essay_age(draft))
    except StudyError as exc:
        await tell_refusal(turn, exc.reason, "study_create", "study.error", edit=True)
        return ConversationHandler.END
    turn.edit(turn.t("study.given", title=esc(draft.get("title", "")), count=count))
    tell_outbox(turn, study.STUDY_DELIVERY, wake=True)
    return ConversationHandler.END


@member_handler
async def stale_step(turn: Turn):
    """A button of a /study conversation that is over."""
    turn.answer(turn.t("study.expired"), alert=True)


TRAIL = Trail("study", DRAFT, btn.BACK, btn.QUIT, {DOC: _ask_doc, DAY: _ask_day, BANK: _ask_bank, ESSAY: _ask_essay,
                                                  ESSAY_AGE: _ask_essay_age}, "study.expired")
