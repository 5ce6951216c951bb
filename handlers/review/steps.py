"""📝 Opening the year's review round, step by step (the committee's panel or /review): the unit (when the
officer has several), the year (this one by default), the self-review deadline and the cells' meeting
deadline picked on the calendar, then a confirmation. Every question has ◀ Quay lại and ✖ Hủy (TRAIL). Once
opened, the officer sees how many members are reviewed and who is left out and why; the members are told
through the outbox (render.py). The rules and refusals are models/review's."""
from __future__ import annotations

from datetime import date, timedelta

from telegram import InlineKeyboardButton
from telegram.ext import ConversationHandler

from models import review
from models.dates import local_today
from models.review import ReviewError

from ..calendar import day_of, month_markup, month_of
from ..i18n import fmt_date
from ..steps import Trail, confirmed_draft, refuse, tell_refusal
from ..turn import Turn, esc, member_handler
from . import buttons as btn

DRAFT = "review_round_draft"
UNIT, YEAR, SELF_DAY, MEET_DAY, CONFIRM = range(5)
NEEDS = ("unit", "year", "self_day", "meet_day")
DAY_KEYS = {SELF_DAY: "self_day", MEET_DAY: "meet_day"}


def _draft(turn: Turn) -> dict:
    return turn.context.user_data.setdefault(DRAFT, {})


async def begin(turn: Turn):
    """The first step: the officer's committees (refused for anyone who may open none)."""
    units = await review.units_to_open(turn.session, turn.actor)
    if not units:
        await refuse(turn, "review_open")
        return ConversationHandler.END
    turn.context.user_data[DRAFT] = {"units": {u.id: u.name for u in units}}
    if len(units) == 1:
        _draft(turn).update(unit=units[0].id, unit_name=units[0].name)
        return _ask_year(turn)
    return _ask_unit(turn)


@member_handler
async def open_pressed(turn: Turn):
    return await begin(turn)


def _ask_unit(turn: Turn, *, edit: bool = False):
    rows = [[InlineKeyboardButton(name[:60], callback_data=btn.UNIT.data(int(uid)))]
            for uid, name in _draft(turn).get("units", {}).items()]
    return TRAIL.ask(turn, UNIT, turn.t("review.ask_unit"), rows, edit)


@member_handler
async def chose_unit(turn: Turn):
    ids = btn.UNIT.parse(turn.update.callback_query.data)
    units = {int(k): v for k, v in _draft(turn).get("units", {}).items()}
    if ids is None or ids[0] not in units:
        await refuse(turn, "review_unit")
        return UNIT
    _draft(turn).update(unit=ids[0], unit_name=units[ids[0]])
    return _ask_year(turn, edit=True)


def _years() -> list[int]:
    today = local_today()
    return [today.year] if today.month > 2 else [today.year, today.year - 1]  # last year's, early in the new one


def _ask_year(turn: Turn, *, edit: bool = False):
    rows = [[InlineKeyboardButton(turn.t("review.button.year", year=y), callback_data=btn.YEAR.data(y))]
            for y in _years()]
    text = turn.t("review.ask_year", unit=esc(_draft(turn).get("unit_name", "")))
    return TRAIL.ask(turn, YEAR, text, rows, edit)


@member_handler
async def chose_year(turn: Turn):
    ids = btn.YEAR.parse(turn.update.callback_query.data)
    if ids is None or ids[0] not in _years():
        await refuse(turn, "review_year")
        return YEAR
    _draft(turn)["year"] = ids[0]
    return _ask_day(turn, SELF_DAY, edit=True)


def _first_day(turn: Turn, state: int) -> date:
    draft = _draft(turn)
    return date.fromisoformat(draft["self_day"]) if state == MEET_DAY and "self_day" in draft else local_today()


def _ask_day(turn: Turn, state: int, *, month: date | None = None, edit: bool = False):
    first = _first_day(turn, state)
    last = local_today() + timedelta(days=review.rounds.MAX_DAYS_AHEAD)
    chosen = _draft(turn).get(DAY_KEYS[state])
    shown = month or (date.fromisoformat(chosen) if chosen else first)
    markup = month_markup(turn.lang, shown, today=local_today(), day=btn.DAY, page=btn.MONTH, first=first, last=last)
    key = "review.ask_self_day" if state == SELF_DAY else "review.ask_meet_day"
    text = turn.t(key, year=_draft(turn).get("year", ""))
    if chosen:
        text = "\n\n".join([turn.t("review.day_chosen", day=fmt_date(date.fromisoformat(chosen))), text])
    return TRAIL.ask(turn, state, text, markup.inline_keyboard, edit)


