"""Where each person is in a conversation with the bot, kept in the database.

A secretary half way through /notice, a member who pressed "Ý kiến khác" and is typing the
opinion: that step and the draft so far must not live only in one process's memory. The bot may
restart between two messages, and with several instances (webhook behind a load balancer) the
next message may reach another instance. So the step of every conversation and the person's
scratch data (PTB's user_data) are read from here before each update and written back after it.

One row per Telegram user. The data is JSON with tags for the few types drafts hold (dates and
times, enums of the handbook, tuples, sets); a value of any other type is not stored (and said
so in the log), rather than pickled: the database never holds code to run.

Some states must not outlive a few minutes: a secret ballot's "Ý kiến khác" waiting for its text
ties the member to a choice. Such a state carries its deadline (user_data[FORGET_AT]); the row
keeps it in `expires_at`, is not restored after it, and `forget_expired` (a tick every minute)
deletes the row itself.
"""
from __future__ import annotations

import enum
import importlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, Integer, Text, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .accounts import Account
from .base import Base, UTCDateTime
from .permissions import ACTOR_COLUMNS, Actor, actor_from_rows, actor_query
from .sql import rowcount

# A conversation left alone this long is over, whatever its own timeout (drafts are not kept for ever).
MAX_AGE = timedelta(days=1)
ENUM_MODULES = ("models.", "handlers.", "bot.")  # enums are looked up only in the handbook's own modules
FORGET_AT = "forget_at"  # user_data: when the whole state must be gone (an aware datetime), if ever


class ConversationState(Base):
    __tablename__ = "conversation_states"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=clock.now)
    # Deleted at this time, whatever else the state holds (see FORGET_AT); NULL: only MAX_AGE applies.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), index=True)


# A conversation's state: what the handlers keep between updates, JSON-like, of their own shapes.
State = dict[str, Any]


class NotStorable(TypeError):
    """A value of a type the state cannot hold."""


