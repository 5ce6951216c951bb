"""/vote, /votes and the ballot buttons: votes of a cell, open or secret, closed by the clock.

Ballots, reminders and results reach members through the outbox (models.votes queues them, the
dispatcher renders them with the renderers below, once per vote and language). A tap on an option
("v:42:1") is checked against the database — is the presser an elector of that vote, may they
vote, is it open, does the option exist — answered at once with a toast naming the choice, and
the pressed message is edited to say what was chosen. Nothing a button says is believed.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import warnings
from datetime import datetime, timedelta, tzinfo

from babel.numbers import format_decimal
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from models import audit, clock, deliveries, one_line, units, votes
from models.callback_data import any_of
from models.conversations import FORGET_AT
from models.db import has_single_writer
from models.permissions import managed_cells, may_manage_cell
from models.units import Unit
from models.votes import BallotKind, Cast, Electorate, OptionKind, PassRule, Vote, VoteError, VoteResult

from . import charts
from .buttons import votes as btn
from .cancel import cancel
from .feature import Command, Feature, MenuButton
from .i18n import DEFAULT, LANGUAGES, fmt_date, t
from .keyboards import MENU_TEXT, main_menu, menu_pattern
from .live_status import LiveStatus, tell_outbox
from .render import CAPTION_LIMIT, TextOnly, picture, split_message, visible_length
from .steps import refuse
from .turn import Turn, esc, handler, member_handler

log = logging.getLogger(__name__)

DRAFT = "vote_draft"
PENDING = "vote_pending_text"  # a member's "Ý kiến khác" waiting for its text
# A secret ballot's pending opinion ties the member to a choice: kept this long, then deleted (models/conversations).
SECRET_TEXT_WAIT = timedelta(minutes=10)
CELL, QUESTION, OPTIONS, CLOSES, SETTINGS = range(5)
OTHER_TEXT = 10
CLOSE_PRESETS = ("1h", "2h", "24h", "3d")
CELLS_SHOWN = 30
NAMES_SHOWN = 30
BUTTON_TITLE = 48
Call = tuple[str, dict]


# --- words ------------------------------------------------------------------------------------------------------
def option_label(lang: str, kind: OptionKind, label: str) -> str:
    return label if kind is OptionKind.choice else t(lang, f"vote.option.{kind.value}")


def _kind_text(lang: str, vote: Vote) -> str:
    return t(lang, f"vote.ballot.{vote.ballot.value}")


def _when(value: datetime | None, tz: tzinfo | None) -> str:
    return fmt_date(value, tz) if value else "—"


def percent(lang: str, count: int, base: int | None) -> str:
    if not base:
        return "—"
    return format_decimal(round(100 * count / base, 1), format="#,##0.#", locale=lang if lang in LANGUAGES else DEFAULT)


def _short(text: str, limit: int = BUTTON_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _remind_label(lang: str, value: timedelta | None) -> str:
    if not value:
        return t(lang, "vote.remind.none")
    minutes = int(value.total_seconds() // 60)
    if minutes % 1440 == 0:
        return t(lang, "vote.duration.days", count=minutes // 1440)
    if minutes % 60 == 0:
        return t(lang, "vote.duration.hours", count=minutes // 60)
    return t(lang, "vote.duration.minutes", count=minutes)


# --- the ballot on a member's phone --------------------------------------------------------------------------
def ballot_text(vote: Vote, lang: str, tz: tzinfo | None) -> str:
    """Three short lines before the buttons: who asks, what, until when."""
    return t(lang, "vote.ballot_text", cell=esc(vote.cell.name), question=esc(vote.question),
             kind=_kind_text(lang, vote), closes=_when(vote.closes_at, tz))


def ballot_markup(vote: Vote, lang: str, chosen: int | None = None) -> InlineKeyboardMarkup:
    """One big button a row, one row per option; the member's choice marked."""
    rows = []
    for o in vote.options:
        mark = "✅ " if o.position == chosen else ""
        rows.append([InlineKeyboardButton(f"{mark}{option_label(lang, o.kind, o.label)}"[:64],
                                          callback_data=btn.CAST.data(vote.id, o.position))])
    return InlineKeyboardMarkup(rows)


