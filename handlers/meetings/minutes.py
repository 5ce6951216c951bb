"""The minutes: drafted from the meeting's data, edited field by field, approved, and sent as a Word
file kept with the meeting (its file_id re-sends it to the secretary or a committee above the cell).

With a language model configured (HANDBOOK_LLM_URL), ✨ Bản nháp biên bản do máy soạn sends the meeting's
facts (models.drafts.minutes_facts: no names) and shows the prose it writes for the agenda, content and
decisions as the machine's draft: ✅ Dùng keeps it for the Word file (a draft .docx is sent at once; the
approved one has it too), ↩ Bản mẫu goes back to the template's lists."""
from __future__ import annotations

import asyncio
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.ext import ConversationHandler

from models import meetings, minutes
from models.db import transaction
from models.drafts import check_minutes, minutes_prompt
from models.meetings import Meeting, MeetingError, MeetingState
from models.permissions import Action, may, may_manage_cell

from ..drafting import ask_for_draft, has_model, refused
from ..i18n import t
from ..steps import answers, named_item, refuse, settle
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .common import (
    EDIT,
    PENDING,
    attempt,
    error_text,
    kind_label,
    managed,
    record,
    typed_for,
    when_text,
)
from .minutes_docx import docx_name, length_line, option_label, render_docx, verdict

FIELDS = {"c": "chair", "r": "recorder", "n": "content", "d": "decisions"}
PROSE = "minutes_prose"  # the machine's last prose, until ✅ Dùng: {"meeting", "key", "prose"}
PROSE_TOKENS = 2000


def base_text(lang: str, *, base: int, members: int, exempt: int, exempt_counted: bool) -> str:
    """The base of a percentage, said next to it (DOMAIN.md): with or without the exempt who stayed away."""
    if exempt_counted or not exempt:
        return t(lang, "report.base.counted", base=base)
    return t(lang, "report.base.not_counted", base=base, exempt=exempt)


def votes_lines(lang: str, votes: list[minutes.VoteResult], known: bool) -> list[str]:
    if not votes:
        return [t(lang, "minutes.no_votes")]
    out = []
    for i, v in enumerate(votes, 1):
        counts = ", ".join(f"{esc(option_label(lang, label, kind))}: {count}" for label, count, kind in v.options)
        out.append(t(lang, "minutes.vote.line", n=i, question=esc(v.question), counts=counts, cast=v.cast,
                     eligible=v.eligible, verdict=esc(verdict(lang, v))))
    return out


def minutes_text(m: minutes.Minutes, lang: str, tz: tzinfo | None) -> str:
    kind = kind_label(lang, meetings.MeetingKind(m.kind))
    lines = [
        t(lang, "minutes.draft_header") if m.approved_at is None else t(lang, "minutes.approved_header"),
        f"{kind} · {esc(m.unit_name)}",
        f"<b>{esc(m.title)}</b>",
        t(lang, "meeting.line.when", when=when_text(lang, m.starts_at, tz)),
        t(lang, "meeting.line.place", place=esc(m.place)),
        *[esc(line) for line in (length_line(lang, m),) if line],
        t(lang, "minutes.chair", name=esc(m.chair or "—")),
        t(lang, "minutes.recorder", name=esc(m.recorder or "—")),
        "",
        t(lang, "minutes.attendance", present=m.present, base=m.base, percent=m.percent,
          basis=base_text(lang, base=m.base, members=m.members, exempt=m.exempt, exempt_counted=m.exempt_counted)),
        t(lang, "minutes.absences", excused=m.excused, unexcused=m.unexcused, exempt=m.exempt),
    ]
    for a in m.absent:
        reason = f" — {esc(a.reason)}" if a.reason else ""
        lines.append(f"• {esc(a.name)}: {t(lang, f'attendance.status.{a.status}')}{reason}")
    if m.agenda:
        lines += ["", t(lang, "minutes.agenda"), esc(m.agenda)]
    lines += ["", t(lang, "minutes.content"), esc(m.content) or "—"]
    lines += ["", t(lang, "minutes.decisions")]
    lines += [f"{i}. {esc(d)}" for i, d in enumerate(m.decisions, 1)] or ["—"]
    lines += ["", t(lang, "minutes.votes")] + votes_lines(lang, m.votes, m.votes_known)
    if m.prose:
        lines += ["", t(lang, "minutes.prose_used")]
    return "\n".join(lines)


