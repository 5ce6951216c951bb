"""An in-memory Telegram: the bot's side (Bot API methods) and the users' side (control actions).

No HTTP here: :meth:`Emulator.call` takes a method name and its already-parsed parameters and
returns (HTTP status, Telegram's JSON answer); ``server.py`` puts it on the network. Users act
through plain methods (``user_send_text``, ``user_press``...), which queue updates for the bot.
Everything that happens is also appended to an event log with a global sequence number, so
tests and the web page can wait for "what the bot did after X".
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import mimetypes
import re
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .entities import EntityParseError, parse_html, strip_text, to_html, utf16_len, with_bot_commands
from .spec import BotApiSpec, FilePart, Violation, default_spec

DEFAULT_TOKEN = "7000000001:SANDBOX-token-for-tests-only"
DEFAULT_USERNAME = "handbook_sandbox_bot"
DEFAULT_FIRST_NAME = "Sổ tay đảng viên"
FIRST_USER_ID = 100001

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MAX_POLL_OPTIONS = 12  # Bot API 10.1: "1-12 answer options"
MAX_POLL_EXPLANATION = 200
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, like the cloud Bot API

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
# Update types delivered when allowed_updates is empty or never set.
DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
MEDIA_KINDS = ("document", "photo", "audio", "voice", "video", "animation", "video_note")
# The Bot API method that sends each kind: sendDocument, …, sendVideoNote.
SEND_MEDIA = {"send" + kind.title().replace("_", ""): kind for kind in MEDIA_KINDS}
FILE_ID_PREFIX = {
    "document": "BQACAgIAAxkBAAI", "photo": "AgACAgIAAxkBAAI", "audio": "CQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI", "video": "BAACAgIAAxkBAAI", "animation": "CgACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}
FILE_DIRS = {
    "document": "documents", "photo": "photos", "audio": "music", "voice": "voice",
    "video": "videos", "animation": "animations", "video_note": "video_notes",
}
ERROR_TEXTS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable",
}
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
WRONG_FILE = "wrong file identifier/HTTP URL specified"
_OWN = object()  # "the sender's own id" default for contact.user_id
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


class ControlError(ValueError):
    """A control action a real Telegram client could not perform (the control API answers 400)."""

    status = 400


class ControlNotFound(ControlError):
    """A control action named a user, chat, message, callback query or file that does not exist."""

    status = 404


# -- state ------------------------------------------------------------------------------------
@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    phone_number: str | None = None
    blocked: bool = False
    started: bool = True  # False: the user never opened the bot, so it cannot write first

    def to_api(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def view(self) -> dict:
        return {**self.to_api(), "phone_number": self.phone_number, "blocked": self.blocked, "started": self.started}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    mime_type: str
    file_name: str | None
    file_path: str
    width: int = 0
    height: int = 0
    duration: int = 0

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass
class Message:
    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    seq: int = 0
    text: str | None = None
    entities: list[dict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None  # inline keyboards only; reply keyboards live on the chat
    media_kind: str | None = None
    media: Any = None  # the Bot API object (Document, [PhotoSize], Voice...)
    contact: dict | None = None
    poll: Poll | None = None
    reply_to: int | None = None
    media_group_id: str | None = None
    protected: bool = False
    edit_date: int | None = None
    deleted: bool = False
    last_seq: int = 0  # seq of the latest event that changed this message


@dataclass
class Poll:
    """A poll the bot sent into a private chat; the chat's one user may vote."""

    id: str
    question: str
    options: list[str]
    type: str = "regular"
    is_anonymous: bool = True
    allows_multiple_answers: bool = False
    allows_revoting: bool = True
    correct_option_ids: list[int] = field(default_factory=list)
    explanation: str | None = None
    explanation_entities: list[dict] = field(default_factory=list)
    is_closed: bool = False
    chosen: list[int] = field(default_factory=list)  # the user's current answer

    def persistent_id(self, index: int) -> str:
        return f"{self.id}-{index}"

    def to_api(self) -> dict:
        """The Poll object as the bot that sent it sees it (correct options included)."""
        out: dict[str, Any] = {
            "id": self.id, "question": self.question,
            "options": [{"persistent_id": self.persistent_id(i), "text": text,
                         "voter_count": int(i in self.chosen)} for i, text in enumerate(self.options)],
            "total_voter_count": int(bool(self.chosen)), "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous, "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers, "allows_revoting": self.allows_revoting,
            "members_only": False,
        }
        if self.type == "quiz":
            out["correct_option_ids"] = list(self.correct_option_ids)
            if self.explanation:
                out["explanation"] = self.explanation
                if self.explanation_entities:
                    out["explanation_entities"] = self.explanation_entities
        return out

    def view(self) -> dict:
        """What the user's client shows: the right answer and explanation only once answered or closed."""
        revealed = bool(self.chosen) or self.is_closed
        return {
            "id": self.id, "question": self.question, "type": self.type, "is_anonymous": self.is_anonymous,
            "allows_multiple_answers": self.allows_multiple_answers, "is_closed": self.is_closed,
            "options": [{"text": text, "chosen": i in self.chosen,
                         "correct": (i in self.correct_option_ids) if revealed and self.type == "quiz" else None}
                        for i, text in enumerate(self.options)],
            "answered": bool(self.chosen), "can_answer": not self.is_closed and (
                not self.chosen or self.allows_revoting),
            "explanation": self.explanation if revealed else None,
        }


@dataclass
class Chat:
    id: int
    user: User
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict | None = None
    menu_button: dict | None = None
    sends: deque = field(default_factory=deque)  # monotonic times of recent bot sends, for flood control
    last_action: str | None = None

    def to_api(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.user.first_name}
        if self.user.last_name:
            out["last_name"] = self.user.last_name
        if self.user.username:
            out["username"] = self.user.username
        return out


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    forged: bool
    seq: int
    answer: dict | None = None


@dataclass
class FailRule:
    count: int
    code: int = 500
    description: str | None = None


@dataclass
class Config:
    global_limit_per_s: float | None = None
    per_chat_limit_per_s: float | None = None
    latency_ms: float = 0
    fail_next: dict[int | None, FailRule] = field(default_factory=dict)  # chat id (None: any chat) → rule

    def view(self) -> dict:
        return {
            "global_limit_per_s": self.global_limit_per_s,
            "per_chat_limit_per_s": self.per_chat_limit_per_s,
            "latency_ms": self.latency_ms,
            "fail_next": [{"chat_id": k, "count": r.count, "code": r.code} for k, r in self.fail_next.items()],
        }


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None


