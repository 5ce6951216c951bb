"""Pieces every feature's conversation is made of: refusing, a conversation's wiring, a paged list's
page buttons, a step's answer (the one-line form, a typed title or time, a choice button), the last
"confirm" step and the ◀ Quay lại / ✖ Hủy row of every step (Trail). One copy each, so the features
cannot drift apart."""
from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from models import audit, one_line
from models.callback_data import Codec, any_of

from .calendar import dated, month_of
from .cancel import cancel
from .keyboards import menu_pattern
from .turn import Turn, member_handler

if TYPE_CHECKING:  # the loaders `pressed` takes are models' functions; a handler holds no session of its own
    from sqlalchemy.ext.asyncio import AsyncSession

CONVERSATION_TIMEOUT_S = 1800
TYPED = filters.TEXT & ~filters.COMMAND  # what a step takes as typed: any text but a command
T = TypeVar("T")


async def refuse(turn: Turn, what: str) -> None:
    """A button or request the caller may not use: say so, record the attempt."""
    await audit.record(
        turn.session,
        "refused",
        actor_telegram_id=turn.user_id,
        actor_member_id=turn.actor.member_id,
        detail={"what": what},
    )
    turn.answer(turn.t("error.not_allowed"), alert=True)
    if turn.update.callback_query is None:
        turn.reply(turn.t("error.not_allowed"))


def answers(*codecs: Codec) -> Callable[[T], T]:
    """Marks a button's handler with the codecs of the data it answers: a feature's table of buttons
    (add_buttons) then names the handler alone and takes the pattern from here. The handlers made by
    paged, item_handler, shown_if, on_button and stale_buttons are marked with the codec they parse."""

    def mark(handler: T) -> T:
        handler.codecs = codecs
        return handler

    return mark


def named_handler(name: str, fn: Callable[[Turn], Awaitable[Any]]) -> Any:
    """fn as a member's handler, named `name` before it is wrapped: the turn's metrics and logs know a
    handler by the name it had then."""
    fn.__name__ = fn.__qualname__ = name
    return member_handler(fn)


async def tell_refusal(turn: Turn, reason: str, what: str, key: str, *, edit: bool = False) -> None:
    """A model's refusal (its error's `reason`): "not_allowed" is refused and recorded as `what`; any other reason
    is said — the catalog's `key`.<reason> — in an alert on the button, or (`edit`) in place of the question."""
    if reason == "not_allowed":
        await refuse(turn, what)
    elif edit:
        turn.edit(turn.t(f"{key}.{reason}"))
    else:
        turn.answer(turn.t(f"{key}.{reason}"), alert=True)


async def parse_or_refuse(turn: Turn, codec: Codec, what: str) -> tuple | None:
    """The fields of the pressed button's data; None once data not of `codec`'s shape (forged, truncated) is
    refused, recorded as `what`."""
    fields = codec.parse(turn.update.callback_query.data)
    if fields is None:
        await refuse(turn, what)
    return fields


async def any_or_refuse(turn: Turn, found: Awaitable[list[T]], what: str) -> list[T]:
    """What the caller may act on (their cells, the units they send to); none: refused, recorded as `what`."""
    items = await found
    if not items:
        await refuse(turn, what)
    return items


async def named_item(turn: Turn, codec: Codec, load: Callable[[AsyncSession, int], Awaitable[T | None]]) -> T | None:
    """What the pressed button names: `codec`'s first field, an id, read by `load`; None for data not of `codec`'s
    shape (forged, truncated) or an id of nothing."""
    ids = codec.parse(turn.update.callback_query.data)
    return await load(turn.session, ids[0]) if ids else None


async def pressed(turn: Turn, codec: Codec, load: Callable[[AsyncSession, int], Awaitable[T | None]],
                  allowed: Callable[[Turn, T], Awaitable[bool]], what: str) -> T | None:
    """What a button names (named_item), when `allowed` for the presser; else refused (recorded as `what`) and None."""
    found = await named_item(turn, codec, load)
    if found is None or not await allowed(turn, found):
        await refuse(turn, what)
        return None
    return found