def chosen_text(vote: Vote, lang: str, tz: tzinfo | None, option: votes.VoteOption | None, text: str | None) -> str:
    """The ballot after a tap: what the member chose, and whether it can still change."""
    lines = [ballot_text(vote, lang, tz), ""]
    if option is None:  # a secret ballot keeps no choice to show again
        lines.append(t(lang, "vote.voted_secret"))
    else:
        choice = esc(option_label(lang, option.kind, option.label))
        if text:
            choice = f"{choice} — «{esc(text)}»"
        lines.append(t(lang, "vote.you_chose", choice=choice))
        if vote.is_secret:  # shown once, in the member's own chat; the handbook keeps it with no name
            lines.append(t(lang, "vote.secret_note"))
    if vote.may_change and vote.is_open():
        lines.append(t(lang, "vote.may_change", closes=_when(vote.closes_at, tz)))
    return "\n".join(lines)


# --- renderers the dispatcher calls (registered in bot/dispatcher.py) --------------------------------------------
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
             closes=_when(vote.closes_at, tz))
    return [("sendMessage", {"text": text, "parse_mode": "HTML",
                             "reply_markup": ballot_markup(vote, lang).to_dict()})]


async def render_result(session: AsyncSession, vote_id: int, lang: str, tz: tzinfo | None) -> list[Call]:
    """The result with its chart: one picture with the whole text as caption when it fits."""
    vote = await votes.get_vote(session, vote_id)
    if vote is None:
        return []
    result = await votes.tally(session, vote)
    text = result_text(result, vote, lang, tz)
    png = await picture(votes.RESULT_DELIVERY, chart_png, **chart_args(result, lang))
    if png is None:  # the chart could not be drawn: the result goes all the same
        return TextOnly([("sendMessage", {"text": chunk, "parse_mode": "HTML"}) for chunk in split_message(text)],
                        missing="chart")
    if visible_length(text) <= CAPTION_LIMIT:
        return [("sendPhoto", {"photo": png, "caption": text, "parse_mode": "HTML"})]
    head = t(lang, "vote.result_head", question=esc(_short(vote.question, 200)))
    calls: list[Call] = [("sendPhoto", {"photo": png, "caption": head, "parse_mode": "HTML"})]
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
             t(lang, "vote.result_sub", cell=esc(vote.cell.name), kind=_kind_text(lang, vote),
               closes=_when(result.closed_at or vote.closes_at, tz))]
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
        return t(lang, key, count=agree.count, base=base, base_name=base_name,
                 percent=percent(lang, agree.count, base))
    adopted = result.adopted
    if adopted is not None:
        key = "vote.adopted" if result.closed else "vote.adopting"
        return t(lang, key, option=esc(adopted.label), count=adopted.count, base=base, base_name=base_name,
                 percent=percent(lang, adopted.count, base))
    return t(lang, "vote.none_adopted" if result.closed else "vote.none_adopting", base=base, base_name=base_name)


def chart_args(result: VoteResult, lang: str) -> dict:
    return {
        "question": result.question,
        "labels": [option_label(lang, o.kind, o.label) for o in result.options],
        "counts": [o.count for o in result.options],
        "shares": [percent(lang, o.count, result.cast) for o in result.options],
        "base": result.base,
        "axis": t(lang, "vote.chart.axis", cast=result.cast, base=result.base,
                  base_name=_base_name(lang, result.rule)),
        "half": t(lang, "vote.chart.half", base=result.base),
        "verdict": t(lang, "vote.chart.passed" if result.passed else "vote.chart.not_passed"),
        "passed": result.passed,
    }


def chart_png(*, question: str, labels: list[str], counts: list[int], shares: list[str], base: int, axis: str,
              half: str, verdict: str, passed: bool) -> bytes:
    """A horizontal bar a choice, the "more than half" line, the verdict: a PNG for sendPhoto."""
    import textwrap

    with charts.figure((8, 2.2 + 0.75 * len(labels)), **{"font.size": 13}) as fig:
        ax = fig.add_subplot()
        ys = list(range(len(labels)))[::-1]
        palette = ["#2e7d32", "#c62828", "#f9a825", "#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e"]
        bars = ax.barh(ys, counts, color=palette[: len(labels)] if len(labels) <= len(palette) else None,
                       height=0.6)
        ax.set_yticks(ys, labels=["\n".join(textwrap.wrap(label, 22)) or "—" for label in labels])
        top = max([base, *counts, 1])
        ax.set_xlim(0, top * 1.25)
        for bar, count, share in zip(bars, counts, shares, strict=False):
            ax.text(bar.get_width() + top * 0.02, bar.get_y() + bar.get_height() / 2, f"{count}  ({share}%)",
                    va="center", fontsize=13, fontweight="bold")
        if base:
            ax.axvline(base / 2, color="#b71c1c", linestyle="--", linewidth=1.5, label=half)
        ax.set_title("\n".join(textwrap.wrap(question, 60)[:3]), loc="left", fontsize=14, fontweight="bold")
        ax.set_xlabel(axis)
        ax.spines[["top", "right"]].set_visible(False)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if base:
            ax.legend(loc="upper left", bbox_to_anchor=(0, -0.18), frameon=False, fontsize=12)
        ax.text(1.0, -0.2, verdict, transform=ax.transAxes, ha="right", va="top", fontsize=15, fontweight="bold",
                color="#2e7d32" if passed else "#b71c1c")
        return charts.png(fig, bbox_inches="tight", pad_inches=0.3)


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
             t(lang, "vote.status_sub", cell=esc(vote.cell.name), kind=_kind_text(lang, vote),
               closes=_when(vote.closed_at or vote.closes_at, tz)),
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
    return "\n".join(lines), InlineKeyboardMarkup(buttons).to_dict()


