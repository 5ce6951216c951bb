"""Tasks a test's bot run left behind, ended before the event loop closes.

When the loop of a test closes, pytest-asyncio's runner cancels the tasks still pending *once* and waits for
them without a limit: a task that swallows that one cancellation hangs the run until pytest-timeout (seen
twice in CI, in the teardown of a test that only starts and stops the sandbox). Here the leftovers are
cancelled again until they end — each survivor named, with where it waits — and a task that outlives every
cancellation is a shutdown bug of the product (`handbook run` would not stop on SIGTERM): the test fails.
"""
from __future__ import annotations

import asyncio
import io
import logging

log = logging.getLogger(__name__)


def _where(task: asyncio.Task) -> str:
    out = io.StringIO()
    task.print_stack(limit=8, file=out)
    return out.getvalue()


async def end_stragglers(before: set[asyncio.Task], grace_s: float = 10.0) -> list[str]:
    """Cancel, until they end or `grace_s` passes, the tasks started since `before`; those that will not end."""
    loop, me = asyncio.get_running_loop(), asyncio.current_task()
    await asyncio.sleep(0)  # a task finishing right now is not a straggler
    deadline, told = loop.time() + grace_s, False
    while True:
        left = [t for t in asyncio.all_tasks() if t not in before and t is not me and not t.done()]
        if not left:
            return []
        if loop.time() > deadline:
            return [f"{t.get_name()} would not end:\n{_where(t)}" for t in left]
        if not told:  # logged once, so a teardown that needed it shows in the test's captured log
            log.warning("tasks left running after the bot stopped, cancelled: %s",
                        "; ".join(f"{t.get_name()}\n{_where(t)}" for t in left))
            told = True
        for t in left:
            t.cancel()
        await asyncio.wait(left, timeout=0.5)
