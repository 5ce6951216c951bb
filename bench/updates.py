"""Benchmark: updates per second and latency of /profile through the sandbox, against a bare echo bot.

N simulated Telegram users (each linked to a member) send /profile to the real bot (SandboxRun:
the Bot API emulator over HTTP, the real PTB Application long polling it, the real database).
After a warm-up (every user once, each reply checked to be that member's profile), two phases:

  * fixed load  — an open loop offering --rate updates/s for --seconds, users round-robin;
  * saturation  — a closed loop keeping --outstanding updates in flight (one per user at most)
                  for --seconds, i.e. as fast as the bot answers.

Latency is measured inside the process: time.perf_counter() just before the emulator's
user_send_text() puts the user's message in, and again when the bot's sendMessage for that chat
lands in the emulator's event log (the emulator's _event hook, before the HTTP answer goes back).

The same phases run, in the same process, against a bare PTB bot — one MessageHandler that
echoes the text — long polling its own emulator with the same builder settings (defaults,
concurrent_updates, poll timeout). Both bots are up for the whole run and each phase runs on ours,
then straight away on the echo bot, so a busy machine weighs on both sides of a ratio alike; saturation runs
--rounds times, the two bots alternating, and the median round is the figure (each round's ratio is printed,
with the process's CPU time per update of each bot: steadier than the clock on a shared machine).
The script prints figures and the ratios ours/echo; it never asserts. Targets (printed alongside):
throughput ratio >= 0.7 at saturation (issue 19; 0.5 before), p99 < 150 ms at 50 updates/s on SQLite.
--only ours|echo measures one bot (for a profiler: py-spy record -- python bench/updates.py --only ours).
--echo-reply profile: the echo sends back, for every update, a profile as ours sends it (its HTML and button)
instead of the text — the same Bot API work on both sides, so the ratio weighs our own work alone; the target
is against the bare echo (the default).

    python bench/updates.py [--users 200] [--rate 50] [--seconds 20] [--outstanding 64]
                            [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                            [--only ours|echo] [--bot-rate 0] [--rounds 3] [--echo-reply text|profile] [--quick]

The database: see --database-url (bench/common.py, bench_database).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict, deque
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ContextTypes, MessageHandler, filters  # noqa: E402

from bench import common  # noqa: E402
from bench.common import CHATTY, bench_database, log_warnings, percentile_ms, run_within, start_echo_bot  # noqa: E402

TARGET_RATIO = 0.7
TARGET_P99_MS = 150.0
COMMAND = "/profile"
REPLY_TIMEOUT = 30.0  # a reply later than this counts as lost
EXTRA_USER_ID = 300001  # simulated users beyond the demo personas


# -- measuring ----------------------------------------------------------------------------------
class Probe:
    """Sends as a user and times the bot's next message in that chat, from inside the emulator."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator
        self.pending: dict[int, deque] = defaultdict(deque)  # chat id → [(t_sent, future)]
        self.unmatched = 0  # bot messages nobody was waiting for (e.g. a reply split in two)
        original = emulator._event

        def hooked(kind: str, **data):
            event = original(kind, **data)
            if kind == "message_new" and data.get("from_bot"):
                self._landed(data["chat_id"], event, time.perf_counter())
            return event

        emulator._event = hooked  # instance attribute: _add_message calls self._event

    def _landed(self, chat_id: int, event: dict, now: float) -> None:
        queue = self.pending.get(chat_id)
        if not queue:
            self.unmatched += 1
            return
        sent, future = queue.popleft()
        if not future.done():
            # event["message"] is filled right after _event returns, before anyone awaits this.
            future.set_result((now - sent, event, now))

    def send(self, user_id: int, text: str = COMMAND) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        self.emulator.user_send_text(user_id, text)
        self.pending[user_id].append((sent, future))
        return future

    def forget(self, user_id: int, future: asyncio.Future) -> None:
        queue = self.pending.get(user_id)
        if queue:
            for item in list(queue):
                if item[1] is future:
                    queue.remove(item)


