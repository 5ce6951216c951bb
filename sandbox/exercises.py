"""📋 Bài tập: the exercises of a training session (sandbox/exercises.toml), ticked from the emulator's event log.

The bot knows nothing of them: each exercise is a few match rules over what the emulator saw in one persona's
chat (the user's texts and presses, the bot's messages, edits and callback answers), checked in order. Progress
is read incrementally from the log (so the log's trimming in a long session loses nothing) and starts again when
the emulator is reset. ``GET /_sandbox/exercises?lang=vi`` gives every persona's list.
"""
from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from .emulator import Emulator

EXERCISES_FILE = Path(__file__).with_name("exercises.toml")
LANGS = ("vi", "en", "bn")
DEFAULT_LANG = "vi"
KEEP_PARTIAL = 16  # half-done attempts remembered per exercise and chat (the newest)
_USER_KEYS = {"who", "text", "data", "contact"}
_BOT_KEYS = {"who", "does", "text", "media", "buttons"}
_BOT_EVENTS = {"send": "message_new", "edit": "message_edited", "answer": "callback_answered"}


class ExerciseFileError(ValueError):
    """The data file is not what sandbox/exercises.toml's header describes."""


@dataclass(frozen=True)
class Step:
    who: str  # "user" | "bot"
    does: str = ""  # the bot's: "send" | "edit" | "answer"
    text: re.Pattern | None = None
    data: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()
    contact: bool = False  # the user's: shared a contact (📱 the share-my-number button)

    def match(self, event: dict, pressed: str | None) -> tuple[bool, str | None]:
        """Does `event` do this step? (pressed: the callback query id of the user's last matched press); the
        second value is that id after the event."""
        if self.who == "user":
            return self._user(event), (event.get("callback_query_id") if event["type"] == "callback_query" else None)
        if event["type"] != _BOT_EVENTS[self.does]:
            return False, pressed
        if self.does == "answer":
            ok = pressed is not None and event.get("callback_query_id") == pressed and self._text(event.get("text"))
            return ok, pressed
        msg = event.get("message") or {}
        return bool(msg.get("from_bot")) and self._message(msg), pressed

    def _user(self, event: dict) -> bool:
        if event["type"] == "callback_query":
            data = str(event.get("data") or "")
            return not event.get("forged") and any(data.startswith(p) for p in self.data)
        msg = event.get("message") or {}
        if event["type"] != "message_new" or msg.get("from_bot"):
            return False
        return ((self.contact and bool(msg.get("contact")))
                or (self.text is not None and bool(self.text.search(msg.get("text") or ""))))

    def _text(self, text: str | None) -> bool:
        return self.text is None or bool(self.text.search(text or ""))

    def _message(self, msg: dict) -> bool:
        if self.media and msg.get("media_kind") not in self.media:
            return False
        if not self._text(msg.get("text") if msg.get("text") is not None else msg.get("caption")):
            return False
        sent = [str(b.get("callback_data") or "") for row in (msg.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row]
        return all(any(d.startswith(p) for d in sent) for p in self.buttons)


@dataclass(frozen=True)
class Exercise:
    id: str
    groups: tuple[str, ...]  # an exercise may be shared: the newcomer sees his profile as members do
    title: dict[str, str]
    hint: dict[str, str]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Group:
    key: str
    personas: tuple[str, ...]
    title: dict[str, str]


@dataclass(frozen=True)
class Catalogue:
    groups: dict[str, Group]
    exercises: tuple[Exercise, ...]

    def group_of(self, persona_key: str | None) -> Group | None:
        return next((g for g in self.groups.values() if persona_key in g.personas), None)

    def of_group(self, group: str) -> list[Exercise]:
        return [e for e in self.exercises if group in e.groups]


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or any(not isinstance(raw.get(lang), str) or not raw[lang].strip() for lang in LANGS):
        raise ExerciseFileError(f"{where}: a text in each of {', '.join(LANGS)} is needed")
    return {lang: raw[lang] for lang in LANGS}


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ExerciseFileError(f"{where}: a list of strings is needed")
    return tuple(raw)


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict) or raw.get("who") not in ("user", "bot"):
        raise ExerciseFileError(f"{where}: who must be user or bot")
    unknown = set(raw) - (_USER_KEYS if raw["who"] == "user" else _BOT_KEYS)
    if unknown:
        raise ExerciseFileError(f"{where}: unknown keys {sorted(unknown)}")
    try:
        text = re.compile(raw["text"]) if "text" in raw else None
    except (re.error, TypeError) as e:
        raise ExerciseFileError(f"{where}: bad text regex: {e}") from None
    if raw["who"] == "user":
        data = _strings(raw["data"], f"{where}.data") if "data" in raw else ()
        contact = raw.get("contact", False)
        if not isinstance(contact, bool):
            raise ExerciseFileError(f"{where}: contact must be true or false")
        if text is None and not data and not contact:
            raise ExerciseFileError(f"{where}: a user step needs text, data or contact")
        return Step("user", text=text, data=data, contact=contact)
    if raw.get("does") not in _BOT_EVENTS:
        raise ExerciseFileError(f"{where}: does must be one of {', '.join(_BOT_EVENTS)}")
    return Step("bot", raw["does"], text, media=_strings(raw.get("media", []), f"{where}.media"),
                buttons=_strings(raw.get("buttons", []), f"{where}.buttons"))