@dataclass
class WebhookPush:
    """One update on its way to a webhook URL (server.py makes the HTTP request)."""

    update: dict
    url: str
    secret_token: str | None


@dataclass
class WebhookTargets:
    """Where updates go while a webhook is set: the URL the bot gave, or the test's own list
    (several bot instances behind one address, round robin), and what was delivered where."""

    urls: list[str] = field(default_factory=list)  # empty: the URL of setWebhook
    secret_token: str | None = None  # None: the secret_token of setWebhook
    retry_s: float = 0.5  # first retry of a failed update; doubles up to max_retry_s
    max_retry_s: float = 8.0
    delivered: Counter = field(default_factory=Counter)  # url → updates accepted (2xx)
    failed: Counter = field(default_factory=Counter)  # url → attempts that failed
    last_error_date: int | None = None
    last_error_message: str | None = None


class Emulator:
    def __init__(self, token: str = DEFAULT_TOKEN, *, username: str = DEFAULT_USERNAME,
                 first_name: str = DEFAULT_FIRST_NAME, spec: BotApiSpec | None = None,
                 strict_ampersand: bool = True):
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.spec = spec or default_spec()
        self.strict_ampersand = strict_ampersand
        # Counters that must never go back, even across reset(): PTB keeps its update offset,
        # drivers keep event cursors, and bots may cache callback ids.
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_171_000_000_000_000_001)
        self._poll_ids = itertools.count(5_312_000_000_000_000_001)
        self._file_counter = itertools.count(1)
        self.seq = 0
        self.last_update_id = 0
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self.closing = False
        self.generation = 0  # counts resets: what reads the event log incrementally starts again
        self._clear()

    def _clear(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict] = []
        self.allowed_updates: list[str] | None = None
        self.webhook = Webhook()
        self.webhook_targets = WebhookTargets()
        self._pushing: set[int] = set()  # update ids on the wire to a webhook
        self._push_retry: dict[int, tuple[float, int]] = {}  # update id → (not before, failures)
        self._push_turn = itertools.count()  # round robin over the webhook URLs
        self.callbacks: dict[str, CallbackQuery] = {}
        self.polls: dict[str, tuple[int, int]] = {}  # poll id → (chat id, message id)
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[tuple, list[dict]] = {}  # (scope key, language code) → commands
        self.default_menu_button: dict | None = None
        self.requests: Counter = Counter()
        self.callback_data_sent: list[str] = []  # every inline button's data the bot sent or edited in, in order
        self.uploads = 0
        self.sends_by_file_id = 0
        self.throttled = 0  # 429s answered (flood control)
        self.user_files = 0
        self.violations: list[dict] = []
        self.events: list[dict] = []
        self.config = Config()
        self._global_sends: deque = deque()

    def reset(self) -> None:
        """Forgets users, chats, updates, files, stats, violations and config (ids keep counting)."""
        self._clear()
        self.generation += 1
        self._notify()

    # -- waking waiters ----------------------------------------------------------------------
    def _notify(self) -> None:
        # Swapping the event wakes every current waiter without needing a lock from sync code.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Waits until predicate() is truthy (returns it) or timeout passes (returns the last value)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            remaining = deadline - time.monotonic()
            if value or remaining <= 0 or self.closing:
                return value
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    def close(self) -> None:
        """Releases every long poll at once (server shutdown)."""
        self.closing = True
        self._notify()

    # -- events --------------------------------------------------------------------------------
    def _event(self, kind: str, **data: Any) -> dict:
        self.seq += 1
        event = {"seq": self.seq, "type": kind, "time": time.time(), **data}
        self.events.append(event)
        if len(self.events) > 20000:
            del self.events[:10000]  # a long training session must not grow without bound
        self._notify()
        return event

    def events_after(self, after_seq: int, *, types: set[str] | None = None, chat_id: int | None = None) -> list[dict]:
        return [
            e for e in self.events
            if e["seq"] > after_seq
            and (types is None or e["type"] in types)
            and (chat_id is None or e.get("chat_id") == chat_id)
        ]

    async def wait_events(self, after_seq: int, timeout: float, **filters: Any) -> list[dict]:
        return await self.wait_for(lambda: self.events_after(after_seq, **filters), timeout)

    # -- the bot's side ------------------------------------------------------------------------
    async def call(self, method_name: str, params: dict[str, Any]) -> tuple[int, dict]:
        """Handles one Bot API request; returns (HTTP status, JSON body) like api.telegram.org."""
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        canonical = self.spec.canonical_method(method_name)
        attachments: dict[str, FilePart] = {}
        if canonical:
            # Files uploaded under their own names and referenced as attach://name are not fields.
            known = self.spec.fields(canonical)
            attachments = {k: v for k, v in params.items() if isinstance(v, FilePart) and k not in known}
            params = {k: v for k, v in params.items() if k not in attachments}
        canonical, params, violations = self.spec.check(method_name, params)
        name = canonical or method_name
        self.requests[name] += 1
        for v in violations:
            self._record_violation(v)
        try:
            if canonical is None:
                raise ApiError(404, "Not Found")
            self._raise_for_invalid(violations)
            self._inject_fault(params)
            sending = self._is_sending(canonical)
            if sending:
                self._check_flood(params.get("chat_id"))
            handler = getattr(self, f"_m_{canonical}", None)
            if handler is not None:
                result = await handler(params, attachments)
            elif canonical in SEND_MEDIA:  # sendPhoto, sendVoice, …: one way for every kind
                result = await self._send_media(SEND_MEDIA[canonical], params, attachments)
            else:
                result = self._unemulated(canonical, params)
            if sending:
                self._record_send(params.get("chat_id"))
            return 200, {"ok": True, "result": result}
        except ApiError as e:
            return e.code, e.payload()
        except Exception as e:  # a sandbox bug must fail the test, not look like a Telegram error
            self.violations.append({"method": name, "kind": "sandbox_error", "path": "", "detail": repr(e)})
            return 500, {"ok": False, "error_code": 500, "description": f"Internal Server Error: sandbox bug {e!r}"}

    def _record_violation(self, v: Violation) -> None:
        self.violations.append({"method": v.method, "kind": v.kind, "path": v.path, "detail": v.message})

    def _raise_for_invalid(self, violations: list[Violation]) -> None:
        for v in violations:
            top = re.split(r"[.\[]", v.path, maxsplit=1)[0]
            if v.kind == "missing" and top == v.path:
                if top == "chat_id":
                    raise bad_request("chat_id is empty")
                if top == "text":
                    raise bad_request("message text is empty")
                raise bad_request(f'parameter "{top}" is required')
            if v.kind in ("missing", "type", "json"):
                raise bad_request(f"can't parse {top}: {v.message}")

    def _is_sending(self, method: str) -> bool:
        return (method.startswith("send") and method != "sendChatAction") or method in (
            "copyMessage", "copyMessages", "forwardMessage", "forwardMessages")

    def _inject_fault(self, params: dict) -> None:
        chat_id = params.get("chat_id")
        for key in (chat_id, None) if chat_id is not None else ():
            rule = self.config.fail_next.get(key)
            if rule and rule.count > 0:
                rule.count -= 1
                if rule.count == 0:
                    del self.config.fail_next[key]
                raise ApiError(rule.code, rule.description or ERROR_TEXTS.get(rule.code, "Internal Server Error"))

    @staticmethod
    def _window(limit: float) -> tuple[float, int]:
        """A limit per second as (window seconds, sends allowed in it); 0.5/s means 1 per 2 s."""
        if limit >= 1:
            return 1.0, int(limit)
        return 1.0 / limit, 1

    def _flood(self, sends: deque, limit: float | None, now: float) -> int | None:
        if not limit:
            return None
        window, allowed = self._window(limit)
        while sends and sends[0] <= now - window:
            sends.popleft()
        if len(sends) < allowed:
            return None
        return max(1, math.ceil(sends[0] + window - now))

    def _check_flood(self, chat_id: Any) -> None:
        now = time.monotonic()
        retry = self._flood(self._global_sends, self.config.global_limit_per_s, now)
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if retry is None and chat is not None:
            retry = self._flood(chat.sends, self.config.per_chat_limit_per_s, now)
        if retry is not None:
            self.throttled += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _record_send(self, chat_id: Any) -> None:
        now = time.monotonic()
        self._global_sends.append(now)
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None:
            chat.sends.append(now)

    def _unemulated(self, method: str, params: dict) -> Any:
        returns = self.spec.methods[method].get("returns", [])
        if returns == ["Message"] and "chat_id" in params:
            # Keeps PTB working (it parses a Message); the content itself is not emulated.
            chat = self._chat_for_send(params["chat_id"])
            return self._to_api(self._add_message(chat, from_bot=True, text=f"[{method}]"))
        return True

    # -- common checks ------------------------------------------------------------------------
    def bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def _chat(self, chat_id: Any) -> Chat:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _chat_for_send(self, chat_id: Any) -> Chat:
        chat = self._chat(chat_id)
        if chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _format(self, text: str | None, parse_mode: str | None, entities: list | None, *,
                caption: bool) -> tuple[str, list[dict]]:
        """Applies the parse mode and Telegram's length rules to a text or caption."""
        text = text or ""
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                text, found = parse_html(text, strict_ampersand=self.strict_ampersand)
            except EntityParseError as e:
                raise bad_request(f"can't parse entities: {e}") from e
        elif mode in ("markdown", "markdownv2"):
            raise bad_request(f"can't parse entities: parse_mode {parse_mode} is not emulated by the sandbox; use HTML")
        elif mode:
            raise bad_request("unsupported parse_mode")
        else:
            found = [dict(e) for e in entities or []]
        for e in found:
            if e.get("type") == "text_mention" and e.get("user", {}).get("id") in self.users:
                e["user"] = self.users[e["user"]["id"]].to_api()
        text, found = strip_text(text, found)
        found = with_bot_commands(text, found)
        if caption:
            if len(text) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        else:
            if not text:
                raise bad_request("message text is empty")
            if len(text) > MAX_TEXT:
                raise bad_request("message is too long")
        return text, found

    def _markup(self, markup: dict | None, *, inline_only: bool = False) -> tuple[dict | None, Callable[[Chat], None]]:
        """Checks reply_markup; returns (inline keyboard for the message, what to do to the chat on success)."""
        if not markup:
            return None, lambda chat: None
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            keyboard = {"inline_keyboard": [[dict(b) for b in row] for row in rows]}
            return (keyboard if any(rows) else None), lambda chat: None
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not text:
                        raise bad_request("keyboard button text is empty")

            def keep(chat: Chat) -> None:
                chat.reply_keyboard = markup
            return None, keep
        if markup.get("remove_keyboard"):
            def remove(chat: Chat) -> None:
                chat.reply_keyboard = None
            return None, remove
        return None, lambda chat: None

    def _check_inline_button(self, button: dict) -> None:
        actions = [k for k in button if k not in ("text", "icon_custom_emoji_id", "style")]
        if not actions:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            self.callback_data_sent.append(data)
        if "url" in button:
            url = str(button["url"])
            if not re.match(r"(https?|tg)://[^\s]+$", url, re.IGNORECASE):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _reply_to(self, chat: Chat, params: dict) -> int | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _message(self, params: dict, *, action: str) -> Message:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not emulated
        chat = self._chat(params.get("chat_id"))
        if chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad_request(f"message to {action} not found")
        return msg

    # -- messages ------------------------------------------------------------------------------
    def _add_message(self, chat: Chat, *, from_bot: bool, **fields: Any) -> Message:
        msg = Message(
            chat_id=chat.id, message_id=chat.next_message_id, from_bot=from_bot,
            sender_id=self.bot_id if from_bot else chat.user.id, date=int(time.time()), **fields,
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        event = self._event("message_new", chat_id=chat.id, message_id=msg.message_id, from_bot=from_bot)
        msg.seq = msg.last_seq = event["seq"]
        event["message"] = self.message_view(msg)
        return msg

    def _to_api(self, msg: Message, *, with_reply: bool = True) -> dict:
        """The message as the Bot API Message object."""
        chat = self.chats[msg.chat_id]
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_user() if msg.from_bot else chat.user.to_api(),
            "chat": chat.to_api(),
            "date": msg.date,
        }
        if msg.edit_date:
            out["edit_date"] = msg.edit_date
        if msg.reply_to and with_reply and msg.reply_to in chat.messages:
            out["reply_to_message"] = self._to_api(chat.messages[msg.reply_to], with_reply=False)
        if msg.protected:
            out["has_protected_content"] = True
        if msg.media_group_id:
            out["media_group_id"] = msg.media_group_id
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.media_kind:
            out[msg.media_kind] = msg.media
            if msg.caption:
                out["caption"] = msg.caption
                if msg.caption_entities:
                    out["caption_entities"] = msg.caption_entities
        if msg.contact:
            out["contact"] = msg.contact
        if msg.poll:
            out["poll"] = msg.poll.to_api()
        if msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        return out

    def message_view(self, msg: Message) -> dict:
        """What tests and the web page see of a message (both sides of the chat)."""
        view: dict[str, Any] = {
            "chat_id": msg.chat_id, "message_id": msg.message_id, "seq": msg.seq, "last_seq": msg.last_seq,
            "from_bot": msg.from_bot, "from_id": msg.sender_id, "date": msg.date,
            "text": msg.text, "entities": msg.entities, "html": to_html(msg.text, msg.entities),
            "caption": msg.caption, "caption_entities": msg.caption_entities,
            "caption_html": to_html(msg.caption, msg.caption_entities),
            "reply_markup": msg.reply_markup, "reply_to_message_id": msg.reply_to,
            "contact": msg.contact, "media_kind": msg.media_kind, "poll": msg.poll.view() if msg.poll else None,
            "edited": msg.edit_date is not None, "edit_date": msg.edit_date, "deleted": msg.deleted,
        }
        if msg.media_kind == "photo":
            view["photo"] = [{**size, "url": f"/_sandbox/files/{size['file_id']}"} for size in msg.media]
        elif msg.media_kind:
            view[msg.media_kind] = {**msg.media, "url": f"/_sandbox/files/{msg.media['file_id']}"}
        return view

    def _changed_message(self, msg: Message, kind: str) -> None:
        event = self._event(kind, chat_id=msg.chat_id, message_id=msg.message_id, from_bot=msg.from_bot)
        msg.last_seq = event["seq"]
        event["message"] = self.message_view(msg)

    def _enqueue(self, kind: str, payload: dict) -> int:
        update_id = self.last_update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    # -- files ---------------------------------------------------------------------------------
    def store_file(self, data: bytes, *, kind: str, file_name: str | None, mime_type: str | None,
                   duration: int | None = None) -> StoredFile:
        n = next(self._file_counter)
        digest = hashlib.sha1(f"{self.bot_id}:{n}".encode()).hexdigest()
        guessed = mimetypes.guess_type(file_name or "")[0]
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = guessed or "application/octet-stream"
        if kind == "voice" and (file_name or "").lower().endswith((".ogg", ".oga", ".opus")):
            mime_type = "audio/ogg"
        width, height = image_size(data) if kind == "photo" else (0, 0)
        ext = (file_name or "").rsplit(".", 1)[-1].lower() if file_name and "." in file_name else "bin"
        if kind == "photo":
            ext = "jpg"
        stored = StoredFile(
            file_id=f"{FILE_ID_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{n:05d}{digest[:24]}",
            file_unique_id=f"AgAD{digest[24:36]}",
            kind=kind, data=bytes(data), mime_type=mime_type, file_name=file_name,
            file_path=f"{FILE_DIRS.get(kind, 'documents')}/file_{n}.{ext}",
            width=width, height=height,
            duration=duration if duration is not None else audio_duration(data),
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, value: Any, kind: str, attachments: dict[str, FilePart], params: dict) -> StoredFile:
        """An InputFile-or-String field: a new upload, attach://name, or an existing file_id."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = attachments.get(value[len("attach://"):])
            if value is None:
                raise bad_request(WRONG_FILE)
        if isinstance(value, FilePart):
            if not value.data:
                raise bad_request("file must be non-empty")
            if kind == "photo" and image_size(value.data) == (0, 0):
                raise bad_request("IMAGE_PROCESS_FAILED")
            self.uploads += 1
            return self.store_file(value.data, kind=kind, file_name=value.filename or None,
                                   mime_type=value.content_type, duration=params.get("duration"))
        stored = self.files.get(value) if isinstance(value, str) else None
        if stored is None:
            raise bad_request(WRONG_FILE)  # also for HTTP URLs: the sandbox has no internet
        if stored.kind != kind:
            raise bad_request("type of file mismatch")
        self.sends_by_file_id += 1
        return stored

    @staticmethod
    def _media_object(kind: str, f: StoredFile, params: dict) -> Any:
        base = {"file_id": f.file_id, "file_unique_id": f.file_unique_id}
        if kind == "photo":
            return [{**base, "width": f.width, "height": f.height, "file_size": f.file_size}]
        obj: dict[str, Any] = dict(base)
        if kind in ("audio", "voice", "video", "animation", "video_note"):
            obj["duration"] = int(params.get("duration") or f.duration)
        if kind in ("video", "animation"):
            obj["width"] = int(params.get("width") or 0)
            obj["height"] = int(params.get("height") or 0)
        if kind == "video_note":
            obj["length"] = int(params.get("length") or 0)
        if kind == "audio":
            for key in ("performer", "title"):
                if params.get(key):
                    obj[key] = params[key]
        if kind in ("document", "audio", "video", "animation") and f.file_name:
            obj["file_name"] = f.file_name
        if kind != "video_note":
            obj["mime_type"] = f.mime_type
        obj["file_size"] = f.file_size
        return obj

    # -- Bot API methods -------------------------------------------------------------------------
    async def _m_getMe(self, params: dict, attachments: dict) -> dict:
        return {**self.bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    async def _m_logOut(self, params: dict, attachments: dict) -> bool:
        return True

    async def _m_close(self, params: dict, attachments: dict) -> bool:
        return True

    async def _m_getUpdates(self, params: dict, attachments: dict) -> list[dict]:
        if self.webhook.url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.get("offset") or 0
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"] or None
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = max(params.get("timeout") or 0, 0)
        # A newer getUpdates terminates a waiting one, as Telegram does with two bot instances.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        pending = await self.wait_for(
            lambda: self._poll_generation != generation or self._deliverable(), timeout)
        if self._poll_generation != generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                "make sure that only one bot instance is running")
        return self._deliverable()[:limit] if pending else []

    def _deliverable(self) -> list[dict]:
        allowed = set(self.allowed_updates) if self.allowed_updates else None

        def wanted(update: dict) -> bool:
            kind = next(k for k in update if k != "update_id")
            return kind in allowed if allowed else kind not in DEFAULT_EXCLUDED_UPDATES
        return [u for u in self.updates if wanted(u)]

    async def _m_setWebhook(self, params: dict, attachments: dict) -> bool:
        url = params.get("url") or ""
        if url:
            host = re.match(r"https?://([^/:]+)", url)
            local = host and host.group(1) in ("127.0.0.1", "localhost")
            if not url.startswith("https://") and not local:
                raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = Webhook(url=url, secret_token=params.get("secret_token"),
                               max_connections=params.get("max_connections") or 40,
                               allowed_updates=params.get("allowed_updates"))
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"] or None
        self._notify()  # wakes the webhook pusher
        return True

    async def _m_deleteWebhook(self, params: dict, attachments: dict) -> bool:
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = Webhook()
        self._notify()
        return True

    async def _m_getWebhookInfo(self, params: dict, attachments: dict) -> dict:
        info: dict[str, Any] = {"url": self.webhook.url, "has_custom_certificate": False,
                                "pending_update_count": len(self._deliverable())}
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
            if self.webhook_targets.last_error_date:
                info["last_error_date"] = self.webhook_targets.last_error_date
                info["last_error_message"] = self.webhook_targets.last_error_message
        return info

    # webhook delivery (the HTTP side is server.push_webhooks) -------------------------------------
    def set_webhook_targets(self, urls: list[str], secret_token: str | None = None,
                            retry_s: float | None = None) -> dict:
        """The test's side of a load balancer: deliver to these URLs in turn instead of the bot's URL."""
        if not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                                 for u in urls):
            raise ControlError("urls must be a list of http(s) URLs")
        if secret_token is not None and not isinstance(secret_token, str):
            raise ControlError("secret must be a string")
        self.webhook_targets.urls = list(urls)
        self.webhook_targets.secret_token = secret_token
        if retry_s is not None:
            self.webhook_targets.retry_s = max(0.01, float(retry_s))
        self._notify()
        return self.webhook_view()

    def webhook_view(self) -> dict:
        t = self.webhook_targets
        return {"url": self.webhook.url, "urls": t.urls, "secret_set": t.secret_token is not None,
                "retry_s": t.retry_s, "delivered": dict(t.delivered), "failed": dict(t.failed),
                "pending": len(self._deliverable()) if self.webhook.url else 0, "in_flight": len(self._pushing)}

    def _push_candidates(self, now: float) -> list[dict]:
        """Updates due for a push: in order, at most one per chat on the wire (Telegram keeps a chat's order)."""
        if not self.webhook.url:
            return []
        busy = {_update_chat(u) for u in self.updates if u["update_id"] in self._pushing}
        due = []
        for update in self._deliverable():
            chat = _update_chat(update)
            if chat in busy:
                continue
            busy.add(chat)  # later updates of this chat wait for this one
            retry = self._push_retry.get(update["update_id"])
            if update["update_id"] not in self._pushing and (retry is None or retry[0] <= now):
                due.append(update)
        return due

    def webhook_has_due(self) -> bool:
        return bool(self._push_candidates(time.monotonic()))

    def webhook_next_retry(self) -> float | None:
        """Seconds until the earliest postponed update may go again (None: nothing postponed)."""
        waiting = [at for uid, (at, _) in self._push_retry.items() if uid not in self._pushing]
        return max(0.0, min(waiting) - time.monotonic()) if waiting else None

    def take_webhook_pushes(self, limit: int) -> list[WebhookPush]:
        """Up to `limit` updates to POST now, each to the next URL in turn; they count as on the wire."""
        if limit <= 0:
            return []
        urls = self.webhook_targets.urls or [self.webhook.url]
        secret = self.webhook_targets.secret_token
        if secret is None:
            secret = self.webhook.secret_token
        pushes = []
        for update in self._push_candidates(time.monotonic())[:limit]:
            self._pushing.add(update["update_id"])
            pushes.append(WebhookPush(update, urls[next(self._push_turn) % len(urls)], secret))
        return pushes

    def webhook_pushed(self, push: WebhookPush, error: str | None = None) -> None:
        """The outcome of one POST: accepted (error None) and gone, or back in the queue after a delay."""
        update_id = push.update["update_id"]
        self._pushing.discard(update_id)
        targets = self.webhook_targets
        if error is None:
            targets.delivered[push.url] += 1
            self._push_retry.pop(update_id, None)
            self.updates = [u for u in self.updates if u["update_id"] != update_id]
        else:
            targets.failed[push.url] += 1
            targets.last_error_date = int(time.time())
            targets.last_error_message = error
            failures = self._push_retry.get(update_id, (0.0, 0))[1] + 1
            delay = min(targets.retry_s * 2 ** (failures - 1), targets.max_retry_s)
            self._push_retry[update_id] = (time.monotonic() + delay, failures)
        self._notify()

    # commands -------------------------------------------------------------------------------------
    def _scope_key(self, scope: dict | None) -> tuple:
        scope = scope or {"type": "default"}
        kind = scope.get("type", "default")
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_id = scope.get("chat_id")
            if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
                chat_id = int(chat_id)
            self._chat(chat_id)
            if kind == "chat_member":
                return kind, chat_id, scope.get("user_id")
            return kind, chat_id
        return (kind,)

    @staticmethod
    def _language(params: dict) -> str:
        code = params.get("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad_request("invalid language code specified")
        return code

    async def _m_setMyCommands(self, params: dict, attachments: dict) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(params.get("scope")), self._language(params))
        if commands:
            self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            self.commands.pop(key, None)
        return True

    async def _m_getMyCommands(self, params: dict, attachments: dict) -> list[dict]:
        return self.commands.get((self._scope_key(params.get("scope")), self._language(params)), [])

    async def _m_deleteMyCommands(self, params: dict, attachments: dict) -> bool:
        self.commands.pop((self._scope_key(params.get("scope")), self._language(params)), None)
        return True

    def commands_for(self, chat_id: int, language_code: str | None = None) -> list[dict]:
        """The commands a private chat sees, resolved the way Telegram documents it."""
        chat = self.chats.get(chat_id)
        if language_code is None and chat is not None:
            language_code = chat.user.language_code
        lang = (language_code or "").split("-")[0].lower()
        for scope in (("chat", chat_id), ("all_private_chats",), ("default",)):
            for code in ([lang] if lang else []) + [""]:
                if (scope, code) in self.commands:
                    return self.commands[(scope, code)]
        return []

    async def _m_setChatMenuButton(self, params: dict, attachments: dict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if params.get("chat_id") is None:
            self.default_menu_button = button
        else:
            self._chat(params["chat_id"]).menu_button = button
        return True

    async def _m_getChatMenuButton(self, params: dict, attachments: dict) -> dict:
        if params.get("chat_id") is not None:
            chat = self._chat(params["chat_id"])
            if chat.menu_button:
                return chat.menu_button
        return self.default_menu_button or {"type": "default"}

    # chats -----------------------------------------------------------------------------------------
    async def _m_getChat(self, params: dict, attachments: dict) -> dict:
        chat = self._chat(params["chat_id"])
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                        "premium_subscription": False, "gifts_from_channels": False}}

    async def _m_getChatMember(self, params: dict, attachments: dict) -> dict:
        chat = self._chat(params["chat_id"])
        if params["user_id"] == chat.user.id:
            status = "kicked" if chat.user.blocked else "member"
            member = chat.user.to_api()
        elif params["user_id"] == self.bot_id:
            status, member = "member", self.bot_user()
        else:
            raise bad_request("user not found")
        return {"status": status, "user": member, **({"until_date": 0} if status == "kicked" else {})}

    async def _m_sendChatAction(self, params: dict, attachments: dict) -> bool:
        chat = self._chat_for_send(params["chat_id"])
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = params["action"]
        self._event("chat_action", chat_id=chat.id, action=params["action"])
        return True

    # sending ----------------------------------------------------------------------------------------
    async def _m_sendMessage(self, params: dict, attachments: dict) -> dict:
        chat = self._chat_for_send(params["chat_id"])
        text, entities = self._format(params["text"], params.get("parse_mode"), params.get("entities"), caption=False)
        inline, apply_to_chat = self._markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        apply_to_chat(chat)
        msg = self._add_message(chat, from_bot=True, text=text, entities=entities, reply_markup=inline,
                                reply_to=reply_to, protected=bool(params.get("protect_content")))
        return self._to_api(msg)

    async def _send_media(self, kind: str, params: dict, attachments: dict) -> dict:
        chat = self._chat_for_send(params["chat_id"])
        caption, caption_entities = self._format(params.get("caption"), params.get("parse_mode"),
                                                 params.get("caption_entities"), caption=True)
        inline, apply_to_chat = self._markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        stored = self._input_file(params[kind], kind, attachments, params)
        apply_to_chat(chat)
        msg = self._add_message(
            chat, from_bot=True, caption=caption or None, caption_entities=caption_entities, reply_markup=inline,
            media_kind=kind, media=self._media_object(kind, stored, params), reply_to=reply_to,
            protected=bool(params.get("protect_content")))
        return self._to_api(msg)

    async def _m_sendMediaGroup(self, params: dict, attachments: dict) -> list[dict]:
        chat = self._chat_for_send(params["chat_id"])
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of messages in the media group; must be 2-10")
        prepared = []
        for item in media:
            kind = item.get("type")
            if kind not in ("photo", "video", "audio", "document"):
                raise bad_request("unsupported media type in the media group")
            caption, caption_entities = self._format(item.get("caption"), item.get("parse_mode"),
                                                     item.get("caption_entities"), caption=True)
            prepared.append((kind, item, caption, caption_entities))
        reply_to = self._reply_to(chat, params)
        group_id = str(next(self._file_counter) + 10**16)
        sent = []
        for kind, item, caption, caption_entities in prepared:
            stored = self._input_file(item["media"], kind, attachments, item)
            msg = self._add_message(
                chat, from_bot=True, caption=caption or None, caption_entities=caption_entities, media_kind=kind,
                media=self._media_object(kind, stored, item), reply_to=reply_to, media_group_id=group_id)
            sent.append(self._to_api(msg))
        return sent

    async def _m_sendContact(self, params: dict, attachments: dict) -> dict:
        chat = self._chat_for_send(params["chat_id"])
        inline, apply_to_chat = self._markup(params.get("reply_markup"))
        apply_to_chat(chat)
        contact = {k: params[k] for k in ("phone_number", "first_name", "last_name", "vcard") if params.get(k)}
        msg = self._add_message(chat, from_bot=True, contact=contact, reply_markup=inline)
        return self._to_api(msg)

    async def _m_sendPoll(self, params: dict, attachments: dict) -> dict:
        chat = self._chat_for_send(params["chat_id"])
        question = str(params["question"]).strip()
        if not 1 <= len(question) <= MAX_POLL_QUESTION:
            raise bad_request(f"poll question must be 1-{MAX_POLL_QUESTION} characters")
        options = [str(o.get("text", "")).strip() if isinstance(o, dict) else "" for o in params["options"]]
        if not 1 <= len(options) <= MAX_POLL_OPTIONS:
            raise bad_request(f"poll must have 1-{MAX_POLL_OPTIONS} options")
        if not all(1 <= len(o) <= MAX_POLL_OPTION for o in options):
            raise bad_request(f"poll options must be 1-{MAX_POLL_OPTION} characters")
        kind = params.get("type") or "regular"
        if kind not in ("regular", "quiz"):
            raise bad_request("wrong poll type specified")
        multiple = bool(params.get("allows_multiple_answers"))
        correct = list(params.get("correct_option_ids") or [])
        explanation, explanation_entities = None, []
        if kind == "quiz":
            if not correct or correct != sorted(set(correct)) or not all(0 <= i < len(options) for i in correct):
                raise bad_request("wrong correct option ids specified")
            if len(correct) > 1 and not multiple:
                raise bad_request("a quiz with one answer must have exactly one correct option")
            if params.get("explanation"):
                explanation, explanation_entities = self._format(
                    params["explanation"], params.get("explanation_parse_mode"),
                    params.get("explanation_entities"), caption=True)
                if len(explanation) > MAX_POLL_EXPLANATION or explanation.count("\n") > 2:
                    raise bad_request("quiz explanation must be 0-200 characters with at most 2 line feeds")
        elif correct or params.get("explanation"):
            raise bad_request("correct options and an explanation are for quizzes only")
        inline, apply_to_chat = self._markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        poll = Poll(id=str(next(self._poll_ids)), question=question, options=options, type=kind,
                    is_anonymous=params.get("is_anonymous", True) is not False, allows_multiple_answers=multiple,
                    allows_revoting=bool(params.get("allows_revoting", kind != "quiz")),
                    correct_option_ids=correct, explanation=explanation or None,
                    explanation_entities=explanation_entities, is_closed=bool(params.get("is_closed")))
        apply_to_chat(chat)
        msg = self._add_message(chat, from_bot=True, poll=poll, reply_markup=inline, reply_to=reply_to,
                                protected=bool(params.get("protect_content")))
        self.polls[poll.id] = (chat.id, msg.message_id)
        return self._to_api(msg)

    async def _m_stopPoll(self, params: dict, attachments: dict) -> dict:
        msg = self._message(params, action="stop")
        if not msg.from_bot or msg.poll is None:
            raise bad_request("message with poll to stop not found")
        if msg.poll.is_closed:
            raise bad_request("poll has already been closed")
        if "reply_markup" in params:
            msg.reply_markup, _ = self._markup(params["reply_markup"], inline_only=True)
        msg.poll.is_closed = True
        self._changed_message(msg, "poll_updated")
        self._enqueue("poll", msg.poll.to_api())
        return msg.poll.to_api()

    async def _m_getFile(self, params: dict, attachments: dict) -> dict:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size, "file_path": stored.file_path}

    # editing ----------------------------------------------------------------------------------------
    def _bot_message_to_edit(self, params: dict) -> Message:
        msg = self._message(params, action="edit")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    def _finish_edit(self, msg: Message) -> dict:
        msg.edit_date = int(time.time())
        self._changed_message(msg, "message_edited")
        return self._to_api(msg)

    async def _m_editMessageText(self, params: dict, attachments: dict) -> dict:
        msg = self._bot_message_to_edit(params)
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._format(params["text"], params.get("parse_mode"), params.get("entities"), caption=False)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        inline, _ = self._markup(params.get("reply_markup"), inline_only=True)
        if (text, entities, inline) == (msg.text, msg.entities, msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, inline
        return self._finish_edit(msg)

    async def _m_editMessageCaption(self, params: dict, attachments: dict) -> dict:
        msg = self._bot_message_to_edit(params)
        if msg.media_kind is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._format(params.get("caption"), params.get("parse_mode"),
                                         params.get("caption_entities"), caption=True)
        inline, _ = self._markup(params.get("reply_markup"), inline_only=True)
        if (caption or None, entities, inline) == (msg.caption, msg.caption_entities, msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        msg.caption, msg.caption_entities, msg.reply_markup = caption or None, entities, inline
        return self._finish_edit(msg)

    async def _m_editMessageReplyMarkup(self, params: dict, attachments: dict) -> dict:
        msg = self._bot_message_to_edit(params)
        inline, _ = self._markup(params.get("reply_markup"), inline_only=True)
        if inline == msg.reply_markup:
            raise bad_request(NOT_MODIFIED)
        msg.reply_markup = inline
        return self._finish_edit(msg)

    async def _m_deleteMessage(self, params: dict, attachments: dict) -> bool:
        msg = self._message(params, action="delete")
        msg.deleted = True
        self._changed_message(msg, "message_deleted")
        return True

    async def _m_deleteMessages(self, params: dict, attachments: dict) -> bool:
        chat = self._chat(params["chat_id"])
        for message_id in params["message_ids"]:
            msg = chat.messages.get(message_id)
            if msg is not None and not msg.deleted:
                msg.deleted = True
                self._changed_message(msg, "message_deleted")
        return True

    async def _m_answerCallbackQuery(self, params: dict, attachments: dict) -> bool:
        query = self.callbacks.get(params["callback_query_id"])
        if query is None or query.answer is not None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = {"text": text or None, "show_alert": bool(params.get("show_alert")),
                        "url": params.get("url"), "cache_time": params.get("cache_time") or 0}
        self._event("callback_answered", chat_id=query.chat_id, callback_query_id=query.id, **query.answer)
        return True

    # -- the users' side --------------------------------------------------------------------------
    def add_user(self, first_name: str, *, id: int | None = None, last_name: str | None = None,
                 username: str | None = None, language_code: str | None = "vi",
                 phone_number: str | None = None, started: bool = True) -> User:
        if id is None:
            id = max([FIRST_USER_ID - 1, *self.users]) + 1
        if id in self.users:
            raise ControlError(f"user {id} exists")
        user = User(id=id, first_name=first_name, last_name=last_name, username=username,
                    language_code=language_code, phone_number=phone_number, started=started)
        self.users[id] = user
        self.chats[id] = Chat(id=id, user=user)  # a private chat's id is the user's id
        return user

    def user(self, user_id: int) -> User:
        if user_id not in self.users:
            raise ControlNotFound(f"no user {user_id}")
        return self.users[user_id]

    def _from_user(self, user_id: int, **fields: Any) -> Message:
        """A message the user sends; writing to the bot also restarts it after a block."""
        user = self.user(user_id)
        chat = self.chats[user_id]
        if user.blocked:
            self.set_blocked(user_id, False)
        user.started = True
        msg = self._add_message(chat, from_bot=False, **fields)
        self._enqueue("message", self._to_api(msg))
        return msg

    def user_send_text(self, user_id: int, text: str) -> Message:
        if not text.strip():
            raise ControlError("empty message")
        if len(text) > MAX_TEXT:
            raise ControlError("a Telegram client splits texts longer than 4096 characters")
        entities = []
        command = _COMMAND.match(text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))})
        return self._from_user(user_id, text=text, entities=entities)

    def user_send_contact(self, user_id: int, phone_number: str | None = None, contact_user_id: Any = _OWN,
                          first_name: str | None = None, last_name: str | None = None) -> Message:
        """A shared contact; contact_user_id defaults to the sender (None omits it; any id forges it)."""
        user = self.user(user_id)
        contact: dict[str, Any] = {"phone_number": phone_number or user.phone_number or default_phone(user_id),
                                   "first_name": first_name or user.first_name}
        if last_name or (first_name is None and user.last_name):
            contact["last_name"] = last_name or user.last_name
        cid = user_id if contact_user_id is _OWN else contact_user_id
        if cid is not None:
            contact["user_id"] = int(cid)
        return self._from_user(user_id, contact=contact)

    def user_send_file(self, user_id: int, data: bytes, filename: str, kind: str = "document",
                       caption: str | None = None, mime_type: str | None = None) -> Message:
        self.user(user_id)
        if kind not in MEDIA_KINDS:
            raise ControlError(f"kind must be one of {', '.join(MEDIA_KINDS)}")
        if not data:
            raise ControlError("empty file")
        if kind == "photo" and image_size(data) == (0, 0):
            raise ControlError("not an image Telegram could process")
        stored = self.store_file(data, kind=kind, file_name=filename, mime_type=mime_type)
        self.user_files += 1
        return self._from_user(user_id, media_kind=kind, media=self._media_object(kind, stored, {}),
                               caption=caption or None)

    def find_button(self, message: Message, button_text: str) -> dict | None:
        """An inline button by exact text, else by the first text containing it."""
        buttons = [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]
        exact = [b for b in buttons if b.get("text") == button_text]
        return (exact or [b for b in buttons if button_text in b.get("text", "")] or [None])[0]

    def user_press(self, user_id: int, message_id: int, *, data: str | None = None,
                   button_text: str | None = None) -> CallbackQuery:
        """A tap on an inline button; with data the payload is sent as is (forgery allowed)."""
        self.user(user_id)
        chat = self.chats[user_id]
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise ControlNotFound(f"no message {message_id} in chat {user_id}")
        if data is None:
            if button_text is None:
                raise ControlError("give data or button_text")
            button = self.find_button(msg, button_text)
            if button is None or "callback_data" not in button:
                raise ControlError(f"no callback button {button_text!r} on message {message_id}")
            data = button["callback_data"]
        on_buttons = any(b.get("callback_data") == data
                         for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row)
        query = CallbackQuery(id=str(next(self._callback_ids)), user_id=user_id, chat_id=chat.id,
                              message_id=message_id, data=data, forged=not on_buttons, seq=0)
        self.callbacks[query.id] = query
        query.seq = self._event("callback_query", chat_id=chat.id, message_id=message_id,
                                callback_query_id=query.id, data=data, forged=query.forged)["seq"]
        self._enqueue("callback_query", {
            "id": query.id, "from": chat.user.to_api(), "message": self._to_api(msg),
            "chat_instance": str((chat.id * 7919 + self.bot_id) % 10**18), "data": data,
        })
        return query

    def user_answer_poll(self, user_id: int, message_id: int, option_ids: list[int]) -> Poll:
        """The user taps options of a poll in their chat; an empty list retracts the vote (if allowed)."""
        self.user(user_id)
        msg = self.chats[user_id].messages.get(message_id)
        if msg is None or msg.deleted or msg.poll is None:
            raise ControlNotFound(f"no poll in message {message_id} of chat {user_id}")
        poll = msg.poll
        if not isinstance(option_ids, list) or not all(type(i) is int for i in option_ids):
            raise ControlError("option_ids must be a list of integers")
        if poll.is_closed:
            raise ControlError("the poll is closed")
        if poll.chosen and not poll.allows_revoting:
            raise ControlError("this poll does not allow changing the answer")
        if not option_ids and not poll.chosen:
            raise ControlError("nothing to retract: choose an option")
        if len(set(option_ids)) != len(option_ids) or not all(0 <= i < len(poll.options) for i in option_ids):
            raise ControlError(f"option ids must be distinct, from 0 to {len(poll.options) - 1}")
        if len(option_ids) > 1 and not poll.allows_multiple_answers:
            raise ControlError("this poll allows one answer")
        poll.chosen = sorted(option_ids)
        self._changed_message(msg, "poll_updated")
        # The bot hears of every state change of a poll it sent, and of who answered unless anonymous.
        self._enqueue("poll", poll.to_api())
        if not poll.is_anonymous:
            self._enqueue("poll_answer", {
                "poll_id": poll.id, "user": self.users[user_id].to_api(), "option_ids": poll.chosen,
                "option_persistent_ids": [poll.persistent_id(i) for i in poll.chosen]})
        return poll

    def user_press_reply_button(self, user_id: int, text: str) -> Message:
        chat = self.chats[self.user(user_id).id]
        keyboard = chat.reply_keyboard
        rows = (keyboard or {}).get("keyboard", [])
        buttons = [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]
        button = next((b for b in buttons if b.get("text") == text), None)
        if button is None:
            raise ControlError(f"no reply keyboard button {text!r} in chat {user_id}")
        if keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None  # the client hides a one-time keyboard after use
        if button.get("request_contact"):
            return self.user_send_contact(user_id)
        return self.user_send_text(user_id, text)

    def set_blocked(self, user_id: int, blocked: bool = True) -> User:
        """Blocking (or restarting) the bot; Telegram tells the bot with a my_chat_member update."""
        user = self.user(user_id)
        if user.blocked == blocked:
            return user
        user.blocked = blocked
        member = {"status": "member", "user": self.bot_user()}
        kicked = {"status": "kicked", "user": self.bot_user(), "until_date": 0}
        self._enqueue("my_chat_member", {
            "chat": self.chats[user_id].to_api(), "from": user.to_api(), "date": int(time.time()),
            "old_chat_member": member if blocked else kicked, "new_chat_member": kicked if blocked else member,
        })
        self._event("user_blocked" if blocked else "user_unblocked", chat_id=user_id)
        return user

    # -- reading state ------------------------------------------------------------------------------
    def messages_view(self, chat_id: int, after_seq: int = 0) -> list[dict]:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ControlNotFound(f"no chat {chat_id}")
        return [self.message_view(m) for m in chat.messages.values() if m.seq > after_seq]

    def stats(self) -> dict:
        return {"requests": dict(self.requests), "uploads": self.uploads, "sends_by_file_id": self.sends_by_file_id,
                "throttled": self.throttled, "user_files": self.user_files, "violations": len(self.violations),
                "pending_updates": len(self.updates), "seq": self.seq}

    def configure(self, *, global_limit_per_s: float | None = ..., per_chat_limit_per_s: float | None = ...,
                  latency_ms: float | None = ..., fail_next: dict | None = None) -> dict:
        """Runtime knobs; an argument left out keeps its value, None switches a limit off."""
        if global_limit_per_s is not ...:
            self.config.global_limit_per_s = global_limit_per_s or None
        if per_chat_limit_per_s is not ...:
            self.config.per_chat_limit_per_s = per_chat_limit_per_s or None
        if latency_ms is not ...:
            self.config.latency_ms = latency_ms or 0
        if fail_next:
            rule = FailRule(count=int(fail_next.get("count", 1)), code=int(fail_next.get("code", 500)),
                            description=fail_next.get("description"))
            self.config.fail_next[fail_next.get("chat_id")] = rule
        return self.config.view()


