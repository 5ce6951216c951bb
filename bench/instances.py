"""Benchmark: updates per second with one and with two bot instances on one PostgreSQL, webhook mode.

Two real bot processes (`python -m bot.cli run --webhook …`, as deployed) share one PostgreSQL
database; the emulator (in this process) plays Telegram and the load balancer: it POSTs each update
to the webhook of one instance ("one") or to both in turn ("two"). Both processes are up for the
whole run, and the phases alternate one, two, one, two… so a noisy machine weighs on both alike.
N linked members send /profile (the reply is checked to be their profile); latency is taken inside
this process from the user's message to the bot's reply landing in the emulator (bench/updates.py's
Probe). Per phase:

  * fixed load  — an open loop offering --rate updates/s;
  * saturation  — a closed loop keeping --outstanding updates in flight, i.e. as fast as answered.

Every reply is a message Telegram counts: the instances share the bot's rate (--bot-rate, 30/s) through
the send budget (bot/budget.py: PostgreSQL by default, --budget redis, or none at all). With --limits
the emulator answers 429 beyond that rate, so the 429s of one and of two instances compare; what a
second instance adds is measured with a rate above what they can answer (e.g. --bot-rate 400).

--cpu-per-instance F gives each bot process a CPU quota of F cores of its own (a cgroup, as a container's CPU
limit; needs root and the cgroup file system, v1 or v2): on a small machine the bots otherwise share the cores
with the emulator, the load and PostgreSQL, and what a second instance adds is capped by the cores left, not by
the bot. With quotas, one instance has F cores and two have 2F — what deploying a second instance gives — while
the rest of the machine keeps what is left (keep 2F well under the machine's cores: "machine busy" shows it).
The printed "throttled" is how often the quota held a bot back (cpu.stat), so a quota that never bit shows.

--during-broadcast N measures replies during a broadcast instead of the phases above: N more members of
another cell are linked, and a notice to them is queued through models.notices as their secretary sends it; the
leader's dispatcher (bot/leader.py: the instance holding the lock, which /healthz names) sends it at the bot's rate
while the users send /profile, an open loop at --reply-rate a second (default 2), until the last recipient has it
(or for --seconds). With --limits (Telegram's: --bot-rate, 1/s per chat) the send budget's reserve (bot/budget.py
RESERVE) is what lets a reply out at once. First with the leader alone answering the users ("one"), then both
instances ("two"), --rounds times (default 1 here); before each broadcast, QUIET_S of the replies alone as a
baseline. Printed per phase: the replies' latency p50/p90/p99/max, answered and lost; the broadcast's rate (its
messages a second on the emulator's clock, first to last; and all messages in that span, the replies included),
how many recipients got it, how many twice; and the 429s the emulator answered, on the users' chats (replies) and
on the recipients' (deliveries). --quick caps N at 150.

Printed: throughput, latency percentiles, the 429s the emulator answered (with --limits: Telegram's flood
limits), the best two-instance throughput over the best one-instance, each two-instance phase over the
one-instance phase just before it, the p99 of each phase, how many updates each instance handled (its
/metrics), the CPU seconds each process used, how busy the whole machine was, and each bot process's peak RSS
(VmHWM). On a small machine the emulator and load generator (this process) and PostgreSQL compete with the
bots for the same cores, which caps what a second instance can add; "machine busy" also counts processes
outside the bench, so a busy neighbour shows. Never asserts.

    python bench/instances.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                              [--users 200] [--rate 50] [--seconds 15] [--outstanding 64] [--rounds 2]
                              [--limits] [--budget postgresql|redis|none] [--bot-rate 30]
                              [--cpu-per-instance F] [--during-broadcast N [--reply-rate 2]] [--quick]

A database of its own (handbook_bench_<pid>) is created on that server and dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import secrets
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import BotProcess, bot_env, log_warnings, run_within  # noqa: E402

# bench/updates.py's Probe, warm_up, fixed_load and saturation, measured the same way here.
_spec = importlib.util.spec_from_file_location("bench_updates", Path(__file__).with_name("updates.py"))
base = sys.modules["bench_updates"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

SECRET = "bench-instances-secret-0123456789"
SEAL_KEY = secrets.token_urlsafe(32)  # the bot refuses to start without one; the same on both instances
FIRST_USER = 300001
SECRETARY = 499999  # --during-broadcast: the notice's author, the recipients' secretary (not sent it: the sender)
FIRST_RECIPIENT = 500001  # --during-broadcast: the members the notice goes to
QUIET_S = 5.0  # --during-broadcast: the replies alone, before each broadcast (a baseline on the same instances)
REDIS_URL = os.environ.get("HANDBOOK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CGROUP_ROOT = Path("/sys/fs/cgroup")


class CpuQuota:
    """A cgroup holding one process to `cores` CPUs (cgroup v2's cpu.max, else v1's cpu.cfs_quota_us)."""

    PERIOD_US = 100_000

    def __init__(self, name: str, cores: float) -> None:
        self.v2 = (CGROUP_ROOT / "cgroup.controllers").exists()
        if self.v2:
            if "cpu" not in (CGROUP_ROOT / "cgroup.controllers").read_text().split():
                raise SystemExit("--cpu-per-instance: this cgroup v2 hierarchy has no cpu controller")
            control = CGROUP_ROOT / "cgroup.subtree_control"
            if "cpu" not in control.read_text().split():
                control.write_text("+cpu")
            self.path = CGROUP_ROOT / name
        else:
            self.path = CGROUP_ROOT / "cpu" / name
        quota = max(1000, round(cores * self.PERIOD_US))
        try:
            self.path.mkdir()
            if self.v2:
                (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
            else:
                (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError as exc:
            raise SystemExit(f"--cpu-per-instance: cannot make a cgroup at {self.path} ({exc}); it needs root "
                             "and the cgroup file system") from exc

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))  # the whole process, every thread

    def throttled(self) -> tuple[int, float]:
        """(periods in which the quota held the process back, seconds it waited) so far."""
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if line.strip())
        if self.v2:
            return int(stat.get("nr_throttled", 0)), int(stat.get("throttled_usec", 0)) / 1e6
        return int(stat.get("nr_throttled", 0)), int(stat.get("throttled_time", 0)) / 1e9

    def remove(self) -> None:
        try:
            self.path.rmdir()
        except OSError:
            pass  # a process still inside: the kernel keeps it until then


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance(BotProcess):
    """One bot process in webhook mode."""

    def __init__(self, n: int, api: str, token: str, db_url: str, tmp: Path, budget: str = "postgresql",
                 bot_rate: float = 30.0, cores: float | None = None):
        self.n = n
        self.quota = CpuQuota(f"handbook-bench-{os.getpid()}-{n}", cores) if cores else None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.hook = f"{self.base}/telegram/hook"
        # No rate at all with --budget none: nothing paces the replies, as before the shared budget; the send
        # budget shared through Redis with --budget redis, else through PostgreSQL (bot/budget.py).
        env = bot_env(api=api, token=token, database_url=db_url, seal_key=SEAL_KEY, tmp=tmp,
                      webhook_secret=SECRET, webhook_port=str(self.port),
                      delivery_rate_per_s="0" if budget == "none" else f"{bot_rate:g}",
                      **({"redis_url": REDIS_URL} if budget == "redis" else {}))
        super().__init__(env, tmp / f"bot-{n}.log", "--webhook", self.hook)

    async def start(self) -> None:
        await super().start()
        if self.quota is not None:  # before the bot has imported anything: its whole life under the quota
            self.quota.add(self.proc.pid)

    async def get(self, path: str) -> str | None:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
                async with s.get(self.base + path) as r:
                    return await r.text() if r.status == 200 else None
        except (TimeoutError, aiohttp.ClientError):
            return None

    async def handled(self) -> float:
        from prometheus_client.parser import text_string_to_metric_families

        body = await self.get("/metrics") or ""
        return sum(s.value for f in text_string_to_metric_families(body) for s in f.samples
                   if s.name == "handbook_updates_total")

    async def stop(self) -> None:
        await super().stop()
        if self.quota is not None:
            self.quota.remove()


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


@dataclass
class Phase:
    mode: str  # "one" or "two"
    kind: str  # "fixed" or "saturation"
    result: object
    handled: list[float] = field(default_factory=list)  # per instance
    cpu: dict[str, float] = field(default_factory=dict)  # process → CPU seconds used
    machine_busy: float = 0.0  # share of all the machine's CPU time that was busy (any process)
    throttled: int = 0  # 429s the emulator answered (with --limits)
    held: list[float] = field(default_factory=list)  # per instance: seconds its CPU quota held it back


async def admin(server_url: str, sql: str) -> None:
    from models.db import make_engine

    engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def make_members(sessionmaker, n: int) -> dict[int, str]:
    """n linked members in one cell of one ward: user id → full name."""
    from models import clock
    from models.accounts import Account
    from models.members import Award, Member, WorkHistory
    from models.units import UnitKind, add_unit

    async with sessionmaker() as session:
        ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
        cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
        people = [Member(full_name=f"Nguyễn Văn Số {i:04d}", cell_id=cell.id, position="Đảng viên",
                         work_history=[WorkHistory(position_no=0, period_from="1990", period_to="2020",
                                                   description="Giáo viên Trường tiểu học Phú Hội")],
                         awards=[Award(position_no=0, title="Huy hiệu 30 năm tuổi Đảng")]) for i in range(n)]
        session.add_all(people)
        await session.flush()
        session.add_all(Account(telegram_user_id=FIRST_USER + i, member_id=m.id, language="vi", linked_at=clock.now())
                        for i, m in enumerate(people))
        await session.commit()
    return {FIRST_USER + i: m.full_name for i, m in enumerate(people)}


async def make_audience(sessionmaker, n: int) -> int:
    """A second ward and cell: its secretary (SECRETARY) and n linked members (FIRST_RECIPIENT on). The cell's id."""
    from models import clock
    from models.accounts import Account
    from models.members import Member
    from models.roles import RoleKind, grant
    from models.units import UnitKind, add_unit

    async with sessionmaker() as session:
        ward = await add_unit(session, "Đảng bộ phường Vĩnh Ninh", UnitKind.ward)
        cell = await add_unit(session, "Chi bộ Tổ dân phố 7", UnitKind.cell, ward)
        secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id)
        people = [Member(full_name=f"Đảng viên số {i}", cell_id=cell.id) for i in range(n)]
        session.add_all([secretary, *people])
        await session.flush()
        await grant(session, secretary.id, cell.id, RoleKind.secretary)
        session.add(Account(telegram_user_id=SECRETARY, member_id=secretary.id, language="vi", linked_at=clock.now()))
        session.add_all(Account(telegram_user_id=FIRST_RECIPIENT + i, member_id=m.id, language="vi",
                                linked_at=clock.now()) for i, m in enumerate(people))
        await session.commit()
        return cell.id