def item_handler(codec: Codec, load: Callable[[AsyncSession, int], Awaitable[Any]],
                 allowed: Callable[[Turn, Any], Awaitable[bool]], what: str):
    """A member's handler of a button naming an item (see pressed): `fn(turn, item)`, called once the item is
    found and `allowed` for the presser; else refused (recorded as `what`)."""

    def wrap(fn: Callable[[Turn, Any], Awaitable[Any]]):
        @functools.wraps(fn)
        async def with_item(turn: Turn):
            item = await pressed(turn, codec, load, allowed, what)
            return None if item is None else await fn(turn, item)

        return answers(codec)(member_handler(with_item))

    return wrap


def shown_if(name: str, codec: Codec, allowed: Callable[[Turn], Any], show: Callable[[Turn], Awaitable[Any]],
             what: str) -> Any:
    """A member's handler (named `name`) of a button that shows a page to those `allowed` (a bool, or a coroutine
    giving one); data not of `codec`'s shape, or a presser not allowed: refused, recorded as `what`."""

    async def shown(turn: Turn):
        if codec.parse(turn.update.callback_query.data) is None:
            ok = False
        else:
            ok = allowed(turn)
            ok = await ok if inspect.isawaitable(ok) else ok
        if not ok:
            await refuse(turn, what)
            return None
        return await show(turn)

    return answers(codec)(named_handler(name, shown))


def conversation(name: str, entry_points: Sequence[BaseHandler], states: Mapping[object, Sequence[BaseHandler]],
                 *, fallbacks: Iterable[BaseHandler] = (), timeout: float = CONVERSATION_TIMEOUT_S) -> ConversationHandler:
    """A feature's conversation: /cancel leaves it, it times out after half an hour, a new entry restarts it."""
    with warnings.catch_warnings():
        # Buttons of each step are answered by this user's conversation, whatever message they sit on.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=[CommandHandler("cancel", cancel), *fallbacks],
            conversation_timeout=timeout,
            allow_reentry=True,
            name=name,
        )


Button = Callable[..., Awaitable[Any]]


def add_buttons(app: Application, buttons: Iterable[Button | tuple[Button, str]]) -> None:
    """A feature's table of buttons answered outside its conversations, in order: each a handler marked with
    the codecs it answers (see answers), or (handler, pattern)."""
    for button in buttons:
        callback, pattern = button if isinstance(button, tuple) else (button, any_of(*button.codecs))
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))


def entry(command: str, callback: Button, panel: Codec) -> list[BaseHandler]:
    """How an officer starts a conversation: /`command`, or its button on the officer's panel (`panel`)."""
    return [CommandHandler(command, callback), CallbackQueryHandler(callback, pattern=panel.exact)]


def stale_buttons(codecs: Iterable[Codec], expired_key: str) -> Any:
    """The handler of a conversation's buttons pressed once it is over (/cancel, a restart, the timeout): the
    presser is told it has expired (the catalog's `expired_key`), in an alert."""

    async def stale_step(turn: Turn):
        turn.answer(turn.t(expired_key), alert=True)

    return answers(*codecs)(named_handler("stale_step", stale_step))


def add_command(app: Application, name: str, callback: Callable[..., Awaitable[Any]], menu: str | None = None) -> None:
    """/name, and the big menu button of catalog id `menu` that does the same."""
    app.add_handler(CommandHandler(name, callback))
    if menu is not None:
        app.add_handler(MessageHandler(filters.Regex(menu_pattern(menu)), callback))


Show = Callable[..., Awaitable[Any]]


