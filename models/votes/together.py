"""Group commit: the ballots of taps that come together are written in one transaction.

A congress votes at once: two or three hundred delegates tap within a second. One transaction per tap
makes every tap wait for the commits of all those before it (SQLite has one writer; PostgreSQL takes the
vote's share lock and commits each). Here a tap joins a batch instead: the first tap of a batch waits a
few milliseconds for others, then the batch is written — the members' first ballots of an open vote in
one guarded statement (record_new), every other tap by cast_ballot, the guards and the unique key as
always, the vote read (and share-locked on PostgreSQL) once — and committed once. Taps that
arrive meanwhile form the next batch. Every tap awaits its own outcome, given only after the commit.

Exactly once still holds: a member's racing taps in one batch are cast in order in the same transaction
(the second sees the first: `same` or `changed`), and across batches and instances the unique key decides.
A batch that fails is rolled back whole and its taps are written again one by one, so one bad tap costs
the others nothing.
"""
from __future__ import annotations

__all__ = ["MAX_BATCH", "MAX_WAIT_S", "BallotBatcher", "cast_together"]

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..db import transaction
from ..sql import dialect_name
from .ballots import Cast, CastResult, _load, cast_ballot, record_new
from .tables import Vote

MAX_WAIT_S = 0.005  # how long the first tap of a batch waits for others
MAX_BATCH = 256


@dataclass
class _Tap:
    vote_id: int
    member_id: int | None
    position: int
    text: str | None
    outcome: asyncio.Future[CastResult] = field(repr=False)


class BallotBatcher:
    """Writes the taps given to `cast` in batches, one transaction each, one batch at a time."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, max_wait_s: float = MAX_WAIT_S,
                 max_batch: int = MAX_BATCH) -> None:
        self.sessionmaker = sessionmaker
        self.max_wait_s = max_wait_s
        self.max_batch = max_batch
        self.batches = 0  # transactions committed (for tests and benchmarks)
        self._pending: list[_Tap] = []
        self._writer: asyncio.Task[None] | None = None

    async def cast(self, vote_id: int, member_id: int | None, position: int, text: str | None = None) -> CastResult:
        """cast_ballot, committed: the outcome once the batch holding this tap is committed."""
        loop = asyncio.get_running_loop()
        tap = _Tap(vote_id, member_id, position, text, loop.create_future())
        self._pending.append(tap)
        if self._writer is None:
            self._writer = loop.create_task(self._write_all())
        # A caller that gives up does not stop the batch: its ballot is written (or not) with the others.
        return await asyncio.shield(tap.outcome)

    async def _write_all(self) -> None:
        batch: list[_Tap] = []
        try:
            await asyncio.sleep(self.max_wait_s)
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: len(batch)]
                await self._write(batch)
        except BaseException:  # cancelled (the loop shuts down): nobody is left waiting for an answer
            for tap in batch + self._pending:
                tap.outcome.cancel()
            self._pending.clear()
            raise
        finally:
            self._writer = None

    async def _write(self, batch: list[_Tap]) -> None:
        try:
            async with transaction(self.sessionmaker) as session:
                results = await _cast_all(session, batch)
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].outcome.done():
                    batch[0].outcome.set_exception(exc)
                return
            for tap in batch:  # rolled back whole: each again on its own
                await self._write([tap])
            return
        self.batches += 1
        for tap, result in zip(batch, results, strict=True):
            if not tap.outcome.done() and result is not None:
                tap.outcome.set_result(result)


async def _cast_all(session: AsyncSession, batch: list[_Tap]) -> list[CastResult | None]:
    """Every tap of the batch, each vote read once (share-locked on PostgreSQL: a close waits). The first tap
    of each member on an open ballot is written with the others in one statement (record_new); the rest —
    later taps of the same member, refusals, changes, secret ballots, opinions — by cast_ballot, in order."""
    share = dialect_name(session) == "postgresql"
    loaded: dict[int, Vote | None] = {}
    for tap in batch:
        if tap.vote_id not in loaded:
            loaded[tap.vote_id] = await _load(session, tap.vote_id, share=share)
    results: list[CastResult | None] = [None] * len(batch)
    for vote_id, vote in loaded.items():
        if vote is None or vote.is_secret:
            continue
        first: dict[int, int] = {}  # member → index of their first tap in the batch
        for i, tap in enumerate(batch):
            if tap.vote_id == vote_id and tap.member_id is not None:
                first.setdefault(tap.member_id, i)
        plain = {m: batch[i].position for m, i in first.items() if batch[i].text is None}
        for member_id in await record_new(session, vote, plain):
            i = first[member_id]
            results[i] = CastResult(Cast.recorded, vote, vote.option(batch[i].position))
    for i, tap in enumerate(batch):
        if results[i] is not None:
            continue
        vote = loaded[tap.vote_id]
        results[i] = (CastResult(Cast.no_vote) if vote is None else
                      await cast_ballot(session, tap.vote_id, tap.member_id, tap.position, tap.text, vote=vote,
                                        held=True))
    return results


_BATCHERS: dict[tuple[asyncio.AbstractEventLoop, AsyncEngine], BallotBatcher] = {}


async def cast_together(sessionmaker: async_sessionmaker[AsyncSession], vote_id: int, member_id: int | None,
                        position: int, text: str | None = None) -> CastResult:
    """A member's tap, written with the taps that come at the same time (one batcher per engine and
    event loop); committed when it returns. `sessionmaker`: sessions whose transactions take the write
    lock up front on SQLite (models.db.make_sessionmaker's default)."""
    loop = asyncio.get_running_loop()
    key = (loop, sessionmaker.kw["bind"])
    batcher = _BATCHERS.get(key)
    if batcher is None:
        for stale in [k for k in _BATCHERS if k[0].is_closed()]:
            del _BATCHERS[stale]
        batcher = _BATCHERS[key] = BallotBatcher(sessionmaker)
    return await batcher.cast(vote_id, member_id, position, text)

