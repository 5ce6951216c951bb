"""📋 The cell's appraisal (issue 16), for the cell's officers (and the committees above it): from the cell's
list (cells.py) a page per cell — each reviewed member, where their appraisal stands — with 🗳 one vote on the
level per sent member at one tap and ⏹ to end the meeting's votes at once; a member's page shows their sent
self-review, the cell's comments (✏️, typed: typed.py), the vote's counts and the proposal, and after a vote
without a majority the four levels for the secretary to pick (her reason typed). The votes are the votes'
engine's (secret; the members vote on the ballots it sends); models/review decides who may and what."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import review
from models.review import LEVELS, Appraisal, RoundState

from ..i18n import fmt_date, t
from ..meetings import buttons as meeting_buttons
from ..turn import Turn, esc
from . import buttons as btn
from .documents import cell_buttons
from .sheet import attempt, form_button, summary, voice_buttons
from .views import acting, level_rows, member_lines, opens, state_line

MOST_BUTTONS = 30


def meeting_part(lang: str, a: Appraisal) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The cell's review meeting (a meeting of kind "kiểm điểm"): its day and attendance, and its card; none yet:
    a button that schedules one (the meetings' steps, the kind chosen)."""
    m = a.meeting
    if m is None:
        if a.round.state is not RoundState.open:
            return [], []
        return [t(lang, "review.meeting_none")], [[InlineKeyboardButton(
            t(lang, "review.button.meeting_new"), callback_data=meeting_buttons.REVIEW_NEW.data(a.cell_id))]]
    lines = [t(lang, "review.meeting", when=fmt_date(m.starts_at))]
    lines.append(t(lang, "review.meeting_attendance", present=m.present, members=m.members) if m.roll_called
                 else t(lang, "review.meeting_no_roll"))
    return lines, [[InlineKeyboardButton(t(lang, "review.button.meeting"), callback_data=meeting_buttons.CARD.data(m.id))]]


def appraisal_screen(lang: str, a: Appraisal) -> tuple[str, InlineKeyboardMarkup]:
    meeting_lines, meeting_rows = meeting_part(lang, a)
    lines = [t(lang, "review.appraisal", cell=esc(a.cell_name), year=a.round.year), *meeting_lines, ""]
    for x in a.lines:
        lines += member_lines(lang, x)
    rows = [[InlineKeyboardButton(t(lang, "review.button.member", name=x.full_name[:40]),
                                  callback_data=btn.MEMBER.data(x.entry_id))]
            for x in a.lines if x.submitted][:MOST_BUTTONS]
    if a.round.state is RoundState.open:
        if to_vote := a.count("sent"):
            rows.append([InlineKeyboardButton(t(lang, "review.button.vote_all", count=to_vote),
                                              callback_data=btn.VOTE_ALL.data(a.round.id, a.cell_id))])
        if voting := a.count("voting"):
            rows.append([InlineKeyboardButton(t(lang, "review.button.end_votes", count=voting),
                                              callback_data=btn.END_VOTES.data(a.round.id, a.cell_id))])
    rows += meeting_rows
    rows += cell_buttons(lang, a.round.id, a.cell_id)
    lines.append(t(lang, "review.appraisal_help"))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def show_appraisal(turn: Turn, round_id: int, cell_id: int, *, edit: bool) -> None:
    a = await attempt(turn, review.appraisal(turn.session, turn.actor, round_id, cell_id), "review_appraisal")
    if a is None:
        return
    text, markup = appraisal_screen(turn.lang, a)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


async def show_member(turn: Turn, entry_id: int, *, edit: bool) -> None:
    """A sent member's page for the cell: the self-review, the cell's comments, the vote, the proposal."""
    s = await attempt(turn, review.member_sheet(turn.session, turn.actor, entry_id), "review_member")
    if s is None:
        return
    lang, e = turn.lang, s.entry
    x = review.line_of(s.round, e, s.full_name)
    comment = t(lang, "review.comment", text=esc(e.cell_comment)) if e.cell_comment else t(lang, "review.comment_none")
    lines = [t(lang, "review.member_head", name=esc(s.full_name), year=s.round.year, cell=esc(s.cell_name)),
             *([t(lang, "review.by_proxy")] if e.by_proxy else []), *summary(lang, s), "", comment,
             state_line(lang, x)]
    rows: list[list[InlineKeyboardButton]] = []
    if s.round.state is RoundState.open and x.decided is None:
        rows.append([InlineKeyboardButton(t(lang, "review.button.comment"), callback_data=btn.COMMENT.data(e.id))])
        if x.state in ("sent", "no_majority"):
            rows.append([InlineKeyboardButton(t(lang, "review.button.vote_one"), callback_data=btn.VOTE_ONE.data(e.id))])
        if x.state == "no_majority":
            lines.append(t(lang, "review.pick_help"))
            rows += level_rows(lang, btn.PICK, e.id)
    rows += voice_buttons(lang, s)
    rows.append(form_button(lang, e.id))
    rows.append([InlineKeyboardButton(t(lang, "review.button.back_cell"),
                                      callback_data=btn.APPRAISE.data(s.round.id, e.cell_id))])
    markup = InlineKeyboardMarkup(rows)
    turn.edit("\n".join(lines), markup) if edit else turn.reply("\n".join(lines), markup)


def _labels(turn: Turn) -> list[str]:
    return [turn.t(f"review.level.{lv.value}") for lv in LEVELS]


def _question(turn: Turn):
    return lambda name, year: turn.t("review.vote_question", name=name, year=year)


appraise_pressed = opens(btn.APPRAISE, show_appraisal, "review_appraisal")
member_pressed = opens(btn.MEMBER, show_member, "review_member")


async def _vote_one(turn: Turn, entry_id: int) -> list[int]:
    s = await review.member_sheet(turn.session, turn.actor, entry_id)
    return await review.open_votes(turn.session, turn.actor, s.round.id, s.entry.cell_id, question=_question(turn),
                                   labels=_labels(turn), entry_id=s.entry.id)


async def _voted_one(turn: Turn, fields: tuple, opened: list[int]) -> None:
    turn.answer(turn.t("review.votes_opened", count=len(opened)))
    await show_member(turn, fields[0], edit=True)


async def _voted_all(turn: Turn, fields: tuple, opened: list[int]) -> None:
    turn.reply(turn.t("review.votes_opened", count=len(opened)))
    await show_appraisal(turn, *fields, edit=True)


async def _ended(turn: Turn, fields: tuple, closed: int) -> None:
    turn.answer(turn.t("review.votes_ended", count=closed))
    await show_appraisal(turn, *fields, edit=True)


vote_one_pressed = acting(btn.VOTE_ONE, "review_vote", _vote_one, _voted_one)
vote_all_pressed = acting(btn.VOTE_ALL, "review_vote", lambda turn, round_id, cell_id: review.open_votes(
    turn.session, turn.actor, round_id, cell_id, question=_question(turn), labels=_labels(turn)), _voted_all)
end_votes_pressed = acting(btn.END_VOTES, "review_end_votes",
                           lambda turn, *ids: review.close_votes(turn.session, turn.actor, *ids), _ended)