# -- small helpers ----------------------------------------------------------------------------
def _update_chat(update: dict) -> Any:
    """The chat (or user) an update belongs to, to keep one chat's updates in order."""
    body = next((v for k, v in update.items() if k != "update_id"), {})
    if isinstance(body, dict):
        chat = (body.get("chat") or (body.get("message") or {}).get("chat") or body.get("from")
                or body.get("user") or {})
        return chat.get("id", update["update_id"])
    return update["update_id"]


def default_phone(user_id: int) -> str:
    """A stable Vietnamese mobile number for a user who did not get one."""
    return f"+8490{user_id % 10**7:07d}"


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF, JPEG, WebP or BMP image; (0, 0) if it is none of them."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"BM":
            width, height = struct.unpack("<ii", data[18:26])
            return width, abs(height)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    height, width = struct.unpack(">HH", data[i + 5:i + 9])
                    return width, height
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    i += 2
                    continue
                i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    except struct.error:
        pass
    return 0, 0


def audio_duration(data: bytes) -> int:
    """Whole seconds of an Ogg Opus/Vorbis stream (from the last page's granule position); 0 otherwise."""
    if data[:4] != b"OggS":
        return 0
    last = data.rfind(b"OggS")
    granule = int.from_bytes(data[last + 6:last + 14], "little", signed=True)
    opus = data.find(b"OpusHead")
    if opus != -1:
        pre_skip = int.from_bytes(data[opus + 10:opus + 12], "little")
        return max(0, round((granule - pre_skip) / 48000))
    vorbis = data.find(b"\x01vorbis")
    if vorbis != -1:
        rate = int.from_bytes(data[vorbis + 12:vorbis + 16], "little")
        return round(granule / rate) if rate else 0
    return 0
