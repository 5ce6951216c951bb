"""Benchmark: 1,000 members tapping a vote's buttons within one second, against a bare echo bot.

Our side is the real bot (SandboxRun: the Bot API emulator over HTTP, the real PTB Application
long polling it, the real dispatcher and database). A vote of one cell with --members full
members is opened through models.votes and its ballots are delivered by the dispatcher (pacing
switched off: the emulator has no flood limits here). Then every member taps one option of
their own ballot — all taps offered evenly within --window seconds (an open loop: 1,000 taps in
one second by default), --repeat times each (a repeat taps the other option: racing taps of one
member). Afterwards the database must hold exactly one ballot per member, counted once; with one
tap each, every ballot holds the option its member tapped.

Latency is taken inside the process, in the emulator: from the moment a tap is put in the
update queue (emulator.user_press) to the bot's answerCallbackQuery for it (the toast naming the
choice); the edits of the pressed messages ("Đồng chí đã chọn: …") are counted and waited for (ours sends
them behind the toasts: "last edit after" says when the last one landed). Throughput is taps answered /
(last answer − first tap). "CPU per tap" is the whole process's CPU time (bot, emulator, database threads)
from the first tap to the last edit, over the taps: steadier than the clock on a shared machine.

The same taps then go, in the same process, to a bare PTB bot — one CallbackQueryHandler that
answers the query and edits the pressed message ("Đã chọn: X"), the same Bot API work as ours — long polling its own emulator with the same builder settings (defaults,
concurrent_updates, poll timeout). The script prints figures; it never asserts a speed, only
that every ballot was counted exactly once.

The peak RSS printed is the whole process's ru_maxrss: our bot AND its emulator (which holds every chat and
message). With --bot-process our bot runs as deployed, a process of its own (`python -m bot.cli run`, long
polling the emulator here; bench/common.py BotProcess), so its own peak shows: this process keeps the emulator,
the database set-up (SandboxRun with poll=False: the demo personas, the cell, the vote opened) and the load. The
bot process's dispatcher is not woken: it finds the ballots in the outbox by itself (delivery_poll_s, 1 s). Just
before it is stopped, its peak RSS (/proc/<pid>/status VmHWM) and CPU seconds (/proc/<pid>/stat) are read;
"CPU per tap" is then the bot process's and this one's together, comparable to the echo's one process —
though ours then spreads over two processes (two cores here) and the echo stays in one. The transactions of the group commit are
counted in-process only: not available in this mode.

    python bench/votes.py [--members 1000 | --delegates 300] [--window 1] [--repeat 1] [--secret] [--fixed]
                          [--bot-process] [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

The database: see --database-url (bench/common.py, bench_database).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import CallbackQueryHandler, ContextTypes  # noqa: E402

from bench import common  # noqa: E402
from bench.common import (  # noqa: E402
    CHATTY,
    BotProcess,
    bench_database,
    bot_env,
    log_warnings,
    percentile_ms,
    run_within,
    start_echo_bot,
)

FIRST_USER = 400001
ANSWER_TIMEOUT = 120.0
CELL = "Chi bộ biểu quyết (bench)"


# -- measuring ----------------------------------------------------------------------------------------
class Probe:
    """Times every tap from the update queue to the bot's answer, and counts the edits that follow."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator
        self.pressed: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.answers: dict[str, str] = {}
        self.edits = 0
        self.last_edit = 0.0
        self.done = asyncio.Event()
        self.expected = 0
        original = emulator._event

        def hooked(kind: str, **data):
            event = original(kind, **data)
            now = time.perf_counter()
            if kind == "callback_answered":
                qid = data["callback_query_id"]
                if qid in self.pressed and qid not in self.answered:
                    self.answered[qid] = now
                    self.answers[qid] = data.get("text") or ""
                    if len(self.answered) >= self.expected:
                        self.done.set()
            elif kind == "message_edited":
                self.edits += 1
                self.last_edit = now
            return event

        emulator._event = hooked  # instance attribute: the emulator calls self._event

    def press(self, user_id: int, message_id: int, data: str) -> str:
        query = self.emulator.user_press(user_id, message_id, data=data)
        self.pressed[query.id] = time.perf_counter()
        return query.id