STATUS = LiveStatus(votes.get_vote, status_view, votes.set_status_message)
status_edits = STATUS.edits  # the dispatcher's PROGRESS hook for votes (ballots and results going out)


async def _may_follow(turn: Turn, vote: Vote) -> bool:
    return vote.opened_by_member_id == turn.actor.member_id or may_manage_cell(turn.actor, vote.cell)


# --- /vote step by step -----------------------------------------------------------------------------------------------
def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _defaults() -> dict:
    return {"ballot": BallotKind.open.value, "electorate": Electorate.members.value, "rule": PassRule.members.value,
            "live": False, "change": True, "remind": int(votes.DEFAULT_REMINDER.total_seconds() // 60),
            "meeting": None, "meetings": []}


@member_handler
async def vote_command(turn: Turn):
    cells = await managed_cells(turn.session, turn.actor, limit=CELLS_SHOWN)
    if not cells:
        await refuse(turn, "vote")
        return ConversationHandler.END
    draft = turn.context.user_data[DRAFT] = _defaults()
    draft["cells"] = [c.id for c in cells]
    if turn.args:
        try:
            line = one_line.vote_line(turn.args)
        except one_line.Usage:
            turn.reply(turn.t("vote.one_line_usage"))
            return ConversationHandler.END
        except VoteError as exc:
            turn.reply(_error(turn, exc))
            return ConversationHandler.END
        draft["question"], draft["options"] = line.question, line.options
        draft["closes_at"] = (clock.now() + votes.DEFAULT_DURATION).isoformat()
        if len(cells) == 1:  # a cell's secretary: at once, with the usual settings
            draft["cell"] = cells[0].id
            await _open(turn, draft, edit=False)
            return ConversationHandler.END
        return _ask_cell(turn, cells)
    if len(cells) == 1:
        draft["cell"] = cells[0].id
        turn.reply(turn.t("vote.ask_question", cell=esc(cells[0].name), limit=votes.QUESTION_MAX))
        return QUESTION
    return _ask_cell(turn, cells)


def _ask_cell(turn: Turn, cells: list[Unit]):
    rows = [[InlineKeyboardButton(_short(c.name, 60), callback_data=btn.CELL.data(c.id))] for c in cells]
    turn.reply(turn.t("vote.ask_cell"), InlineKeyboardMarkup(rows))
    return CELL


@member_handler
async def chose_cell(turn: Turn):
    draft = _draft(turn)
    ids = btn.CELL.parse(turn.update.callback_query.data)
    if not ids or ids[0] not in draft.get("cells", []):
        await refuse(turn, "vote_cell")
        return CELL
    cell = await units.get_unit(turn.session, ids[0])
    if cell is None or not may_manage_cell(turn.actor, cell):
        await refuse(turn, "vote_cell")
        return ConversationHandler.END
    draft["cell"] = cell.id
    turn.edit(turn.t("vote.cell_chosen", cell=esc(cell.name)))
    if draft.get("question"):  # the one-line form: straight to the settings
        return await _show_settings(turn, edit=False)
    turn.reply(turn.t("vote.ask_question", cell=esc(cell.name), limit=votes.QUESTION_MAX))
    return QUESTION


def _error(turn: Turn, exc: VoteError) -> str:
    return turn.t(f"vote.error.{exc.reason}", **exc.details)


@member_handler
async def got_question(turn: Turn):
    try:
        _draft(turn)["question"] = one_line.check_question(turn.text)
    except VoteError as exc:
        turn.reply(_error(turn, exc))
        return QUESTION
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(turn.t("vote.button.standard"), callback_data=btn.STANDARD_OPTIONS.data("std"))]])
    turn.reply(turn.t("vote.ask_options", maximum=votes.OPTIONS_MAX), markup)
    return OPTIONS


