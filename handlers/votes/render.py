"""What the outbox sends of a vote (ballots, reminders, results with their chart, the roll), the
result's words and the opener's live status. The dispatcher calls the renderers (FEATURE.renderers)."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import deliveries, votes
from models.votes import PassRule, Vote, VoteResult

from .. import charts
from ..i18n import t
from ..live_status import LiveStatus
from ..paper import print_button
from ..render import CAPTION_LIMIT, TextOnly, picture, split_message, visible_length
from ..turn import esc
from . import buttons as btn
from .ballot import ballot_markup, ballot_text, kind_text, option_label, percent, short, when

NAMES_SHOWN = 30
Call = tuple[str, dict]


# --- renderers the dispatcher calls (FEATURE.renderers) ---------------------------------------------------------
async def render_ballot(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    vote = await votes.get_vote(session, vote_id)
    if vote is None or vote.closed_at is not None:
        return []
    return [("sendMessage", {"text": ballot_text(vote, lang, tz), "parse_mode": "HTML",
                             "reply_markup": ballot_markup(vote, lang).to_dict()})]


async def _render_to_read(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None, key: str) -> list[Call]:
    vote = await votes.get_vote(session, vote_id)
    if vote is None:
        return []
    text = f"{ballot_text(vote, lang, tz)}\n\n{t(lang, key)}"
    return [("sendMessage", {"text": text, "parse_mode": "HTML"})]


async def render_probation(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    return await _render_to_read(session, vote_id, lang, tz, "vote.probationary_note")


async def render_absent(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    return await _render_to_read(session, vote_id, lang, tz, "vote.absent_note")


async def render_reminder(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    vote = await votes.get_vote(session, vote_id)
    if vote is None or not vote.is_open():
        return []
    text = t(lang, "vote.reminder", question=esc(vote.question), cell=esc(vote.cell.name),
             closes=when(vote.closes_at, tz))
    return [("sendMessage", {"text": text, "parse_mode": "HTML",
                             "reply_markup": ballot_markup(vote, lang).to_dict()})]


async def render_result(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The result with its chart: one picture with the whole text as caption when it fits."""
    vote = await votes.get_vote(session, vote_id)
    if vote is None:
        return []
    result = await votes.tally(session, vote)
    text = result_text(result, vote, lang, tz)
    png = await result_chart(result, lang)
    if png is None:  # the chart could not be drawn: the result goes all the same
        return TextOnly([("sendMessage", {"text": chunk, "parse_mode": "HTML"}) for chunk in split_message(text)],
                        missing="chart")
    if visible_length(text) <= CAPTION_LIMIT:
        return [("sendPhoto", {"photo": png, "caption": text, "parse_mode": "HTML"})]
    calls: list[Call] = [("sendPhoto", {"photo": png, "caption": result_head(vote, lang), "parse_mode": "HTML"})]
    calls += [("sendMessage", {"text": chunk, "parse_mode": "HTML"}) for chunk in split_message(text)]
    return calls