@dataclass
class Result:
    name: str
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    lost: int = 0
    elapsed: float = 0.0  # first send → last reply (or end of the wait)
    offered_elapsed: float = 0.0  # first send → last send (fixed load only)
    window: float = 0.0  # saturation: throughput counts the replies that landed in [start, start + window]
    start: float = 0.0
    landed: list[float] = field(default_factory=list)  # perf_counter of each reply
    cpu_s: float = 0.0  # the whole process's CPU time during the phase (the bot, its emulator, the load)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        if self.window > 0:
            return sum(1 for t in self.landed if t <= self.start + self.window) / self.window
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def pct(self, q: float) -> float:
        """The q-th percentile in milliseconds (nearest rank)."""
        return percentile_ms(self.latencies, q)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def cpu_per_update_ms(self) -> float:
        return 1000 * self.cpu_s / self.done if self.done else float("nan")


async def warm_up(probe: Probe, users: list[int], check, concurrency: int) -> None:
    """Every user once (first-contact costs, caches, connections); checks each reply is the right one."""
    queue = deque(users)
    wrong: list[str] = []

    async def worker() -> None:
        while queue:
            user = queue.popleft()
            future = probe.send(user)
            try:
                _, event, _ = await asyncio.wait_for(future, REPLY_TIMEOUT)
            except TimeoutError:
                probe.forget(user, future)
                wrong.append(f"user {user}: no reply in {REPLY_TIMEOUT:.0f} s")
                continue
            problem = check(user, event.get("message") or {})
            if problem:
                wrong.append(f"user {user}: {problem}")

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(users)))))
    if wrong:
        raise SystemExit("warm-up failed:\n  " + "\n  ".join(wrong[:10]))
    await asyncio.sleep(0.2)  # let stray extra messages (if any) land before measuring
    probe.unmatched = 0


async def fixed_load(probe: Probe, users: list[int], rate: float, seconds: float) -> Result:
    """Open loop: one update every 1/rate s whatever the bot does; users round-robin."""
    result = Result("fixed")
    total = max(1, int(round(rate * seconds)))
    futures: list[tuple[int, asyncio.Future]] = []
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        user = users[i % len(users)]
        futures.append((user, probe.send(user)))
    result.offered_elapsed = time.perf_counter() - start
    result.sent = total
    result.elapsed = await collect(probe, futures, result, start) - start
    return result


async def collect(probe: Probe, futures: list[tuple[int, asyncio.Future]], result: Result, start: float) -> float:
    """The replies of an open loop's sends, waited for (REPLY_TIMEOUT) and put in `result` (a send without
    one is lost and forgotten); when the last of them landed (`start` if none did)."""
    if futures:
        await asyncio.wait([f for _, f in futures], timeout=REPLY_TIMEOUT)
    last = start
    for user, future in futures:
        if future.done():
            latency, _, landed = future.result()
            result.latencies.append(latency)
            result.landed.append(landed)
            last = max(last, landed)
        else:
            probe.forget(user, future)
            future.cancel()
            result.lost += 1
    return last


async def saturation(probe: Probe, users: list[int], outstanding: int, seconds: float) -> Result:
    """Closed loop: `outstanding` updates in flight (one per user at most), for `seconds`."""
    result = Result("saturation", window=seconds)
    free = deque(users)
    cpu = time.process_time()
    start = result.start = time.perf_counter()
    stop_at = start + seconds
    last = start

    async def worker() -> None:
        nonlocal last
        while time.perf_counter() < stop_at:
            user = free.popleft()
            future = probe.send(user)
            result.sent += 1
            try:
                latency, _, landed = await asyncio.wait_for(future, REPLY_TIMEOUT)
            except TimeoutError:
                probe.forget(user, future)
                result.lost += 1
                continue  # this user stays out: a late reply must not be taken for the next one
            result.latencies.append(latency)
            result.landed.append(landed)
            last = max(last, landed)
            free.append(user)

    await asyncio.gather(*(worker() for _ in range(max(1, min(outstanding, len(users))))))
    result.elapsed = last - start
    result.cpu_s = time.process_time() - cpu
    return result


