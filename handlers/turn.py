"""One turn of the conversation: the database session, the caller, their language, and the replies.

Every handler is wrapped by `@handler`: it opens one session per update, loads the caller
from the database, runs the handler, commits, and only then sends what the handler queued,
so no write lock is held while Telegram is being called.
"""
from __future__ import annotations

import asyncio
import functools
import html
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ContextTypes
from telegram.warnings import PTBUserWarning

from models import accounts
from models.db import is_lock_conflict, make_sessionmaker, read_only_sessionmaker
from models.permissions import Actor, load_actor

from .i18n import pick_language, t
from .lane import EditLane
from .render import split_message

if TYPE_CHECKING:
    from telegram.ext import Application

    from audio.speech import Speech
    from models.sealing import FeedbackKeys

    from .state import SharedState

log = logging.getLogger(__name__)
# The one key of bot_data: the Services. Everything else the shell shares is a typed field of it.
SERVICES = "handbook"


@dataclass
class Services:
    """What handlers need from the shell; built by bot.app and kept in bot_data under SERVICES, the
    only key there: reach it with `services_of(context)` (or of the Application)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    default_language: str = "vi"
    admin_ids: frozenset[int] = frozenset()
    timezone: Any = None
    invite_ttl_days: int = 7
    members_page_size: int = 8
    bot_username: str = ""
    # Set once by bot/app.py (None when a test builds the bot without them).
    feedback_keys: FeedbackKeys | None = None  # from HANDBOOK_SEAL_KEY, never stored
    outbox: Any = None  # bot/dispatcher.py's Dispatcher: every message to many members goes through it
    meeting_reminders: tuple | None = None  # the reminder setting (meetings.DEFAULT_REMINDERS when None)
    todo_hour: int | None = None  # the officers' weekly to-do: its default hour; None: off unless chosen
    speech: Speech | None = None  # bulletins and 🔊 Nghe; None when audio is unavailable
    chat_model: Any = None  # bot/chat_model.py's ChatModel (HANDBOOK_LLM_URL); None: no model, nothing sent
    workers: list = field(default_factory=list)  # coroutines taking the stop Event, run with the bot (bot/serve.py)
    leadership: Any = None  # bot/leader.py's Leadership: only the elected instance runs the background work
    metrics: Any = None  # bot/metrics.py's Metrics
    # Called after every turn with (handler name, seconds, the error or None): bot/metrics.py counts.
    turn_observer: Callable[[str, float, BaseException | None], None] | None = None
    conversation_state: SharedState | None = None  # handlers/state.py, set by state.install
    feedback_resealed: bool = False  # this process has sealed again what older versions sealed
    edit_lane: EditLane = field(default_factory=EditLane)  # edits sent behind the answers (Turn.edit_behind)

    @functools.cached_property
    def turn_sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for conversation turns: deferred on SQLite (see `handler`)."""
        return make_sessionmaker(self.sessionmaker.kw["bind"], deferred=True)

    @functools.cached_property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for turns that only show something (`handler(read_only=True)`): no transaction, no write."""
        return read_only_sessionmaker(self.sessionmaker.kw["bind"])


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass
class Turn:
    update: Update
    context: ContextTypes.DEFAULT_TYPE
    services: Services
    session: AsyncSession
    actor: Actor
    lang: str
    _outbox: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    _settled: list[Callable[[dict], Any]] = field(default_factory=list)
    _answered: bool = False

    # --- reading -----------------------------------------------------------------------
    def t(self, key: str, /, **kwargs) -> str:
        return t(self.lang, key, **kwargs)

    @property
    def user_id(self) -> int:
        return self.update.effective_user.id

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        return chat.id if chat is not None else self.user_id  # a poll_answer has no chat: the private one

    @property
    def text(self) -> str:
        msg = self.update.effective_message
        return (msg.text or msg.caption or "") if msg else ""

    @property
    def args(self) -> str:
        """What follows the command on its line ("" when none, and for a button: the message it sits on is
        the bot's, not a command — a task started from the officer's panel asks step by step)."""
        if self.update.callback_query is not None:
            return ""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    # --- the transaction -----------------------------------------------------------------
    async def commit_early(self) -> None:
        """Commit what the turn wrote so far and go on in a new transaction (the turn still commits at its end).

        Handlers commit nothing themselves; the few that must not hold the transaction across what
        follows ask for this: speaking a bulletin's preview takes seconds of TTS (no lock held
        meanwhile). Nothing is sent to Telegram before the turn's end either way."""
        await self.session.commit()

    async def discard(self) -> None:
        """Roll back what the turn wrote so far (a dry run, or work found wrong half-way) and go on
        in a new transaction; what the turn writes after this is still committed at its end."""
        await self.session.rollback()

    # --- queued replies, sent after commit ---------------------------------------------
    def menu(self) -> ReplyKeyboardMarkup:
        """This person's main menu (an officer's has the panel's button)."""
        from .keyboards import main_menu

        return main_menu(self.lang, self.actor.panel)

    def reply(self, text: str, markup: Markup = None, *, protect: bool = False) -> None:
        bot, chat_id = self.context.bot, self.chat_id
        chunks = split_message(text)
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            self._outbox.append(
                functools.partial(
                    bot.send_message,
                    chat_id=chat_id,
                    text=chunk,
                    reply_markup=markup if last else None,
                    protect_content=protect or None,
                )
            )

    def send_to(self, chat_id: int, text: str, markup: Markup = None) -> None:
        for i, chunk in enumerate(chunks := split_message(text)):
            self._outbox.append(
                functools.partial(
                    self.context.bot.send_message,
                    chat_id=chat_id,
                    text=chunk,
                    reply_markup=markup if i == len(chunks) - 1 else None,
                )
            )

    def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace the message whose button was pressed (falls back to a new message when too long)."""
        query = self.update.callback_query
        chunks = split_message(text)
        if query is None or query.message is None or len(chunks) > 1:
            self.reply(text, markup)
            return

        message = query.message

        def send() -> Awaitable[Any]:
            self._editing(message.chat.id, message.message_id)
            return _unless_unchanged(query.edit_message_text(text=chunks[0], reply_markup=markup))

        self._outbox.append(send)

    def edit_behind(self, text: str, markup: InlineKeyboardMarkup | None = None, *,
                    message: tuple[int, int] | None = None) -> None:
        """`edit`, sent behind the answer by the edit lane (handlers/lane.py): the update is done once the toast has
        gone, and a newer edit of the same message queued before this one went replaces it. For a message whose new
        text is the whole of what the member needs next (a ballot saying the choice): the pressed one, or `message`
        (chat id, message id). Every edit of such a message goes this way, so that none overtakes another."""
        query = self.update.callback_query
        chunks = split_message(text)
        if message is None:
            if query is None or query.message is None or len(chunks) > 1:
                self.edit(text, markup)
                return
            message = (query.message.chat.id, query.message.message_id)
        elif len(chunks) > 1:
            chunks = [chunks[0]]  # a ballot's text is short; never a second message for another one
        lane, app, bot = self.services.edit_lane, self.context.application, self.context.bot
        key = message
        # The Bot API call as is: nobody reads the edited message it returns, so PTB need not build it.
        params: dict[str, Any] = {"chat_id": key[0], "message_id": key[1], "text": chunks[0]}
        if bot.defaults is not None and bot.defaults.parse_mode:
            params["parse_mode"] = bot.defaults.parse_mode
        if markup is not None:
            params["reply_markup"] = markup.to_dict()

        def busy() -> bool:  # other updates than this one in hand
            return app.update_processor.current_concurrent_updates > 1

        async def queue() -> None:
            lane.put(key, lambda: _unless_unchanged(bot_api(bot, "editMessageText", params)), app.create_task, busy)

        self._outbox.append(queue)

    def edit_buttons(self, markup: InlineKeyboardMarkup | None) -> None:
        """Replace only the buttons of the message whose button was pressed (None: take them all away)."""
        query = self.update.callback_query
        if query is None or query.message is None:
            return
        params = {"chat_id": query.message.chat.id, "message_id": query.message.message_id}
        if markup is not None:
            params["reply_markup"] = markup.to_dict()

        def send() -> Awaitable[Any]:
            self._editing(params["chat_id"], params["message_id"])
            return _unless_unchanged(bot_api(self.context.bot, "editMessageReplyMarkup", params))

        self._outbox.append(send)

    def _editing(self, chat_id: int, message_id: int) -> None:
        """Tell the dispatcher, as the edit leaves (after the commit), so a live status drawn before it is not
        sent over it (handlers/live_status.py)."""
        edited = getattr(self.services.outbox, "edited", None)
        if edited is not None:
            edited(chat_id, message_id)

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        query = self.update.callback_query
        if query is None:
            return
        self._answered = True
        self._outbox.insert(0, functools.partial(query.answer, text=text, show_alert=alert))

    async def answer_now(self) -> None:
        """Answer the pressed button at once, before work that may take long (a language model's draft):
        Telegram refuses an answer that comes too late (within seconds), and the rest of the outbox with it."""
        query = self.update.callback_query
        if query is None or self._answered:
            return
        self._answered = True
        try:
            await query.answer()
        except TelegramError:
            log.info("a button could not be answered at once")

    def later(self, coro_factory: Callable[[], Awaitable[Any]]) -> None:
        """Any other Bot API call to make after commit."""
        self._outbox.append(coro_factory)

    def settle(self, change: Callable[[dict], Any]) -> None:
        """A change of the conversation's memory (user_data) made once the turn has committed, before the step
        is saved: a turn run again after a database lock starts from the memory as it was."""
        self._settled.append(change)

    def apply_settled(self) -> None:
        changes, self._settled = self._settled, []
        for change in changes:
            change(self.context.user_data)

    async def flush(self) -> None:
        if self.update.callback_query is not None and not self._answered:
            # Every callback query is answered, even when nothing is shown.
            self._outbox.insert(0, self.update.callback_query.answer)
        outbox, self._outbox = self._outbox, []
        for send in outbox:
            await _obeying_flood_control(send)


async def _unless_unchanged(edit: Awaitable[Any]) -> None:
    """An edit of a message; Telegram's "message is not modified" (it already reads so) is no failure."""
    try:
        await edit
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def bot_api(bot, method: str, params: dict) -> Any:
    """A Bot API call given as the renderers give it (method, JSON parameters).

    Not PTB's typed methods: its Defaults would add a parse_mode to methods that lack one
    (editMessageReplyMarkup), and the calls are already what the dispatcher sends.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # "use Bot.sendMessage instead"
        return await bot.do_api_request(method, api_kwargs=params)


FLOOD_RETRIES = 3
FLOOD_WAIT_CAP_S = 30.0


def retry_seconds(retry_after: Any) -> float:
    """A 429's retry_after in seconds: PTB gives an int or a timedelta, the Bot API a number."""
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after or 0)