@dataclass
class Result:
    name: str
    taps: int = 0
    offered_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    edited: float = 0.0  # from the first tap to the last edit
    edits: int = 0
    lost: int = 0
    counted: str = ""
    transactions: int | None = 0  # ours: the transactions that wrote the ballots (group commit); None: not known
    peak_rss_mb: float = 0.0  # ours: the process's peak RSS so far (our bot with its emulator, before the echo)
    cpu_s: float = 0.0  # CPU time of the whole process (bot, emulator, database threads) while tapping
    # --bot-process: the bot process's own CPU while tapping (also in cpu_s) and in all, and the bench
    # process's peak RSS (the emulator and the load); peak_rss_mb is then the bot process's.
    bot_cpu_s: float = float("nan")
    bot_cpu_total_s: float = float("nan")
    bench_rss_mb: float = float("nan")

    @property
    def cpu_per_tap_ms(self) -> float:
        return 1000 * self.cpu_s / self.taps if self.taps else float("nan")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        return percentile_ms(self.latencies, q)


async def tap_all(probe: Probe, taps: list[tuple[int, int, str]], window: float, name: str) -> Result:
    """Open loop: the taps evenly spread over `window` seconds, whatever the bot does meanwhile."""
    result = Result(name, taps=len(taps))
    probe.expected = len(taps)
    probe.done.clear()
    edits_before = probe.edits
    cpu = time.process_time()
    start = time.perf_counter()
    ids = []
    for i, (user, message_id, data) in enumerate(taps):
        delay = start + i * window / len(taps) - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        ids.append(probe.press(user, message_id, data))
    result.offered_s = time.perf_counter() - start
    try:
        await asyncio.wait_for(probe.done.wait(), ANSWER_TIMEOUT)
    except TimeoutError:
        pass
    # The edits after the last answers (ours sends them behind the toasts): until none has come for 0.5 s.
    while time.perf_counter() - max(probe.last_edit, start) < 0.5 and time.perf_counter() - start < ANSWER_TIMEOUT:
        await asyncio.sleep(0.1)
    last = start
    for qid in ids:
        if qid in probe.answered:
            result.latencies.append(probe.answered[qid] - probe.pressed[qid])
            last = max(last, probe.answered[qid])
        else:
            result.lost += 1
    result.elapsed = last - start
    result.edited = max(probe.last_edit - start, 0.0)
    result.cpu_s = time.process_time() - cpu
    result.edits = probe.edits - edits_before
    return result


# -- our bot --------------------------------------------------------------------------------------------
async def make_cell(run, members: int) -> tuple[int, list[tuple[int, int]]]:
    """A cell of `members` full members, each with a Telegram user; the demo secretary manages it."""
    from models import clock
    from models.accounts import Account
    from models.members import Member
    from models.roles import RoleKind, grant
    from models.units import Unit, UnitKind, add_unit

    secretary = next(p for p in run.personas if p.key == "secretary")
    async with run.sessionmaker() as session:
        ward = await session.scalar(select(Unit).where(Unit.kind == UnitKind.ward).limit(1))
        cell = await add_unit(session, CELL, UnitKind.cell, ward)
        rows = [Member(full_name=f"Đảng viên số {i + 1}", cell_id=cell.id, official_on=date(2000, 1, 1))
                for i in range(members)]
        session.add_all(rows)
        await session.flush()
        await grant(session, secretary.member_id, cell.id, RoleKind.secretary)
        pairs = []
        for i, member in enumerate(rows):
            user_id = FIRST_USER + i
            session.add(Account(telegram_user_id=user_id, member_id=member.id, language="vi",
                                linked_at=clock.now()))
            pairs.append((member.id, user_id))
        await session.commit()
    for i, (_, user_id) in enumerate(pairs):
        run.emulator.add_user(f"Số {i + 1}", id=user_id, last_name="Đảng viên", language_code="vi")
    return cell.id, pairs


async def open_and_deliver(run, cell_id: int, users: list[int], *, secret: bool, may_change: bool,
                           wake: bool = True) -> tuple[int, float]:
    """The vote opened; returns its id and when its first ballot landed (s) once all have. `wake`: the
    in-process dispatcher is woken; a bot process's dispatcher finds the outbox by itself (delivery_poll_s)."""
    from models import votes
    from models.permissions import load_actor

    secretary = next(p for p in run.personas if p.key == "secretary")
    async with run.sessionmaker() as session:
        actor = await load_actor(session, secretary.user_id)
        vote = await votes.open_vote(
            session, actor, cell_id=cell_id, question="Thông qua Nghị quyết chi bộ (thử tải)",
            ballot=votes.BallotKind.secret if secret else votes.BallotKind.open, may_change=may_change,
            closes_at=None)
        await session.commit()
    if wake:
        run.runtime.dispatcher.wake()
    start = time.monotonic()
    deadline = start + 300
    first = None
    prefix = f"v:{vote.id}:"
    while True:
        missing = [u for u in users if _ballot_message(run.emulator, u, prefix) is None]
        if first is None and len(missing) < len(users):
            first = time.monotonic() - start
        if not missing:
            return vote.id, first or 0.0
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(missing)} ballots never arrived")
        await asyncio.sleep(0.2)


