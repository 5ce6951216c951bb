"""/members: the members of the units an officer may list, page by page, and one member's profile."""
from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import accounts, audit, party_age, suspension, transfers
from models.dates import local_today
from models.members import deceased_under, load_profile, members_under
from models.permissions import Action, may, may_act_on_unit, may_manage_cell, may_view_member, units_for
from models.suspension import SuspensionError
from models.units import Unit

from ..badges import buttons as badge_buttons
from ..i18n import fmt_date
from ..keyboards import pager
from ..profile import profile_text
from ..steps import on_button, refuse
from ..transfers import buttons as transfer_buttons
from ..turn import Turn, esc, member_handler
from . import buttons as btn


async def show_unit_page(turn: Turn, unit: Unit, page: int, *, edit: bool) -> None:
    size = turn.services.members_page_size
    members, total = await members_under(turn.session, unit.path, offset=page * size, limit=size)
    pages = max(1, math.ceil(total / size))
    if page >= pages and total:
        page = pages - 1
        members, _ = await members_under(turn.session, unit.path, offset=page * size, limit=size)
    # Within one cell the cell's name on every button is noise; across a ward it says where.
    label = (lambda m: m.full_name) if unit.is_cell else (lambda m: f"{m.full_name} · {m.cell.name}")

    def shown(m) -> str:  # a member who died: at the end of the list, marked, the date said
        return label(m) if m.living else turn.t("members.deceased_button", name=label(m),
                                                             day=fmt_date(m.deceased_on))

    rows = [[InlineKeyboardButton(shown(m)[:60], callback_data=btn.PROFILE.data(m.id))] for m in members]
    nav = pager(btn.MEMBERS_PAGE, page, pages, turn.lang, unit.id)
    if nav:
        rows.append(nav)
    dead = await deceased_under(turn.session, unit.path)
    text = turn.t("members.header", unit=esc(unit.name), total=total - dead)
    if dead:
        text += "\n" + turn.t("members.deceased", count=dead)
    if unit.is_cell and (guests := await transfers.temporary_in(turn.session, unit.id)):
        # Members of other cells active here for a while: listed apart, not among the cell's own.
        text += "\n" + turn.t("transfer.members_temporary", names=", ".join(esc(m.full_name) for m in guests))
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
    rows = []
    if may(turn.actor, Action.invite_member, member.cell.path) and await accounts.account_of_member(turn.session, member.id) is None:
        rows.append([InlineKeyboardButton(turn.t("invite.button"), callback_data=btn.INVITE.data(member.id))])
    if may_manage_cell(turn.actor, member.cell):
        rows.append([InlineKeyboardButton(turn.t("transfer.button.start"),
                                          callback_data=transfer_buttons.START.data(member.id))])
    if may_manage_cell(turn.actor, member.cell) and member.living:
        change = "off" if member.suspended_on is not None else "on"
        rows.append([InlineKeyboardButton(turn.t(f"suspension.button.{change}"),
                                          callback_data=btn.SUSPEND.data(member.id, change))])
    if party_age.may_award(turn.actor, member.cell):
        rows.append([InlineKeyboardButton(turn.t("badge.button.card"), callback_data=badge_buttons.CARD_NEW.data(member.id))])
    turn.reply(await profile_text(turn, view), InlineKeyboardMarkup(rows) if rows else None)



# --- ⛔ suspended from party activities (đình chỉ sinh hoạt đảng): asked, then recorded ------------------------
@on_button(btn.SUSPEND, "member_suspend")
async def suspend_asked(turn: Turn, member_id: int, change: str) -> None:
    try:
        member = await suspension.suspension_member(turn.session, turn.actor, member_id)
    except SuspensionError:
        await refuse(turn, "member_suspend")
        return
    turn.answer()
    rows = [[InlineKeyboardButton(turn.t("suspension.button.confirm"), callback_data=btn.SUSPEND_OK.data(member_id, change))]]
    turn.reply(turn.t(f"suspension.ask.{change}", name=esc(member.full_name), day=fmt_date(local_today())),
               InlineKeyboardMarkup(rows))


@on_button(btn.SUSPEND_OK, "member_suspend")
async def suspend_confirmed(turn: Turn, member_id: int, change: str) -> None:
    try:
        member = await suspension.set_suspended(turn.session, turn.actor, member_id, change == "on")
    except SuspensionError as exc:
        if exc.reason == "unchanged":
            turn.answer(turn.t("suspension.unchanged"), alert=True)
            return
        await refuse(turn, "member_suspend")
        return
    turn.edit(turn.t(f"suspension.done.{change}", name=esc(member.full_name),
                     day=fmt_date(member.suspended_on or local_today())))