async def queue_notice(db_url: str, cell_id: int, title: str) -> None:
    """One notice to the cell, queued as the secretary sends it (models.notices: its deliveries in the outbox)."""
    from models import notices
    from models.db import make_engine, make_sessionmaker
    from models.notices import NoticeKind
    from models.permissions import load_actor

    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await notices.create_notice(
                session, await load_actor(session, SECRETARY), kind=NoticeKind.notice, title=title,
                body="Kính mời các đồng chí dự sinh hoạt chi bộ lúc 19 giờ 30, thứ Bảy, tại nhà văn hóa tổ dân phố.",
                audience_unit_ids=[cell_id])
            await session.commit()
    finally:
        await engine.dispose()


class Sends:
    """Every message the emulator accepted ((its monotonic time, chat)) and every 429 it answered (the chat)."""

    def __init__(self, emulator) -> None:
        self.accepted: list[tuple[float, object]] = []
        self.refused: list[object] = []
        record, check = emulator._record_send, emulator._check_flood

        def recorded(chat_id) -> None:
            self.accepted.append((time.monotonic(), chat_id))
            record(chat_id)

        def checked(chat_id) -> None:
            try:
                check(chat_id)
            except Exception:
                self.refused.append(chat_id)
                raise

        emulator._record_send = recorded  # instance attributes: call() looks them up on self
        emulator._check_flood = checked