async def _obeying_flood_control(send: Callable[[], Awaitable[Any]]) -> Any:
    """An answer to a user must not be lost to a 429 met while a broadcast uses the bot's quota."""
    for attempt in range(FLOOD_RETRIES + 1):
        try:
            return await send()
        except RetryAfter as exc:
            seconds = retry_seconds(exc.retry_after)
            if attempt == FLOOD_RETRIES or seconds > FLOOD_WAIT_CAP_S:
                raise
            log.info("Telegram asked to wait %.1f s before answering; waiting", seconds)
            await asyncio.sleep(seconds)


HandlerFn = Callable[[Turn], Awaitable[Any]]


def services_of(context: ContextTypes.DEFAULT_TYPE | Application) -> Services:
    """The shell's Services, from a handler's or a job's context or from the Application itself."""
    return context.bot_data[SERVICES]


LOCK_RETRIES = 3


def handler(fn: HandlerFn, *, linked_only: bool = False, read_only: bool = False):
    """Wrap a handler: one session per update, the caller loaded, replies sent after commit.

    On SQLite the session's transactions start deferred, so readers never wait for writers; a
    turn whose write meets another writer's lock is run again from the start, this time taking
    the write lock up front (and waiting for it). That is safe because nothing reaches Telegram
    before the commit.

    `read_only`: the handler only shows what is stored (a profile): its session has no transaction
    (PostgreSQL: no BEGIN and COMMIT, two round trips of its four; SQLite: no BEGIN) and refuses any write
    (models.db.ReadOnlySession). A caller met for the first time is written down first, in a usual turn.
    """

    @functools.wraps(fn)
    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE):
        services = services_of(context)
        if update.effective_user is None or (update.effective_chat is None and update.poll_answer is None):
            return None
        for attempt in range(LOCK_RETRIES):
            try:
                sessions = services.turn_sessions if attempt == 0 else services.sessionmaker
                # The caller was read with their conversation state just before (handlers/state.py).
                prefetched = _prefetched_actor(update, context) if attempt == 0 else None
                if read_only and prefetched is not None and prefetched.language is not None:
                    sessions = services.read_sessions
                turn, result = await _run_turn(fn, update, context, services, sessions, linked_only, prefetched)
                break
            except DBAPIError as exc:
                if not is_lock_conflict(exc) or attempt == LOCK_RETRIES - 1:
                    raise
                await asyncio.sleep(random.uniform(0.001, 0.01))
        turn.apply_settled()
        # The replies go once the person's conversation step is saved (handlers/state.py), else now.
        state = services.conversation_state
        if state is None or not state.defer(update, turn.flush):
            await turn.flush()
        return result

    return _observed(wrapped, fn.__name__)


