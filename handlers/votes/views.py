"""What a member does with a vote: taps an option (and types "Ý kiến khác"), and /votes — the member's
votes, the officer's, each one's ballot, result, live status, early close and roll.

A tap on an option ("v:42:1") is checked against the database — is the presser an elector of that
vote, may they vote, is it open, does the option exist — answered at once with a toast naming the
choice, and the pressed message is edited to say what was chosen. Nothing a button says is believed.
"""
from __future__ import annotations

import functools
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import audit, clock, votes
from models.conversations import FORGET_AT
from models.permissions import may_manage_cell
from models.votes import Cast, Vote

from ..live_status import tell_outbox
from ..render import CAPTION_LIMIT, visible_length
from ..steps import answers, item_handler, named_item, refuse
from ..turn import Turn, esc, handler, member_handler
from . import buttons as btn
from .ballot import ballot_markup, ballot_text, chosen_text, option_label, short
from .render import STATUS, result_chart, result_head, result_text, roll_text

PENDING = "vote_pending_text"  # a member's "Ý kiến khác" waiting for its text
# A secret ballot's pending opinion ties the member to a choice: kept this long, then deleted (models/conversations).
SECRET_TEXT_WAIT = timedelta(minutes=10)
OTHER_TEXT = 10


# --- a member taps an option ---------------------------------------------------------------------------------------------
REFUSAL_KEYS = {
    Cast.probationary: "vote.refused.probationary",
    Cast.not_present: "vote.refused.not_present",
    Cast.closed: "vote.refused.closed",
}


async def _refused(turn: Turn, result: votes.CastResult, vote_id: int) -> None:
    """Nothing recorded; the attempt audited; a kind word for members, the usual refusal for the rest."""
    if result.outcome in REFUSAL_KEYS:
        await audit.record(turn.session, "vote_refused", actor_telegram_id=turn.user_id,
                           actor_member_id=turn.actor.member_id,
                           detail={"vote_id": vote_id, "reason": result.outcome.value})
        turn.answer(turn.t(REFUSAL_KEYS[result.outcome]), alert=True)
        if result.outcome is Cast.closed:
            await _show_closed(turn, result.vote)
        return
    await refuse(turn, f"vote_{result.outcome.value}")


async def _show_closed(turn: Turn, vote: Vote) -> None:
    """A tap on a closed vote: the pressed message loses its buttons and says it is over."""
    if turn.update.callback_query is None or turn.update.callback_query.message is None:
        return
    tz = turn.services.timezone
    voted = turn.actor.member_id is not None and await votes.has_voted(turn.session, vote, turn.actor.member_id)
    if voted:
        option, text = await votes.choice_of(turn.session, vote, turn.actor.member_id)
        shown = chosen_text(vote, turn.lang, tz, option, text)
    else:
        shown = ballot_text(vote, turn.lang, tz)
    turn.edit_behind(f"{shown}\n\n{turn.t('vote.refused.closed')}")  # after any edit of a tap before the close


def _show_choice(turn: Turn, result: votes.CastResult, *, chat_id: int | None = None,
                 message_id: int | None = None) -> None:
    """Edit the member's ballot: what they chose; the buttons stay only while the choice may change."""
    vote, tz = result.vote, turn.services.timezone
    shown = result.option
    text = chosen_text(vote, turn.lang, tz, shown, result.text)
    markup = ballot_markup(vote, turn.lang, shown.position if shown else None) if vote.may_change else None
    # After the toast, through the lane every edit of a ballot takes: the latest choice if the member taps again
    # meanwhile, and an older edit never lands after a newer one (a deleted ballot: logged by the lane).
    turn.edit_behind(text, markup, message=None if message_id is None or chat_id is None else (chat_id, message_id))


