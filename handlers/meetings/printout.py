"""📄 Bản in on the secretary's card: the invitation on A4 in large print for the members without Telegram,
with their answers so far (those copied from an earlier sheet) and a column to sign (handlers/paper.py).

The sheet is in the handbook's language, as the minutes are: the members who get it on paper chose none.
"""
from __future__ import annotations

from models import meetings
from models.meetings import Meeting, MeetingError, MeetingState

from ..i18n import t
from ..paper import printed_on, send_sheet, sheet_members
from ..printing import Sheet
from ..turn import Turn
from . import buttons as btn
from .common import error_text, managed, when_text


@managed(btn.PRINT)
async def print_pressed(turn: Turn, meeting: Meeting, _: tuple):
    if meeting.state is MeetingState.cancelled:
        turn.answer(error_text(turn.lang, MeetingError("cancelled")), alert=True)
        return
    send_sheet(turn, await invitation(turn, meeting))
    turn.answer(turn.t("print.making"))


async def invitation(turn: Turn, meeting: Meeting) -> Sheet:
    lang, tz = turn.services.default_language, turn.services.timezone
    answered = await meetings.answers(turn.session, meeting.id)
    said = {a.member_id: t(lang, "print.answer.attend") for a in answered.attend}
    said |= {a.member_id: t(lang, "print.answer.absent", reason=a.reason or "") for a in answered.absent}
    body = [t(lang, "print.meeting.invite", kind=t(lang, f"meeting.kind.{meeting.kind.value}"))]
    if meeting.agenda:
        body.append(t(lang, "print.meeting.agenda", agenda=meeting.agenda))
    body.append(t(lang, "print.meeting.answer_note"))
    return Sheet(lang, "meeting", meeting.cell.name, meeting.title, printed_on(tz), body,
                 facts=(("time", when_text(lang, meeting.starts_at, tz)), ("place", meeting.place)),
                 members=await sheet_members(turn.session, meeting.cell_id, said), answer_column=True)