def _ballot_message(emulator, user_id: int, prefix: str) -> int | None:
    chat = emulator.chats.get(user_id)
    for msg in (chat.messages.values() if chat else ()):
        rows = (msg.reply_markup or {}).get("inline_keyboard", [])
        if any(b.get("callback_data", "").startswith(prefix) for row in rows for b in row):
            return msg.message_id
    return None


async def check_counts(run, vote_id: int, first: dict[int, int], *, secret: bool, repeat: int) -> str:
    """Exactly one ballot per member, and the counts are what the members chose."""
    from models import votes
    from models.votes import Ballot, SecretVoter

    async with run.sessionmaker() as session:
        vote = await votes.get_vote(session, vote_id)
        result = await votes.tally(session, vote)
        model = SecretVoter if secret else Ballot
        rows = await session.scalar(select(func.count()).select_from(model).where(model.vote_id == vote_id))
        distinct = await session.scalar(select(func.count(func.distinct(model.member_id))).where(model.vote_id == vote_id))
        chosen = {}
        if not secret:
            chosen = dict((await session.execute(
                select(Ballot.member_id, Ballot.position).where(Ballot.vote_id == vote_id))).all())
    problems = []
    if rows != len(first) or distinct != len(first) or result.cast != len(first):
        problems.append(f"{rows} ballot rows, {distinct} members, cast {result.cast}; expected {len(first)}")
    counts = {o.position: o.count for o in result.options}
    if sum(counts.values()) != len(first):
        problems.append(f"option counts add up to {sum(counts.values())}")
    if repeat == 1:  # one tap each: every ballot holds exactly what its member tapped
        if not secret:
            wrong = [m for m, p in chosen.items() if p != first[m]]
            if wrong:
                problems.append(f"{len(wrong)} ballots hold an option the member did not tap")
        want: dict[int, int] = {}
        for p in first.values():
            want[p] = want.get(p, 0) + 1
        if {k: v for k, v in counts.items() if v} != want:
            problems.append(f"counts {counts} differ from the taps {want}")
    return "exactly once: OK" if not problems else "NOT exactly once: " + "; ".join(problems)


async def run_ours(stack: AsyncExitStack, url: str, args) -> tuple[Result, dict]:
    from bot.sandbox_mode import SandboxRun
    from bot.settings import Settings

    settings = Settings(database_url=url, delivery_rate_per_s=0, delivery_per_chat_per_s=0)
    # --bot-process: the emulator, the demo data and the built (never started) Application stay here; the bot
    # runs in a process of its own with the same settings.
    run = await stack.enter_async_context(SandboxRun(settings, url, poll=not args.bot_process))
    bot = await start_bot_process(stack, run, settings) if args.bot_process else None
    cell_id, pairs = await make_cell(run, args.members)
    users = [u for _, u in pairs]
    t0 = time.perf_counter()
    vote_id, first_ballot_s = await open_and_deliver(run, cell_id, users, secret=args.secret, may_change=args.change,
                                                     wake=bot is None)
    delivered_s = time.perf_counter() - t0
    prefix = f"v:{vote_id}:"
    ballots = {u: _ballot_message(run.emulator, u, prefix) for u in users}
    member_of = {u: m for m, u in pairs}
    first = {member_of[u]: 1 + i % 2 for i, u in enumerate(users)}
    taps = []
    for r in range(args.repeat):
        for i, u in enumerate(users):
            position = 1 + (i + r) % 2  # a repeat taps the other option
            taps.append((u, ballots[u], f"{prefix}{position}"))
    from models.votes import together

    probe = Probe(run.emulator)
    if args.pause:
        print(f"tapping in {args.pause:g} s (pid {bot.proc.pid if bot and bot.proc else os.getpid()})",
              file=sys.stderr, flush=True)
        await asyncio.sleep(args.pause)
    before = sum(b.batches for b in together._BATCHERS.values())
    bot_cpu = bot.cpu_s() if bot else 0.0
    result = await tap_all(probe, taps, args.window * args.repeat, "ours")
    result.transactions = sum(b.batches for b in together._BATCHERS.values()) - before if bot is None else None
    result.counted = await check_counts(run, vote_id, first, secret=args.secret, repeat=args.repeat)
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if bot is not None:  # read just before it stops
        result.bench_rss_mb, result.peak_rss_mb = result.peak_rss_mb, bot.peak_rss_mb()
        result.bot_cpu_total_s = bot.cpu_s()
        result.bot_cpu_s = result.bot_cpu_total_s - bot_cpu
        result.cpu_s += result.bot_cpu_s
        await bot.stop()
    app = run.runtime.app
    shape = {"defaults": app.bot.defaults, "concurrent_updates": app.update_processor.max_concurrent_updates,
             "token": app.bot.token, "delivered_s": delivered_s, "first_ballot_s": first_ballot_s}
    if run.emulator.violations:
        print(f"  note: ours: {len(run.emulator.violations)} Bot API violations, first: {run.emulator.violations[0]}",
              file=sys.stderr)
    return result, shape


