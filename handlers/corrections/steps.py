"""The steps of a profile correction: the member asks (which field, the new value); the officer
approves, or rejects with a reason; the member is told in their language."""
from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError

from models import accounts, audit, corrections, members, units
from models.corrections import BadValue, CorrectionField, CorrectionStatus, Outcome, Verdict

from ..feedback import CORRECT, REJECT, end_flow, excerpt, flow_data, start_flow
from ..i18n import t
from ..steps import parse_or_refuse, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .views import FIELDS, card, decidable, field_label, shown

log = logging.getLogger(__name__)
EXAMPLES = {  # what to type, shown under the question
    CorrectionField.phone: "0905 111 222",
    CorrectionField.birth_date: "05/12/1950",
    CorrectionField.joined_on: "19/05/1975",
    CorrectionField.official_on: "19/05/1976",
}


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
    ids = await parse_or_refuse(turn, btn.APPROVE, "correction_approve")
    if ids is None:
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
    found = await decidable(turn, btn.REJECT, "correction_reject")
    if found is None:
        return
    c, member, _cell, verdict = found
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