def parse_catalogue(data: dict) -> Catalogue:
    groups = {}
    for key, raw in (data.get("groups") or {}).items():
        groups[key] = Group(key, _strings(raw.get("personas"), f"groups.{key}.personas"),
                            _texts(raw.get("title"), f"groups.{key}.title"))
    exercises, seen = [], set()
    for i, raw in enumerate(data.get("exercise") or []):
        where = f"exercise[{i}] {raw.get('id')!r}"
        if not isinstance(raw.get("id"), str) or raw["id"] in seen:
            raise ExerciseFileError(f"{where}: a unique id is needed")
        own = [raw.get("group")] if isinstance(raw.get("group"), str) else raw.get("group")
        if not isinstance(own, list) or not own or any(g not in groups for g in own):
            raise ExerciseFileError(f"{where}: unknown group {raw.get('group')!r}")
        steps = raw.get("steps")
        if not isinstance(steps, list) or not steps or steps[0].get("who") != "user":
            raise ExerciseFileError(f"{where}: steps must start with what the user does")
        seen.add(raw["id"])
        exercises.append(Exercise(raw["id"], tuple(own), _texts(raw.get("title"), f"{where}.title"),
                                  _texts(raw.get("hint"), f"{where}.hint"),
                                  tuple(_step(s, f"{where}.steps[{n}]") for n, s in enumerate(steps))))
    return Catalogue(groups, tuple(exercises))


def load_catalogue(path: Path = EXERCISES_FILE) -> Catalogue:
    with path.open("rb") as f:
        return parse_catalogue(tomllib.load(f))


@dataclass
class Progress:
    """Which exercises each chat has done, read from the emulator's event log as it grows."""

    catalogue: Catalogue
    groups_by_chat: dict[int, str] = field(default_factory=dict)  # chat id → group key
    done: dict[tuple[int, str], float] = field(default_factory=dict)  # (chat id, exercise id) → event time
    partial: dict[tuple[int, str], list[tuple[int, str | None]]] = field(default_factory=dict)
    cursor: int = 0
    generation: int = -1

    def clear(self) -> None:
        self.done.clear()
        self.partial.clear()

    def read(self, emulator: Emulator) -> None:
        """Takes in the events since the last read; after the emulator's reset, starts again."""
        if emulator.generation != self.generation:
            self.generation = emulator.generation
            self.clear()
        events = emulator.events_after(self.cursor)
        self.feed(events)
        self.cursor = emulator.seq

    def feed(self, events: Iterable[dict]) -> None:
        for event in events:
            chat_id = event.get("chat_id")
            group = self.groups_by_chat.get(chat_id) if isinstance(chat_id, int) else None
            if group is None:
                continue
            for exercise in self.catalogue.of_group(group):
                key = (chat_id, exercise.id)
                if key not in self.done:
                    self._advance(key, exercise.steps, event)

    def _advance(self, key: tuple[int, str], steps: tuple[Step, ...], event: dict) -> None:
        # Every attempt under way (and a new one) may take this event: a press whose answer never came does not
        # block the next press; an attempt that did not take it stays for later events.
        attempts = self.partial.setdefault(key, [])
        for at, pressed in [(0, None), *attempts]:
            ok, pressed = steps[at].match(event, pressed)
            if not ok:
                continue
            if at + 1 == len(steps):
                self.done[key] = float(event.get("time") or 0)
                self.partial.pop(key, None)
                return
            if (at + 1, pressed) not in attempts:
                attempts.append((at + 1, pressed))
        del attempts[:-KEEP_PARTIAL]

    def view(self, chat_id: int, lang: str) -> list[dict]:
        group = self.groups_by_chat.get(chat_id)
        out = []
        for exercise in self.catalogue.of_group(group) if group else []:
            when = self.done.get((chat_id, exercise.id))
            out.append({"id": exercise.id, "title": exercise.title[lang], "hint": exercise.hint[lang],
                        "done": when is not None,
                        "done_at": datetime.fromtimestamp(when, UTC).isoformat() if when is not None else None})
        return out


PersonaList = Callable[[], list[dict]]  # [{"user_id", "key", "name"}], the sandbox's personas now


def add_exercise_routes(app: web.Application, emulator: Emulator, personas: PersonaList,
                        catalogue: Catalogue | None = None) -> Progress:
    """GET /_sandbox/exercises?lang=vi[&user_id=…]: per persona of a group, its exercises, done or not."""
    progress = Progress(catalogue or load_catalogue())

    async def exercises(request: web.Request) -> web.Response:
        lang = request.query.get("lang") or DEFAULT_LANG
        if lang not in LANGS:
            return web.json_response({"error": f"lang must be one of {', '.join(LANGS)}"}, status=400)
        everyone = personas()
        for p in everyone:  # mapped before reading, so a persona asked about later has its history too
            group = progress.catalogue.group_of(p.get("key"))
            if group is not None:
                progress.groups_by_chat[p["user_id"]] = group.key
        progress.read(emulator)
        only = request.query.get("user_id")
        answer = []
        for p in everyone:
            group = progress.catalogue.group_of(p.get("key"))
            if group is None or (only is not None and str(p["user_id"]) != only):
                continue
            items = progress.view(p["user_id"], lang)
            answer.append({"user_id": p["user_id"], "key": p["key"], "name": p["name"], "group": group.key,
                           "group_title": group.title[lang], "done": sum(i["done"] for i in items),
                           "total": len(items), "exercises": items})
        return web.json_response({"lang": lang, "seq": emulator.seq, "personas": answer},
                                 dumps=partial(json.dumps, ensure_ascii=False))

    app.router.add_get("/_sandbox/exercises", exercises)
    return progress