@member_handler
async def got_options(turn: Turn):
    lines = turn.text.replace("|", "\n").splitlines()
    try:
        _draft(turn)["options"] = votes.clean_options(lines)
    except VoteError as exc:
        turn.reply(_error(turn, exc))
        return OPTIONS
    return _ask_closes(turn)


@member_handler
async def standard_options(turn: Turn):
    _draft(turn)["options"] = []
    turn.edit(turn.t("vote.options_standard"))
    return _ask_closes(turn)


def _ask_closes(turn: Turn):
    row = [InlineKeyboardButton(_remind_label(turn.lang, votes.parse_duration(p)), callback_data=btn.CLOSES.data(p))
           for p in CLOSE_PRESETS]
    turn.reply(turn.t("vote.ask_closes"), InlineKeyboardMarkup([row[:2], row[2:]]))
    return CLOSES


@member_handler
async def chose_closes(turn: Turn):
    (preset,) = btn.CLOSES.parse(turn.update.callback_query.data) or ("",)
    if preset not in CLOSE_PRESETS:
        await refuse(turn, "vote_closes")
        return CLOSES
    _draft(turn)["closes_at"] = (clock.now() + votes.parse_duration(preset)).isoformat()
    return await _show_settings(turn, edit=True)


@member_handler
async def got_closes(turn: Turn):
    try:
        at = votes.parse_closing(turn.text, turn.services.timezone)
    except VoteError as exc:
        turn.reply(_error(turn, exc))
        return CLOSES
    _draft(turn)["closes_at"] = at.isoformat()
    return await _show_settings(turn, edit=False)


async def _settings_view(turn: Turn, draft: dict) -> tuple[str, InlineKeyboardMarkup]:
    lang, tz = turn.lang, turn.services.timezone
    cell = await units.get_unit(turn.session, draft["cell"])
    secret = draft["ballot"] == BallotKind.secret.value
    if draft["options"]:
        options = " / ".join(esc(o) for o in draft["options"])
    else:
        options = " / ".join(t(lang, f"vote.option.{k.value}") for k in votes.STANDARD_OPTIONS)
    meeting = next((m for m in draft["meetings"] if m["id"] == draft["meeting"]), None)
    lines = [
        turn.t("vote.settings_title"),
        turn.t("vote.settings_question", question=esc(draft["question"]), cell=esc(cell.name)),
        turn.t("vote.settings_options", options=options),
        turn.t("vote.settings_closes", closes=_when(datetime.fromisoformat(draft["closes_at"]), tz)),
        "",
        turn.t("vote.settings_hint"),
    ]
    rows = [[InlineKeyboardButton(turn.t(f"vote.toggle.ballot.{draft['ballot']}"), callback_data=btn.TOGGLE.data("b"))]]
    if draft["meetings"]:
        label = (turn.t("vote.toggle.meeting", title=_short(meeting["title"], 30), day=meeting["day"])
                 if meeting else turn.t("vote.toggle.no_meeting"))
        rows.append([InlineKeyboardButton(label[:64], callback_data=btn.TOGGLE.data("m"))])
    if meeting:
        rows.append([InlineKeyboardButton(turn.t(f"vote.toggle.electorate.{draft['electorate']}"),
                                          callback_data=btn.TOGGLE.data("e"))])
    rows.append([InlineKeyboardButton(turn.t(f"vote.toggle.rule.{draft['rule']}"), callback_data=btn.TOGGLE.data("r"))])
    if not secret:
        rows.append([InlineKeyboardButton(turn.t("vote.toggle.live" if draft["live"] else "vote.toggle.hidden"),
                                          callback_data=btn.TOGGLE.data("l"))])
        rows.append([InlineKeyboardButton(turn.t("vote.toggle.change" if draft["change"] else "vote.toggle.fixed"),
                                          callback_data=btn.TOGGLE.data("c"))])
    remind = timedelta(minutes=draft["remind"]) if draft["remind"] else None
    rows.append([InlineKeyboardButton(turn.t("vote.toggle.remind", when=_remind_label(lang, remind)),
                                      callback_data=btn.TOGGLE.data("n"))])
    rows.append([InlineKeyboardButton(turn.t("vote.button.open"), callback_data=btn.CONFIRM.data("ok")),
                 InlineKeyboardButton(turn.t("vote.button.cancel"), callback_data=btn.CONFIRM.data("no"))])
    if secret:
        lines.append(turn.t("vote.settings_secret_note"))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _show_settings(turn: Turn, *, edit: bool):
    draft = _draft(turn)
    if not all(k in draft for k in ("cell", "question", "options", "closes_at")):
        turn.reply(turn.t("vote.expired"))
        return ConversationHandler.END
    found = await votes.meetings_for_votes(turn.session, draft["cell"])
    draft["meetings"] = [{"id": m.id, "title": m.title, "day": fmt_date(m.starts_at, turn.services.timezone)}
                         for m in found]
    text, markup = await _settings_view(turn, draft)
    turn.edit(text, markup) if edit else turn.reply(text, markup)
    return SETTINGS


