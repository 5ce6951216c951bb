"""/vote step by step: the cell, the question, the options, the closing time, the settings, open.

Every question has ◀ Quay lại (the step before, asked again in place, what was chosen shown and one tap
away: "✔ …") and ✖ Hủy (TRAIL, handlers.steps.Trail). A button of a conversation that is over gets
"expired" (stale_step)."""
from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ConversationHandler

from models import clock, one_line, units, votes
from models.permissions import managed_cells, may_manage_cell
from models.units import Unit
from models.votes import BallotKind, Electorate, PassRule, VoteError

from ..i18n import fmt_date, t
from ..live_status import tell_outbox
from ..steps import Kept, Trail, any_or_refuse, confirmed_draft, keep_row, one_line_form, refuse, take_kept
from ..steps import asked as _asked
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .ballot import short, when
from .render import STATUS

DRAFT = "vote_draft"
CELL, QUESTION, OPTIONS, CLOSES, SETTINGS = range(5)
NEEDS = ("cell", "question", "options", "closes_at")  # a draft that can be opened
CLOSE_PRESETS = ("1h", "2h", "24h", "3d")
CELLS_SHOWN = 30


def _remind_label(lang: str, value: timedelta | None) -> str:
    if not value:
        return t(lang, "vote.remind.none")
    minutes = int(value.total_seconds() // 60)
    if minutes % 1440 == 0:
        return t(lang, "vote.duration.days", count=minutes // 1440)
    if minutes % 60 == 0:
        return t(lang, "vote.duration.hours", count=minutes // 60)
    return t(lang, "vote.duration.minutes", count=minutes)


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


def _keep(label: str, what: str) -> list[InlineKeyboardButton]:
    return keep_row(btn.KEEP, label, what)


def _defaults() -> dict:
    return {"ballot": BallotKind.open.value, "electorate": Electorate.members.value, "rule": PassRule.members.value,
            "live": False, "change": True, "remind": int(votes.DEFAULT_REMINDER.total_seconds() // 60),
            "meeting": None, "meetings": []}


@member_handler
async def vote_command(turn: Turn):
    cells = await any_or_refuse(turn, managed_cells(turn.session, turn.actor, limit=CELLS_SHOWN), "vote")
    if not cells:
        return ConversationHandler.END
    draft = turn.context.user_data[DRAFT] = _defaults()
    draft["cells"] = [c.id for c in cells]
    if turn.args:
        try:
            line = one_line_form(turn, one_line.vote_line, "vote.one_line_usage")
        except VoteError as exc:
            turn.reply(_error(turn, exc))
            return ConversationHandler.END
        if line is None:
            return ConversationHandler.END
        draft["question"], draft["options"], draft["one_line"] = line.question, line.options, True
        draft["closes_at"] = (clock.now() + votes.DEFAULT_DURATION).isoformat()
        if len(cells) == 1:  # a cell's secretary: at once, with the usual settings
            draft["cell"] = cells[0].id
            await _open(turn, draft, edit=False)
            return ConversationHandler.END
        return _ask_cell(turn, cells)
    if len(cells) == 1:
        draft["cell"] = cells[0].id
        return _ask_question(turn, cells[0])
    return _ask_cell(turn, cells)


def _ask_cell(turn: Turn, cells: list[Unit], *, edit: bool = False):
    rows = [[InlineKeyboardButton(short(c.name, 60), callback_data=btn.CELL.data(c.id))] for c in cells]
    chosen = next((turn.t("vote.cell_chosen", cell=esc(c.name)) for c in cells if c.id == _draft(turn).get("cell")), None)
    return TRAIL.ask(turn, CELL, _asked(turn, "vote.ask_cell", chosen), rows, edit)


async def _ask_cell_again(turn: Turn, *, edit: bool = False):
    """The cells, asked again after ◀ (those offered at the start: the draft's)."""
    cells = await managed_cells(turn.session, turn.actor, limit=CELLS_SHOWN)
    return _ask_cell(turn, [c for c in cells if c.id in _draft(turn).get("cells", [])], edit=edit)


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
    if draft.get("one_line"):  # the one-line form: straight to the settings
        return await _show_settings(turn, edit=False)
    return _ask_question(turn, cell)


def _ask_question(turn: Turn, cell: Unit, *, edit: bool = False):
    kept = _draft(turn).get("question")
    rows = [_keep(f"✔ {kept}", "question")] if kept else []
    text = _asked(turn, "vote.ask_question", kept and turn.t("vote.question_chosen", question=esc(kept)),
                  cell=esc(cell.name), limit=votes.QUESTION_MAX)
    return TRAIL.ask(turn, QUESTION, text, rows, edit)


async def _ask_question_again(turn: Turn, *, edit: bool = False):
    cell = await units.get_unit(turn.session, _draft(turn).get("cell", 0))
    if cell is None:
        turn.edit(turn.t("vote.expired"))
        return ConversationHandler.END
    return _ask_question(turn, cell, edit=edit)


def _error(turn: Turn, exc: VoteError) -> str:
    return turn.t(f"vote.error.{exc.reason}", **exc.details)


@member_handler
async def got_question(turn: Turn):
    try:
        _draft(turn)["question"] = one_line.check_question(turn.text)
    except VoteError as exc:
        turn.reply(_error(turn, exc))
        return QUESTION
    return _ask_options(turn)


def _options_line(turn: Turn, options: list[str]) -> str:
    if options:
        return turn.t("vote.settings_options", options=" / ".join(esc(o) for o in options))
    return turn.t("vote.settings_options", options=" / ".join(turn.t(f"vote.option.{k.value}") for k in votes.STANDARD_OPTIONS))


def _ask_options(turn: Turn, *, edit: bool = False):
    kept = _draft(turn).get("options")
    rows = [[InlineKeyboardButton(turn.t("vote.button.standard"), callback_data=btn.STANDARD_OPTIONS.data("std"))]]
    if kept:
        rows.insert(0, _keep(turn.t("vote.button.keep_options"), "options"))
    text = _asked(turn, "vote.ask_options", None if kept is None else _options_line(turn, kept),
                  maximum=votes.OPTIONS_MAX)
    return TRAIL.ask(turn, OPTIONS, text, rows, edit)


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


def _ask_closes(turn: Turn, *, edit: bool = False):
    row = [InlineKeyboardButton(_remind_label(turn.lang, votes.parse_duration(p)), callback_data=btn.CLOSES.data(p))
           for p in CLOSE_PRESETS]
    rows, chosen = [row[:2], row[2:]], None
    if kept := _draft(turn).get("closes_at"):
        closes = when(datetime.fromisoformat(kept), turn.services.timezone)
        rows.insert(0, _keep(f"✔ {closes}", "closes"))
        chosen = turn.t("vote.settings_closes", closes=closes)
    return TRAIL.ask(turn, CLOSES, _asked(turn, "vote.ask_closes", chosen), rows, edit)


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
    meeting = next((m for m in draft["meetings"] if m["id"] == draft["meeting"]), None)
    lines = [
        turn.t("vote.settings_title"),
        turn.t("vote.settings_question", question=esc(draft["question"]), cell=esc(cell.name)),
        _options_line(turn, draft["options"]),
        turn.t("vote.settings_closes", closes=when(datetime.fromisoformat(draft["closes_at"]), tz)),
        "",
        turn.t("vote.settings_hint"),
    ]
    rows = [[InlineKeyboardButton(turn.t(f"vote.toggle.ballot.{draft['ballot']}"), callback_data=btn.TOGGLE.data("b"))]]
    if draft["meetings"]:
        label = (turn.t("vote.toggle.meeting", title=short(meeting["title"], 30), day=meeting["day"])
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
    rows.append([InlineKeyboardButton(turn.t("vote.button.open"), callback_data=btn.CONFIRM.data("ok"))])
    if secret:
        lines.append(turn.t("vote.settings_secret_note"))
    return "\n".join(lines), TRAIL.markup(turn, SETTINGS, rows)


async def _show_settings(turn: Turn, *, edit: bool):
    draft = _draft(turn)
    if not all(k in draft for k in NEEDS):
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
    if not all(k in draft for k in NEEDS):
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
    draft = confirmed_draft(turn, btn.CONFIRM, "ok", DRAFT, NEEDS, "vote.expired")
    if draft is not None:
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
    text = turn.t("vote.opened", closes=when(vote.closes_at, turn.services.timezone))
    turn.edit(text) if edit else turn.reply(text, turn.menu())
    STATUS.post(turn, vote.id)
    tell_outbox(turn, votes.BALLOT_DELIVERY, wake=True)


KEPT = {  # a step → what the draft keeps of it, the line saying so, the step asked next
    "question": Kept("question", lambda turn, draft: turn.t("vote.question_chosen", question=esc(draft["question"])),
                     _ask_options),
    "options": Kept("options", lambda turn, draft: _options_line(turn, draft["options"]), _ask_closes),
    "closes": Kept("closes_at", None, lambda turn: _show_settings(turn, edit=True)),
}


@member_handler
async def kept(turn: Turn):
    """✔ …: what was typed or chosen for this step before ◀, taken again; the next step asked."""
    return await take_kept(turn, btn.KEEP, _draft(turn), KEPT, "vote.expired")


# ◀ asks the step before again (in place), what was chosen kept; ✖ ends as /cancel does.
TRAIL = Trail("vote", DRAFT, btn.BACK, btn.QUIT, {
    CELL: _ask_cell_again, QUESTION: _ask_question_again, OPTIONS: _ask_options, CLOSES: _ask_closes,
}, "vote.expired")
stale_step = TRAIL.stale(btn.CONVERSATION)  # a button of the conversation once it is over
