"""The digest before a meeting: what members raised under a unit in a month, or about one meeting,
notice or vote, grouped, with the terms that recur. With a language model configured, a month's digest
offers ✨ Bản tổng hợp do máy soạn: the items' texts (no author) go to the model (models.drafts), and its
summary is shown to the secretary alone, marked as the machine's, under the digest itself."""
from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import clock
from models import feedback as fb
from models.drafts import MAX_DIGEST_CHARS, check_draft, digest_prompt, raised_in
from models.feedback import FeedbackStatus
from models.units import Unit

from ..drafting import ask_for_draft, has_model, refused
from ..steps import refuse
from ..turn import Turn, esc, member_handler
from . import buttons as btn
from .flow import end_flow
from .officer import officer_scope, unit_from
from .views import about_label, content_label, tz

DIGEST_ITEMS_PER_GROUP = 10
DIGEST_ABOUT_DAYS = 92
DIGEST_TOKENS = 1500


def _month_code(year: int, month: int) -> int:
    return year * 100 + month


def _month_of(code: int) -> tuple[int, int] | None:
    year, month = divmod(code, 100)
    return (year, month) if 1 <= month <= 12 and 2000 <= year <= 2100 else None


async def digest_start(turn: Turn) -> None:
    units = await officer_scope(turn)
    if not units:
        await refuse(turn, "feedback_digest")
        return
    year, month = fb.local_month()
    await show_digest(turn, units[0], month=(year, month), edit=False)


@member_handler
async def digest_button(turn: Turn):
    """fbg:0 — this month of the first unit; fbd:<unit>:<yyyymm>; fbe:<unit>:<kind>:<id>."""
    end_flow(turn)
    data = turn.update.callback_query.data
    head = data.partition(":")[0]
    if head == "fbg" and btn.DIGEST.parse(data) is not None:
        units = await officer_scope(turn)
        if not units:
            await refuse(turn, "feedback_digest")
            return
        await show_digest(turn, units[0], month=fb.local_month(), edit=False)
        return
    ids = next((c.parse(data) for c in btn.DIGESTS[1:] if c.prefix == head), None)
    unit = await unit_from(turn, ids[0]) if ids else None
    if unit is None:
        await refuse(turn, "feedback_digest")
        return
    if head == "fbd":
        if (month := _month_of(ids[1])) is None:
            await refuse(turn, "feedback_digest")
            return
        await show_digest(turn, unit, month=month, edit=True)
        return
    if ids[1] >= len(fb.ABOUT_KINDS):
        await refuse(turn, "feedback_digest")
        return
    await show_digest(turn, unit, about=(fb.ABOUT_KINDS[ids[1]], ids[2]), edit=True)


async def show_digest(turn: Turn, unit: Unit, *, month: tuple[int, int] | None = None,
                      about: tuple[str, int] | None = None, edit: bool) -> None:
    d = await fb.digest(turn.session, unit.path, month=month, about=about)
    if month is not None:
        period = turn.t("feedback.digest.month", month=f"{month[1]:02d}/{month[0]}")
    else:
        title = await fb.about_title(turn.session, *about)
        period = turn.t(f"feedback.digest.about.{about[0]}", title=esc(title or f"#{about[1]}"))
    lines = [turn.t("feedback.digest.title", period=period, unit=esc(unit.name)),
             turn.t("feedback.digest.counts", total=d.total, answered=d.answered)]
    parts = ["\n".join(lines)]
    for group in d.groups:
        rows = [turn.t("feedback.digest.group", about=esc(about_label(turn.lang, group.about)), count=len(group.items))]
        for item in group.items[:DIGEST_ITEMS_PER_GROUP]:
            when = item.created_at.astimezone(tz(turn)).strftime("%d/%m")
            icon = "✅ " if item.status in (FeedbackStatus.answered, FeedbackStatus.closed) else ""
            rows.append(f"• {when} {icon}{esc(content_label(turn.lang, item.kind, item.body, item.duration, 100))}")
        if len(group.items) > DIGEST_ITEMS_PER_GROUP:
            rows.append(turn.t("feedback.digest.more", count=len(group.items) - DIGEST_ITEMS_PER_GROUP))
        parts.append("\n".join(rows))
    if d.terms:
        terms = " · ".join(f"{esc(term)} ({n})" for term, n in d.terms)
        parts.append(turn.t("feedback.digest.terms", terms=terms))
    elif d.total:
        parts.append(turn.t("feedback.digest.no_terms"))
    buttons = []
    if month is not None:
        year, mon = month
        prev = (year - 1, 12) if mon == 1 else (year, mon - 1)
        nav = [InlineKeyboardButton(turn.t("feedback.button.prev_month"), callback_data=btn.DIGEST_MONTH.data(unit.id, _month_code(*prev)))]
        if month < fb.local_month():
            nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
            nav.append(InlineKeyboardButton(turn.t("feedback.button.next_month"),
                                            callback_data=btn.DIGEST_MONTH.data(unit.id, _month_code(*nxt))))
        buttons.append(nav)
        if d.total and has_model(turn):
            buttons.append([InlineKeyboardButton(turn.t("feedback.digest.button.model"),
                                                 callback_data=btn.DIGEST_MODEL.data(unit.id, _month_code(*month)))])
        since = clock.now() - timedelta(days=DIGEST_ABOUT_DAYS)
        for kind, ref_id in (await fb.about_refs(turn.session, unit.path, since))[:6]:
            title = await fb.about_title(turn.session, kind, ref_id)
            label = about_label(turn.lang, fb.About(kind, ref_id, title))
            buttons.append([InlineKeyboardButton(f"📊 {label}"[:60],
                                                 callback_data=btn.DIGEST_ABOUT.data(unit.id, fb.ABOUT_KINDS.index(kind), ref_id))])
    else:
        buttons.append([InlineKeyboardButton(turn.t("feedback.button.this_month"),
                                             callback_data=btn.DIGEST_MONTH.data(unit.id, _month_code(*fb.local_month())))])
    text, markup = "\n\n".join(parts), InlineKeyboardMarkup(buttons)
    turn.edit(text, markup) if edit else turn.reply(text, markup)


@member_handler
async def digest_model_pressed(turn: Turn):
    """✨ under a month's digest: the month's items (their text, what about, the day; no author) to the model, its
    summary shown as the machine's draft to the secretary alone; failed, she is told and the digest stands."""
    ids = btn.DIGEST_MODEL.parse(turn.update.callback_query.data)
    unit = await unit_from(turn, ids[0]) if ids else None
    month = _month_of(ids[1]) if ids else None
    if unit is None or month is None:
        await refuse(turn, "feedback_digest")
        return
    if not has_model(turn):
        return
    raised, others = raised_in(await fb.digest(turn.session, unit.path, month=month), tz(turn))
    period = f"tháng {month[1]:02d}/{month[0]}"
    reply = await ask_for_draft(turn, digest_prompt(period, raised, others), DIGEST_TOKENS) if raised else None
    summary = check_draft(reply, MAX_DIGEST_CHARS) if reply is not None else None
    if summary is None:
        if reply is not None:
            refused(turn)
        turn.reply(turn.t("feedback.digest.model_failed"))
        return
    turn.reply(turn.t("feedback.digest.model_summary", month=f"{month[1]:02d}/{month[0]}", unit=esc(unit.name),
                      summary=esc(summary)))