# -- the two bots -------------------------------------------------------------------------------
async def link_extra_members(run, n_users: int) -> dict[int, str]:
    """user id → the member's full name, for n_users linked users (demo personas first).

    Beyond the demo's linked personas, copies of demo members (same name, dates, cell, work
    history, awards, discipline — so profiles are the same size) are inserted with an Account each.
    """
    from models import clock
    from models.accounts import Account
    from models.members import Award, Discipline, Member, WorkHistory, get_profile

    linked = {p.user_id: p.name for p in run.personas if p.linked}
    users = dict(list(linked.items())[:n_users])
    need = n_users - len(users)
    if need <= 0:
        return users
    async with run.sessionmaker() as session:
        ids = (await session.scalars(select(Member.id).order_by(Member.id))).all()
        templates = [await get_profile(session, i) for i in ids]
        copies = []
        for i in range(need):
            t = templates[i % len(templates)]
            copies.append(Member(
                full_name=t.full_name, birth_date=t.birth_date, gender=t.gender, phone=None, card_number=None,
                joined_on=t.joined_on, official_on=t.official_on, cell_id=t.cell_id, position=t.position,
                address=t.address, exempt=t.exempt,
                work_history=[WorkHistory(position_no=w.position_no, period_from=w.period_from,
                                          period_to=w.period_to, description=w.description) for w in t.work_history],
                awards=[Award(position_no=a.position_no, awarded_on=a.awarded_on, title=a.title,
                              decision=a.decision) for a in t.awards],
                disciplines=[Discipline(position_no=d.position_no, decided_on=d.decided_on, form=d.form,
                                        reason=d.reason) for d in t.disciplines],
            ))
        session.add_all(copies)
        await session.flush()
        for i, member in enumerate(copies):
            user_id = EXTRA_USER_ID + i
            session.add(Account(telegram_user_id=user_id, member_id=member.id, language="vi", linked_at=clock.now()))
            users[user_id] = member.full_name
        await session.commit()
    for user_id, name in users.items():
        if user_id not in run.emulator.users:
            first, _, last = name.rpartition(" ")
            run.emulator.add_user(last or name, id=user_id, last_name=first or None, language_code="vi")
    return users


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bare bot's one handler: the text back."""
    await update.effective_message.reply_text(update.effective_message.text)


