"""Building the PTB Application and the services it shares with every handler."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, Defaults

import handlers
from audio import make_speech
from handlers import features
from handlers.commands import set_default_commands
from handlers.turn import Services
from models.db import make_sessionmaker
from models.sealing import FeedbackKeys

from .budget import RepliesWithinBudget, make_budget
from .chat_model import chat_model
from .dispatcher import Dispatcher, build_dispatcher
from .leader import Leadership
from .metrics import install as install_metrics
from .request import AiohttpRequest
from .settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    app: Application
    engine: AsyncEngine
    services: Services
    dispatcher: Dispatcher | None = None
    workers: list = field(default_factory=list)  # coroutines taking the stop Event, run with the bot


def feedback_keys(settings: Settings, token: str, seal_key: str | None = None) -> FeedbackKeys:
    """The keys of anonymous feedback from HANDBOOK_SEAL_KEY (`handbook run` refuses to start without
    it; the sandbox makes one per run). Without one (tests building the bot directly) a key of this
    process alone: replies to anonymous items written before a restart would then find no way back."""
    seal_key = seal_key or (settings.seal_key.get_secret_value() if settings.seal_key else None)
    if not seal_key:
        log.warning("HANDBOOK_SEAL_KEY is not set: anonymous feedback is sealed with a key of this process only")
        seal_key = secrets.token_urlsafe(32)
    return FeedbackKeys.from_secret(seal_key, legacy_token=token)


def build_application(settings: Settings, engine: AsyncEngine, *, token: str | None = None,
                      seal_key: str | None = None) -> Runtime:
    token = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not token:
        raise SystemExit("Setting HANDBOOK_BOT_TOKEN is missing.")
    api = settings.telegram_api_url
    services = Services(
        sessionmaker=make_sessionmaker(engine),
        default_language=settings.default_language,
        admin_ids=settings.admin_ids,
        timezone=settings.tz,
        invite_ttl_days=settings.invite_ttl_days,
        members_page_size=settings.members_page_size,
        feedback_keys=feedback_keys(settings, token, seal_key),
        meeting_reminders=settings.meeting_reminders,
        todo_hour=settings.todo_hour,
        chat_model=chat_model(settings),  # None unless HANDBOOK_LLM_URL is set
        # Several instances on PostgreSQL: only the elected one runs the workers and repeating jobs.
        leadership=Leadership(settings.database_url),
    )

    async def post_init(app: Application) -> None:
        services.bot_username = app.bot.username
        await set_default_commands(app)

    # Telegram's limit is the bot's: with several instances possible (PostgreSQL), every send of each
    # counts against one budget shared through Redis or PostgreSQL (bot/budget.py); None on SQLite.
    budget = make_budget(settings, token)
    builder = ApplicationBuilder()
    if budget is not None:
        builder = builder.rate_limiter(RepliesWithinBudget(budget))
    app = (
        builder
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz, link_preview_options=None))
        .concurrent_updates(32)
        # aiohttp, not PTB's httpx: the Bot API calls of a burst of taps cost a tenth of the CPU (bot/request.py).
        .request(AiohttpRequest(connections=64))
        .get_updates_request(AiohttpRequest(connections=1))
        .post_init(post_init)
        .build()
    )
    handlers.register(app, services)
    # Every message to many members goes out through the one dispatcher, started with the bot.
    dispatcher = build_dispatcher(settings, services.sessionmaker, token, budget)
    services.outbox = dispatcher
    # Speech for bulletins and 🔊 Nghe; None (audio unavailable, the bot still runs) when it cannot start.
    speech = make_speech(settings.tts_engine, settings.tts_cache_path, settings.tts_cache_mb * 1024 * 1024,
                         settings.tts_rate)
    services.speech = speech
    # The features' renderers, bound to the services (bulletins speak through `speech`).
    dispatcher.renderers = features.renderers(services)
    services.workers = [dispatcher.run]
    install_metrics(app)
    return Runtime(app=app, engine=engine, services=services, dispatcher=dispatcher, workers=[dispatcher.run])