def _draft_buttons(turn: Turn, meeting_id: int, m: minutes.Minutes) -> InlineKeyboardMarkup:
    b = InlineKeyboardButton
    return InlineKeyboardMarkup([
        [b(turn.t("minutes.button.chair"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "c")),
         b(turn.t("minutes.button.recorder"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "r"))],
        [b(turn.t("minutes.button.content"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "n")),
         b(turn.t("minutes.button.decisions"), callback_data=btn.MINUTES_FIELD.data(meeting_id, "d"))],
        [b(turn.t("minutes.button.attendance"), callback_data=btn.ROLL.data(meeting_id, 0))],
        *_prose_rows(turn, meeting_id, m),
        [b(turn.t("minutes.button.approve"), callback_data=btn.APPROVE.data(meeting_id))],
    ])


def _prose_rows(turn: Turn, meeting_id: int, m: minutes.Minutes) -> list[list[InlineKeyboardButton]]:
    rows = []
    if has_model(turn):
        rows.append([InlineKeyboardButton(turn.t("minutes.button.model"), callback_data=btn.MINUTES_MODEL.data(meeting_id))])
    if m.prose:
        rows.append([InlineKeyboardButton(turn.t("minutes.button.template"),
                                          callback_data=btn.MINUTES_PROSE.data(meeting_id, "template"))])
    return rows


async def show_draft(turn: Turn, meeting_id: int, *, edit: bool) -> None:
    m = await minutes.draft_minutes(turn.session, meeting_id)
    text = minutes_text(m, turn.lang, turn.services.timezone)
    if m.approved_at is None:
        markup = _draft_buttons(turn, meeting_id, m)
    else:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("minutes.button.download"),
                                                             callback_data=btn.DOWNLOAD.data(meeting_id))]])
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@managed(btn.MINUTES)
async def draft_pressed(turn: Turn, meeting: Meeting, _: tuple):
    if meeting.state is not MeetingState.closed:
        turn.answer(error_text(turn.lang, MeetingError("not_closed")), alert=True)
        return
    await show_draft(turn, meeting.id, edit=False)


@member_handler
async def edit_field_pressed(turn: Turn):
    meeting_id, code = btn.MINUTES_FIELD.parse(turn.update.callback_query.data) or (None, None)
    ids = [meeting_id] if code in FIELDS else None
    meeting = await meetings.get_meeting(turn.session, ids[0]) if ids else None
    if meeting is None or not may_manage_cell(turn.actor, meeting.cell):
        await refuse(turn, "minutes_edit")
        return ConversationHandler.END
    if not _still_draft(turn, meeting):
        return ConversationHandler.END
    turn.context.user_data[PENDING] = {"what": "edit", "meeting": meeting.id, "field": FIELDS[code]}
    limit = {"chair": meetings.NAME_MAX, "recorder": meetings.NAME_MAX, "content": meetings.CONTENT_MAX,
             "decisions": meetings.DECISIONS_MAX}[FIELDS[code]]
    turn.reply(turn.t(f"minutes.ask.{FIELDS[code]}", limit=limit))
    return EDIT


@typed_for("edit")
async def typed_field(turn: Turn, pending: dict):
    field, value = pending["field"], turn.text.strip()
    if field == "decisions":
        fields = {"decisions": meetings.clean_decisions(value.splitlines())}
    elif field == "content":
        fields = {"content": value}
    else:
        fields = {f"{field}_name": value}
    if await record(turn, pending["meeting"], **fields) is None:
        return EDIT
    settle(turn, lambda data: data.pop(PENDING, None))
    turn.reply(turn.t("minutes.saved"), turn.menu())
    await show_draft(turn, pending["meeting"], edit=False)
    return ConversationHandler.END


@managed(btn.APPROVE)
async def approve_pressed(turn: Turn, meeting: Meeting, _: tuple):
    approved = await attempt(turn, minutes.approve_minutes(turn.session, turn.actor, meeting.id))
    if approved is None:
        return
    turn.answer(turn.t("minutes.approved"))
    turn.edit(minutes_text(approved, turn.lang, turn.services.timezone))
    _send_docx(turn, meeting.id, approved, remember=True)


def _send_docx(turn: Turn, meeting_id: int, m: minutes.Minutes, *, remember: bool,
               caption_key: str = "minutes.caption") -> None:
    """After the commit: render the Word file off the event loop, send it, keep its file_id (`remember`)."""
    bot, chat_id, sessionmaker = turn.context.bot, turn.chat_id, turn.services.sessionmaker
    # The minutes are a party document: written in the handbook's language, whoever approves them.
    doc_lang, tz = turn.services.default_language, turn.services.timezone
    caption = turn.t(caption_key, title=esc(m.title), unit=esc(m.unit_name))

    async def send() -> None:
        data = await asyncio.to_thread(render_docx, m, doc_lang, tz)
        message = await bot.send_document(chat_id, InputFile(data, filename=docx_name(m, tz)), caption=caption)
        if remember and message.document is not None:
            async with transaction(sessionmaker) as session:
                await minutes.set_minutes_file(session, meeting_id, message.document.file_id)

    turn.later(send)


