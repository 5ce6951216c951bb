"""What one instance tells its operator: /metrics (Prometheus text format) and /healthz.

Counted here:
* updates received, by type — a TypeHandler in a group of its own that runs before every other;
* time spent in each handler, and its errors — handlers/turn.py calls Services.turn_observer after a turn;
* the delivery dispatcher's outcomes and the 429s it received (bot/dispatcher.py Stats), the 429s
  handlers met, the outbox backlog (queued deliveries in the database, read at each scrape);
* the shared send budget (bot/budget.py): messages let leave, waits for room, outages of its engine;
* TTS syntheses and cache hits of any audio.speech.Speech the application keeps in its Services;
* pictures (charts) or audio that could not be made, by renderer — their text went alone (handlers/render.py);
* the optional language model's calls by outcome (bot/chat_model.py: answered, refused by the check, timeout…);
* whether this instance leads (bot/leader.py).

Counters are per process: Prometheus sums the instances (`sum(rate(handbook_updates_total[5m]))`).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import Application, ContextTypes, TypeHandler

from handlers.render import RENDER_FAILURES
from handlers.turn import services_of
from models.deliveries import Delivery, DeliveryState

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COUNT_GROUP = -1000  # before every other group: one handler per group runs, so this group is its own
HEALTH_TIMEOUT_S = 3.0
# A conversation turn: the database and the replies; most take tens of milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def update_type(update: Update) -> str:
    return next((kind for kind in Update.ALL_TYPES if getattr(update, kind, None) is not None), "other")


class Metrics:
    """The counters of one Application, in a registry of their own (several apps may share a process)."""

    def __init__(self, app: Application):
        self.app = app
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("handbook_updates", "Updates received from Telegram, by type", ["type"], registry=r)
        self.handler_seconds = Histogram("handbook_handler_seconds", "Time to handle an update in a handler "
                                         "(database work and replies)", ["handler"], buckets=LATENCY_BUCKETS,
                                         registry=r)
        self.handler_errors = Counter("handbook_handler_errors", "Handler runs that ended in an error", ["handler"],
                                      registry=r)
        self.handler_429 = Counter("handbook_handler_429", "429 Too Many Requests met while answering a user",
                                   registry=r)
        self.webhook_rejected = Counter("handbook_webhook_rejected", "Webhook requests refused: missing or "
                                        "wrong secret token", registry=r)
        self.backlog = Gauge("handbook_deliveries_queued", "Deliveries waiting to be sent (whole database, "
                             "read at scrape time)", registry=r)
        r.register(_RuntimeCollector(app))

    def observe_turn(self, handler: str, seconds: float, error: BaseException | None) -> None:
        self.handler_seconds.labels(handler).observe(seconds)
        if error is not None:
            self.handler_errors.labels(handler).inc()
            if isinstance(error, RetryAfter):
                self.handler_429.inc()

    async def count_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.updates.labels(update_type(update)).inc()

    async def refresh(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """What is read from the database at scrape time (the backlog); left as it was when that fails."""
        try:
            self.backlog.set(await asyncio.wait_for(queued_deliveries(sessionmaker), HEALTH_TIMEOUT_S))
        except Exception as exc:
            log.warning("metrics: the outbox backlog could not be read (%s)", type(exc).__name__)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def install(app: Application) -> Metrics:
    """Count every update and every handler turn of `app`; the Metrics are kept in its Services."""
    services = services_of(app)
    metrics = services.metrics
    if metrics is None:
        metrics = services.metrics = Metrics(app)
        app.add_handler(TypeHandler(Update, metrics.count_update), group=COUNT_GROUP)
        services.turn_observer = metrics.observe_turn
    return metrics


class _RuntimeCollector(Collector):
    """Values other parts keep themselves, read at each scrape."""

    def __init__(self, app: Application):
        self.app = app

    def collect(self) -> Iterator[Any]:
        stats = getattr(services_of(self.app).outbox, "stats", None)
        if stats is not None:
            for name, value, doc in (
                ("sent", stats.sent, "Deliveries sent by this instance's dispatcher"),
                ("failed", stats.failed, "Deliveries given up after their last attempt or refused by Telegram"),
                ("unreachable", stats.unreachable, "Deliveries to members who blocked the bot or left Telegram"),
                ("retried", stats.retried, "Deliveries put back in the queue for another attempt"),
            ):
                yield CounterMetricFamily(f"handbook_deliveries_{name}", doc, value=value)
            yield CounterMetricFamily("handbook_dispatcher_429", "429 Too Many Requests received by the dispatcher",
                                      value=stats.throttled)
            yield CounterMetricFamily("handbook_dispatcher_requests", "Bot API requests made by the dispatcher",
                                      value=stats.requests)
        budget = getattr(services_of(self.app).outbox, "budget", None)
        if budget is not None:  # bot/budget.py: the sends this instance counted with the others (or alone)
            yield CounterMetricFamily("handbook_send_budget_grants", "Messages the shared send budget let leave "
                                      "(replies and deliveries)", value=budget.granted)
            yield CounterMetricFamily("handbook_send_budget_waits", "Times a message waited for room in the "
                                      "bot's rate", value=budget.waited)
            yield CounterMetricFamily("handbook_send_budget_outages", "Times the shared budget's engine (Redis or "
                                      "PostgreSQL) could not be asked", value=budget.outages)
            yield GaugeMetricFamily("handbook_send_budget_shared", "1 when this instance counts its messages with "
                                    "the others, 0 on its own half share (the engine unreachable)",
                                    value=0 if budget.down else 1)
        syntheses = hits = 0
        for speech in _speeches(services_of(self.app)):
            syntheses += speech.syntheses
            hits += speech.cache_hits
        yield CounterMetricFamily("handbook_tts_syntheses", "Audio parts synthesised (TTS engine run)", value=syntheses)
        yield CounterMetricFamily("handbook_tts_cache_hits", "Audio parts found in the synthesis cache", value=hits)
        failures = CounterMetricFamily("handbook_render_failures", "Pictures or audio that could not be made "
                                       "(their text was sent alone), by renderer", labels=["renderer"])
        for renderer, count in sorted(RENDER_FAILURES.items()):
            failures.add_metric([renderer], count)
        yield failures
        model = services_of(self.app).chat_model
        if model is not None:
            calls = CounterMetricFamily("handbook_llm_calls", "Calls of the language model by outcome (answered: "
                                        "a reply came; refused: it failed the citation check)", labels=["outcome"])
            for outcome, count in sorted(model.outcomes.items()):
                calls.add_metric([outcome], count)
            yield calls
        leadership = services_of(self.app).leadership
        leading = 1 if leadership is None or leadership.is_leader else 0
        yield GaugeMetricFamily("handbook_leader", "1 when this instance runs the background work", value=leading)
        if leadership is not None:
            yield CounterMetricFamily("handbook_leader_elections", "Times this instance became the leader",
                                      value=leadership.elected)


def _speeches(services) -> Iterator[Any]:
    """The Speech of the Services, and any other part's (an attribute `speech`), counted once."""
    from audio.speech import Speech

    seen: set[int] = set()
    for value in (services.speech, services.outbox):
        for candidate in (value, getattr(value, "speech", None)):
            if isinstance(candidate, Speech) and id(candidate) not in seen:
                seen.add(id(candidate))
                yield candidate


async def queued_deliveries(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == DeliveryState.queued))
        await session.rollback()
    return int(count or 0)


async def health(app: Application, sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[bool, dict]:
    """(healthy, details): the database answers; whether this instance leads; the outbox backlog."""
    leadership = services_of(app).leadership
    body: dict[str, Any] = {"role": leadership.role if leadership is not None else "leader"}
    try:
        body["backlog"] = await asyncio.wait_for(queued_deliveries(sessionmaker), HEALTH_TIMEOUT_S)
        body["database"] = "ok"
    except Exception as exc:
        body["database"] = f"unreachable: {type(exc).__name__}"
        body["backlog"] = None
    body["status"] = "ok" if body["database"] == "ok" else "unavailable"
    return body["database"] == "ok", body