@handler
async def tapped(turn: Turn):
    query = turn.update.callback_query
    ids = btn.CAST.parse(query.data or "")
    if ids is None or not turn.actor.linked:
        await refuse(turn, "vote_tap")
        return ConversationHandler.END
    vote_id, position = ids
    # Written and committed with the taps that come at the same time (group commit), before the answer.
    result = await votes.cast_together(turn.services.sessionmaker, vote_id, turn.actor.member_id, position)
    if result.outcome in votes.REFUSED:
        await _refused(turn, result, vote_id)
        return ConversationHandler.END
    if result.outcome is Cast.text_needed:
        turn.context.user_data[PENDING] = {"vote": vote_id, "position": position, "chat": turn.chat_id,
                                          "message": query.message.message_id if query.message else None}
        ask = turn.t("vote.ask_text", limit=votes.TEXT_MAX)
        if result.vote is not None and result.vote.is_secret:
            turn.context.user_data[FORGET_AT] = clock.now() + SECRET_TEXT_WAIT
            # The member is told how long the choice is kept: nothing links them to it after that.
            minutes = int(SECRET_TEXT_WAIT.total_seconds() // 60)
            ask += "\n" + turn.t("vote.ask_text_secret_wait", minutes=minutes)
        else:
            turn.context.user_data.pop(FORGET_AT, None)
        turn.answer(turn.t("vote.ask_text_toast"))
        turn.reply(ask)
        return OTHER_TEXT
    _answer_cast(turn, result)
    if result.outcome in (Cast.recorded, Cast.changed):
        _show_choice(turn, result)
        tell_outbox(turn, votes.BALLOT_DELIVERY, touch=vote_id)
    return ConversationHandler.END


def _answer_cast(turn: Turn, result: votes.CastResult) -> None:
    option = result.option
    choice = option_label(turn.lang, option.kind, option.label) if option is not None else ""
    if result.outcome is Cast.recorded:
        turn.answer(turn.t("vote.toast.recorded", choice=choice))
    elif result.outcome is Cast.changed:
        turn.answer(turn.t("vote.toast.changed", choice=choice))
    elif result.outcome is Cast.same:
        turn.answer(turn.t("vote.toast.same", choice=choice))
    elif result.outcome is Cast.locked:
        key = "vote.toast.locked_secret" if option is None else "vote.toast.locked"
        turn.answer(turn.t(key, choice=choice), alert=True)


@member_handler
async def got_text(turn: Turn):
    pending = turn.context.user_data.pop(PENDING, None)
    forget_at = turn.context.user_data.pop(FORGET_AT, None)
    if not pending:
        return ConversationHandler.END
    opinion = votes.clean_text(turn.text)
    if not opinion:
        turn.context.user_data[PENDING] = pending
        if forget_at is not None:
            turn.context.user_data[FORGET_AT] = forget_at
        turn.reply(turn.t("vote.ask_text", limit=votes.TEXT_MAX))
        return OTHER_TEXT
    result = await votes.cast_together(turn.services.sessionmaker, pending["vote"], turn.actor.member_id,
                                       pending["position"], opinion)
    if result.outcome in votes.REFUSED:
        if result.outcome is Cast.closed:
            await audit.record(turn.session, "vote_refused", actor_telegram_id=turn.user_id,
                               actor_member_id=turn.actor.member_id,
                               detail={"vote_id": pending["vote"], "reason": result.outcome.value})
            turn.reply(turn.t("vote.refused.closed"), turn.menu())
        else:
            await refuse(turn, f"vote_{result.outcome.value}")
        return ConversationHandler.END
    if result.outcome is Cast.locked:
        earlier = result.option
        choice = esc(option_label(turn.lang, earlier.kind, earlier.label)) if earlier else ""
        turn.reply(turn.t("vote.toast.locked" if earlier else "vote.toast.locked_secret", choice=choice),
                   turn.menu())
        return ConversationHandler.END
    choice = esc(option_label(turn.lang, result.option.kind, result.option.label))
    turn.reply(turn.t("vote.text_recorded", choice=choice, text=esc(opinion)), turn.menu())
    if pending.get("message"):
        _show_choice(turn, result, chat_id=pending["chat"], message_id=pending["message"])
    tell_outbox(turn, votes.BALLOT_DELIVERY, touch=pending["vote"])
    return ConversationHandler.END


# --- /votes: the member's votes; the officer's ----------------------------------------------------------------------------
@member_handler
async def list_command(turn: Turn):
    open_votes, closed_votes = await votes.for_member(turn.session, turn.actor.member_id)
    managed = await votes.managed_votes(turn.session, turn.actor) if turn.actor.is_officer else []
    rows = []
    for item in open_votes:
        mark = "✅ " if item.voted else ("🗳 " if item.can_vote else "📖 ")
        rows.append([InlineKeyboardButton(f"{mark}{short(item.vote.question)}", callback_data=btn.OPEN.data(item.vote.id))])
    for item in closed_votes:
        rows.append([InlineKeyboardButton(f"📊 {short(item.vote.question)}", callback_data=btn.RESULT.data(item.vote.id))])
    for vote in managed:  # the officer's own view of each: live status, closing early
        rows.append([InlineKeyboardButton(f"⚙️ {short(vote.question)}", callback_data=btn.STATUS.data(vote.id))])
    if not rows:
        key = "vote.list_empty_officer" if turn.actor.is_officer else "vote.list_empty"
        turn.reply(turn.t(key), turn.menu())
        return
    to_vote = sum(1 for item in open_votes if item.can_vote and not item.voted)
    turn.reply(turn.t("vote.list_header", open=len(open_votes), to_vote=to_vote, closed=len(closed_votes)),
               InlineKeyboardMarkup(rows))


async def _may_follow(turn: Turn, vote: Vote) -> bool:
    return vote.opened_by_member_id == turn.actor.member_id or may_manage_cell(turn.actor, vote.cell)


async def _may_see_result(turn: Turn, vote: Vote) -> bool:
    return await votes.elector(turn.session, vote.id, turn.actor.member_id) is not None or await _may_follow(turn, vote)


async def _may_manage(turn: Turn, vote: Vote) -> bool:
    return may_manage_cell(turn.actor, vote.cell)


async def _may_see_roll(turn: Turn, vote: Vote) -> bool:
    return not vote.is_secret and may_manage_cell(turn.actor, vote.cell)


@answers(btn.OPEN)
@member_handler
async def open_pressed(turn: Turn):
    """From /votes: the ballot again, as it stands for this member."""
    vote = await named_item(turn, btn.OPEN, votes.get_vote)
    elector = await votes.elector(turn.session, vote.id, turn.actor.member_id) if vote else None
    if vote is None or elector is None:
        await refuse(turn, "vote_open_ballot")
        return
    lang, tz = turn.lang, turn.services.timezone
    if not elector.can_vote:
        key = "vote.probationary_note" if not elector.full else "vote.absent_note"
        turn.reply(f"{ballot_text(vote, lang, tz)}\n\n{turn.t(key)}")
        return
    if not vote.is_open():
        turn.answer(turn.t("vote.refused.closed"), alert=True)
        return
    if await votes.has_voted(turn.session, vote, turn.actor.member_id):
        option, text = await votes.choice_of(turn.session, vote, turn.actor.member_id)
        markup = ballot_markup(vote, lang, option.position if option else None) if vote.may_change else None
        turn.reply(chosen_text(vote, lang, tz, option, text), markup)
        return
    turn.reply(ballot_text(vote, lang, tz), ballot_markup(vote, lang))


@item_handler(btn.RESULT, votes.get_vote, _may_see_result, "vote_result")
async def result_pressed(turn: Turn, vote: Vote):
    result = await votes.tally(turn.session, vote)
    hide = not result.closed and not vote.results_live
    if hide and vote.is_open():
        turn.answer(turn.t("vote.counts_hidden"), alert=True)
        return
    text = result_text(result, vote, turn.lang, turn.services.timezone)
    if not result.closed:
        turn.reply(text)
        return
    png = await result_chart(result, turn.lang)
    bot, chat_id = turn.context.bot, turn.chat_id
    if png is None:  # the chart could not be drawn: the result all the same
        turn.reply(text)
    elif visible_length(text) <= CAPTION_LIMIT:
        turn.later(functools.partial(bot.send_photo, chat_id, photo=png, caption=text))
    else:
        turn.later(functools.partial(bot.send_photo, chat_id, photo=png, caption=result_head(vote, turn.lang)))
        turn.reply(text)


@item_handler(btn.STATUS, votes.get_vote, _may_follow, "vote_status")
async def status_pressed(turn: Turn, vote: Vote):
    await STATUS.show(turn, vote)


@item_handler(btn.CLOSE_ASK, votes.get_vote, _may_manage, "vote_close")
async def close_asked(turn: Turn, vote: Vote):
    if not vote.is_open():
        turn.answer(turn.t("vote.already_closed"), alert=True)
        return
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("vote.button.close_yes"), callback_data=btn.CLOSE_YES.data(vote.id)),
        InlineKeyboardButton(turn.t("vote.button.close_no"), callback_data=btn.STATUS.data(vote.id)),
    ]])
    await STATUS.leave(turn, vote)
    turn.edit(turn.t("vote.close_confirm", question=esc(vote.question)), markup)


@item_handler(btn.CLOSE_YES, votes.get_vote, _may_manage, "vote_close")
async def close_confirmed(turn: Turn, vote: Vote):
    closed = await votes.close_vote(turn.session, vote.id, by=turn.actor)
    turn.answer(turn.t("vote.closed_now" if closed else "vote.already_closed"))
    await STATUS.show(turn, await votes.get_vote(turn.session, vote.id))  # the card again, kept up to date
    if closed:
        tell_outbox(turn, votes.BALLOT_DELIVERY, wake=True)


@item_handler(btn.ROLL, votes.get_vote, _may_see_roll, "vote_roll")
async def roll_pressed(turn: Turn, vote: Vote):
    if vote.is_open() and not vote.results_live:
        turn.answer(turn.t("vote.counts_hidden"), alert=True)
        return
    await audit.record(turn.session, "vote_roll_viewed", actor_telegram_id=turn.user_id,
                       actor_member_id=turn.actor.member_id, detail={"vote_id": vote.id})
    turn.reply(await roll_text(turn.session, vote, turn.lang))