class OpenLoop:
    """/profile from the users in turn, one every 1/rate s whatever the bot does, until stopped (or `seconds`)."""

    def __init__(self, probe, users: list[int]) -> None:
        self.probe = probe
        self.users = users
        self.turn = 0  # across runs: a user's next /profile is len(users) sends later

    async def run(self, rate: float, stop: asyncio.Event, seconds: float | None = None):
        result = base.Result("replies")
        futures: list[tuple[int, asyncio.Future]] = []
        start = time.perf_counter()
        while not stop.is_set() and (seconds is None or time.perf_counter() - start < seconds):
            delay = start + len(futures) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            user = self.users[self.turn % len(self.users)]
            self.turn += 1
            futures.append((user, self.probe.send(user)))
        result.offered_elapsed = time.perf_counter() - start
        result.sent = len(futures)
        await base.collect(self.probe, futures, result, start)
        return result


@dataclass
class During:
    """One broadcast with replies during it (--during-broadcast), and the replies alone just before."""

    mode: str  # "one" (the leader alone answers) or "two"
    quiet: object  # base.Result: the replies before the broadcast
    replies: object  # base.Result: the replies while it went out
    recipients: int = 0
    got: int = 0  # recipients who got it at least once
    twice: int = 0  # … more than once
    rate: float = 0.0  # the broadcast's messages a second, first to last (the emulator's clock)
    span: float = 0.0  # first to last, seconds
    all_rate: float = 0.0  # every message the emulator accepted in that span (replies too) a second
    first_after: float = 0.0  # seconds from queueing the notice to its first message
    refused_replies: int = 0  # 429s to the users' chats
    refused_deliveries: int = 0  # 429s to the recipients' chats
    quiet_refused: int = 0  # 429s during the quiet part
    handled: list[float] = field(default_factory=list)
    machine_busy: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