async def render_roll(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """To the one who opened an open ballot: who chose what. Never for a secret ballot."""
    vote = await votes.get_vote(session, vote_id)
    if vote is None or vote.is_secret:
        return []
    return [("sendMessage", {"text": chunk, "parse_mode": "HTML"})
            for chunk in split_message(await roll_text(session, vote, lang))]


# --- results -------------------------------------------------------------------------------------------------------
def _base_name(lang: str, rule: PassRule) -> str:
    return t(lang, f"vote.base.{rule.value}")


def result_text(result: VoteResult, vote: Vote, lang: str, tz: tzinfo | None, *, hide_counts: bool = False) -> str:
    """Counts with the base of every percentage, and whether it passed under the vote's rule."""
    head_key = "vote.result_title" if result.closed else "vote.result_title_live"
    lines = [t(lang, head_key, question=esc(vote.question)),
             t(lang, "vote.result_sub", cell=esc(vote.cell.name), kind=kind_text(lang, vote),
               closes=when(result.closed_at or vote.closes_at, tz))]
    if hide_counts:
        lines.append(t(lang, "vote.counts_hidden"))
        return "\n".join(lines)
    lines.append("")
    for o in result.options:
        label = esc(option_label(lang, o.kind, o.label))
        lines.append(t(lang, "vote.result_option", option=label, count=o.count))
        shares = [t(lang, "vote.share.cast", percent=percent(lang, o.count, result.cast), count=o.count,
                    base=result.cast)]
        if result.present is not None:
            shares.append(t(lang, "vote.share.present", percent=percent(lang, o.count, result.present),
                            count=o.count, base=result.present))
        shares.append(t(lang, "vote.share.members", percent=percent(lang, o.count, result.members), count=o.count,
                        base=result.members))
        lines.append("   " + " · ".join(shares))
        for opinion in o.texts[:20]:
            lines.append(f"   – «{esc(opinion)}»")
    lines.append("")
    lines.append(t(lang, "vote.result_cast", cast=result.cast, eligible=result.eligible))
    if result.present is not None:
        lines.append(t(lang, "vote.result_present", present=result.present))
    lines.append(t(lang, "vote.result_members", members=result.members))
    if result.exempt_left_out:
        lines.append(t(lang, "vote.result_exempt", count=result.exempt_left_out))
    if result.rule is PassRule.two_thirds:
        lines.append(t(lang, "vote.result_away", count=result.away_left_out, base=result.base))
    lines.append("")
    lines.append(verdict(result, lang))
    return "\n".join(lines)


def verdict(result: VoteResult, lang: str) -> str:
    base, base_name = result.base, _base_name(lang, result.rule)
    if result.standard:
        agree = result.agree
        key = "vote.passed" if result.passed else "vote.not_passed"
        if not result.closed:
            key = "vote.passing" if result.passed else "vote.not_passing"
        if result.rule is PassRule.two_thirds:
            key += "_two_thirds"
        return t(lang, key, count=agree.count, base=base, base_name=base_name,
                 percent=percent(lang, agree.count, base))
    adopted = result.adopted
    if adopted is not None:
        key = "vote.adopted" if result.closed else "vote.adopting"
        return t(lang, key, option=esc(adopted.label), count=adopted.count, base=base, base_name=base_name,
                 percent=percent(lang, adopted.count, base))
    return t(lang, "vote.none_adopted" if result.closed else "vote.none_adopting", base=base, base_name=base_name)


def result_head(vote: Vote, lang: str) -> str:
    """The chart's caption when the whole result is too long for one: the question."""
    return t(lang, "vote.result_head", question=esc(short(vote.question, 200)))


async def result_chart(result: VoteResult, lang: str) -> bytes | None:
    """The result's chart as a PNG; None when it could not be drawn (the result then goes as text)."""
    return await picture(votes.RESULT_DELIVERY, chart_png, **chart_args(result, lang))


def chart_args(result: VoteResult, lang: str) -> dict:
    return {
        "question": result.question,
        "labels": [option_label(lang, o.kind, o.label) for o in result.options],
        "counts": [o.count for o in result.options],
        "shares": [percent(lang, o.count, result.cast) for o in result.options],
        "base": result.base,
        "axis": t(lang, "vote.chart.axis", cast=result.cast, base=result.base,
                  base_name=_base_name(lang, result.rule)),
        "half": t(lang, "vote.chart.two_thirds" if result.rule is PassRule.two_thirds else "vote.chart.half",
                  base=result.base),
        "mark": 2 / 3 if result.rule is PassRule.two_thirds else 1 / 2,
        "verdict": t(lang, "vote.chart.passed" if result.passed else "vote.chart.not_passed"),
        "passed": result.passed,
    }


def chart_png(*, question: str, labels: list[str], counts: list[int], shares: list[str], base: int, axis: str,
              half: str, verdict: str, passed: bool, mark: float = 1 / 2) -> bytes:
    """A bar a choice, the "more than half" line (two thirds: at 2/3), the verdict: one portrait PNG a phone can
    read."""
    return charts.vote_chart(question=question, labels=labels, counts=counts, shares=shares, base=base, axis=axis,
                             half=half, verdict=verdict, passed=passed, mark=mark)


async def roll_text(session: AsyncSession, vote: Vote, lang: str) -> str:
    lines = [t(lang, "vote.roll_title", question=esc(vote.question))]
    entries = await votes.roll(session, vote)
    for o in vote.options:
        chose = [e for e in entries if e.position == o.position]
        lines.append("")
        lines.append(t(lang, "vote.roll_option", option=esc(option_label(lang, o.kind, o.label)), count=len(chose)))
        for e in chose:
            lines.append(f"• {esc(e.name)}" + (f" — «{esc(e.text)}»" if e.text else ""))
    missing = [e for e in entries if e.position is None]
    if missing:
        lines.append("")
        lines.append(t(lang, "vote.roll_missing", count=len(missing)))
        lines += [f"• {esc(e.name)}" for e in missing]
    return "\n".join(lines)


# --- the opener's live status ----------------------------------------------------------------------------------------
async def status_view(session: AsyncSession, vote: Vote, lang: str, tz: tzinfo | None) -> tuple[str, dict]:
    turnout = await votes.turnout(session, vote, names=NAMES_SHOWN)
    result = await votes.tally(session, vote)
    open_now = vote.is_open()
    lines = [t(lang, "vote.status_title", question=esc(vote.question)),
             t(lang, "vote.status_sub", cell=esc(vote.cell.name), kind=kind_text(lang, vote),
               closes=when(vote.closed_at or vote.closes_at, tz)),
             t(lang, "vote.status_settings", electorate=t(lang, f"vote.electorate.{vote.electorate.value}"),
               rule=_base_name(lang, vote.rule)),
             t(lang, "vote.status_turnout", voted=turnout.voted, eligible=turnout.eligible)]
    if vote.results_live or not open_now:
        lines.append("")
        for o in result.options:
            lines.append(t(lang, "vote.status_option", option=esc(option_label(lang, o.kind, o.label)),
                           count=o.count, percent=percent(lang, o.count, result.cast)))
        lines.append(verdict(result, lang))
    elif open_now:
        lines.append(t(lang, "vote.status_hidden"))
    if open_now and turnout.not_voted:
        lines.append("")
        lines.append(t(lang, "vote.status_missing", count=turnout.eligible - turnout.voted))
        lines.append(", ".join(esc(n) for n in turnout.not_voted)
                     + (" …" if turnout.eligible - turnout.voted > len(turnout.not_voted) else ""))
    if not open_now:
        lines.append("")
        lines.append(t(lang, "vote.status_closed"))
        no_chart = await deliveries.sent_text_only(session, votes.RESULT_DELIVERY, vote.id)
        if no_chart:
            lines.append(t(lang, "vote.status_no_chart", count=no_chart))
    buttons = [[InlineKeyboardButton(t(lang, "vote.button.refresh"), callback_data=btn.STATUS.data(vote.id))]]
    if open_now:
        buttons.append([InlineKeyboardButton(t(lang, "vote.button.close"), callback_data=btn.CLOSE_ASK.data(vote.id))])
    if not vote.is_secret and (vote.results_live or not open_now):
        buttons.append([InlineKeyboardButton(t(lang, "vote.button.roll"), callback_data=btn.ROLL.data(vote.id))])
    if not open_now:
        buttons.append([InlineKeyboardButton(t(lang, "vote.button.result"), callback_data=btn.RESULT.data(vote.id))])
        buttons.append([print_button(lang, btn.PRINT.data(vote.id))])
    return "\n".join(lines), InlineKeyboardMarkup(buttons).to_dict()


STATUS = LiveStatus(votes.get_vote, status_view, votes.set_status_message)
status_edits = STATUS.edits  # the dispatcher's PROGRESS hook for votes (ballots and results going out)
