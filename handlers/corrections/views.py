"""What an officer sees of profile corrections: the list of pending requests and one request's card."""
from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import corrections
from models.corrections import CorrectionField, CorrectionStatus, Verdict
from models.members import Member

from ..feedback import end_flow, tz
from ..i18n import fmt_date, t
from ..keyboards import list_markup
from ..profile import display_phone
from ..steps import named_item, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

FIELDS = corrections.FIELDS
PAGE = 8


def field_label(lang: str, field: CorrectionField) -> str:
    return t(lang, f"correction.field.{field.value}")


def shown(field: CorrectionField, value: str | None) -> str | None:
    """A canonical value as people read it: 0905 111 222, 05/12/1950."""
    if value is None:
        return None
    if field is CorrectionField.phone:
        return display_phone(value)
    return corrections.display_value(field, value)



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
    text = turn.t("correction.list", count=total) if total else turn.t("correction.list_empty")
    turn.reply(text, list_markup(buttons, btn.LIST, page, total, PAGE, turn.lang))


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


async def decidable(turn: Turn, codec, what: str) -> tuple | None:
    """The request a button names, its member and cell, and whether this officer may decide it
    (corrections.may_decide); None, refused, when the button names no request."""
    found = await named_item(turn, codec, corrections.load)
    if found is None:
        await refuse(turn, what)
        return None
    c, member, cell = found
    return c, member, cell, corrections.may_decide(turn.actor, c.field, cell.path, member.id)


@member_handler
async def open_button(turn: Turn):
    end_flow(turn)
    found = await decidable(turn, btn.OPEN, "correction_open")
    if found is None:
        return
    c, member, cell, verdict = found
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

