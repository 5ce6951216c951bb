"""/start, invite codes, linking by shared phone number, and what strangers see."""
from __future__ import annotations

import functools
import logging

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from models import accounts, audit, members, relinking
from models.accounts import LinkOutcome
from models.permissions import load_actor
from models.phones import normalise_phone

from ..buttons.common import NOOP
from ..commands import set_chat_commands
from ..feature import Command, Feature
from ..keyboards import link_keyboard
from ..live_status import tell_outbox
from ..turn import Turn, esc, handler

log = logging.getLogger(__name__)

OUTCOME_KEYS = {
    LinkOutcome.wrong_code: "link.wrong_code",
    LinkOutcome.expired: "link.expired",
    LinkOutcome.used: "link.used",
    LinkOutcome.revoked: "link.revoked",
    LinkOutcome.account_taken: "link.account_taken",
    LinkOutcome.forged_contact: "link.forged_contact",
    LinkOutcome.phone_unknown: "link.phone_unknown",
    LinkOutcome.phone_ambiguous: "link.phone_ambiguous",
    LinkOutcome.member_taken: "link.member_taken",
    LinkOutcome.member_linked: "link.member_linked",
}


async def greet(turn: Turn, *, first_time: bool) -> None:
    """The linked member's home: a greeting and the big buttons."""
    actor = await load_actor(turn.session, turn.user_id, turn.services.admin_ids)
    turn.actor = actor
    member = await members.get_member(turn.session, actor.member_id)
    key = "start.linked" if first_time else "start.welcome_back"
    turn.reply(turn.t(key, name=esc(member.full_name)), turn.menu())
    turn.later(functools.partial(set_chat_commands, turn.context.bot, turn.chat_id, turn.lang, actor.is_officer))


@handler
async def start(turn: Turn):
    code = turn.args
    if code:
        result = await accounts.link_by_invite(turn.session, turn.user_id, code,
                                               account_name=turn.update.effective_user.first_name,
                                               admin_ids=turn.services.admin_ids)
        if result.outcome is LinkOutcome.linked:
            # A record taken from another account queued a notice to it: send it now.
            tell_outbox(turn, relinking.ACCOUNT_MOVED_DELIVERY, wake=True)
        if result.outcome in (LinkOutcome.linked, LinkOutcome.already_linked):
            await greet(turn, first_time=result.outcome is LinkOutcome.linked)
        elif result.outcome is LinkOutcome.throttled:
            minutes = max(1, int(result.retry_after.total_seconds() // 60) + 1)
            turn.reply(turn.t("link.throttled", minutes=minutes))
        else:
            markup = None if turn.actor.linked else link_keyboard(turn.lang)
            turn.reply(turn.t(OUTCOME_KEYS[result.outcome]), markup)
        return
    if turn.actor.linked:
        await greet(turn, first_time=False)
    else:
        turn.reply(turn.t("start.stranger"), link_keyboard(turn.lang))


@handler
async def contact(turn: Turn):
    shared = turn.update.effective_message.contact
    phone = normalise_phone(shared.phone_number or "")
    result = await accounts.link_by_contact(turn.session, turn.user_id, shared.user_id, phone)
    if result.outcome is LinkOutcome.linked:
        await greet(turn, first_time=True)
    elif result.outcome is LinkOutcome.already_linked:
        await greet(turn, first_time=False)
    else:
        turn.reply(turn.t(OUTCOME_KEYS[result.outcome]), None if turn.actor.linked else link_keyboard(turn.lang))


@handler
async def stranger(turn: Turn):
    """Anything an unlinked user sends: how to get linked, and nothing else."""
    if turn.actor.linked:
        turn.reply(turn.t("start.unknown_input"), turn.menu())
    else:
        turn.reply(turn.t("start.stranger"), link_keyboard(turn.lang))


def register(app) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact))


@handler
async def unknown_button(turn: Turn):
    """A button no handler knows: an old keyboard, or forged data. Every query is answered."""
    data = turn.update.callback_query.data or ""
    if NOOP.parse(data) is not None:  # the page counter of a pager
        return
    await audit.record(turn.session, "refused", actor_telegram_id=turn.user_id, actor_member_id=turn.actor.member_id,
                       detail={"what": "unknown_button"})
    turn.answer(turn.t("error.bad_button"), alert=True)


def register_fallback(app) -> None:
    """Last resort for private messages and buttons no other handler took."""
    app.add_handler(CallbackQueryHandler(unknown_button))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED, stranger))


FEATURE = Feature("start", register=register, register_last=register_fallback, commands=(Command("start", 10),))
