"""/invite: a code for a member not on Telegram yet, and the re-link of one who is (confirmed first)."""
from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import relinking
from models.dates import VIETNAM
from models.members import Member, find_members, get_profile
from models.permissions import Action, may, scope_paths
from models.relinking import InviteStep

from ..i18n import fmt_date
from ..steps import named_item, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn

ASK_WHO = 1
MAX_QUERY = 100


async def issue_invite(turn: Turn, member: Member, *, confirmed: bool = False) -> None:
    """A code for a member not on Telegram yet; for a linked one, the re-link is confirmed first (or refused)."""
    result = await relinking.request_invite(turn.session, turn.actor, member.id, confirmed=confirmed,
                                            ttl=timedelta(days=turn.services.invite_ttl_days))
    name = esc(member.full_name)
    since = linked_since(turn, result.linked_at)
    if result.step is InviteStep.confirm:
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(turn.t("relink.button.confirm"), callback_data=btn.RELINK_YES.data(member.id)),
            InlineKeyboardButton(turn.t("relink.button.cancel"), callback_data=btn.RELINK_NO.data(member.id)),
        ]])
        turn.reply(turn.t("relink.confirm", name=name, since=since), markup)
        return
    if result.step is InviteStep.refused:
        if result.linked:
            turn.answer(turn.t("error.not_allowed"))
            turn.reply(turn.t("relink.refused", name=name, since=since))
        elif result.role_outside:
            turn.answer(turn.t("error.not_allowed"))
            turn.reply(turn.t("invite.role_outside", name=name))
        else:
            turn.answer(turn.t("error.not_allowed"), alert=True)
            turn.reply(turn.t("error.not_allowed"))
        return
    if confirmed and turn.update.callback_query is not None:
        turn.edit(turn.t("relink.confirmed", name=name))
    link = f"https://t.me/{turn.services.bot_username}?start={result.code}"
    text = turn.t("invite.created", name=name, code=result.code, link=esc(link), days=turn.services.invite_ttl_days)
    if result.relink:
        text += "\n\n" + turn.t("relink.code_note", name=name)
    turn.reply(text, protect=True)


def linked_since(turn: Turn, linked_at: datetime | None) -> str:
    """The day a member's account was linked, in the handbook's time zone (never the phone or the account)."""
    if linked_at is None:
        return turn.t("relink.since_unknown")
    return fmt_date(linked_at.astimezone(turn.services.timezone or VIETNAM).date())


async def invite_by_query(turn: Turn, query: str):
    paths = scope_paths(turn.actor, Action.invite_member)
    if paths == []:
        await refuse(turn, "invite")
        return ConversationHandler.END
    if len(query) > MAX_QUERY:
        turn.reply(turn.t("invite.query_too_long", limit=MAX_QUERY))
        return ASK_WHO
    found: list[Member] = []
    for path in [None] if paths is None else paths:
        found.extend(await find_members(turn.session, query, within_path=path, limit=10))
    if not found:
        turn.reply(turn.t("invite.not_found", query=esc(query)))
        return ASK_WHO
    if len(found) == 1:
        await issue_invite(turn, found[0])
        return ConversationHandler.END
    rows = [[InlineKeyboardButton(m.full_name[:60], callback_data=btn.INVITE.data(m.id))] for m in found[:10]]
    turn.reply(turn.t("invite.choose"), InlineKeyboardMarkup(rows))
    return ConversationHandler.END


@member_handler
async def invite_command(turn: Turn):
    if not turn.actor.is_officer:
        await refuse(turn, "invite")
        return ConversationHandler.END
    if turn.args:
        return await invite_by_query(turn, turn.args)
    turn.reply(turn.t("invite.ask"))
    return ASK_WHO


@member_handler
async def invite_answer(turn: Turn):
    return await invite_by_query(turn, turn.text.strip())


async def _button_member(turn: Turn, codec, what: str, *, invitable: bool = True) -> Member | None:
    """The member a button names, as the database has them, if this officer may invite them (invitable=False:
    whoever they are); None once refused, recorded as `what` (forged, gone, or not theirs)."""
    member = await named_item(turn, codec, get_profile)
    if member is None or invitable and not may(turn.actor, Action.invite_member, member.cell.path):
        await refuse(turn, what)
        return None
    return member


@member_handler
async def invite_button(turn: Turn):
    member = await _button_member(turn, btn.INVITE, "invite_button")
    if member is not None:
        await issue_invite(turn, member)


@member_handler
async def relink_confirm(turn: Turn):
    """The officer confirms a re-link: everything is checked again (a button proves nothing)."""
    member = await _button_member(turn, btn.RELINK_YES, "relink_confirm", invitable=False)
    if member is not None:
        await issue_invite(turn, member, confirmed=True)


@member_handler
async def relink_cancel(turn: Turn):
    member = await _button_member(turn, btn.RELINK_NO, "relink_cancel")
    if member is not None:
        turn.edit(turn.t("relink.cancelled", name=esc(member.full_name)))