# -- running ------------------------------------------------------------------------------------
@dataclass
class Side:
    """One bot under test: its emulator, probe, users and how to recognise a right reply."""

    label: str
    probe: Probe
    users: list[int]
    check: object
    fixed: Result | None = None
    sat: Result | None = None  # the median of the saturation rounds by throughput
    rounds: list[Result] = field(default_factory=list)

    def median_round(self) -> Result:
        ordered = sorted(self.rounds, key=lambda r: r.throughput)
        return ordered[(len(ordered) - 1) // 2]

    def notes(self) -> None:
        emulator = self.probe.emulator
        if self.probe.unmatched:
            print(f"  note: {self.label}: {self.probe.unmatched} bot messages matched no update", file=sys.stderr)
        if emulator.violations:
            print(f"  note: {self.label}: {len(emulator.violations)} Bot API violations, first: "
                  f"{emulator.violations[0]}", file=sys.stderr)


async def start_ours(stack: AsyncExitStack, database_url: str, users_wanted: int,
                     bot_rate: float = 0.0) -> tuple[Side, dict]:
    from bot.sandbox_mode import SandboxRun
    from bot.settings import Settings

    # The bot's send rate (Telegram's 30/s; on PostgreSQL a budget shared through the database, bot/budget.py):
    # 0, the default here, paces nothing, as the echo bot does not — the bench weighs the work of an update.
    settings = Settings(database_url=database_url, delivery_rate_per_s=bot_rate)
    run = await stack.enter_async_context(SandboxRun(settings, database_url))
    names = await link_extra_members(run, users_wanted)
    app = run.runtime.app
    shape = {"defaults": app.bot.defaults, "concurrent_updates": app.update_processor.max_concurrent_updates,
             "token": app.bot.token}

    def check(user: int, message: dict) -> str | None:
        body = message.get("text") or ""
        return None if names[user] in body else f"not a profile: {body[:80]!r}"

    return Side("ours", Probe(run.emulator), list(names), check), shape


async def start_echo(stack: AsyncExitStack, shape: dict, n_users: int, profile: dict | None = None) -> Side:
    """The bare bot: the text back, or with `profile` (one of ours' profile replies as the emulator holds it)
    that reply's text as HTML with its button — the same Bot API work as ours for every update, none of the rest."""
    handler = echo
    expected = COMMAND
    if profile is not None:
        from telegram import InlineKeyboardMarkup

        from sandbox.entities import to_html

        html = to_html(profile["text"], profile.get("entities"))
        markup = InlineKeyboardMarkup.de_json(profile["reply_markup"], None) if profile.get("reply_markup") else None
        expected = profile["text"]

        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await update.effective_message.reply_text(html, parse_mode="HTML", reply_markup=markup)

    emulator = await start_echo_bot(stack, shape, MessageHandler(filters.TEXT, handler), poll_timeout=5)
    users = [EXTRA_USER_ID + 100_000 + i for i in range(n_users)]
    for user in users:
        emulator.add_user(f"U{user}", id=user, language_code="vi")

    def check(user: int, message: dict) -> str | None:
        return None if message.get("text") == expected else f"not an echo: {(message.get('text') or '')[:80]!r}"

    return Side("echo", Probe(emulator), users, check)


async def measure(sides: list[Side], args) -> None:
    """Both bots are up (the idle one only long polls); each phase runs on one, then at once on the other,
    so that a noisy machine weighs on both figures of a ratio alike."""
    for side in sides:
        await warm_up(side.probe, side.users, side.check, args.outstanding)
    for side in sides:
        side.fixed = await fixed_load(side.probe, side.users, args.rate, args.seconds)
        await asyncio.sleep(0.5)
    # Saturation, --rounds times, the sides alternating (ours, echo, ours, echo…): the machine's moods (a
    # neighbour, the other core's work) fall on both sides of each round's ratio; the median round is reported.
    for _ in range(args.rounds):
        for side in sides:
            side.rounds.append(await saturation(side.probe, side.users, args.outstanding, args.seconds))
            await asyncio.sleep(0.5)
    for side in sides:
        side.sat = side.median_round()
        side.notes()


def fmt(value: float, unit: str = "") -> str:
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return "—" if value != value else f"{value:,.1f}{unit}"


def report(args, backend: str, shape: dict, ours, echo, rounds: tuple[list, list] | None = None) -> None:
    print()
    print(f"/profile through the sandbox — {args.users} linked users, backend {backend}, "
          f"concurrent_updates={shape['concurrent_updates']}, {args.seconds:g} s per phase; "
          f"the echo's transport: {args.echo_transport}; the echo sends back "
          + ("a profile as ours sends it" if args.echo_reply == "profile" else "the text"))
    head = f"{'':34}{'ours':>12}{'echo':>12}{'ours/echo':>12}   target"
    note = "throughput: replies landed within the window / window"
    for phase, idx, title in (("fixed", 0, f"fixed load, offered {args.rate:g} updates/s"),
                              ("saturation", 1, f"saturation, {min(args.outstanding, args.users)} outstanding")):
        o = ours[idx] if ours else None
        e = echo[idx] if echo else None
        print()
        print(title + ("" if phase == "fixed" else f" ({note})"))
        print(head)

        def row(name: str, get, unit: str, ratio: bool, target: str = "", o=o, e=e) -> None:
            a = get(o) if o else float("nan")
            b = get(e) if e else float("nan")
            r = a / b if ratio and o and e and b else float("nan")
            print(f"  {name:32}{fmt(a, unit):>12}{fmt(b, unit):>12}{(f'{r:.2f}' if r == r else '—') if ratio else '':>12}   {target}".rstrip())

        if phase == "fixed":
            row("offered (updates/s)", lambda r: r.sent / r.offered_elapsed if r.offered_elapsed else 0, "", False)
        row("throughput (updates/s)", lambda r: r.throughput, "", True,
            f"ratio ≥ {TARGET_RATIO}" if phase == "saturation" else "")
        row("p50 latency (ms)", lambda r: r.pct(50), "", True)
        row("p99 latency (ms)", lambda r: r.pct(99), "", True,
            f"ours < {TARGET_P99_MS:g} ms on SQLite" if phase == "fixed" else "")
        row("mean latency (ms)", lambda r: r.mean_ms, "", True)
        row("max latency (ms)", lambda r: max(r.latencies) * 1000 if r.latencies else float("nan"), "", True)
        row("answered", lambda r: r.done, "", False)
        row("lost (no reply in 30 s)", lambda r: r.lost, "", False)
        if phase == "saturation":
            row("CPU per update, process (ms)", lambda r: r.cpu_per_update_ms, "", True)
    print()
    if rounds and len(rounds[0]) > 1:
        ratios = [o.throughput / e.throughput for o, e in zip(*rounds, strict=True) if e.throughput]
        cpu = [o.cpu_per_update_ms / e.cpu_per_update_ms for o, e in zip(*rounds, strict=True)]
        print(f"saturation, round by round (ours, then the echo): ours/echo throughput "
              f"{', '.join(f'{r:.2f}' for r in ratios)}; CPU per update ours/echo {', '.join(f'{c:.2f}' for c in cpu)}")
        print(f"  ours {', '.join(f'{o.throughput:.0f}' for o in rounds[0])} updates/s; "
              f"the echo {', '.join(f'{e.throughput:.0f}' for e in rounds[1])} updates/s")
    if ours and echo:
        ratio = ours[1].throughput / echo[1].throughput if echo[1].throughput else float("nan")
        p99 = ours[0].pct(99)
        print(f"saturation throughput ours/echo = {ratio:.2f}, median rounds (target ≥ {TARGET_RATIO}: "
              f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})")
        verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
        print(f"p99 at {args.rate:g} updates/s = {p99:.1f} ms (target < {TARGET_P99_MS:g} ms on SQLite: "
              f"{verdict if backend == 'SQLite' else f'{verdict} here, but the target is for SQLite'})")