def _observed(turn_fn, name: str):
    @functools.wraps(turn_fn)
    async def observed(update: Update, context: ContextTypes.DEFAULT_TYPE):
        started, error = time.perf_counter(), None
        try:
            return await turn_fn(update, context)
        except Exception as exc:
            error = exc
            raise
        finally:
            observe = services_of(context).turn_observer
            if observe is not None:
                observe(name, time.perf_counter() - started, error)

    return observed


def _prefetched_actor(update: Update, context) -> Actor | None:
    state = services_of(context).conversation_state
    return state.prefetched_actor(update) if state is not None else None


async def _run_turn(fn: HandlerFn, update: Update, context, services: Services, sessions, linked_only: bool,
                    actor: Actor | None = None):
    user = update.effective_user
    async with sessions() as session:
        if actor is None:
            actor = await load_actor(session, user.id, services.admin_ids)
        if actor.language is None:
            # First contact: Telegram's language when we speak it, else the default.
            lang = pick_language(user.language_code, services.default_language)
            await accounts.ensure_account(session, user.id, lang)
            actor.language = lang
            # The account is written: end the transaction so a handler that awaits the network
            # (a file download) does not hold the write lock meanwhile. Reads hold no lock.
            await session.commit()
        turn = Turn(update, context, services, session, actor, actor.language)
        context.user_data["lang"] = turn.lang
        if linked_only and not actor.linked and not actor.is_admin:
            turn.answer(turn.t("error.not_linked"), alert=True)
            turn.reply(turn.t("start.stranger"), _link_keyboard(turn))
            result = None
        else:
            result = await fn(turn)
        await session.commit()
    return turn, result


def member_handler(fn: HandlerFn):
    """A handler for linked members only; strangers are told how to get linked."""
    return handler(fn, linked_only=True)


def member_view(fn: HandlerFn):
    """A member_handler that only shows what is stored (see `handler`'s read_only)."""
    return handler(fn, linked_only=True, read_only=True)


def _link_keyboard(turn: Turn):
    from .keyboards import link_keyboard

    return link_keyboard(turn.lang)


def esc(value: Any) -> str:
    """Escape anything that came from a user or the database for HTML parse mode."""
    return html.escape("" if value is None else str(value), quote=False)
