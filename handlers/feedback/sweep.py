"""The periodic sweep: one summary to each secretary of what arrived, and the replies to members.

The database says what is still to do (models.feedback's claims), so a restart loses nothing.
"""
from __future__ import annotations

import logging
from collections import defaultdict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes

from models import corrections
from models import feedback as fb
from models import units as units_model
from models.dates import VIETNAM
from models.db import transaction
from models.sealing import FeedbackKeys

from ..corrections import buttons as corrections_buttons
from ..i18n import fmt_date, t
from ..turn import esc, services_of
from . import buttons as btn
from .views import content_label

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60  # how often secretaries may get a summary: items arriving together make one message


def feedback_keys(app: Application) -> FeedbackKeys:
    """The keys sealing anonymous threads and keying the hourly counts (models/sealing.py)."""
    return services_of(app).feedback_keys


async def _forget(app: Application, session) -> None:
    """What anonymity needs done now and then: counts out of the hour go (a quiet day must not leave
    yesterday's behind), and once per process the ways back sealed under the token-derived key of
    older versions are sealed again under HANDBOOK_SEAL_KEY."""
    await fb.purge_rates(session)
    services = services_of(app)
    if not services.feedback_resealed:
        resealed = await fb.reseal_legacy(session, feedback_keys(app))
        services.feedback_resealed = True
        if resealed:
            log.info("sealed %d anonymous feedback threads again under HANDBOOK_SEAL_KEY", resealed)


async def run_sweep(app: Application) -> None:
    """One pass: a summary per officer of what arrived since the last pass, then the replies."""
    services = services_of(app)
    summaries: dict[int, dict] = {}

    def note(recipient: fb.Recipient) -> dict:
        return summaries.setdefault(recipient.telegram_user_id, {
            "lang": recipient.language or services.default_language, "cells": defaultdict(int), "corrections": 0})

    async with transaction(services.sessionmaker) as session:
        items = await fb.claim_unnotified(session)
        requests = await corrections.claim_unnotified(session)
        per_cell: dict[int, int] = defaultdict(int)
        for _, cell_id in items:
            per_cell[cell_id] += 1
        for cell_id, count in per_cell.items():
            for r in await fb.cell_officers(session, cell_id):
                note(r)["cells"][cell_id] += count
        for _, cell_id, committee, member_id in requests:
            for r in await fb.cell_officers(session, cell_id, committee_only=committee, exclude_member_id=member_id):
                note(r)["corrections"] += 1
        names = await units_model.names_by_id(session, per_cell)
        await _forget(app, session)
    for chat_id, s in summaries.items():
        lang = s["lang"]
        lines = [t(lang, "feedback.summary.title")]
        lines += [t(lang, "feedback.summary.cell", cell=esc(names.get(c, "")), count=n) for c, n in s["cells"].items()]
        rows = []
        if s["cells"]:
            rows.append([InlineKeyboardButton(t(lang, "feedback.button.open_inbox"), callback_data=btn.INBOX.data(0))])
        if s["corrections"]:
            lines.append(t(lang, "feedback.summary.corrections", count=s["corrections"]))
            rows.append([InlineKeyboardButton(t(lang, "feedback.button.open_corrections"), callback_data=corrections_buttons.LIST.data(0))])
        try:
            await app.bot.send_message(chat_id=chat_id, text="\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
        except (Forbidden, BadRequest, NetworkError, RetryAfter) as exc:
            # The items stay "new" in the list; the summary is a courtesy, not the record.
            log.warning("feedback summary not sent: %s", type(exc).__name__)
    await deliver_replies(app)


async def deliver_replies(app: Application) -> None:
    """Send every reply not yet sent; an anonymous item's way back is deleted once used."""
    services = services_of(app)
    key = feedback_keys(app)
    async with transaction(services.sessionmaker) as session:
        pending = await fb.claim_undelivered(session, key)
    for p in pending:
        delivered, retry = False, False
        if p.chat_id is not None:
            lang = p.language or services.default_language
            what = content_label(lang, p.item_kind, p.item_body, None, limit=120)
            text = t(lang, "feedback.reply_to_member", when=fmt_date(p.item_created_at, services.timezone or VIETNAM),
                     what=esc(what), text=esc(p.body))
            if p.anonymous:
                text += "\n\n" + t(lang, "feedback.reply_to_member.anonymous")
            try:
                await app.bot.send_message(chat_id=p.chat_id, text=text)
                delivered = True
            except (TimedOut, RetryAfter) as exc:
                retry = True
                log.warning("feedback reply not sent, will retry: %s", type(exc).__name__)
            except (Forbidden, BadRequest) as exc:
                log.warning("feedback reply undeliverable: %s", type(exc).__name__)
            except NetworkError as exc:
                retry = True
                log.warning("feedback reply not sent, will retry: %s", type(exc).__name__)
        async with transaction(services.sessionmaker) as session:
            again = await fb.finish_delivery(session, p.reply_id, delivered=delivered, retry=retry)
        if retry and not again:
            log.warning("feedback reply given up: it failed for %s", fb.REPLY_RETRY_FOR)


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_sweep(context.application)