async def main(args) -> None:
    async with bench_database("bench-updates-", args.database_url) as (url, backend):
        async with AsyncExitStack() as stack:
            ours, shape = await start_ours(stack, url, args.users, args.bot_rate)
            args.users = len(ours.users)
            profile = None
            if args.echo_reply == "profile":  # a profile as ours sends it, for the echo to send back each time
                _, event, _ = await asyncio.wait_for(ours.probe.send(ours.users[0]), REPLY_TIMEOUT)
                profile = event["message"]
            echo = await start_echo(stack, {**shape, "transport": args.echo_transport}, len(ours.users), profile)
            sides = [s for s in (ours, echo) if args.only in (None, s.label)]
            await measure(sides, args)
        report(args, backend, shape,
               (ours.fixed, ours.sat) if ours in sides else None,
               (echo.fixed, echo.sat) if echo in sides else None,
               (ours.rounds, echo.rounds) if len(sides) == 2 else None)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200, help="linked members sending /profile (default 200)")
    p.add_argument("--rate", type=float, default=50.0, help="offered load of the fixed phase, updates/s (default 50)")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    p.add_argument("--outstanding", type=int, default=64, help="updates in flight at saturation (default 64)")
    common.add_database_url(p)
    p.add_argument("--bot-rate", type=float, default=0.0,
                   help="the bot's send rate, messages/s (default 0: unpaced, as the echo; 30 is Telegram's, shared "
                        "through PostgreSQL or Redis by the instances)")
    p.add_argument("--only", choices=("ours", "echo"), default=None, help="measure one bot only (for profiling)")
    p.add_argument("--echo-transport", choices=("httpx", "aiohttp"), default="httpx",
                   help="the echo's Bot API transport: PTB's default httpx (a bare PTB bot), or aiohttp as ours")
    p.add_argument("--echo-reply", choices=("text", "profile"), default="text",
                   help="what the echo sends back: the text (a bare echo, the target's baseline), or a profile as ours "
                        "sends it (~1,400 characters of HTML and a button): the same Bot API work, so the ratio "
                        "weighs only our own work")
    p.add_argument("--rounds", type=int, default=3,
                   help="saturation phases per bot, ours and the echo alternating; the median round is reported "
                        "(default 3)")
    p.add_argument("--quick", action="store_true", help="a 5-second smoke run (5 s per phase, one round)")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 5.0, 1
    if args.users < 1 or args.rate <= 0 or args.seconds <= 0 or args.outstanding < 1 or args.rounds < 1:
        p.error("--users, --rate, --seconds, --outstanding and --rounds must be positive")
    return args


def run() -> None:
    args = parse_args()
    log_warnings(*CHATTY)
    # Setup, warm-ups, two phases per bot and their drains: never more than this.
    run_within(main(args), (2 + 2 * args.rounds) * (args.seconds + REPLY_TIMEOUT) + 240, "bench/updates.py")


if __name__ == "__main__":
    run()