async def leader_of(instances: list[Instance], timeout: float = 30) -> Instance:
    """The instance that runs the dispatcher (bot/leader.py: one holds the lock; /healthz says which)."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        roles = [json.loads(await i.get("/healthz") or "{}").get("role") for i in instances]
        if roles.count("leader") == 1:
            return instances[roles.index("leader")]
        if time.monotonic() > deadline:
            raise SystemExit(f"no single leader among the instances: {roles}")
        await asyncio.sleep(0.5)


async def during_phase(mode: str, number: int, loop: OpenLoop, instances: list[Instance], leader: Instance,
                       emulator, sends: Sends, cell_id: int, db_url: str, args) -> During:
    emulator.set_webhook_targets([leader.hook] if mode == "one" else [i.hook for i in instances])
    await asyncio.sleep(0.3)
    refused0 = len(sends.refused)
    quiet = await loop.run(args.reply_rate, asyncio.Event(), args.quiet_seconds)
    quiet_refused = len(sends.refused) - refused0
    await asyncio.sleep(0.5)
    audience = set(range(FIRST_RECIPIENT, FIRST_RECIPIENT + args.during_broadcast))
    handled0 = [await i.handled() for i in instances]
    cpu0 = {f"bot {i.n}": i.cpu_s() for i in instances} | {"emulator+load": time.process_time()}
    machine0 = machine_cpu()
    accepted0, refused0 = len(sends.accepted), len(sends.refused)
    stop = asyncio.Event()
    replies = asyncio.create_task(loop.run(args.reply_rate, stop, args.seconds))
    queued_at = time.monotonic()
    await queue_notice(db_url, cell_id, f"Thông báo số {number}")
    # Until every recipient has it (or long past the time it should take): the replies keep coming meanwhile.
    deadline = queued_at + 3 * len(audience) / args.bot_rate + 30
    while time.monotonic() < deadline:
        if len({c for _, c in sends.accepted[accepted0:] if c in audience}) == len(audience):
            break
        await asyncio.sleep(0.2)
    stop.set()
    replies_result = await replies
    await asyncio.sleep(1.0)  # a second copy of the notice, if any, lands now
    cpu1 = {f"bot {i.n}": i.cpu_s() for i in instances} | {"emulator+load": time.process_time()}
    machine1 = machine_cpu()
    handled1 = [await i.handled() for i in instances]
    accepted = sends.accepted[accepted0:]
    delivered = [(t, c) for t, c in accepted if c in audience]
    per_chat: dict[object, int] = {}
    for _, c in delivered:
        per_chat[c] = per_chat.get(c, 0) + 1
    refused = sends.refused[refused0:]
    result = During(mode, quiet, replies_result, recipients=len(audience), got=len(per_chat),
                    twice=sum(1 for n in per_chat.values() if n > 1),
                    refused_deliveries=sum(1 for c in refused if c in audience),
                    refused_replies=sum(1 for c in refused if c not in audience), quiet_refused=quiet_refused,
                    handled=[b - a for a, b in zip(handled0, handled1, strict=True)],
                    machine_busy=(machine1[0] - machine0[0]) / max(1.0, machine1[1] - machine0[1]),
                    cpu={k: cpu1[k] - cpu0[k] for k in cpu0})
    if delivered:
        first, last = delivered[0][0], delivered[-1][0]
        result.span = last - first
        result.first_after = first - queued_at
        if result.span > 0:
            result.rate = (len(delivered) - 1) / result.span
            result.all_rate = (sum(1 for t, _ in accepted if first <= t <= last) - 1) / result.span
    return result


def report_during(args, phases: list[During], leader: Instance) -> None:
    print()
    print(f"replies during a broadcast, webhook mode, PostgreSQL — one notice to {args.during_broadcast} members "
          f"from the leader (bot {leader.n}) while {args.users} other members send /profile at "
          f"{args.reply_rate:g}/s" + (f" for {args.seconds:g} s" if args.seconds else " until it is out")
          + f"; {args.quiet_seconds:g} s of the replies alone before each; "
          f"send budget: {args.budget}, the bot's rate {args.bot_rate:g}/s"
          + (f", Telegram's limits ({args.bot_rate:g}/s, 1/s per chat)" if args.limits else ", no flood limits")
          + f"; {os.cpu_count()} CPUs, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print()
    print(f"  {'':<6}{'':<6}{'replies':>8}{'lost':>5}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}"
          f"{'429s':>6}   broadcast")
    for p in phases:
        for label, r, extra in (("quiet", p.quiet, f"{p.quiet_refused:>6}"),
                                ("during", p.replies, f"{p.refused_replies:>6}")):
            line = (f"  {p.mode if label == 'quiet' else '':<6}{label:<6}{r.done:>8}{r.lost:>5}{r.pct(50):>8.0f}"
                    f"{r.pct(90):>8.0f}{r.pct(99):>8.0f}{r.pct(100):>8.0f}{extra}")
            if label == "during":
                line += (f"   {p.got}/{p.recipients} got it, {p.twice} twice; {p.rate:.1f}/s over {p.span:.1f} s "
                         f"(all sends {p.all_rate:.1f}/s), first {p.first_after:.1f} s after queueing; "
                         f"429s on deliveries {p.refused_deliveries}; handled "
                         f"{' / '.join(f'{h:.0f}' for h in p.handled)}; machine busy {p.machine_busy:.0%}; CPU s "
                         + ", ".join(f"{k} {v:.1f}" for k, v in p.cpu.items()))
            print(line)
    print("  (429s: the emulator's on the replies' chats; on the deliveries' in the broadcast column)")


async def wait_ready(instances: list[Instance], emulator, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        up = [await i.get("/healthz") for i in instances]
        if all(up) and emulator.webhook.url:
            return
        dead = [i for i in instances if i.proc.returncode is not None]
        if dead or time.monotonic() > deadline:
            tails = "\n".join(i.tail() for i in instances)
            raise SystemExit(f"the bot processes did not come up:\n{tails}")
        await asyncio.sleep(0.2)


async def run_phase(mode: str, kind: str, probe, users, instances, emulator, args) -> Phase:
    emulator.set_webhook_targets([instances[0].hook] if mode == "one" else [i.hook for i in instances])
    await asyncio.sleep(0.3)
    handled0 = [await i.handled() for i in instances]
    cpu0 = {f"bot {i.n}": i.cpu_s() for i in instances} | {"emulator+load": time.process_time()}
    machine0 = machine_cpu()
    throttled0 = emulator.throttled
    held0 = [i.quota.throttled()[1] if i.quota else 0.0 for i in instances]
    if kind == "fixed":
        result = await base.fixed_load(probe, users, args.rate, args.seconds)
    else:
        result = await base.saturation(probe, users, args.outstanding, args.seconds)
    cpu1 = {f"bot {i.n}": i.cpu_s() for i in instances} | {"emulator+load": time.process_time()}
    machine1 = machine_cpu()
    handled1 = [await i.handled() for i in instances]
    held = [(i.quota.throttled()[1] if i.quota else 0.0) - h for i, h in zip(instances, held0, strict=True)]
    busy = (machine1[0] - machine0[0]) / max(1.0, machine1[1] - machine0[1])
    return Phase(mode, kind, result, [b - a for a, b in zip(handled0, handled1, strict=True)],
                 {k: cpu1[k] - cpu0[k] for k in cpu0}, busy, emulator.throttled - throttled0, held)


def report(args, phases: list[Phase]) -> None:
    print()
    print(f"/profile, webhook mode, PostgreSQL — {args.users} linked users, {args.seconds:g} s per phase, "
          f"{args.rounds} round(s), {os.cpu_count()} CPUs on this machine; send budget: {args.budget}"
          + f", the bot's rate {args.bot_rate:g}/s"
          + (f", Telegram's limits ({args.bot_rate:g}/s, 1/s per chat)" if args.limits else ", no flood limits")
          + (f"; each bot held to {args.cpu_per_instance:g} CPU (a cgroup quota)" if args.cpu_per_instance
             else "; the bots share the machine's CPUs with the rest"))
    for kind, title in (("fixed", f"fixed load, offered {args.rate:g} updates/s"),
                        ("saturation", f"saturation, {min(args.outstanding, args.users)} outstanding "
                                       "(throughput: replies landed within the window / window)")):
        print()
        print(title)
        print(f"  {'round':<7}{'instances':<11}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}{'429s':>6}"
              f"{'handled per instance':>22}{'bots CPU ms/update':>20}{'machine busy':>14}   CPU s per process")
        of_kind = [p for p in phases if p.kind == kind]
        for n, p in enumerate(of_kind):
            r = p.result
            handled = " / ".join(f"{h:.0f}" for h in p.handled)
            cpu = ", ".join(f"{k} {v:.1f}" for k, v in p.cpu.items())
            # What an update costs the bots, whatever else loads the machine: with the same cost, two instances
            # on cores of their own would do twice the work.
            per_update = 1000 * sum(v for k, v in p.cpu.items() if k.startswith("bot")) / max(1.0, sum(p.handled))
            print(f"  {n // 2 + 1:<7}{p.mode:<11}{r.throughput:>10.1f}{r.pct(50):>9.1f}{r.pct(99):>9.1f}"
                  f"{r.lost:>6}{p.throttled:>6}{handled:>22}{per_update:>20.1f}{p.machine_busy:>13.0%}   {cpu}"
                  + (f"; quota held back bot s {' / '.join(f'{h:.1f}' for h in p.held)}" if args.cpu_per_instance
                     else ""))
        best = {m: max((p.result.throughput for p in phases if p.kind == kind and p.mode == m), default=0.0)
                for m in ("one", "two")}
        if best["one"]:
            print(f"  best two / best one = {best['two'] / best['one']:.2f}")
        # Each two-instance phase against the one-instance phase just before it (the machine as alike as it gets).
        pairs = [(a.result.throughput, b.result.throughput) for a, b in zip(of_kind[::2], of_kind[1::2], strict=False)
                 if a.mode == "one" and b.mode == "two" and a.result.throughput]
        if pairs:
            ratios = [t / o for o, t in pairs]
            print(f"  two / one, round by round: {', '.join(f'{r:.2f}' for r in ratios)}; "
                  f"mean {sum(ratios) / len(ratios):.2f}")
            p99 = {m: [p.result.pct(99) for p in of_kind if p.mode == m] for m in ("one", "two")}
            print(f"  p99 ms: one instance {' / '.join(f'{v:.0f}' for v in p99['one'])}, "
                  f"two instances {' / '.join(f'{v:.0f}' for v in p99['two'])}")
        throttled = {m: sum(p.throttled for p in phases if p.kind == kind and p.mode == m) for m in ("one", "two")}
        print(f"  429s: one instance {throttled['one']}, two instances {throttled['two']}"
              + ("" if args.limits else " (no flood limits: run with --limits)"))


async def main(args) -> None:
    from models import migrate
    from models.db import make_engine, make_sessionmaker
    from sandbox import Emulator, start_server

    name = f"handbook_bench_{os.getpid()}"
    server_url = args.database_url
    db_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await admin(server_url, f'CREATE DATABASE "{name}"')
    instances: list[Instance] = []
    runner = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-instances-") as tmp:
            os.environ["HANDBOOK_CONFIG"] = str(Path(tmp) / "absent.toml")
            await migrate.upgrade(db_url)
            engine = make_engine(db_url)
            names = await make_members(make_sessionmaker(engine), args.users)
            cell_id = await make_audience(make_sessionmaker(engine), args.during_broadcast) \
                if args.during_broadcast else 0
            await engine.dispose()
            emulator = Emulator()
            runner, api = await start_server(emulator)
            for user, full_name in names.items():
                emulator.add_user(full_name.rsplit(" ", 1)[-1], id=user, language_code="vi")
            if args.during_broadcast:
                emulator.add_user("Nhung", id=SECRETARY, language_code="vi")
                for i in range(args.during_broadcast):
                    emulator.add_user(f"Số {i}", id=FIRST_RECIPIENT + i, language_code="vi")
                sends = Sends(emulator)
            instances = [Instance(n, api, emulator.token, db_url, Path(tmp), args.budget, args.bot_rate,
                                  args.cpu_per_instance) for n in (1, 2)]
            emulator.set_webhook_targets([i.hook for i in instances])
            for i in instances:
                await i.start()
            await wait_ready(instances, emulator)
            probe = base.Probe(emulator)
            users = list(names)

            def check(user: int, message: dict) -> str | None:
                body = message.get("text") or ""
                return None if names[user] in body else f"not a profile: {body[:80]!r}"

            await base.warm_up(probe, users, check, args.outstanding)  # both instances, every user once
            if args.limits:  # Telegram's, from here on: 30 messages/s for the bot (--bot-rate), 1/s per chat
                emulator.configure(global_limit_per_s=args.bot_rate, per_chat_limit_per_s=1)
            if args.during_broadcast:
                leader = await leader_of(instances)
                loop = OpenLoop(probe, users)
                during = []
                for _ in range(args.rounds):
                    for mode in ("one", "two"):
                        during.append(await during_phase(mode, len(during) + 1, loop, instances, leader, emulator,
                                                         sends, cell_id, db_url, args))
                if emulator.violations:
                    print(f"note: {len(emulator.violations)} Bot API violations, first: {emulator.violations[0]}",
                          file=sys.stderr)
                for i in instances:
                    await i.stop()
                report_during(args, during, leader)
                return
            phases = []
            for kind in ("fixed", "saturation"):
                for _ in range(args.rounds):
                    for mode in ("one", "two"):
                        phases.append(await run_phase(mode, kind, probe, users, instances, emulator, args))
                        await asyncio.sleep(0.5)
            if emulator.violations:
                print(f"note: {len(emulator.violations)} Bot API violations, first: {emulator.violations[0]}",
                      file=sys.stderr)
            peaks = [i.peak_rss_mb() for i in instances]
            for i in instances:
                await i.stop()
            report(args, phases)
            print(f"\npeak RSS of each bot process (VmHWM): {' / '.join(f'{p:.0f} MB' for p in peaks)}")
    finally:
        for i in instances:
            await i.stop()
        if runner is not None:
            await runner.cleanup()
        await admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("HANDBOOK_TEST_DATABASE_URL")
                   or "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
                   help="a PostgreSQL server (its database is only used to create and drop the bench's own)")
    p.add_argument("--users", type=int, default=200, help="linked members sending /profile (default 200)")
    p.add_argument("--rate", type=float, default=50.0, help="offered load of the fixed phases (default 50/s)")
    p.add_argument("--seconds", type=float, default=None,
                   help="length of each phase (default 15; --during-broadcast: of the replies, default the broadcast's)")
    p.add_argument("--outstanding", type=int, default=64, help="updates in flight at saturation (default 64)")
    p.add_argument("--rounds", type=int, default=None, help="one/two alternations per kind of phase (default 2)")
    p.add_argument("--limits", action="store_true",
                   help="the emulator answers 429 beyond Telegram's flood limits (30/s, 1/s per chat); counted")
    p.add_argument("--budget", choices=("postgresql", "redis", "none"), default="postgresql",
                   help="the send budget the instances share: through PostgreSQL (the default, as deployed without "
                        "Redis), Redis (HANDBOOK_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14) or none "
                        "(no rate at all: replies unpaced, as before the shared budget)")
    p.add_argument("--bot-rate", type=float, default=30.0,
                   help="messages a second for the whole bot (HANDBOOK_DELIVERY_RATE_PER_S, the shared budget's rate) "
                        "and, with --limits, the emulator's limit (default 30, Telegram's); every /profile is one "
                        "message, so measure what a second instance adds with a rate above what they answer")
    p.add_argument("--cpu-per-instance", type=float, default=None, metavar="F",
                   help="hold each bot process to F CPUs with a cgroup quota (root; e.g. 0.5): two instances then have "
                        "twice one's CPU whatever else the machine runs; the rest keeps the remaining cores")
    p.add_argument("--during-broadcast", type=int, default=0, metavar="N",
                   help="instead of the phases above: one notice to N other members of one cell, sent by the leader's "
                        "dispatcher, while the users send /profile at --reply-rate; with one instance answering, then "
                        "two (--rounds times, default 1 here): the replies' latency, the broadcast's rate, who got it, "
                        "the 429s on replies and on deliveries (e.g. 900: 30 s at 30/s)")
    p.add_argument("--reply-rate", type=float, default=2.0,
                   help="--during-broadcast: /profile a second from the users, an open loop (default 2)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 5 s phases, one round (--during-broadcast: at most 150 members, 2 s alone)")
    args = p.parse_args(argv)
    seconds_given = args.seconds
    if args.seconds is None:
        args.seconds = 15.0
    if args.during_broadcast:  # the replies last as long as the broadcast unless --seconds says otherwise
        args.seconds = seconds_given
        args.quiet_seconds = QUIET_S
        if args.rounds is None:
            args.rounds = 1
    args.rounds = 2 if args.rounds is None else args.rounds
    if args.quick:
        args.seconds, args.rounds = (5.0 if not args.during_broadcast else args.seconds), 1
        if args.during_broadcast:
            args.during_broadcast, args.quiet_seconds = min(args.during_broadcast, 150), 2.0
    if args.during_broadcast < 0 or args.reply_rate <= 0:
        p.error("--during-broadcast and --reply-rate must be positive")
    if args.cpu_per_instance is not None and not 0 < args.cpu_per_instance <= (os.cpu_count() or 1):
        p.error("--cpu-per-instance must be above 0 and at most the machine's CPUs")
    if (args.users < 1 or args.rate <= 0 or (args.seconds is not None and args.seconds <= 0) or args.outstanding < 1
            or args.rounds < 1):
        p.error("--users, --rate, --seconds, --outstanding and --rounds must be positive")
    return args


def run() -> None:
    args = parse_args()
    log_warnings()
    if args.during_broadcast:
        broadcast = 3 * (args.during_broadcast + 1) / args.bot_rate + 30 + (args.seconds or 0)
        budget = 2 * args.rounds * (args.quiet_seconds + broadcast + 2 * base.REPLY_TIMEOUT) + 300
    else:
        budget = 4 * args.rounds * (args.seconds + base.REPLY_TIMEOUT) + 300
    run_within(main(args), budget, "bench/instances.py")


if __name__ == "__main__":
    run()