@answers(btn.DOWNLOAD)
@member_handler
async def download_pressed(turn: Turn):
    """The approved minutes, for the secretary or any committee above the cell."""
    meeting = await named_item(turn, btn.DOWNLOAD, meetings.get_meeting)
    if meeting is None or not (may_manage_cell(turn.actor, meeting.cell)
                               or may(turn.actor, Action.view_reports, meeting.cell.path)):
        await refuse(turn, "minutes_download")
        return
    if meeting.minutes_approved_at is None:
        turn.answer(turn.t("minutes.not_approved"), alert=True)
        return
    if meeting.minutes_file_id:
        file_id, caption = meeting.minutes_file_id, turn.t("minutes.caption", title=esc(meeting.title),
                                                           unit=esc(meeting.cell.name))
        turn.later(lambda: turn.context.bot.send_document(turn.chat_id, file_id, caption=caption))
        return
    m = await minutes.draft_minutes(turn.session, meeting.id)
    _send_docx(turn, meeting.id, m, remember=True)


def _still_draft(turn: Turn, meeting: Meeting) -> bool:
    """The minutes may still change (closed, not approved); else the secretary is told why not."""
    if meeting.state is MeetingState.closed and meeting.minutes_approved_at is None:
        return True
    turn.answer(error_text(turn.lang, MeetingError(
        "minutes_approved" if meeting.minutes_approved_at else "not_closed")), alert=True)
    return False


@managed(btn.MINUTES_MODEL)
async def model_pressed(turn: Turn, meeting: Meeting, _: tuple):
    """✨: the meeting's facts to the model; its prose, checked, shown as the machine's draft to review."""
    if not has_model(turn) or not _still_draft(turn, meeting):
        return
    m = await minutes.draft_minutes(turn.session, meeting.id)
    reply = await ask_for_draft(turn, minutes_prompt(m, turn.services.timezone), PROSE_TOKENS)
    prose = check_minutes(reply) if reply is not None else None
    if prose is None:  # failed, too slow, too big, garbage: the template stays
        if reply is not None:
            refused(turn)
        turn.reply(turn.t("minutes.draft.failed"))
        return
    kept = {"meeting": meeting.id, "key": m.facts_key(), "prose": prose}
    turn.settle(lambda memory: memory.__setitem__(PROSE, kept))
    b = InlineKeyboardButton
    turn.reply(turn.t("minutes.draft.shown", agenda=esc(prose["agenda"]), content=esc(prose["content"]),
                      decisions=esc(prose["decisions"])),
               InlineKeyboardMarkup([[b(turn.t("minutes.button.use_prose"), callback_data=btn.MINUTES_PROSE.data(meeting.id, "use")),
                                      b(turn.t("minutes.button.template"),
                                        callback_data=btn.MINUTES_PROSE.data(meeting.id, "template"))]]))


@managed(btn.MINUTES_PROSE)
async def prose_pressed(turn: Turn, meeting: Meeting, fields: tuple):
    """✅ Dùng: the machine's prose, if still written from the meeting's facts, goes into the minutes (and a draft
    Word file is sent to see it); ↩ Bản mẫu: the template's lists again."""
    if not _still_draft(turn, meeting):
        return
    use = fields[1] == "use"
    kept = turn.context.user_data.get(PROSE) or {}
    if use:
        m = await minutes.draft_minutes(turn.session, meeting.id)
        if kept.get("meeting") != meeting.id or kept.get("key") != m.facts_key():
            turn.answer(turn.t("minutes.draft.expired"), alert=True)
            return
    if await attempt(turn, minutes.choose_prose(turn.session, turn.actor, meeting.id, kept["prose"] if use else None,
                                                kept.get("key"))) is None:
        return
    turn.settle(lambda memory: memory.pop(PROSE, None))
    turn.edit_buttons(None)
    turn.reply(turn.t("minutes.draft.used" if use else "minutes.draft.template"))
    await show_draft(turn, meeting.id, edit=False)
    if use:
        _send_docx(turn, meeting.id, await minutes.draft_minutes(turn.session, meeting.id), remember=False,
                   caption_key="minutes.draft.caption")
