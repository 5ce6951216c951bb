"""/meeting, /meetings, /attendance: scheduling a cell meeting, telling every member, following who
comes, the roll-call, the record and the minutes.

Sending never happens here: a scheduled meeting queues its notice (models.meetings) and the
dispatcher sends it at Telegram's pace with the renderers of render.py, in each member's language.
Reminders and moves go the same way. Callback data is short and opaque ("ga:42", buttons.py); every
press is checked against the database (is the presser a member of that cell, may they manage it).

The parts: steps (the /meeting conversation) and offers (what its steps offer to tap), views (what members see and answer, /meetings),
manage (the secretary's card, proxy answers and those given on paper, move, cancel), printout (📄 the
invitation printed for members without Telegram), attendance (roll-call, record, close),
minutes (draft, edit, approve, the Word file of minutes_docx), render (outbox renderers, live card),
prepare (HD 42 on the panel: the cell's agenda template, tomorrow's meetings without documents),
common (what they share).
"""
from __future__ import annotations

from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from models import meetings

from ..feature import Command, Feature, MenuButton, PanelItem
from ..steps import TYPED, add_buttons, add_command, conversation, entry
from . import attendance, manage, minutes, prepare, printout, steps, views
from . import buttons as btn
from .common import (
    AGENDA,
    CELL,
    CONFIRM,
    CONTENT,
    DAY,
    DECISIONS,
    DOCS,
    EDIT,
    KIND,
    MOVE,
    PLACE,
    REASON,
    TEMPLATE,
    TIME,
    TITLE,
)
from .render import render_change, render_notice, render_reminder, status_edits

# The buttons answered outside the conversation, in this order (after it); each handler knows the codecs it
# answers (steps.answers).
BUTTONS = (steps.stale_step, views.attend_pressed, views.reason_pressed, views.open_pressed, manage.card_pressed,
           manage.proxy_pressed, manage.answer_for_pressed, manage.reason_for_pressed, printout.print_pressed,
           manage.paper_pressed, manage.cancel_pressed, manage.cancel_confirmed)
ROLL_CALL_BUTTONS = (attendance.roll_pressed, attendance.mark_pressed, attendance.all_present_pressed,  # after /attendance
                     attendance.no_decisions, attendance.close_confirmed, minutes.draft_pressed,
                     minutes.approve_pressed, minutes.download_pressed, minutes.model_pressed, minutes.prose_pressed)


def register(app) -> None:
    scheduling = {  # /meeting's steps, each with ◀ Quay lại and ✖ Hủy (steps.TRAIL)
        CELL: [CallbackQueryHandler(steps.chose_cell, pattern=btn.CELL.pattern)],
        KIND: [CallbackQueryHandler(steps.chose_kind, pattern=btn.KIND.pattern)],
        DAY: [CallbackQueryHandler(steps.chose_day, pattern=btn.DAY.pattern),
              CallbackQueryHandler(steps.month_pressed, pattern=btn.MONTH.pattern), MessageHandler(TYPED, steps.typed_day)],
        TIME: [CallbackQueryHandler(steps.chose_time, pattern=btn.TIME.pattern), MessageHandler(TYPED, steps.typed_time)],
        TITLE: [CallbackQueryHandler(steps.chose_title, pattern=btn.TITLE.exact),
                MessageHandler(TYPED, steps.typed_title)],
        PLACE: [CallbackQueryHandler(steps.chose_place, pattern=btn.PLACE.pattern),
                MessageHandler(TYPED, steps.typed_place)],
        AGENDA: [CallbackQueryHandler(steps.skipped_agenda, pattern=btn.NO_AGENDA.exact),
                 CallbackQueryHandler(steps.used_template, pattern=btn.USE_TEMPLATE.exact),
                 MessageHandler(TYPED, steps.typed_agenda)],
        DOCS: [MessageHandler(filters.Document.ALL | filters.PHOTO, steps.got_doc),
               CallbackQueryHandler(steps.docs_done, pattern=btn.DOCS_DONE.exact)],
        CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.exact)],
    }
    app.add_handler(conversation(
        "meeting",
        [
            *entry("meeting", steps.meeting_command, btn.PANEL),
            CallbackQueryHandler(steps.review_meeting_pressed, pattern=btn.REVIEW_NEW.pattern),
            CallbackQueryHandler(views.absent_pressed, pattern=btn.ABSENT.pattern),
            CallbackQueryHandler(manage.move_pressed, pattern=btn.MOVE.pattern),
            CallbackQueryHandler(attendance.close_pressed, pattern=btn.CLOSE.pattern),
            CallbackQueryHandler(minutes.edit_field_pressed, pattern=btn.MINUTES_FIELD.pattern),
            CallbackQueryHandler(prepare.template_pressed, pattern=btn.TEMPLATE.exact),
            CallbackQueryHandler(prepare.template_cell_pressed, pattern=btn.TEMPLATE_CELL.pattern),
            CallbackQueryHandler(prepare.template_reset_pressed, pattern=btn.TEMPLATE_RESET.pattern),
        ],
        {
            **steps.TRAIL.states(scheduling),
            REASON: [CallbackQueryHandler(views.reason_pressed, pattern=btn.REASON.pattern),
                     MessageHandler(TYPED, views.typed_reason)],
            MOVE: [MessageHandler(TYPED, manage.typed_move)],
            CONTENT: [MessageHandler(TYPED, attendance.typed_content)],
            DECISIONS: [MessageHandler(TYPED, attendance.typed_decisions),
                        CallbackQueryHandler(attendance.no_decisions, pattern=btn.NO_DECISIONS.pattern)],
            EDIT: [MessageHandler(TYPED, minutes.typed_field)],
            TEMPLATE: [MessageHandler(TYPED, prepare.typed_template)],
        },
        fallbacks=[CallbackQueryHandler(views.attend_pressed, pattern=btn.ATTEND.pattern)],
    ))
    add_buttons(app, BUTTONS)
    add_command(app, "attendance", attendance.attendance_command)
    add_buttons(app, [(prepare.documents_due_pressed, btn.DOCS_DUE.exact),
                      (attendance.attendance_command, btn.ROLL_DUE.exact)])
    add_buttons(app, ROLL_CALL_BUTTONS)
    add_command(app, "meetings", views.meetings_command, menu="menu.meetings")


CELL_PANEL = frozenset({"cell"})


async def _roll_call_due(session, actor) -> int:
    return len(await meetings.roll_call_due(session, actor))


FEATURE = Feature(
    "meetings",
    register=register,
    commands=(Command("meetings", 30), Command("meeting", 120, officer=True, usage="meeting.usage"),
              Command("attendance", 160, officer=True)),
    menu=(MenuButton("menu.meetings", 20),),
    renderers=lambda services: {
        meetings.MEETING_DELIVERY: render_notice,
        meetings.REMINDER_DELIVERY: render_reminder,
        meetings.CHANGE_DELIVERY: render_change,
    },
    progress={meetings.MEETING_DELIVERY: status_edits},
    ticks=(meetings.reminder_tick,),
    panel=(PanelItem("panel.meeting", 20, btn.PANEL.data, panels=CELL_PANEL),
           PanelItem("panel.meeting_documents", 22, btn.DOCS_DUE.data, count=prepare.missing_documents_count,
                     panels=CELL_PANEL),
           PanelItem("panel.meeting_template", 24, btn.TEMPLATE.data, panels=CELL_PANEL),
           PanelItem("panel.attendance", 40, btn.ROLL_DUE.data, count=_roll_call_due, panels=CELL_PANEL)),
)