_RULES = (PassRule.members.value, PassRule.present.value, PassRule.cast.value)
_REMINDS = tuple(int(r.total_seconds() // 60) if r else 0 for r in votes.REMINDER_CHOICES)


@member_handler
async def toggled(turn: Turn):
    draft = _draft(turn)
    (what,) = btn.TOGGLE.parse(turn.update.callback_query.data) or ("",)
    if not all(k in draft for k in ("cell", "question", "options", "closes_at")):
        turn.edit(turn.t("vote.expired"))
        return ConversationHandler.END
    has_meeting = draft.get("meeting") is not None
    if what == "b":
        draft["ballot"] = BallotKind.open.value if draft["ballot"] == BallotKind.secret.value else BallotKind.secret.value
    elif what == "m" and draft["meetings"]:
        ids = [None] + [m["id"] for m in draft["meetings"]]
        draft["meeting"] = ids[(ids.index(draft.get("meeting")) + 1) % len(ids)]
        if draft["meeting"] is None:
            draft["electorate"] = Electorate.members.value
            if draft["rule"] == PassRule.present.value:
                draft["rule"] = PassRule.members.value
    elif what == "e" and has_meeting:
        draft["electorate"] = (Electorate.members.value if draft["electorate"] == Electorate.present.value
                               else Electorate.present.value)
    elif what == "r":
        choices = [r for r in _RULES if has_meeting or r != PassRule.present.value]
        draft["rule"] = choices[(choices.index(draft["rule"]) + 1) % len(choices)] if draft["rule"] in choices \
            else choices[0]
    elif what == "l":
        draft["live"] = not draft["live"]
    elif what == "c":
        draft["change"] = not draft["change"]
    elif what == "n":
        draft["remind"] = _REMINDS[(_REMINDS.index(draft["remind"]) + 1) % len(_REMINDS)] \
            if draft["remind"] in _REMINDS else _REMINDS[0]
    else:
        await refuse(turn, "vote_setting")
        return SETTINGS
    text, markup = await _settings_view(turn, draft)
    turn.edit(text, markup)
    return SETTINGS


@member_handler
async def confirmed(turn: Turn):
    draft = turn.context.user_data.pop(DRAFT, None) or {}
    if btn.CONFIRM.parse(turn.update.callback_query.data) != ("ok",):
        turn.edit(turn.t("cancel.done"))
        return ConversationHandler.END
    if not all(k in draft for k in ("cell", "question", "options", "closes_at")):
        turn.edit(turn.t("vote.expired"))
        return ConversationHandler.END
    await _open(turn, draft, edit=True)
    return ConversationHandler.END


async def _open(turn: Turn, draft: dict, *, edit: bool) -> None:
    remind = timedelta(minutes=draft["remind"]) if draft.get("remind") else None
    try:
        vote = await votes.open_vote(
            turn.session, turn.actor, cell_id=draft["cell"], question=draft["question"], options=draft["options"],
            ballot=BallotKind(draft["ballot"]), electorate=Electorate(draft["electorate"]),
            rule=PassRule(draft["rule"]), closes_at=datetime.fromisoformat(draft["closes_at"]),
            results_live=bool(draft["live"]), may_change=bool(draft["change"]), meeting_id=draft.get("meeting"),
            remind_before=remind,
        )
    except VoteError as exc:
        if exc.reason == "not_allowed":
            await refuse(turn, "vote_open")
        else:
            turn.edit(_error(turn, exc)) if edit else turn.reply(_error(turn, exc))
        return
    text = turn.t("vote.opened", closes=_when(vote.closes_at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, main_menu(turn.lang))
    STATUS.post(turn, vote.id)
    tell_outbox(turn, votes.BALLOT_DELIVERY, wake=True)


@member_handler
async def stale_step(turn: Turn):
    """A button of a /vote conversation that is over."""
    turn.answer(turn.t("vote.expired"), alert=True)


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
    turn.edit(f"{shown}\n\n{turn.t('vote.refused.closed')}")


def _show_choice(turn: Turn, result: votes.CastResult, *, chat_id: int | None = None,
                 message_id: int | None = None) -> None:
    """Edit the member's ballot: what they chose; the buttons stay only while the choice may change."""
    vote, tz = result.vote, turn.services.timezone
    shown = result.option
    text = chosen_text(vote, turn.lang, tz, shown, result.text)
    markup = ballot_markup(vote, turn.lang, shown.position if shown else None) if vote.may_change else None
    if message_id is None:
        turn.edit(text, markup)
        return
    bot = turn.context.bot

    async def edit() -> None:
        try:
            await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
        except BadRequest as exc:  # the ballot was deleted, or already shows this
            log.info("could not update a ballot message: %s", type(exc).__name__)

    turn.later(edit)


_WRITERS: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def _single_writer(turn: Turn) -> bool:
    return has_single_writer(turn.session)


@contextlib.asynccontextmanager
async def _one_writer(turn: Turn):
    """SQLite has one writer at a time: a flood of taps queues here, in order, instead of in
    SQLite's busy handler, which sleeps and retries (and made taps wait seconds under load)."""
    if not _single_writer(turn):
        yield
        return
    loop = asyncio.get_running_loop()
    lock = _WRITERS.get(loop)
    if lock is None:
        for stale in [k for k in _WRITERS if k.is_closed()]:
            del _WRITERS[stale]
        lock = _WRITERS[loop] = asyncio.Lock()
    async with lock:
        yield


@handler
async def tapped(turn: Turn):
    query = turn.update.callback_query
    ids = btn.CAST.parse(query.data or "")
    if ids is None or not turn.actor.linked:
        await refuse(turn, "vote_tap")
        return ConversationHandler.END
    vote_id, position = ids
    vote, single = None, _single_writer(turn)
    if single:
        # Read the vote before queueing for the write lock, in a transaction of its own (ended here):
        # SQLite's one writer then holds the lock for the guarded INSERT alone.
        vote = await votes.get_vote(turn.session, vote_id)
        await turn.commit_early()
    if single and vote is None:
        result = votes.CastResult(Cast.no_vote)
    else:
        async with _one_writer(turn):
            result = await votes.cast_ballot(turn.session, vote_id, turn.actor.member_id, position, vote=vote)
            await turn.commit_early()  # inside the queue: the next writer goes in once this one has committed
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
    async with _one_writer(turn):
        result = await votes.cast_ballot(turn.session, pending["vote"], turn.actor.member_id, pending["position"],
                                         opinion)
        await turn.commit_early()  # inside the queue: the next writer goes in once this one has committed
    if result.outcome in votes.REFUSED:
        if result.outcome is Cast.closed:
            await audit.record(turn.session, "vote_refused", actor_telegram_id=turn.user_id,
                               actor_member_id=turn.actor.member_id,
                               detail={"vote_id": pending["vote"], "reason": result.outcome.value})
            turn.reply(turn.t("vote.refused.closed"), main_menu(turn.lang))
        else:
            await refuse(turn, f"vote_{result.outcome.value}")
        return ConversationHandler.END
    if result.outcome is Cast.locked:
        earlier = result.option
        choice = esc(option_label(turn.lang, earlier.kind, earlier.label)) if earlier else ""
        turn.reply(turn.t("vote.toast.locked" if earlier else "vote.toast.locked_secret", choice=choice),
                   main_menu(turn.lang))
        return ConversationHandler.END
    choice = esc(option_label(turn.lang, result.option.kind, result.option.label))
    turn.reply(turn.t("vote.text_recorded", choice=choice, text=esc(opinion)), main_menu(turn.lang))
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
        rows.append([InlineKeyboardButton(f"{mark}{_short(item.vote.question)}", callback_data=btn.OPEN.data(item.vote.id))])
    for item in closed_votes:
        rows.append([InlineKeyboardButton(f"📊 {_short(item.vote.question)}", callback_data=btn.RESULT.data(item.vote.id))])
    for vote in managed:  # the officer's own view of each: live status, closing early
        rows.append([InlineKeyboardButton(f"⚙️ {_short(vote.question)}", callback_data=btn.STATUS.data(vote.id))])
    if not rows:
        key = "vote.list_empty_officer" if turn.actor.is_officer else "vote.list_empty"
        turn.reply(turn.t(key), main_menu(turn.lang))
        return
    to_vote = sum(1 for item in open_votes if item.can_vote and not item.voted)
    turn.reply(turn.t("vote.list_header", open=len(open_votes), to_vote=to_vote, closed=len(closed_votes)),
               InlineKeyboardMarkup(rows))


@member_handler
async def open_pressed(turn: Turn):
    """From /votes: the ballot again, as it stands for this member."""
    ids = btn.OPEN.parse(turn.update.callback_query.data)
    vote = await votes.get_vote(turn.session, ids[0]) if ids else None
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


@member_handler
async def result_pressed(turn: Turn):
    ids = btn.RESULT.parse(turn.update.callback_query.data)
    vote = await votes.get_vote(turn.session, ids[0]) if ids else None
    elector = await votes.elector(turn.session, vote.id, turn.actor.member_id) if vote else None
    if vote is None or (elector is None and not await _may_follow(turn, vote)):
        await refuse(turn, "vote_result")
        return
    result = await votes.tally(turn.session, vote)
    hide = not result.closed and not vote.results_live
    if hide and vote.is_open():
        turn.answer(turn.t("vote.counts_hidden"), alert=True)
        return
    text = result_text(result, vote, turn.lang, turn.services.timezone)
    if not result.closed:
        turn.reply(text)
        return
    png = await picture(votes.RESULT_DELIVERY, chart_png, **chart_args(result, turn.lang))
    bot, chat_id = turn.context.bot, turn.chat_id
    if png is None:  # the chart could not be drawn: the result all the same
        turn.reply(text)
    elif visible_length(text) <= CAPTION_LIMIT:
        turn.later(functools.partial(bot.send_photo, chat_id, photo=png, caption=text))
    else:
        head = turn.t("vote.result_head", question=esc(_short(vote.question, 200)))
        turn.later(functools.partial(bot.send_photo, chat_id, photo=png, caption=head))
        turn.reply(text)


@member_handler
async def status_pressed(turn: Turn):
    ids = btn.STATUS.parse(turn.update.callback_query.data)
    vote = await votes.get_vote(turn.session, ids[0]) if ids else None
    if vote is None or not await _may_follow(turn, vote):
        await refuse(turn, "vote_status")
        return
    text, markup = await status_view(turn.session, vote, turn.lang, turn.services.timezone)
    turn.edit(text, InlineKeyboardMarkup.de_json(markup, turn.context.bot))
    query = turn.update.callback_query
    if vote.status_message_id is None and query.message is not None:
        await votes.set_status_message(turn.session, vote.id, turn.chat_id, query.message.message_id)


@member_handler
async def close_asked(turn: Turn):
    ids = btn.CLOSE_ASK.parse(turn.update.callback_query.data)
    vote = await votes.get_vote(turn.session, ids[0]) if ids else None
    if vote is None or not may_manage_cell(turn.actor, vote.cell):
        await refuse(turn, "vote_close")
        return
    if not vote.is_open():
        turn.answer(turn.t("vote.already_closed"), alert=True)
        return
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("vote.button.close_yes"), callback_data=btn.CLOSE_YES.data(vote.id)),
        InlineKeyboardButton(turn.t("vote.button.close_no"), callback_data=btn.STATUS.data(vote.id)),
    ]])
    turn.edit(turn.t("vote.close_confirm", question=esc(vote.question)), markup)