def page_of(items: Sequence[T], page: int, size: int) -> tuple[int, Sequence[T]]:
    """The page asked for (the last one when the list has shrunk since) and its items."""
    page = max(0, min(page, (len(items) - 1) // size))
    return page, items[page * size:(page + 1) * size]


def show_page(turn: Turn, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool) -> None:
    """A list's page: in place when a page button was pressed, else a new message."""
    if edit:
        turn.edit(text, markup)
    else:
        turn.reply(text, markup)



def paged(codec: Codec, show: Show, what: str) -> Callable[..., Awaitable[Any]]:
    """The handler of a list's page buttons: `codec`'s last field is the page; the fields before it go
    to `show(turn, *head, page, edit=True)`. Forged data is refused, recorded as `what`."""

    async def page_pressed(turn: Turn):
        fields = await parse_or_refuse(turn, codec, what)
        if fields is None:
            return None
        return await show(turn, *fields, edit=True)

    return answers(codec)(named_handler(f"{what}_page", page_pressed))


def settle(turn: Turn, change: Callable[[dict], Any]) -> None:
    """Change the conversation's memory (user_data) only once the turn has committed: a turn that meets a
    database lock is run again from the start (handlers/turn.py) and must find it as it was."""
    turn.settle(change)


def kept_step(turn: Turn, codec: Codec, draft: dict, fields: Mapping[str, str], expired_key: str) -> str | None:
    """The step whose ✔ Giữ … was pressed, when the draft still holds what was typed for it (`fields`: step →
    the draft's key); else the person is told it is gone and None comes back (the conversation stays)."""
    (what,) = codec.parse(turn.update.callback_query.data) or ("",)
    field = fields.get(what)
    if not field or not draft.get(field):
        turn.answer(turn.t(expired_key), alert=True)
        return None
    return what


class Kept(NamedTuple):
    """A step of a conversation whose ✔ Giữ … takes again what was typed for it before ◀."""

    field: str  # the draft's key
    said: Callable[[Turn, dict], str] | None  # the line the step's message becomes; None: left as it is
    then: Callable[[Turn], Any]  # the next step asked (a state, or a coroutine giving one)


async def take_kept(turn: Turn, codec: Codec, draft: dict, steps: Mapping[str, Kept], expired_key: str) -> Any:
    """✔ Giữ … pressed: the step's line says what was kept and the next step is asked; when the draft no longer
    holds it, the person is told and the conversation stays where it is."""
    what = kept_step(turn, codec, draft, {name: step.field for name, step in steps.items()}, expired_key)
    if what is None:
        return None
    step = steps[what]
    if step.said is not None:
        turn.edit(step.said(turn, draft))
    state = step.then(turn)
    return await state if inspect.isawaitable(state) else state


def confirmed_draft(turn: Turn, codec: Codec, yes: str, draft_key: str, needs: Iterable[str],
                    expired_key: str) -> dict | None:
    """The last step's ✅/✖️: the draft when confirmed and whole; else the person is told (cancelled, or
    the draft is gone — a restart, another device) and None comes back. The draft is dropped either way,
    once the turn has committed (see settle)."""
    draft = dict(turn.context.user_data.get(draft_key) or {})
    settle(turn, lambda data: data.pop(draft_key, None))
    if codec.parse(turn.update.callback_query.data) != (yes,):
        turn.edit(turn.t("cancel.done"))
        return None
    if not all(k in draft for k in needs):
        turn.edit(turn.t(expired_key))
        return None
    return draft


def one_line_form(turn: Turn, read: Callable[[str], T], usage_key: str) -> T | None:
    """The command given on one line (what follows it, read by `read`: models.one_line); None, the usage
    (`usage_key`) said, when it does not read as that form."""
    try:
        return read(turn.args)
    except one_line.Usage:
        turn.reply(turn.t(usage_key))
        return None


def typed_moment(turn: Turn, parse: Callable[[str, Any], T], error: type[ValueError], key: str) -> T | None:
    """A typed date and time, read by `parse` (models) in the handbook's time zone; None when it raises `error`,
    its reason said (the catalog's `key`.<reason>: models' errors are ValueError(reason))."""
    try:
        return parse(turn.text, turn.services.timezone)
    except error as exc:
        turn.reply(turn.t(f"{key}.{exc}"))
        return None


def typed_title(turn: Turn, draft: dict, limit: int, error_key: str) -> bool:
    """A typed title, its spaces tidied, kept in the draft; False, said (`error_key`), when it is empty or
    over `limit` characters."""
    title = " ".join(turn.text.split())
    if not title or len(title) > limit:
        turn.reply(turn.t(error_key, limit=limit))
        return False
    draft["title"] = title
    return True


def chose(turn: Turn, codec: Codec, draft: dict, key: str, said: Callable[[Turn, str], str]) -> bool:
    """A step's choice button (`codec`'s one field, a Choice): the value kept in the draft under `key`, and
    `said(turn, value)` in place of the question; False, told to be a bad button, for data of no choice."""
    fields = codec.parse(turn.update.callback_query.data)
    if fields is None:
        turn.answer(turn.t("error.bad_button"))
        return False
    draft[key] = fields[0]
    turn.edit(said(turn, fields[0]))
    return True


Ask = Callable[..., Any]  # ask(turn, edit=False) -> the step's state (or an awaitable of it): puts its question


def show_step(turn: Turn, text: str, markup: InlineKeyboardMarkup, edit: bool) -> None:
    """A step's question: a new message, or in place of the question ◀ was pressed on."""
    turn.edit(text, markup) if edit else turn.reply(text, markup)


def asked(turn: Turn, key: str, chosen: str | None = None, **kwargs: Any) -> str:
    """The question, under what was chosen for it before (a step asked again after ◀)."""
    return "\n\n".join(p for p in (chosen, turn.t(key, **kwargs)) if p)


def keep_row(codec: Codec, label: str, what: str) -> list[InlineKeyboardButton]:
    """The one-tap "✔ keep what was given before ◀" row of a typed step (`codec` has one field: `what`)."""
    return [InlineKeyboardButton(label[:64], callback_data=codec.data(what))]


class Trail:
    """The steps of a conversation, gone back over one generic way. Every question carries the row
    [◀ Quay lại] [✖ Hủy] (`row`, `markup`; the first step has no step before it, so no ◀); the draft
    (user_data[draft_key]) keeps the steps asked so far, in order, under "trail". ◀ asks the step before
    again in place of the question it sits on (`asks[state](turn, edit=True)`), what was chosen kept in the
    draft for that ask to show; ✖ drops the draft and ends the conversation, as /cancel does.

    ◀'s data names the step it sits on: one pressed on an older question (answered by typing since) is
    told that it has expired, and the steps stay as they are. Add `handlers()` to every step's state."""

    def __init__(self, name: str, draft_key: str, back: Codec, quit: Codec, asks: Mapping[Any, Ask],
                 expired_key: str) -> None:
        self.name, self.draft_key, self.back, self.quit = name, draft_key, back, quit
        self.asks, self.expired_key = asks, expired_key
        self._callbacks()

    def _steps(self, turn: Turn) -> list:
        return turn.context.user_data.setdefault(self.draft_key, {}).setdefault("trail", [])

    def enter(self, turn: Turn, state: Any) -> Any:
        """Note that `state` is being asked (again: once) and give it back."""
        steps = self._steps(turn)
        if not steps or steps[-1] != state:
            steps.append(state)
        return state

    def row(self, turn: Turn, state: Any) -> list[InlineKeyboardButton]:
        """The step's [◀ Quay lại] [✖ Hủy] row; the step is entered."""
        self.enter(turn, state)
        row = [InlineKeyboardButton(turn.t("steps.cancel"), callback_data=self.quit.data())]
        if len(self._steps(turn)) > 1:
            row.insert(0, InlineKeyboardButton(turn.t("steps.back"), callback_data=self.back.data(state)))
        return row

    def markup(self, turn: Turn, state: Any, rows: Iterable[list[InlineKeyboardButton]] = ()) -> InlineKeyboardMarkup:
        """The step's own buttons, then its ◀ / ✖ row."""
        return InlineKeyboardMarkup([*rows, self.row(turn, state)])

    def ask(self, turn: Turn, state: Any, text: str, rows: Iterable[list[InlineKeyboardButton]], edit: bool) -> Any:
        """Put the step's question (show_step) with its own buttons and its ◀ / ✖ row; the state back."""
        show_step(turn, text, self.markup(turn, state, rows), edit)
        return state

    def handlers(self) -> list[BaseHandler]:
        return [CallbackQueryHandler(self._went_back, pattern=self.back.pattern),
                CallbackQueryHandler(self._quitted, pattern=self.quit.exact)]

    def stale(self, codecs: Iterable[Codec]) -> Any:
        """The handler of the conversation's buttons (`codecs`) pressed once it is over: see stale_buttons."""
        return stale_buttons(codecs, self.expired_key)

    def states(self, steps: Mapping[Any, Sequence[BaseHandler]]) -> dict[Any, list[BaseHandler]]:
        """The conversation's states: each step's handlers, then ◀ and ✖ (`handlers`)."""
        return {state: [*handlers, *self.handlers()] for state, handlers in steps.items()}

    def _callbacks(self) -> None:
        async def went_back(turn: Turn):
            fields = self.back.parse(turn.update.callback_query.data)
            steps = self._steps(turn)
            if fields is None or len(steps) < 2 or steps[-1] != fields[0] or steps[-2] not in self.asks:
                turn.answer(turn.t(self.expired_key), alert=True)
                return None  # the conversation stays where it is
            steps.pop()
            state = self.asks[steps[-1]](turn, edit=True)
            return await state if inspect.isawaitable(state) else state

        async def quitted(turn: Turn):
            settle(turn, lambda data: data.pop(self.draft_key, None))
            turn.edit(turn.t("cancel.done"))
            return ConversationHandler.END

        self._went_back = named_handler(f"{self.name}_back", went_back)
        self._quitted = named_handler(f"{self.name}_cancel", quitted)


def on_button(codec: Codec, what: str, read: Callable[[tuple], tuple | None] = lambda fields: fields):
    """A button: `fn(turn, *fields)` once `codec` (and `read`, for a field that must be more than well-formed: a
    real day, an item of the rules' list) finds the data good; else refused, recorded as `what`. The model checks
    again who may act."""
    def wrap(fn: Callable[..., Awaitable[None]]):
        async def pressed(turn: Turn) -> None:
            fields = codec.parse(turn.update.callback_query.data)
            fields = read(fields) if fields is not None else None
            if fields is None:
                await refuse(turn, what)
                return
            await fn(turn, *fields)

        return answers(codec)(named_handler(fn.__name__, pressed))
    return wrap


def calendar_buttons(opens: Codec, pages: Codec, what: str, show: Callable[..., Awaitable[None]],
                     names: tuple[str, str]) -> tuple[Any, Any]:
    """A calendar's two buttons (handlers/calendar.py): the one that opens it — `show(turn, *fields, None)`, the
    month `show` picks — and its month pages, the same fields then a month (yyyymm): `show(turn, *fields, month)`;
    forged data refused, recorded as `what`. The handlers are named `names` (the turn's metrics and logs)."""

    async def opened(turn: Turn, *fields: Any) -> None:
        await show(turn, *fields, None)

    async def paged(turn: Turn, *fields: Any) -> None:  # the month read, last
        await show(turn, *fields)

    opened.__name__, paged.__name__ = names
    return on_button(opens, what)(opened), on_button(pages, what, dated(month_of))(paged)
