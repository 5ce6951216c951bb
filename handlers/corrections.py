"""✏️ Đề nghị sửa thông tin: a member asks to correct their record from /profile; the secretary (or,
for party data, a committee above) approves or rejects with a reason; the member is told."""
from __future__ import annotations

import logging
import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from models import accounts, audit, corrections, members, units
from models.corrections import BadValue, CorrectionField, CorrectionStatus, Outcome, Verdict
from models.members import Member

from .buttons import corrections as btn
from .feature import Feature
from .feedback import CORRECT, MENU, REJECT, InFlow, end_flow, excerpt, flow_data, start_flow, tz
from .i18n import fmt_date, t
from .keyboards import pager
from .profile import display_phone
from .steps import refuse
from .turn import Turn, esc, member_handler

log = logging.getLogger(__name__)
FIELDS = corrections.FIELDS
PAGE = 8
EXAMPLES = {  # what to type, shown under the question
    CorrectionField.phone: "0905 111 222",
    CorrectionField.birth_date: "05/12/1950",
    CorrectionField.joined_on: "19/05/1975",
    CorrectionField.official_on: "19/05/1976",
}


def field_label(lang: str, field: CorrectionField) -> str:
    return t(lang, f"correction.field.{field.value}")


def shown(field: CorrectionField, value: str | None) -> str | None:
    """A canonical value as people read it: 0905 111 222, 05/12/1950."""
    if value is None:
        return None
    if field is CorrectionField.phone:
        return display_phone(value)
    return corrections.display_value(field, value)


# --- the member asks -------------------------------------------------------------------------------


@member_handler
async def start_button(turn: Turn):
    """crs:0 — under the member's own /profile: which field?"""
    if btn.START.parse(turn.update.callback_query.data) is None:
        await refuse(turn, "correction_start")
        return
    end_flow(turn)
    buttons = [InlineKeyboardButton(field_label(turn.lang, f), callback_data=btn.FIELD.data(i)) for i, f in enumerate(FIELDS)]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    text = turn.t("correction.choose")
    pending = await corrections.own_pending(turn.session, turn.actor.member_id)
    if pending:
        text += "\n" + turn.t("correction.own_pending", fields=", ".join(field_label(turn.lang, c.field) for c in pending))
    turn.reply(text, InlineKeyboardMarkup(rows))


@member_handler
async def field_button(turn: Turn):
    ids = btn.FIELD.parse(turn.update.callback_query.data)
    if ids is None or ids[0] >= len(FIELDS):
        await refuse(turn, "correction_field")
        return
    field = FIELDS[ids[0]]
    member = await members.get_member(turn.session, turn.actor.member_id)
    start_flow(turn, CORRECT, field=field.value)
    lines = []
    if field is not CorrectionField.work_history:
        current = shown(field, corrections.current_value(member, field))
        lines.append(turn.t("correction.current", field=field_label(turn.lang, field), value=esc(current or "—")))
    ask = "correction.ask_work_history" if field is CorrectionField.work_history else "correction.ask"
    lines.append(turn.t(ask, field=field_label(turn.lang, field)))
    if field in EXAMPLES:
        lines.append(turn.t("correction.example", example=EXAMPLES[field]))
    if field in corrections.COMMITTEE_FIELDS:
        lines.append(turn.t("correction.committee_note"))
    turn.reply("\n".join(lines))


@member_handler
async def value_text(turn: Turn):
    data = flow_data(turn, CORRECT)
    field = CorrectionField(data["field"])
    try:
        await corrections.request_correction(turn.session, turn.actor, field, turn.text)
    except BadValue as exc:
        # A second chance: the step stays open until a good value, /cancel or half an hour.
        start_flow(turn, CORRECT, field=field.value)
        bad = turn.t(f"correction.bad.{exc.reason}", value=esc(excerpt(turn.text, 60)))
        turn.reply(bad + "\n" + turn.t("correction.again"))
        return
    end_flow(turn)
    key = "correction.sent_committee" if field in corrections.COMMITTEE_FIELDS else "correction.sent"
    turn.reply(turn.t(key, field=field_label(turn.lang, field)))