@member_handler
async def close_confirmed(turn: Turn):
    ids = btn.CLOSE_YES.parse(turn.update.callback_query.data)
    vote = await votes.get_vote(turn.session, ids[0]) if ids else None
    if vote is None or not may_manage_cell(turn.actor, vote.cell):
        await refuse(turn, "vote_close")
        return
    closed = await votes.close_vote(turn.session, vote.id, by=turn.actor)
    turn.answer(turn.t("vote.closed_now" if closed else "vote.already_closed"))
    vote = await votes.get_vote(turn.session, vote.id)
    text, markup = await status_view(turn.session, vote, turn.lang, turn.services.timezone)
    turn.edit(text, InlineKeyboardMarkup.de_json(markup, turn.context.bot))
    if closed:
        tell_outbox(turn, votes.BALLOT_DELIVERY, wake=True)


@member_handler
async def roll_pressed(turn: Turn):
    ids = btn.ROLL.parse(turn.update.callback_query.data)
    vote = await votes.get_vote(turn.session, ids[0]) if ids else None
    if vote is None or vote.is_secret or not may_manage_cell(turn.actor, vote.cell):
        await refuse(turn, "vote_roll")
        return
    if vote.is_open() and not vote.results_live:
        turn.answer(turn.t("vote.counts_hidden"), alert=True)
        return
    await audit.record(turn.session, "vote_roll_viewed", actor_telegram_id=turn.user_id,
                       actor_member_id=turn.actor.member_id, detail={"vote_id": vote.id})
    turn.reply(await roll_text(turn.session, vote, turn.lang))


