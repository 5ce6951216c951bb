"""📄 The review's documents sent as files (issue 16): the member's form from their sent sheet and from the cell's
page per member; the cell's list of levels (.docx, .xlsx) and Mẫu 01 from the cell's page; the committee's
summary by cell (.xlsx and a chart) from the round's page. Who may have which is models/review/documents.py's
(a forged or foreign button is refused and recorded); the files are drawn off the event loop after the commit,
in the handbook's language (party documents, whoever asks)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from models.review import documents

from ..i18n import t
from ..render import picture, send_pictures
from ..turn import Turn, esc
from . import buttons as btn
from .docx import form_docx, form_name, forms_name, forms_zip, list_docx, list_name, report_docx, report_name
from .files import list_xlsx, summary_chart, summary_name, summary_xlsx
from .views import acting


def cell_buttons(lang: str, round_id: int, cell_id: int) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(t(lang, "review.button.list_doc"), callback_data=btn.LIST_DOC.data(round_id, cell_id)),
             InlineKeyboardButton(t(lang, "review.button.report_doc"),
                                  callback_data=btn.REPORT_DOC.data(round_id, cell_id))],
            [InlineKeyboardButton(t(lang, "review.button.forms_doc"), callback_data=btn.FORMS_DOC.data(round_id, cell_id))]]


def summary_button(lang: str, round_id: int) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(t(lang, "review.button.summary_doc"), callback_data=btn.SUMMARY_DOC.data(round_id))]


def _send(turn: Turn, caption: str, *files: tuple[Callable[..., bytes], Any, str]) -> None:
    """After the commit: each (draw, data, file name) drawn off the loop and sent as a document."""
    bot, chat_id, lang = turn.context.bot, turn.chat_id, turn.services.default_language
    turn.answer(turn.t("review.doc.coming"))

    async def send() -> None:
        for draw, data, name in files:
            content = await asyncio.to_thread(draw, data, lang)
            await bot.send_document(chat_id, InputFile(content, filename=name), caption=caption)

    turn.later(send)


async def _form(turn: Turn, fields: tuple, d: documents.FormDoc) -> None:
    _send(turn, turn.t("review.doc.form_caption", name=esc(d.sheet.full_name), year=d.sheet.round.year),
          (form_docx, d, form_name(d)))


async def _forms(turn: Turn, fields: tuple, forms: list[documents.FormDoc]) -> None:
    s = forms[0].sheet
    caption = turn.t("review.doc.forms_caption", cell=esc(s.cell_name), year=s.round.year, count=len(forms))
    _send(turn, caption, (forms_zip, forms, forms_name(forms)))


async def _list(turn: Turn, fields: tuple, d: documents.CellDoc) -> None:
    caption = turn.t("review.doc.list_caption", cell=esc(d.appraisal.cell_name), year=d.appraisal.round.year)
    _send(turn, caption, (list_docx, d, list_name(d, "docx")), (list_xlsx, d, list_name(d, "xlsx")))


async def _report(turn: Turn, fields: tuple, d: documents.CellDoc) -> None:
    caption = turn.t("review.doc.report_caption", cell=esc(d.appraisal.cell_name), year=d.appraisal.round.year)
    _send(turn, caption, (report_docx, d, report_name(d)))


async def _summary(turn: Turn, fields: tuple, s: documents.Summary) -> None:
    bot, chat_id, lang = turn.context.bot, turn.chat_id, turn.services.default_language
    caption = turn.t("review.doc.summary_caption", unit=esc(s.unit_name), year=s.year)
    _send(turn, caption, (summary_xlsx, s, summary_name(s, "xlsx")))

    async def chart() -> None:  # a chart that cannot be drawn never holds back the workbook
        pages = await picture("review_summary", summary_chart, s, lang)
        await send_pictures(bot, chat_id, pages, summary_name(s, "png").removesuffix(".png"), caption)

    turn.later(chart)


form_pressed = acting(btn.FORM_DOC, "review_form_doc",
                      lambda turn, entry_id: documents.form_doc(turn.session, turn.actor, entry_id), _form)
list_pressed = acting(btn.LIST_DOC, "review_list_doc",
                      lambda turn, *ids: documents.cell_doc(turn.session, turn.actor, *ids), _list)
forms_pressed = acting(btn.FORMS_DOC, "review_forms_doc",
                       lambda turn, *ids: documents.cell_forms(turn.session, turn.actor, *ids), _forms)
report_pressed = acting(btn.REPORT_DOC, "review_report_doc",
                        lambda turn, *ids: documents.cell_doc(turn.session, turn.actor, *ids), _report)
summary_pressed = acting(btn.SUMMARY_DOC, "review_summary_doc",
                         lambda turn, round_id: documents.summary(turn.session, turn.actor, round_id), _summary)
HANDLERS = [(form_pressed, btn.FORM_DOC.pattern), (list_pressed, btn.LIST_DOC.pattern),
            (report_pressed, btn.REPORT_DOC.pattern),
            (forms_pressed, btn.FORMS_DOC.pattern), (summary_pressed, btn.SUMMARY_DOC.pattern)]


MOST_CELLS = 40


async def report_progress(turn: Turn) -> None:
    """/report's part: each open round over the committee's cells — per cell the self-reviews sent, the cell's
    proposals, the levels decided — and the round's totals, with 📊 the summary by cell."""
    from models import review

    for rnd, name in await review.decision_rounds(turn.session, turn.actor):
        s = await documents.summary(turn.session, turn.actor, rnd.id)
        lines = [turn.t("review.report_head", year=rnd.year, unit=esc(name))]
        lines += [turn.t("review.report_cell", cell=esc(c.cell_name), sent=c.sent, count=c.reviewed,
                         proposed=c.proposed, decided=c.decided) for c in s.cells[:MOST_CELLS]]
        if len(s.cells) > MOST_CELLS:
            lines.append(turn.t("review.report_more", count=len(s.cells) - MOST_CELLS))
        lines.append(turn.t("review.progress_total", cells=len(s.cells), reviewed=s.total("reviewed"),
                            sent=s.total("sent"), proposed=s.total("proposed"), decided=s.total("decided")))
        turn.reply("\n".join(lines), InlineKeyboardMarkup([summary_button(turn.lang, rnd.id)]))