# --- the officer decides -------------------------------------------------------------------------------


@member_handler
async def list_button(turn: Turn):
    end_flow(turn)
    ids = btn.LIST.parse(turn.update.callback_query.data)
    if ids is None or not (turn.actor.is_officer or turn.actor.is_admin):
        await refuse(turn, "correction_list")
        return
    page = ids[0]
    rows, total = await corrections.pending_for(turn.session, turn.actor, page * PAGE, PAGE)
    pages = max(1, math.ceil(total / PAGE))
    if page >= pages and total:
        page = pages - 1
        rows, _ = await corrections.pending_for(turn.session, turn.actor, page * PAGE, PAGE)
    buttons = []
    for c, member, _cell in rows:
        mark = "🏛 " if c.field in corrections.COMMITTEE_FIELDS else ""
        label = f"{mark}{member.full_name} · {field_label(turn.lang, c.field)}"
        buttons.append([InlineKeyboardButton(label[:60], callback_data=btn.OPEN.data(c.id))])
    nav = pager(btn.LIST, page, pages, turn.lang)
    if nav:
        buttons.append(nav)
    text = turn.t("correction.list", count=total) if total else turn.t("correction.list_empty")
    turn.reply(text, InlineKeyboardMarkup(buttons) if buttons else None)


def card(turn: Turn, c: corrections.ProfileCorrection, member: Member, cell_name: str, *,
         verdict: Verdict = Verdict.allowed) -> str:
    lines = [
        turn.t("correction.card.title", id=c.id),
        turn.t("correction.card.member", name=esc(member.full_name), cell=esc(cell_name)),
        turn.t("correction.card.field", field=field_label(turn.lang, c.field)),
    ]
    if c.field is not CorrectionField.work_history:
        lines.append(turn.t("correction.card.old", value=esc(shown(c.field, c.old_value) or "—")))
    lines.append(turn.t("correction.card.new", value=esc(shown(c.field, c.new_value))))
    lines.append(turn.t("correction.card.asked", when=fmt_date(c.created_at, tz(turn))))
    if c.status is not CorrectionStatus.pending:
        lines.append(turn.t(f"correction.status.{c.status.value}"))
    elif verdict is not Verdict.allowed:
        lines.append(turn.t(f"correction.verdict.{verdict.value}"))
    elif c.field in corrections.COMMITTEE_FIELDS:
        lines.append(turn.t("correction.committee_note"))
    return "\n".join(lines)


@member_handler
async def open_button(turn: Turn):
    end_flow(turn)
    ids = btn.OPEN.parse(turn.update.callback_query.data)
    found = await corrections.load(turn.session, ids[0]) if ids else None
    if found is None:
        await refuse(turn, "correction_open")
        return
    c, member, cell = found
    verdict = corrections.may_decide(turn.actor, c.field, cell.path, member.id)
    if verdict is Verdict.not_allowed:
        await refuse(turn, "correction_open")
        return
    markup = None
    if c.status is CorrectionStatus.pending and verdict is Verdict.allowed:
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(turn.t("correction.button.approve"), callback_data=btn.APPROVE.data(c.id)),
            InlineKeyboardButton(turn.t("correction.button.reject"), callback_data=btn.REJECT.data(c.id)),
        ]])
    turn.reply(card(turn, c, member, cell.name, verdict=verdict), markup)


async def refuse_verdict(turn: Turn, verdict: Verdict, what: str) -> None:
    """Not this officer's to decide: a forged or stale button is refused and recorded."""
    if verdict is Verdict.not_allowed:
        await refuse(turn, what)
        return
    await audit.record(turn.session, "refused", actor_telegram_id=turn.user_id, actor_member_id=turn.actor.member_id,
                       detail={"what": what, "verdict": verdict.value})
    turn.answer(turn.t(f"correction.verdict.{verdict.value}"), alert=True)
    if turn.update.callback_query is None:
        turn.reply(turn.t(f"correction.verdict.{verdict.value}"))


