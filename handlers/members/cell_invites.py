"""📨 Mời đảng viên on the officer's panel: every member of the cell not on Telegram yet, invited at once.

One message per member to forward (Zalo, SMS, Telegram), PER_PRESS at a time with a button for the next
ones; or an A4 sheet of QR codes with names to cut out and hand over (invite_sheet.py). Both show the
same codes while they last (models/invitations.py): a second press never breaks a code handed out.
Every press is checked again: a button proves nothing.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from models import invitations
from models.dates import VIETNAM, local_today
from models.invitations import CellInvites

from ..i18n import fmt_date
from ..printing import PrintUnavailable
from ..steps import parse_or_refuse, refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .invite_sheet import InviteCard, render_invite_sheet, sheet_filename

log = logging.getLogger(__name__)

PER_PRESS = 20  # messages one press sends (Telegram's pace for one chat); a button sends the next ones
NAMES_SHOWN = 30
SHEET_MAX = 200  # cards on one sheet (50 pages): a cell is far smaller
PACE_S = 0.1  # between two of the messages of a press


def _key(turn: Turn) -> bytes | None:
    keys = turn.services.feedback_keys
    return keys.invite_key if keys is not None else None


async def _invites(turn: Turn, cell_id: int, start: int = 0, limit: int = 0) -> CellInvites | None:
    return await invitations.cell_invites(turn.session, turn.actor, cell_id, key=_key(turn), start=start,
                                          limit=limit, ttl=timedelta(days=turn.services.invite_ttl_days))


def _link(turn: Turn, code: str) -> str:
    return f"https://t.me/{turn.services.bot_username}?start={code}"


def _everyone_linked(turn: Turn, found: CellInvites) -> str:
    text = turn.t("invites.everyone_linked", cell=esc(found.cell_name))
    if found.withheld:
        text += "\n\n" + turn.t("invites.withheld", count=found.withheld)
    return text


@member_handler
async def invite_all(turn: Turn):
    """The panel's button: the officer's cell at once, or a choice when they have several."""
    cells = await invitations.invite_cells(turn.session, turn.actor) if turn.actor.panel else []
    if not cells:
        await refuse(turn, "invite_all")
        return
    if len(cells) == 1:
        await show_cell(turn, cells[0].id)
        return
    rows = [[InlineKeyboardButton(c.name[:60], callback_data=btn.INVITE_CELL.data(c.id))] for c in cells[:50]]
    turn.reply(turn.t("invites.choose_cell"), InlineKeyboardMarkup(rows))


@member_handler
async def invite_cell(turn: Turn):
    ids = await parse_or_refuse(turn, btn.INVITE_CELL, "invite_cell")
    if ids is None:
        return
    await show_cell(turn, ids[0])


async def show_cell(turn: Turn, cell_id: int) -> None:
    """Who is not on Telegram yet, and the two ways to invite them."""
    found = await _invites(turn, cell_id)
    if found is None:
        await refuse(turn, "invite_cell")
        return
    if not found.members:
        turn.reply(_everyone_linked(turn, found))
        return
    names = [f"• {esc(m.full_name)}" for m in found.members[:NAMES_SHOWN]]
    if len(found.members) > NAMES_SHOWN:
        names.append(turn.t("invites.more_names", count=len(found.members) - NAMES_SHOWN))
    parts = [turn.t("invites.screen", cell=esc(found.cell_name), count=len(found.members), names="\n".join(names))]
    if found.withheld:
        parts.append(turn.t("invites.withheld", count=found.withheld))
    parts.append(turn.t("invites.how"))
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(turn.t("invites.button.send"), callback_data=btn.INVITE_SEND.data(found.cell_id, 0))],
        [InlineKeyboardButton(turn.t("invites.button.qr"), callback_data=btn.INVITE_QR.data(found.cell_id))],
    ])
    turn.reply("\n\n".join(parts), markup)


async def _pressed(turn: Turn, codec, what: str, page_size: int) -> tuple[CellInvites, int] | None:
    """The cell a send or print button names, with codes for `page_size` members from its page. None: already
    answered (forged, or not this officer's: refused; no bot username to link to; nobody left to invite)."""
    ids = codec.parse(turn.update.callback_query.data)
    page = ids[1] if ids and len(ids) > 1 else 0
    username = turn.services.bot_username
    found = await _invites(turn, ids[0], page * page_size, page_size if username else 0) if ids else None
    if found is None:
        await refuse(turn, what)
    elif not username:
        turn.reply(turn.t("invites.no_link"))
    elif not found.members:
        turn.reply(_everyone_linked(turn, found))
    elif not found.invites:  # a page past the end: the list shrank since, or the data is forged
        turn.reply(turn.t("invites.no_more"))
    else:
        return found, page
    return None


def _invites_handler(codec, what: str, page_size: Callable[[], int]):
    """A member's handler of a send or print button: `fn(turn, found, page)` once _pressed has found the codes
    (`page_size` read at each press)."""

    def wrap(fn: Callable[[Turn, CellInvites, int], Awaitable[None]]):
        @functools.wraps(fn)
        async def with_invites(turn: Turn) -> None:
            pressed = await _pressed(turn, codec, what, page_size())
            if pressed is not None:
                await fn(turn, *pressed)

        return member_handler(with_invites)

    return wrap


def _day(turn: Turn, at: datetime) -> str:
    return fmt_date(at.astimezone(turn.services.timezone or VIETNAM).date())


@_invites_handler(btn.INVITE_SEND, "invite_send", lambda: PER_PRESS)
async def send_each(turn: Turn, found: CellInvites, page: int) -> None:
    """PER_PRESS messages, each a member's invitation to forward; then a button for the next ones."""
    first, total = page * PER_PRESS + 1, len(found.members)
    last = first + len(found.invites) - 1
    turn.reply(turn.t("invites.forward_hint", count=len(found.invites), cell=esc(found.cell_name)))
    for invite in found.invites:
        turn.later(lambda: asyncio.sleep(PACE_S))
        turn.reply(turn.t("invites.message", name=esc(invite.full_name), link=esc(_link(turn, invite.code)),
                          code=invite.code, until=_day(turn, invite.expires_at)))
    if last < total:
        more = min(PER_PRESS, total - last)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            turn.t("invites.button.more", count=more), callback_data=btn.INVITE_SEND.data(found.cell_id, page + 1))]])
        turn.reply(turn.t("invites.sent_part", first=first, last=last, total=total), markup)
    else:
        turn.reply(turn.t("invites.sent_all", total=total))


@_invites_handler(btn.INVITE_QR, "invite_qr", lambda: SHEET_MAX)
async def print_qr(turn: Turn, found: CellInvites, page: int) -> None:
    """The sheet of QR codes with names, as a PDF document."""
    tz = turn.services.timezone or VIETNAM
    cards = [InviteCard(i.full_name, _link(turn, i.code), i.code, i.expires_at.astimezone(tz).date())
             for i in found.invites]
    await turn.commit_early()  # the codes are kept (shown again next time); no lock held while drawing
    try:
        pdf = await asyncio.to_thread(render_invite_sheet, turn.lang, found.cell_name, local_today(), cards)
    except PrintUnavailable as exc:
        log.error("the invitation sheet cannot be drawn: %s", exc)
        turn.reply(turn.t("print.failed"))
        return
    caption = turn.t("invites.sheet_caption", count=len(cards), cell=esc(found.cell_name))
    document = InputFile(pdf, filename=sheet_filename(turn.lang, found.cell_name))
    chat_id, bot = turn.chat_id, turn.context.bot
    turn.later(lambda: bot.send_document(chat_id, document, caption=caption))