async def start_bot_process(stack: AsyncExitStack, run, settings) -> BotProcess:
    """Our bot as deployed (`python -m bot.cli run`, long polling) against `run`'s emulator and database, with
    `settings`' delivery limits; stopped when `stack` closes (before the emulator) if not before."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-votes-bot-")))
    env = bot_env(api=run.url, token=run.emulator.token, database_url=run.database_url, seal_key=run.seal_key,
                  tmp=tmp, delivery_rate_per_s=f"{settings.delivery_rate_per_s:g}",
                  delivery_per_chat_per_s=f"{settings.delivery_per_chat_per_s:g}")
    bot = BotProcess(env, tmp / "bot.log")
    await bot.start()
    stack.push_async_callback(bot.stop)
    deadline = time.monotonic() + 60
    while not run.emulator._poll_generation:  # its first getUpdates: up and polling
        if not bot.alive or time.monotonic() > deadline:
            await bot.stop()
            raise SystemExit(f"the bot process did not come up:\n{bot.tail()}")
        await asyncio.sleep(0.05)
    return bot


# -- the bare echo bot ---------------------------------------------------------------------------------
async def run_echo(stack: AsyncExitStack, shape: dict, args) -> Result:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The same Bot API work as ours: the toast, then the pressed message edited to say the choice.
        query = update.callback_query
        await query.answer(text=query.data)
        await query.edit_message_text(f"Đã chọn: {query.data}")

    emulator = await start_echo_bot(stack, {**shape, "transport": args.echo_transport}, CallbackQueryHandler(answer))
    users = [FIRST_USER + i for i in range(args.members)]
    messages = {}
    for user in users:
        emulator.add_user(f"U{user}", id=user, language_code="vi")
        keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "e:1"}], [{"text": "B", "callback_data": "e:2"}]]}
        messages[user] = emulator._add_message(emulator.chats[user], from_bot=True, text="?",
                                               reply_markup=keyboard).message_id
    taps = [(u, messages[u], f"e:{1 + (i + r) % 2}") for r in range(args.repeat) for i, u in enumerate(users)]
    probe = Probe(emulator)
    return await tap_all(probe, taps, args.window * args.repeat, "echo")


# -- report ---------------------------------------------------------------------------------------------
def fmt(value: float) -> str:
    return "—" if value != value else f"{value:,.1f}"


def report(args, backend: str, shape: dict, ours: Result, echo: Result | None) -> None:
    kind = "secret ballot" if args.secret else ("open ballot, changes allowed" if args.change else "open ballot")
    print()
    print(f"Vote taps through the sandbox — {args.members} members, {kind}, {args.repeat} tap(s) each, "
          f"offered within {args.window * args.repeat:g} s; backend {backend}, "
          f"concurrent_updates={shape['concurrent_updates']}; the echo's transport: {args.echo_transport}")
    print(f"ballots delivered by the dispatcher (no pacing) in {shape['delivered_s']:.1f} s, the first after "
          f"{shape['first_ballot_s']:.1f} s" + (" (the bot process's dispatcher polls its outbox every "
                                                "delivery_poll_s: nothing wakes it)" if args.bot_process else ""))
    print(f"{'':34}{'ours':>12}{'echo':>12}{'ours/echo':>12}")

    def row(name: str, get, ratio: bool = True) -> None:
        a = get(ours)
        b = get(echo) if echo else float("nan")
        r = a / b if ratio and echo and b else float("nan")
        print(f"  {name:32}{fmt(a):>12}{fmt(b):>12}{(f'{r:.2f}' if r == r else '—') if ratio else '':>12}")

    row("taps offered", lambda r: float(r.taps), False)
    row("offered over (s)", lambda r: r.offered_s, False)
    row("taps answered / s", lambda r: r.throughput)
    row("p50 answer latency (ms)", lambda r: r.pct(50))
    row("p99 answer latency (ms)", lambda r: r.pct(99))
    row("max answer latency (ms)", lambda r: max(r.latencies) * 1000 if r.latencies else float("nan"))
    row("mean answer latency (ms)", lambda r: statistics.fmean(r.latencies) * 1000 if r.latencies else float("nan"))
    row("all answered after (s)", lambda r: r.elapsed)
    row("last edit after (s)", lambda r: r.edited)
    if args.bot_process:  # ours: the bot process and this one (its emulator), as the echo's one process
        row("CPU per tap, bot + emulator (ms)", lambda r: r.cpu_per_tap_ms)
        row("CPU per tap, bot process (ms)", lambda r: 1000 * r.bot_cpu_s / r.taps, False)
    else:
        row("CPU per tap, whole process (ms)", lambda r: r.cpu_per_tap_ms)
    row("messages edited", lambda r: float(r.edits), False)
    row(f"unanswered in {ANSWER_TIMEOUT:g} s", lambda r: float(r.lost), False)
    print()
    if ours.transactions is None:
        print(f"ballots: {ours.counted}; transactions: not available (counted inside the bot process)")
        print(f"peak RSS of the bot process (VmHWM): {ours.peak_rss_mb:.0f} MB; its CPU {ours.bot_cpu_s:.1f} s "
              f"while tapping, {ours.bot_cpu_total_s:.1f} s in all")
        print(f"peak RSS of the bench process after our taps (the emulator and the load): {ours.bench_rss_mb:.0f} MB")
    else:
        print(f"ballots: {ours.counted}; written in {ours.transactions} transactions (group commit)")
        print(f"peak RSS of the process after our taps (our bot and its emulator): {ours.peak_rss_mb:.0f} MB")


async def main(args) -> None:
    async with bench_database("bench-votes-", args.database_url) as (url, backend):
        async with AsyncExitStack() as stack:
            ours, shape = await run_ours(stack, url, args)
            echo = None if args.only == "ours" else await run_echo(stack, shape, args)
        report(args, backend, shape, ours, echo)
        if not ours.counted.startswith("exactly once: OK"):
            raise SystemExit(1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=1000, help="full members of the cell, each tapping (default 1000)")
    p.add_argument("--delegates", type=int, default=None,
                   help="a congress: N delegates tapping within 1 s (--members N --window 1)")
    p.add_argument("--window", type=float, default=1.0, help="seconds over which each round of taps is offered")
    p.add_argument("--repeat", type=int, default=1, help="taps per member; a repeat taps the other option")
    p.add_argument("--secret", action="store_true", help="a secret ballot (no change possible)")
    p.add_argument("--fixed", dest="change", action="store_false",
                   help="an open ballot that does not allow changing the choice (default: changes allowed)")
    common.add_database_url(p)
    p.add_argument("--only", choices=("ours",), default=None, help="skip the echo bot")
    p.add_argument("--echo-transport", choices=("httpx", "aiohttp"), default="httpx",
                   help="the echo's Bot API transport: PTB's default httpx (a bare PTB bot), or aiohttp as ours")
    p.add_argument("--bot-process", action="store_true",
                   help="our bot in a process of its own (python -m bot.cli run, long polling, as deployed): "
                        "its own peak RSS (VmHWM) and CPU are printed; this process hosts the emulator and the load")
    p.add_argument("--pause", type=float, default=0.0,
                   help="seconds to wait (saying so, with the pid) before our taps: for a profiler to attach")
    args = p.parse_args(argv)
    if args.delegates is not None:
        args.members, args.window = args.delegates, 1.0
    if args.members < 1 or args.window <= 0 or args.repeat < 1:
        p.error("--members, --window and --repeat must be positive")
    return args


def run() -> None:
    args = parse_args()
    log_warnings(*CHATTY)
    run_within(main(args), 900, "bench/votes.py")


if __name__ == "__main__":
    run()
