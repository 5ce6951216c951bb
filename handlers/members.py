"""/members and /invite for secretaries and committee officers."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from models import accounts, audit, relinking
from models.dates import VIETNAM
from models.members import Member, find_members, get_profile, load_profile, members_under
from models.permissions import Action, may, may_act_on_unit, may_view_member, scope_paths, units_for
from models.relinking import InviteStep
from models.units import Unit

from .buttons import members as btn
from .cancel import cancel
from .feature import Command, Feature
from .i18n import fmt_date, t
from .keyboards import link_keyboard, pager
from .profile import render_profile
from .steps import refuse
from .turn import Turn, esc, member_handler

ASK_WHO = 1
MAX_QUERY = 100


async def show_unit_page(turn: Turn, unit: Unit, page: int, *, edit: bool) -> None:
    size = turn.services.members_page_size
    members, total = await members_under(turn.session, unit.path, offset=page * size, limit=size)
    pages = max(1, math.ceil(total / size))
    if page >= pages and total:
        page = pages - 1
        members, _ = await members_under(turn.session, unit.path, offset=page * size, limit=size)
    # Within one cell the cell's name on every button is noise; across a ward it says where.
    label = (lambda m: m.full_name) if unit.is_cell else (lambda m: f"{m.full_name} · {m.cell.name}")
    rows = [[InlineKeyboardButton(label(m)[:60], callback_data=btn.PROFILE.data(m.id))] for m in members]
    nav = pager(btn.MEMBERS_PAGE, page, pages, turn.lang, unit.id)
    if nav:
        rows.append(nav)
    text = turn.t("members.header", unit=esc(unit.name), total=total)
    markup = InlineKeyboardMarkup(rows)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def list_members(turn: Turn):
    top_units = await units_for(turn.session, turn.actor, Action.list_members)
    if not top_units:
        await refuse(turn, "members")
        return
    if len(top_units) == 1:
        await show_unit_page(turn, top_units[0], 0, edit=False)
        return
    rows = [[InlineKeyboardButton(u.name, callback_data=btn.MEMBERS_PAGE.data(u.id, 0))] for u in top_units]
    turn.reply(turn.t("members.choose_unit"), InlineKeyboardMarkup(rows))


@member_handler
async def members_page(turn: Turn):
    ids = btn.MEMBERS_PAGE.parse(turn.update.callback_query.data)
    unit = await may_act_on_unit(turn.session, turn.actor, Action.list_members, ids[0]) if ids else None
    if unit is None:
        await refuse(turn, "members_page")
        return
    await show_unit_page(turn, unit, ids[1], edit=True)


@member_handler
async def member_profile(turn: Turn):
    ids = btn.PROFILE.parse(turn.update.callback_query.data)
    if not ids or not await may_view_member(turn.session, turn.actor, ids[0]):
        await refuse(turn, "member_profile")
        return
    view = await load_profile(turn.session, ids[0])
    member = view.member
    if member.id != turn.actor.member_id:
        await audit.record(
            turn.session,
            "profile_viewed",
            actor_telegram_id=turn.user_id,
            actor_member_id=turn.actor.member_id,
            subject_member_id=member.id,
        )
    markup = None
    if may(turn.actor, Action.invite_member, member.cell.path) and await accounts.account_of_member(turn.session, member.id) is None:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("invite.button"), callback_data=btn.INVITE.data(member.id))]])
    turn.reply(render_profile(turn, view), markup)


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


async def _button_member(turn: Turn, codec) -> Member | None:
    """The member a button names, as the database has them (None: forged or gone)."""
    ids = codec.parse(turn.update.callback_query.data)
    return await get_profile(turn.session, ids[0]) if ids else None


@member_handler
async def invite_button(turn: Turn):
    member = await _button_member(turn, btn.INVITE)
    if member is None or not may(turn.actor, Action.invite_member, member.cell.path):
        await refuse(turn, "invite_button")
        return
    await issue_invite(turn, member)


@member_handler
async def relink_confirm(turn: Turn):
    """The officer confirms a re-link: everything is checked again (a button proves nothing)."""
    member = await _button_member(turn, btn.RELINK_YES)
    if member is None:
        await refuse(turn, "relink_confirm")
        return
    await issue_invite(turn, member, confirmed=True)


@member_handler
async def relink_cancel(turn: Turn):
    member = await _button_member(turn, btn.RELINK_NO)
    if member is None or not may(turn.actor, Action.invite_member, member.cell.path):
        await refuse(turn, "relink_cancel")
        return
    turn.edit(turn.t("relink.cancelled", name=esc(member.full_name)))


async def render_account_moved(session: AsyncSession, move_id: int, lang: str, tz: tzinfo | None) -> list[tuple]:
    """To the account a member's record just left (the outbox renders it in that account's language)."""
    notice = await relinking.move_notice(session, move_id)
    if notice is None:
        return []
    contacts = ", ".join(esc(n) for n in notice.contacts) or t(lang, "relink.no_contact")
    new_account = esc(notice.new_account_name) if notice.new_account_name else "—"
    key = "relink.moved_notice" if notice.inviter_name else "relink.moved_notice_admin"
    text = t(lang, key, member=esc(notice.member_name), new_account=new_account,
             inviter=esc(notice.inviter_name or ""), contacts=contacts)
    # The member's menu goes with the record: what this account is left with is a newcomer's keyboard.
    return [("sendMessage", {"text": text, "parse_mode": "HTML", "reply_markup": link_keyboard(lang).to_dict()})]


def register(app) -> None:
    app.add_handler(CommandHandler("members", list_members))
    app.add_handler(CallbackQueryHandler(members_page, pattern=btn.MEMBERS_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(member_profile, pattern=btn.PROFILE.pattern))
    app.add_handler(CallbackQueryHandler(invite_button, pattern=btn.INVITE.pattern))
    app.add_handler(CallbackQueryHandler(relink_confirm, pattern=btn.RELINK_YES.pattern))
    app.add_handler(CallbackQueryHandler(relink_cancel, pattern=btn.RELINK_NO.pattern))
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("invite", invite_command)],
            states={ASK_WHO: [MessageHandler(filters.TEXT & ~filters.COMMAND, invite_answer)]},
            fallbacks=[CommandHandler("cancel", cancel)],
            conversation_timeout=600,
            allow_reentry=True,
            name="invite",
        )
    )


FEATURE = Feature(
    "members",
    register=register,
    commands=(Command("members", 100, officer=True), Command("invite", 110, officer=True)),
    renderers=lambda services: {relinking.ACCOUNT_MOVED_DELIVERY: render_account_moved},
)
