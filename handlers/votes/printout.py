"""📄 Bản in on a closed vote's status card: the result on A4 in large print — the question, each option's
count, the verdict under the vote's rule — with the cell's members who are not on Telegram and a column
to sign (handlers/paper.py). Only for those who may manage the cell, only once the vote is closed.
"""
from __future__ import annotations

from models import votes
from models.permissions import may_manage_cell

from ..paper import plain, printed_on, send_sheet, sheet_members
from ..printing import Sheet
from ..steps import answers, named_item, refuse
from ..turn import Turn, member_handler
from . import buttons as btn
from .ballot import when
from .render import result_text

HEAD_LINES = 2  # result_text's title and its line under it: the sheet has its own


@answers(btn.PRINT)
@member_handler
async def print_pressed(turn: Turn):
    vote = await named_item(turn, btn.PRINT, votes.get_vote)
    if vote is None or not may_manage_cell(turn.actor, vote.cell):
        await refuse(turn, "vote_print")
        return
    if vote.is_open():
        turn.answer(turn.t("print.vote_open"), alert=True)
        return
    # In the handbook's language: those who get it on paper chose none.
    lang, tz = turn.services.default_language, turn.services.timezone
    result = await votes.tally(turn.session, vote)
    text = plain(result_text(result, vote, lang, tz)).split("\n")[HEAD_LINES:]
    body = [paragraph.strip() for paragraph in "\n".join(text).split("\n\n") if paragraph.strip()]
    sheet = Sheet(lang, "vote", vote.cell.name, vote.question, printed_on(tz), body,
                  facts=(("closes", when(result.closed_at or vote.closes_at, tz)),),
                  members=await sheet_members(turn.session, vote.cell_id))
    send_sheet(turn, sheet)
    turn.answer(turn.t("print.making"))
