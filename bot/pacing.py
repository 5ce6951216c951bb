"""The dispatcher's pace: the bot's rate window, each chat's interval, and the slack a 429 widens.

Pace holds both for one run of the dispatcher: a send first waits for its chat, then for a slot of
the bot's pace, and says when Telegram answered so the next sends are counted from then.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .budget import Grant, SendBudget

SLACK = 0.01  # seconds added to every pacing window
SLACK_STEP = 0.01  # more margin after each 429…
MAX_SLACK = 0.15
CALM_S = 20.0  # …and a little less after this long without one
UNANSWERED_S = 2.0  # a request unanswered this long no longer holds the next ones back


async def until_set(event: asyncio.Event, timeout: float) -> None:
    """Until the event is set or `timeout` seconds have passed, whichever comes first."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass


class Pacer:
    """No more than `rate` sends in any window of 1 s (+ slack), evenly spaced; pausable by a 429.

    Slots are reserved ahead, evenly spaced. A last gate before each request closes the loop on
    what really happened: the send `rate` places back must have been answered at least a window
    before this one leaves. Telegram counted that send before it answered, so no jitter of the
    network or of either side's scheduling can make two sends look closer than they were; the
    price is the round trip, a few percent of the rate. A 429 all the same (a clock that is not
    ours) widens the slack a little; a calm spell narrows it back.
    """

    def __init__(self, rate: float | None, slack: float = SLACK):
        self.rate = rate or None
        self.slack = self.min_slack = slack
        self.paused_until = 0.0
        self.next = 0.0
        self._calm_since = time.monotonic()
        self._changed = asyncio.Event()
        if self.rate:
            self.burst = max(1, int(self.rate)) if self.rate >= 1 else 1
            self.base_window = 1.0 if self.rate >= 1 else 1.0 / self.rate
            self.window = self.base_window + slack
            self.interval = 1.0 / self.rate
            self.starts: deque[float] = deque(maxlen=self.burst)  # reserved
            self.sent: deque[list] = deque(maxlen=self.burst)  # [sent at, answered at or None]

    def reserve(self, not_before: float = 0.0) -> float:
        """The monotonic time at which the caller may send; the slot is taken."""
        now = time.monotonic()
        t = max(now, not_before, self.paused_until)
        if not self.rate:
            return t
        if self.slack > self.min_slack and now - self._calm_since > CALM_S:
            self._set_slack(self.slack - SLACK_STEP / 2)
            self._calm_since = now
        t = max(t, self.next)
        if len(self.starts) == self.burst:
            t = max(t, self.starts[0] + self.window)
        self.starts.append(t)
        self.next = t + self.interval
        return t

    async def gate(self) -> list:
        """Wait for the sends before this one (see above); returns this send's record."""
        while True:
            now = time.monotonic()
            wait = self.paused_until - now
            if self.rate and len(self.sent) == self.burst:
                sent_at, answered_at = self.sent[0]
                # Unanswered for long (a hung request): count it from when it left.
                since = answered_at if answered_at is not None else sent_at + UNANSWERED_S
                wait = max(wait, since + self.window - now)
            if wait <= 0:
                entry = [now, None]
                if self.rate:
                    self.sent.append(entry)
                return entry
            await until_set(self._changed, wait)

    def answered(self, entry: list) -> None:
        entry[1] = time.monotonic()
        self._changed.set()
        self._changed = asyncio.Event()

    def pause(self, seconds: float) -> None:
        now = time.monotonic()
        if self.rate and now >= self.paused_until:  # the first 429 of a burst of them
            self._set_slack(self.slack + SLACK_STEP)
        self.paused_until = max(self.paused_until, now + seconds)
        self._calm_since = self.paused_until

    def _set_slack(self, slack: float) -> None:
        self.slack = min(MAX_SLACK, max(self.min_slack, slack))
        self.window = self.base_window + self.slack


class ChatPacer:
    """One chat: at most `rate` messages a second (Telegram: about one)."""

    def __init__(self, rate: float | None, slack: float = SLACK):
        self.interval = (1.0 / rate + slack) if rate else 0.0
        self.free_at: dict[int, float] = {}

    def reserve(self, chat_id: int) -> float:
        t = max(time.monotonic(), self.free_at.get(chat_id, 0.0))
        self.free_at[chat_id] = t + self.interval
        return t

    def sent(self, chat_id: int, at: float) -> None:
        self.free_at[chat_id] = max(self.free_at.get(chat_id, 0.0), at + self.interval)

    def pause(self, chat_id: int, seconds: float) -> None:
        self.free_at[chat_id] = max(self.free_at.get(chat_id, 0.0), time.monotonic() + seconds)

    def prune(self) -> None:
        now = time.monotonic()
        for chat_id in [c for c, t in self.free_at.items() if t < now]:
            del self.free_at[chat_id]


class Pace:
    """The bot's pace and every chat's, for one run of the dispatcher; and the budget all instances share.

    `budget` (bot/budget.py, on PostgreSQL or Redis) counts the sends of every instance, replies
    included: a slot of this pace is taken only once the budget grants the send too.
    """

    def __init__(self, rate_per_s: float | None, per_chat_per_s: float | None, budget: SendBudget | None = None):
        self.bot = Pacer(rate_per_s)
        self.chats = ChatPacer(per_chat_per_s)
        self.budget = budget if rate_per_s else None
        self._turns: dict[asyncio.Task | None, tuple[int, list, Grant | None]] = {}

    async def slot(self, chat_id: int, stopping: Callable[[], bool]) -> bool:
        """Wait until the chat, then the bot, may send; False when stopping meanwhile.

        The chat is waited for first, so one busy chat never holds a slot of the bot's pace.
        After the request, answered() tells both pacers when Telegram answered.
        """
        while True:
            delay = self.chats.reserve(chat_id) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            at = self.bot.reserve()
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if stopping():
                return False
            if self.bot.paused_until > at + 1e-3:
                continue  # a 429 arrived while we waited: take a slot after the pause
            entry = await self.bot.gate()
            grant = None
            if not stopping() and self.budget is not None:  # last, just before the request
                grant = await self.budget.acquire(False, stopping)
            if stopping() or (self.budget is not None and grant is None):
                self.bot.answered(entry)
                await self.budget_answered(grant)
                return False
            self._turns[asyncio.current_task()] = (chat_id, entry, grant)
            self.chats.sent(chat_id, time.monotonic())
            return True

    async def answered(self) -> None:
        """The request of the current task's slot got its answer (or none)."""
        turn = self._turns.pop(asyncio.current_task(), None)
        if turn is not None:
            chat_id, entry, grant = turn
            self.bot.answered(entry)
            self.chats.sent(chat_id, time.monotonic())
            await self.budget_answered(grant)

    async def budget_answered(self, grant: Grant | None) -> None:
        if self.budget is not None and grant is not None:
            await self.budget.answered(grant)

    async def pause(self, chat_id: int, seconds: float) -> None:
        """A 429: the bot and the chat wait `seconds`; so do the other instances sharing the budget."""
        self.bot.pause(seconds)
        self.chats.pause(chat_id, seconds)
        if self.budget is not None:
            await self.budget.pause(seconds)  # never raises (an engine down: logged, the local share pauses)