async def tell_member(turn: Turn, decision: corrections.Decision, key: str, **kw) -> None:
    """The member hears the decision in their own language, after the commit."""
    if decision.telegram_user_id is None:
        return
    account = await accounts.get_account(turn.session, decision.telegram_user_id)
    lang = (account.language if account else None) or turn.services.default_language
    c = decision.correction
    text = t(lang, key, field=field_label(lang, c.field), value=esc(shown(c.field, c.new_value)), **kw)
    bot, chat_id = turn.context.bot, decision.telegram_user_id

    async def send():
        try:
            await bot.send_message(chat_id=chat_id, text=text)
        except (Forbidden, BadRequest, NetworkError) as exc:  # the decision stands; /profile shows it
            log.warning("correction decision not delivered: %s", type(exc).__name__)

    turn.later(send)


@member_handler
async def approve_button(turn: Turn):
    ids = btn.APPROVE.parse(turn.update.callback_query.data)
    if ids is None:
        await refuse(turn, "correction_approve")
        return
    decision = await corrections.approve(turn.session, turn.actor, ids[0])
    if decision.outcome in (Outcome.not_found, Outcome.refused):
        await refuse_verdict(turn, decision.verdict, "correction_approve")
        return
    c, member = decision.correction, decision.member
    cell = await units.get_unit(turn.session, member.cell_id)
    if decision.outcome is Outcome.approved:
        turn.answer(turn.t("correction.approved_short"))
        turn.edit(card(turn, c, member, cell.name))
        await tell_member(turn, decision, "correction.told_approved")
        return
    turn.answer(turn.t(f"correction.outcome.{decision.outcome.value}"), alert=True)
    if decision.outcome is Outcome.already_decided:
        turn.edit(card(turn, c, member, cell.name))


@member_handler
async def reject_button(turn: Turn):
    ids = btn.REJECT.parse(turn.update.callback_query.data)
    found = await corrections.load(turn.session, ids[0]) if ids else None
    if found is None:
        await refuse(turn, "correction_reject")
        return
    c, member, cell = found
    verdict = corrections.may_decide(turn.actor, c.field, cell.path, member.id)
    if verdict is not Verdict.allowed:
        await refuse_verdict(turn, verdict, "correction_reject")
        return
    if c.status is not CorrectionStatus.pending:
        turn.answer(turn.t("correction.outcome.already_decided"), alert=True)
        return
    start_flow(turn, REJECT, correction=c.id)
    turn.reply(turn.t("correction.reason_ask", field=field_label(turn.lang, c.field), name=esc(member.full_name)))


@member_handler
async def reason_text(turn: Turn):
    data = flow_data(turn, REJECT)
    try:
        decision = await corrections.reject(turn.session, turn.actor, data["correction"], turn.text)
    except BadValue:
        turn.reply(turn.t("correction.reason_ask_again"))
        return
    end_flow(turn)
    if decision.outcome in (Outcome.not_found, Outcome.refused):
        await refuse_verdict(turn, decision.verdict, "correction_reject")
        return
    if decision.outcome is not Outcome.rejected:
        turn.reply(turn.t(f"correction.outcome.{decision.outcome.value}"))
        return
    turn.reply(turn.t("correction.rejected", field=field_label(turn.lang, decision.correction.field),
                      name=esc(decision.member.full_name)))
    await tell_member(turn, decision, "correction.told_rejected", reason=esc(decision.correction.reason))


def register(app: Application) -> None:
    typed = filters.TEXT & ~filters.COMMAND & ~MENU & filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(InFlow(app, CORRECT) & typed, value_text))
    app.add_handler(MessageHandler(InFlow(app, REJECT) & typed, reason_text))
    app.add_handler(CallbackQueryHandler(start_button, pattern=btn.START.pattern))
    app.add_handler(CallbackQueryHandler(field_button, pattern=btn.FIELD.pattern))
    app.add_handler(CallbackQueryHandler(list_button, pattern=btn.LIST.pattern))
    app.add_handler(CallbackQueryHandler(open_button, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(approve_button, pattern=btn.APPROVE.pattern))
    app.add_handler(CallbackQueryHandler(reject_button, pattern=btn.REJECT.pattern))


FEATURE = Feature("corrections", register=register)
