"""What /help says: a member's short guide and their commands; an officer's guide to the officer's commands,
each tappable ("/meeting" in a message is a link that sends it) with its one-line form and an example.

The commands come from the features' declarations (handlers/features.py): a feature's new command, with
its `usage` catalog id, appears here without an edit to this file."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from .. import features
from ..feature import Command
from ..panel import buttons as panel_buttons
from ..turn import Turn

SELF = "help"  # not listed in its own answer


def command_block(turn: Turn, command: Command) -> str:
    """"/name — what it does", then its one-line form with an example when it takes words after it."""
    head = turn.t("help.command", command=f"/{command.name}", what=turn.t(f"cmd.{command.name}"))
    return head + ("\n" + turn.t(command.usage) if command.usage else "")


def member_help(turn: Turn) -> str:
    listed = [c for c in features.commands(officer=False) if c.name != SELF]
    return "\n\n".join([turn.t("help.member"), turn.t("help.commands"),
                        "\n".join(command_block(turn, c) for c in listed)])


def officer_help(turn: Turn) -> str:
    """The officer's commands a block each, then everyone's commands on one line (they are members too)."""
    every = [c for c in features.commands(officer=True) if c.name != SELF]
    own = [command_block(turn, c) for c in every if c.officer]
    everyone = " ".join(f"/{c.name}" for c in every if not c.officer)
    return "\n\n".join([turn.t("help.officer"), turn.t("help.officer_commands"), *own,
                        turn.t("help.member_commands", commands=everyone)])


def panel_button(turn: Turn) -> InlineKeyboardMarkup | None:
    """The officer's panel, one tap away (the panel's own button: it opens in place of the help)."""
    panel = turn.actor.panel
    if panel is None or not turn.actor.linked:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(turn.t(f"menu.panel_{panel}"),
                                                       callback_data=panel_buttons.OPEN.data())]])