def _ask_self_day(turn: Turn, *, edit: bool = False):
    return _ask_day(turn, SELF_DAY, edit=edit)


def _ask_meet_day(turn: Turn, *, edit: bool = False):
    return _ask_day(turn, MEET_DAY, edit=edit)


def _state_of(turn: Turn) -> int:
    trail = _draft(turn).get("trail") or [SELF_DAY]
    return trail[-1] if trail[-1] in DAY_KEYS else SELF_DAY


@member_handler
async def month_pressed(turn: Turn):
    fields = btn.MONTH.parse(turn.update.callback_query.data)
    month = month_of(fields[0]) if fields else None
    if month is None:
        turn.answer(turn.t("error.bad_button"))
        return _state_of(turn)
    state = _state_of(turn)
    return _ask_day(turn, state, month=month, edit=True)


@member_handler
async def day_pressed(turn: Turn):
    state = _state_of(turn)
    fields = btn.DAY.parse(turn.update.callback_query.data)
    day = day_of(fields[0]) if fields else None
    if day is None or not _first_day(turn, state) <= day <= local_today() + timedelta(days=review.rounds.MAX_DAYS_AHEAD):
        turn.answer(turn.t("review.refused.day"), alert=True)
        return state
    _draft(turn)[DAY_KEYS[state]] = day.isoformat()
    if state == SELF_DAY:
        meet = _draft(turn).get("meet_day")
        if meet and date.fromisoformat(meet) < day:
            _draft(turn).pop("meet_day")
        return _ask_day(turn, MEET_DAY, edit=True)
    return _show_confirm(turn, edit=True)


def _summary(turn: Turn, draft: dict) -> list[str]:
    return [turn.t("review.summary_unit", unit=esc(draft.get("unit_name", ""))),
            turn.t("review.summary_year", year=draft["year"]),
            turn.t("review.summary_self_day", day=fmt_date(date.fromisoformat(draft["self_day"]))),
            turn.t("review.summary_meet_day", day=fmt_date(date.fromisoformat(draft["meet_day"]))),
            turn.t("review.summary_rules", rules=esc(review.rules().short_name))]


def _show_confirm(turn: Turn, *, edit: bool = False):
    draft = _draft(turn)
    if not all(k in draft for k in NEEDS):
        turn.reply(turn.t("review.expired"))
        return ConversationHandler.END
    rows = [[InlineKeyboardButton(turn.t("review.button.open"), callback_data=btn.CONFIRM.data("ok"))]]
    return TRAIL.ask(turn, CONFIRM, "\n".join([turn.t("review.confirm"), *_summary(turn, draft)]), rows, edit)


@member_handler
async def confirmed(turn: Turn):
    draft = confirmed_draft(turn, btn.CONFIRM, "ok", DRAFT, NEEDS, "review.expired")
    if draft is None:
        return ConversationHandler.END
    try:
        opened = await review.open_round(turn.session, turn.actor, draft["unit"], draft["year"],
                                         date.fromisoformat(draft["self_day"]), date.fromisoformat(draft["meet_day"]))
    except ReviewError as exc:
        await tell_refusal(turn, exc.reason, "review_open", "review.refused", edit=True)
        return ConversationHandler.END
    lines = [turn.t("review.opened", year=draft["year"], reviewed=opened.reviewed, told=opened.told),
             *_summary(turn, draft)]
    if opened.exempt:
        lines.append(turn.t("review.exempt_list", count=len(opened.exempt)))
        lines += [turn.t("review.exempt_line", name=esc(name), cell=esc(cell),
                         reason=turn.t(f"review.exempt.{reason}")) for name, cell, reason in opened.exempt[:50]]
    turn.edit("\n".join(lines))
    return ConversationHandler.END


TRAIL = Trail("review_round", DRAFT, btn.BACK, btn.QUIT, {
    UNIT: _ask_unit, YEAR: _ask_year, SELF_DAY: _ask_self_day, MEET_DAY: _ask_meet_day,
}, "review.expired")
stale_step = TRAIL.stale(btn.CONVERSATION)  # a button of the conversation once it is over
