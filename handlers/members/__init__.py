"""/members and /invite for secretaries and committee officers.

views.py: the member list and a member's profile; invite.py: invitations and re-links; render.py: the
notice to the account a re-linked record left; cell_invites.py (and invite_sheet.py, its printed QR codes):
📨 Mời đảng viên on the panel, every member of a cell not on Telegram yet invited at once.
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from models import invitations, relinking

from ..feature import Command, Feature, PanelItem
from ..steps import TYPED, conversation
from . import buttons as btn
from .cell_invites import invite_all, invite_cell, print_qr, send_each
from .invite import ASK_WHO, invite_answer, invite_button, invite_command, relink_cancel, relink_confirm
from .render import render_account_moved
from .views import list_members, member_profile, members_page, suspend_asked, suspend_confirmed

INVITE_TIMEOUT_S = 600


def register(app) -> None:
    app.add_handler(CommandHandler("members", list_members))
    app.add_handler(CallbackQueryHandler(list_members, pattern=btn.LIST.exact))
    app.add_handler(CallbackQueryHandler(invite_all, pattern=btn.INVITE_ALL.exact))
    buttons = ((members_page, btn.MEMBERS_PAGE), (member_profile, btn.PROFILE), (invite_button, btn.INVITE),
               (relink_confirm, btn.RELINK_YES), (relink_cancel, btn.RELINK_NO), (invite_cell, btn.INVITE_CELL),
               (send_each, btn.INVITE_SEND), (print_qr, btn.INVITE_QR), (suspend_asked, btn.SUSPEND),
               (suspend_confirmed, btn.SUSPEND_OK))
    for callback, codec in buttons:
        app.add_handler(CallbackQueryHandler(callback, pattern=codec.pattern))
    app.add_handler(conversation(
        "invite",
        [CommandHandler("invite", invite_command)],
        {ASK_WHO: [MessageHandler(TYPED, invite_answer)]},
        timeout=INVITE_TIMEOUT_S,
    ))


FEATURE = Feature(
    "members",
    register=register,
    commands=(Command("members", 100, officer=True), Command("invite", 110, officer=True, usage="invite.usage")),
    renderers=lambda services: {relinking.ACCOUNT_MOVED_DELIVERY: render_account_moved},
    panel=(PanelItem("panel.members", 50, btn.LIST.data),
           # after feedback and corrections: members waiting for an answer come before those to invite
           PanelItem("panel.invite", 75, btn.INVITE_ALL.data, count=invitations.unlinked_count,
                     panels=frozenset({"cell"}))),
)
