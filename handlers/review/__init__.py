"""📝 Kiểm điểm cuối năm (issue 16, first slice): a committee officer opens the year's review round over its
unit (the committee's panel or /review: year, deadlines on the calendar, confirm — steps.py); every member in
scope is asked through the outbox (render.py) and fills in their self-review with buttons only (sheet.py);
the cell's officers see who has sent theirs and fill one in by proxy for a member without Telegram
(cells.py); the daily tick reminds at 7, 3 and 1 days before the deadline, each once. The cell's appraisal
(appraise.py: the members' sheets, the cell's comments, one vote per member on the level with the votes'
engine) makes the proposals; the committee decides and closes the round (decide.py; the reasons and comments
typed: typed.py), each member told their level (render.py). The rules, the permissions and the refusals are
models/review's (models/rules/review_2025.toml)."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from models import review
from models.dates import VIETNAM

from ..feature import Command, Feature, PanelItem
from ..keyboards import MENU_TEXT
from ..steps import TYPED, add_buttons, conversation
from ..turn import Turn, member_handler, services_of
from . import buttons as btn
from .render import render_open, render_reminder, render_result, render_votes

_TZ: list[tzinfo] = [VIETNAM]  # the bot's time zone, bound when the bot is built


@member_handler
async def review_command(turn: Turn):
    """/review: a committee officer opens a round; a cell's officer sees the cell's self-reviews."""
    from . import cells, steps

    if await review.units_to_open(turn.session, turn.actor):
        return await steps.begin(turn)
    if turn.actor.is_officer:
        await cells.show_cells(turn)
    else:
        turn.reply(turn.t("review.command_member"))
    return ConversationHandler.END


def register(app: Application) -> None:
    from . import appraise, cells, decide, documents, sheet, steps, typed

    _TZ[0] = services_of(app).timezone or VIETNAM
    app.add_handler(conversation(
        "review_round",
        [CallbackQueryHandler(steps.open_pressed, pattern=btn.OPEN.exact), CommandHandler("review", review_command)],
        steps.TRAIL.states({
            steps.UNIT: [CallbackQueryHandler(steps.chose_unit, pattern=btn.UNIT.pattern)],
            steps.YEAR: [CallbackQueryHandler(steps.chose_year, pattern=btn.YEAR.pattern)],
            steps.SELF_DAY: [CallbackQueryHandler(steps.day_pressed, pattern=btn.DAY.pattern),
                             CallbackQueryHandler(steps.month_pressed, pattern=btn.MONTH.pattern)],
            steps.MEET_DAY: [CallbackQueryHandler(steps.day_pressed, pattern=btn.DAY.pattern),
                             CallbackQueryHandler(steps.month_pressed, pattern=btn.MONTH.pattern)],
            steps.CONFIRM: [CallbackQueryHandler(steps.confirmed, pattern=btn.CONFIRM.pattern)],
        }),
    ))
    add_buttons(app, [steps.stale_step])
    pressed = [CallbackQueryHandler(sheet.start_pressed, pattern=btn.START.pattern),
               CallbackQueryHandler(sheet.proxy_pressed, pattern=btn.PROXY.pattern),
               CallbackQueryHandler(sheet.step_pressed, pattern=btn.STEP.pattern),
               CallbackQueryHandler(sheet.points_pressed, pattern=btn.POINTS.pattern),
               CallbackQueryHandler(sheet.cond_pressed, pattern=btn.COND.pattern),
               CallbackQueryHandler(sheet.no_more_pressed, pattern=btn.NO_MORE.pattern),
               CallbackQueryHandler(sheet.send_pressed, pattern=btn.SEND.pattern)]
    app.add_handler(CallbackQueryHandler(cells.cells_pressed, pattern=btn.CELLS.exact))
    app.add_handler(CallbackQueryHandler(cells.forms_pressed, pattern=btn.FORMS.exact))
    app.add_handler(CallbackQueryHandler(cells.form_pressed, pattern=btn.FORM.pattern))
    asks = [CallbackQueryHandler(typed.comment_pressed, pattern=btn.COMMENT.pattern),
            CallbackQueryHandler(typed.pick_pressed, pattern=btn.PICK.pattern),
            CallbackQueryHandler(typed.change_pressed, pattern=btn.CHANGE_TO.pattern)]
    # One conversation for every text the review waits for: a button of another one re-enters it, so a text
    # typed next goes to what was asked last (a self-review's step, a comment, a reason), never to an older one.
    text = TYPED & ~MENU_TEXT
    other = filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.VOICE  # a photo, a sticker, a file…
    app.add_handler(conversation("review_self", [*pressed, *asks], {
        sheet.WRITING: [MessageHandler(text, sheet.got_text), MessageHandler(filters.VOICE, sheet.got_voice),
                        MessageHandler(other, sheet.got_other)],
        typed.WRITING: [MessageHandler(text, typed.got_text), MessageHandler(other | filters.VOICE, typed.got_other)]}))
    add_buttons(app, [(sheet.hear_pressed, btn.HEAR.pattern), (sheet.voice_pressed, btn.VOICE.pattern), (appraise.appraise_pressed, btn.APPRAISE.pattern), (appraise.member_pressed, btn.MEMBER.pattern),
                      (appraise.vote_one_pressed, btn.VOTE_ONE.pattern), (appraise.vote_all_pressed, btn.VOTE_ALL.pattern),
                      (appraise.end_votes_pressed, btn.END_VOTES.pattern), (decide.decide_pressed, btn.DECIDE.pattern),
                      (decide.round_pressed, btn.ROUND.pattern),
                      (decide.round_page_pressed, btn.ROUND_PAGE.pattern), (decide.cell_pressed, btn.CELL.pattern),
                      (decide.approve_pressed, btn.APPROVE.pattern), (decide.change_pressed, btn.CHANGE.pattern),
                      (decide.close_pressed, btn.CLOSE.pattern), (decide.close_anyway_pressed, btn.CLOSE_ANYWAY.pattern),
                      *documents.HANDLERS])


async def daily_tick(session: AsyncSession) -> list[tuple[str, int]]:
    return await review.daily_tick(session, _TZ[0])


FEATURE = Feature(
    "review",
    register=register,
    commands=(Command("review", 175, officer=True),),
    renderers=lambda services: {review.OPEN_DELIVERY: render_open, review.REMINDER_DELIVERY: render_reminder,
                                review.RESULT_DELIVERY: render_result, review.VOTES_DELIVERY: render_votes},
    ticks=(daily_tick, review.settle_due),
    panel=(PanelItem("panel.review_open", 58, btn.OPEN.data, panels=frozenset({"party"})),
           PanelItem("panel.review_decide", 59, btn.DECIDE.data, count=review.proposals_waiting,
                     panels=frozenset({"party"})),
           PanelItem("panel.review_cells", 58, btn.CELLS.data, count=review.waiting_count,
                     panels=frozenset({"cell"}))),
)