# --- the codec -------------------------------------------------------------------------------------
def _tag(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, enum.Enum):  # str- and int-valued enums are instances of str and int
            return _tag_enum(value)
        return value
    if isinstance(value, enum.Enum):
        return _tag_enum(value)
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$td": value.total_seconds()}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"$map": {k: _tag(v) for k, v in value.items()}} if any(k.startswith("$") for k in value) \
                else {k: _tag(v) for k, v in value.items()}
        return {"$pairs": [[_tag(k), _tag(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_tag(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$set": [_tag(v) for v in value]}
    raise NotStorable(type(value).__qualname__)


def _tag_enum(value: enum.Enum) -> dict[str, Any]:
    cls = type(value)
    return {"$enum": f"{cls.__module__}:{cls.__qualname__}", "v": _tag(value.value)}


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), = value.items()
        if key == "$dt":
            return datetime.fromisoformat(inner)
        if key == "$date":
            return date.fromisoformat(inner)
        if key == "$time":
            return time.fromisoformat(inner)
        if key == "$td":
            return timedelta(seconds=inner)
        if key == "$tuple":
            return tuple(_untag(v) for v in inner)
        if key == "$set":
            return {_untag(v) for v in inner}
        if key == "$pairs":
            return {_untag(k): _untag(v) for k, v in inner}
        if key == "$map":
            return {k: _untag(v) for k, v in inner.items()}
    if set(value) == {"$enum", "v"}:
        return _enum(value["$enum"])(_untag(value["v"]))
    return {k: _untag(v) for k, v in value.items()}


def _enum(path: str) -> type[enum.Enum]:
    module, _, name = path.partition(":")
    if not module.startswith(ENUM_MODULES):
        raise ValueError(f"enum outside the handbook: {path}")
    cls: Any = importlib.import_module(module)
    for part in name.split("."):
        cls = getattr(cls, part)
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
        raise ValueError(f"not an enum: {path}")
    return cls


def encode(data: State) -> str:
    """JSON text of the state; raises NotStorable for a value of another type."""
    return json.dumps(_tag(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> State:
    return cast(State, _untag(json.loads(text)))  # encode() only ever stores a state


# --- the table -------------------------------------------------------------------------------------
_COLUMNS = (ConversationState.data, ConversationState.version, ConversationState.updated_at,
            ConversationState.expires_at)
_LOAD = select(*_COLUMNS).where(ConversationState.telegram_user_id == bindparam("uid"))


async def load(session: AsyncSession | AsyncConnection, telegram_user_id: int) -> tuple[State, int, datetime | None]:
    """(state, version, when it was written); ({}, 0, None) when there is none or it is too old to trust."""
    row = (await session.execute(_LOAD, {"uid": telegram_user_id})).first()
    if row is None:
        return {}, 0, None
    return _readable(*row)


# The caller (account, cell, roles) and their state: what every update needs first, in one query.
_ACTOR_AND_STATE = actor_query(
    *_COLUMNS,
    joins=((ConversationState, ConversationState.telegram_user_id == Account.telegram_user_id),))


# The same for many callers at once (handlers/state.py reads the updates that come together in one query).
_ACTORS_AND_STATES = actor_query(
    *_COLUMNS, Account.telegram_user_id,
    joins=((ConversationState, ConversationState.telegram_user_id == Account.telegram_user_id),), many=True)


async def load_many_with_actor(connection: AsyncSession | AsyncConnection, telegram_user_ids: Iterable[int],
                               admin_ids: frozenset[int] = frozenset()
                               ) -> dict[int, tuple[tuple[State, int, datetime | None], Actor]]:
    """load_with_actor for each of `telegram_user_ids`, in one query (and one more for each without an account)."""
    wanted = list(dict.fromkeys(telegram_user_ids))
    rows_of: dict[int, list[Any]] = {uid: [] for uid in wanted}
    for row in (await connection.execute(_ACTORS_AND_STATES, {"telegram_user_ids": wanted})).all():
        rows_of[row[-1]].append(row)
    # Each row ends with its caller's id; without it, a row reads as load_with_actor's.
    return {uid: await _with_actor(connection, uid, [row[:-1] for row in rows], admin_ids)
            for uid, rows in rows_of.items()}


async def load_with_actor(connection: AsyncSession | AsyncConnection, telegram_user_id: int,
                          admin_ids: frozenset[int] = frozenset()) -> tuple[tuple[State, int, datetime | None], Actor]:
    """((state, version, written at), Actor)."""
    rows = (await connection.execute(_ACTOR_AND_STATE, {"telegram_user_id": telegram_user_id})).all()
    return await _with_actor(connection, telegram_user_id, list(rows), admin_ids)


async def _with_actor(connection: AsyncSession | AsyncConnection, telegram_user_id: int, rows: Sequence[Any],
                      admin_ids: frozenset[int]) -> tuple[tuple[State, int, datetime | None], Actor]:
    """The caller and their state from the rows of _ACTOR_AND_STATE (actor's columns, then the state's)."""
    actor = actor_from_rows([row[:ACTOR_COLUMNS] for row in rows], telegram_user_id, admin_ids)
    if not rows:  # no account yet (the first turn makes it): a state is not expected, but look
        return await load(connection, telegram_user_id), actor
    if rows[0][ACTOR_COLUMNS] is None:
        return ({}, 0, None), actor
    return _readable(*rows[0][ACTOR_COLUMNS:]), actor


def _readable(text: str, version: int, updated_at: datetime,
              expires_at: datetime | None = None) -> tuple[State, int, datetime | None]:
    now = clock.now()
    if now - updated_at > MAX_AGE or (expires_at is not None and now >= expires_at):
        return {}, version, updated_at
    try:
        return decode(text), version, updated_at
    except (ValueError, TypeError, AttributeError, ImportError, KeyError):
        return {}, version, updated_at  # a state this version cannot read: start afresh


async def save(session: AsyncSession, telegram_user_id: int, data: State, expected_version: int) -> bool:
    """Write the state (an empty one deletes the row). False when another update wrote it meanwhile
    (the version moved on): the later writer wins, and this one's change is dropped."""
    if not data:
        result = await session.execute(delete(ConversationState).where(
            ConversationState.telegram_user_id == telegram_user_id, ConversationState.version == expected_version))
        return rowcount(result) == 1 or expected_version == 0
    text = encode(data)
    expires_at = _deadline(data)
    if expected_version == 0:
        exists = await session.scalar(select(ConversationState.version).where(
            ConversationState.telegram_user_id == telegram_user_id))
        if exists is not None:
            return False
        session.add(ConversationState(telegram_user_id=telegram_user_id, data=text, version=1, updated_at=clock.now(),
                                      expires_at=expires_at))
        await session.flush()
        return True
    result = await session.execute(
        update(ConversationState)
        .where(ConversationState.telegram_user_id == telegram_user_id, ConversationState.version == expected_version)
        .values(data=text, version=expected_version + 1, updated_at=clock.now(), expires_at=expires_at)
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


def _deadline(data: State) -> datetime | None:
    at = (data.get("user") or {}).get(FORGET_AT)
    return at if isinstance(at, datetime) else None


async def forget_expired(session: AsyncSession) -> int:
    """Delete the states whose deadline has passed (not merely skip them): nothing that ties a member
    to a secret choice stays in the database beyond the few minutes it was needed."""
    result = await session.execute(delete(ConversationState).where(ConversationState.expires_at <= clock.now()))
    return rowcount(result)


async def prune(session: AsyncSession) -> int:
    """Forget states nobody touched for MAX_AGE."""
    result = await session.execute(delete(ConversationState).where(ConversationState.updated_at < clock.now() - MAX_AGE))
    return rowcount(result)
