"""Running the Application inside our own event loop (so the database engine shares it)."""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import Application

from handlers.turn import services_of

from .leader import Leadership

log = logging.getLogger(__name__)

# Background workers (the delivery dispatcher…): coroutines taking the stop Event, kept in
# Services.workers by bot/app.py so that every runner of the Application starts them.
Worker = Callable[[asyncio.Event], Awaitable[None]]
RESTART_DELAY_S = 5.0
STOP_TIMEOUT_S = 15.0


def stop_on_signals(stop: asyncio.Event | None = None) -> asyncio.Event:
    """`stop` (a new Event when None), set by SIGINT and SIGTERM where this loop can catch them."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not Unix
            pass
    return stop


@asynccontextmanager
async def started(app: Application) -> AsyncIterator[None]:
    """The Application initialised, its post_init run and started; shut down on leaving (the body stops it)."""
    async with app:
        # post_init is only called by Application.run_polling(), which owns its loop; we own ours.
        if app.post_init:
            await app.post_init(app)
        await app.start()
        yield


async def run_polling(app: Application, stop: asyncio.Event | None = None, *, poll_timeout: int = 10,
                      workers: Iterable[Worker] | None = None) -> None:
    """Long polling and the background workers until `stop` is set (or SIGINT/SIGTERM)."""
    stop, workers = stop_on_signals(stop), list(services_of(app).workers if workers is None else workers)
    async with started(app):
        await app.updater.start_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
        background = asyncio.create_task(run_background(app, workers, stop), name="background")
        log.info("the bot is polling for updates")
        try:
            await stop.wait()
        finally:
            stop.set()
            await app.updater.stop()
            await background
            await app.stop()


async def run_background(app: Application, workers: list[Worker], stop: asyncio.Event) -> None:
    """The workers and the repeating jobs, on this instance only while it leads (bot/leader.py)."""
    leadership: Leadership = services_of(app).leadership or Leadership()

    async def lead(resign: asyncio.Event) -> None:
        _repeating_jobs(app, enabled=True)
        tasks = [asyncio.create_task(_supervise(w, resign), name=f"worker-{i}") for i, w in enumerate(workers)]
        try:
            await resign.wait()
        finally:
            _repeating_jobs(app, enabled=False)
            await _stop_workers(tasks)

    _repeating_jobs(app, enabled=False)
    await leadership.run(stop, lead)


def _repeating_jobs(app: Application, *, enabled: bool) -> None:
    """Features' repeating jobs (sweeps, digests) run on the leader only; run_once jobs stay where made."""
    from apscheduler.triggers.date import DateTrigger

    if app.job_queue is None:
        return
    for job in app.job_queue.jobs():
        if not isinstance(job.job.trigger, DateTrigger):
            job.enabled = enabled


async def _supervise(worker: Worker, stop: asyncio.Event) -> None:
    """Run a worker until stop; one that crashes is logged and started again."""
    name = getattr(worker, "__qualname__", repr(worker))
    while not stop.is_set():
        try:
            await worker(stop)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background worker %s stopped with an error; restarting it", name)
            try:
                await asyncio.wait_for(stop.wait(), RESTART_DELAY_S)
            except TimeoutError:
                pass
        else:
            if not stop.is_set():
                log.warning("background worker %s returned before the stop; restarting it", name)
                await asyncio.sleep(RESTART_DELAY_S)


async def _stop_workers(tasks: list[asyncio.Task]) -> None:
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
    for task in pending:
        log.warning("background worker %s did not stop in time; cancelling it", task.get_name())
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=2)
