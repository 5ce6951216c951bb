"""The one clock the handbook reads. Tests and the sandbox trainer move it; nothing sleeps."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC, as the handbook sees it."""
    base = _frozen if _frozen is not None else datetime.now(UTC)
    return base + _offset


def advance(delta: timedelta) -> datetime:
    """Move the clock forward (the trainer's "skip ahead", or a test)."""
    global _offset
    _offset += delta
    return now()


def freeze(at: datetime | None) -> None:
    """Stop the clock at `at` (None lets it run again)."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None


@contextmanager
def travel(at: datetime) -> Iterator[None]:
    """Within the block the clock reads `at` (stopped there); afterwards it is as it was. The demo's past
    is made this way, by the same functions a secretary's taps call, at the moments they happened."""
    global _offset, _frozen
    if at.tzinfo is None:
        raise ValueError("travel() needs an aware datetime")
    saved = _offset, _frozen
    _offset, _frozen = timedelta(0), at
    try:
        yield
    finally:
        _offset, _frozen = saved