# --- wiring ---------------------------------------------------------------------------------------------------------------------
def register(app) -> None:
    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Buttons of each step are answered by this user's conversation, whatever message they sit on.
        warnings.simplefilter("ignore", PTBUserWarning)
        opening = ConversationHandler(
            entry_points=[CommandHandler("vote", vote_command)],
            states={
                CELL: [CallbackQueryHandler(chose_cell, pattern=btn.CELL.pattern)],
                QUESTION: [MessageHandler(text, got_question)],
                OPTIONS: [CallbackQueryHandler(standard_options, pattern=btn.STANDARD_OPTIONS.exact), MessageHandler(text, got_options)],
                CLOSES: [CallbackQueryHandler(chose_closes, pattern=btn.CLOSES.pattern), MessageHandler(text, got_closes)],
                SETTINGS: [CallbackQueryHandler(toggled, pattern=btn.TOGGLE.pattern),
                           CallbackQueryHandler(confirmed, pattern=btn.CONFIRM.exact)],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            conversation_timeout=1800,
            allow_reentry=True,
            name="vote",
        )
        # A tap is a conversation only for "Ý kiến khác": the next text is the opinion.
        tapping = ConversationHandler(
            entry_points=[CallbackQueryHandler(tapped, pattern=btn.CAST.pattern)],
            states={OTHER_TEXT: [MessageHandler(text & ~MENU_TEXT, got_text)]},
            fallbacks=[CommandHandler("cancel", cancel)],
            conversation_timeout=900,
            allow_reentry=True,
            name="vote_opinion",
        )
    app.add_handler(tapping)
    app.add_handler(opening)
    app.add_handler(CallbackQueryHandler(stale_step, pattern=any_of(*btn.CONVERSATION)))
    app.add_handler(CommandHandler("votes", list_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.votes")), list_command))
    app.add_handler(CallbackQueryHandler(open_pressed, pattern=btn.OPEN.pattern))
    app.add_handler(CallbackQueryHandler(result_pressed, pattern=btn.RESULT.pattern))
    app.add_handler(CallbackQueryHandler(status_pressed, pattern=btn.STATUS.pattern))
    app.add_handler(CallbackQueryHandler(close_asked, pattern=btn.CLOSE_ASK.pattern))
    app.add_handler(CallbackQueryHandler(close_confirmed, pattern=btn.CLOSE_YES.pattern))
    app.add_handler(CallbackQueryHandler(roll_pressed, pattern=btn.ROLL.pattern))


async def close_and_remind(session) -> list[tuple[str, int]]:
    """The clock's tick: votes whose time is up are closed, reminders fallen due queued."""
    return [(votes.BALLOT_DELIVERY, i) for i in await votes.close_due(session) + await votes.remind_due(session)]


FEATURE = Feature(
    "votes",
    register=register,
    commands=(Command("votes", 50), Command("vote", 140, officer=True)),
    menu=(MenuButton("menu.votes", 40),),
    renderers=lambda services: {
        votes.BALLOT_DELIVERY: render_ballot,
        votes.PROBATION_DELIVERY: render_probation,
        votes.ABSENT_DELIVERY: render_absent,
        votes.REMINDER_DELIVERY: render_reminder,
        votes.RESULT_DELIVERY: render_result,
        votes.ROLL_DELIVERY: render_roll,
    },
    progress={votes.BALLOT_DELIVERY: status_edits, votes.RESULT_DELIVERY: status_edits},
    ticks=(close_and_remind,),
)
