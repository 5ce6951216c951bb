"""The delivery outbox without Telegram: queueing, atomic claims, leases, outcomes, unreachable members."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import clock, deliveries
from models.accounts import Account
from models.deliveries import Delivery, DeliveryState, Outcome
from models.members import Member
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit

LEASE = timedelta(seconds=30)
BACKOFF = timedelta(seconds=5)


@dataclass
class Tree:
    ward: Unit
    cell: Unit
    bare_cell: Unit  # a cell without its own secretary
    secretary: Member
    officer: Member
    members: list[Member]
    orphans: list[Member]  # members of the bare cell


@pytest.fixture
async def tree(session) -> Tree:
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    bare = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id)
    officer = Member(full_name="Huỳnh Thị Mai", cell_id=bare.id)
    members = [Member(full_name=f"Đảng viên {i}", cell_id=cell.id) for i in range(6)]
    orphans = [Member(full_name=f"Đảng viên chi bộ 2 số {i}", cell_id=bare.id) for i in range(2)]
    session.add_all([secretary, officer, *members, *orphans])
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    await grant(session, officer.id, ward.id, RoleKind.committee)
    for m in [secretary, officer, *members, *orphans]:
        session.add(Account(telegram_user_id=500000 + m.id, member_id=m.id, language="vi"))
    await session.commit()
    return Tree(ward, cell, bare, secretary, officer, members, orphans)


def chat(member: Member) -> int:
    return 500000 + member.id


async def test_queue_is_idempotent_and_skips_members_without_telegram(session, tree):
    unlinked = Member(full_name="Chưa kết nối", cell_id=tree.cell.id)
    session.add(unlinked)
    await session.flush()
    ids = [m.id for m in tree.members] + [unlinked.id]
    assert await deliveries.queue_to_members(session, "notice", 1, ids) == len(tree.members)
    assert await deliveries.queue_to_members(session, "notice", 1, ids) == 0
    assert await deliveries.queue_to_members(session, "notice", 2, ids[:2]) == 2
    await session.commit()
    total = await session.scalar(select(func.count()).select_from(Delivery))
    assert total == len(tree.members) + 2
    counts = await deliveries.counts(session, "notice", 1)
    assert counts[DeliveryState.queued] == len(tree.members) and counts[DeliveryState.sent] == 0


async def test_claims_take_due_rows_once_and_count_attempts(session, tree):
    await deliveries.queue_to_members(session, "notice", 1, [m.id for m in tree.members])
    later = clock.now() + timedelta(hours=1)
    await deliveries.queue(session, "notice", 2, [(tree.secretary.id, chat(tree.secretary))], not_before=later)
    await session.commit()
    first = await deliveries.claim(session, "a", 4, lease=LEASE)
    await session.commit()
    second = await deliveries.claim(session, "b", 10, lease=LEASE)
    await session.commit()
    assert len(first) == 4 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}
    assert all(c.attempts == 1 and c.kind == "notice" and c.ref_id == 1 for c in first + second)
    assert await deliveries.claim(session, "c", 10, lease=LEASE) == []  # the scheduled one is not due
    clock.advance(timedelta(hours=1, seconds=1))
    [scheduled] = await deliveries.claim(session, "c", 10, lease=LEASE)
    assert scheduled.ref_id == 2


async def test_concurrent_claimers_never_share_a_row(sessionmaker, tree):
    async with sessionmaker() as s:
        await deliveries.queue(s, "notice", 7, [(None, 900000 + i) for i in range(300)])
        await s.commit()

    async def claimer(name: str) -> list[int]:
        got = []
        while True:
            async with sessionmaker() as s:
                rows = await deliveries.claim(s, name, 7, lease=LEASE)
                await s.commit()
            if not rows:
                return got
            got += [r.id for r in rows]
            await asyncio.sleep(0)

    results = await asyncio.gather(*(claimer(f"w{i}") for i in range(5)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == 300 and len(set(claimed)) == 300


async def test_a_dead_claimers_rows_come_back_after_the_lease_and_a_live_one_keeps_them(session, tree):
    await deliveries.queue_to_members(session, "notice", 1, [m.id for m in tree.members[:2]])
    await session.commit()
    dead = await deliveries.claim(session, "dead", 1, lease=LEASE)
    live = await deliveries.claim(session, "live", 1, lease=LEASE)
    await session.commit()
    clock.advance(timedelta(seconds=20))
    assert await deliveries.renew(session, "live", lease=LEASE) == 1
    clock.advance(timedelta(seconds=15))
    assert await deliveries.release_expired(session) == 1
    await session.commit()
    [again] = await deliveries.claim(session, "new", 10, lease=LEASE)
    assert again.id == dead[0].id and again.attempts == 2
    # The dead claimer wakes up late: its result no longer applies to a row it lost.
    await deliveries.record(session, "dead", [Outcome(dead[0].id, DeliveryState.sent, message_id=5)])
    await deliveries.record(session, "live", [Outcome(live[0].id, DeliveryState.sent, message_id=6,
                                                      chat_id=live[0].chat_id)])
    await session.commit()
    rows = {d.id: d for d in (await session.scalars(select(Delivery))).all()}
    assert rows[dead[0].id].state is DeliveryState.sending and rows[dead[0].id].claimed_by == "new"
    assert rows[live[0].id].state is DeliveryState.sent and rows[live[0].id].telegram_message_id == 6
    assert rows[live[0].id].claimed_by is None and rows[live[0].id].sent_at is not None


async def test_a_clean_shutdown_gives_back_untried_rows_without_counting_an_attempt(session, tree):
    await deliveries.queue_to_members(session, "notice", 1, [tree.members[0].id])
    await session.commit()
    [row] = await deliveries.claim(session, "me", 5, lease=LEASE)
    assert await deliveries.release(session, "other", [row.id]) == 0
    assert await deliveries.release(session, "me", [row.id]) == 1
    await session.commit()
    [again] = await deliveries.claim(session, "me", 5, lease=LEASE)
    assert again.attempts == 1


async def test_transient_failures_back_off_then_fail_visibly(session, tree):
    await deliveries.queue_to_members(session, "notice", 1, [tree.members[0].id])
    await session.commit()
    delays = []
    for attempt in range(1, 4):
        [row] = await deliveries.claim(session, "me", 5, lease=LEASE)
        assert row.attempts == attempt
        outcome = deliveries.after_failure(row, "500 Internal Server Error", max_attempts=3, backoff=BACKOFF)
        await deliveries.record(session, "me", [outcome])
        await session.commit()
        if attempt < 3:
            assert outcome.state is DeliveryState.queued
            delays.append(outcome.next_attempt_at - clock.now())
            assert await deliveries.claim(session, "me", 5, lease=LEASE) == []  # not due yet
            clock.advance(outcome.next_attempt_at - clock.now() + timedelta(milliseconds=1))
    assert outcome.state is DeliveryState.failed
    assert timedelta(seconds=4) < delays[0] < timedelta(seconds=6) < delays[1] < timedelta(seconds=12)
    row = await session.scalar(select(Delivery))
    assert row.state is DeliveryState.failed and row.attempts == 3 and row.last_error.startswith("500")
    assert (await deliveries.counts(session, "notice", 1))[DeliveryState.failed] == 1


async def test_backoff_is_capped():
    assert deliveries.retry_delay(40, BACKOFF, jitter=0) == deliveries.BACKOFF_CAP


async def test_blocked_member_is_marked_and_reported_once_to_their_secretary(session, tree):
    blocked = tree.members[0]
    await deliveries.queue_to_members(session, "notice", 1, [blocked.id])
    await deliveries.queue_to_members(session, "notice", 2, [blocked.id])
    await session.commit()
    rows = await deliveries.claim(session, "me", 5, lease=LEASE)
    outcomes = [Outcome(r.id, DeliveryState.unreachable, error="403 Forbidden: bot was blocked by the user",
                        chat_id=r.chat_id) for r in rows]
    await deliveries.record(session, "me", outcomes)
    await session.commit()
    account = await session.get(Account, chat(blocked))
    await session.refresh(account)
    assert account.unreachable_at is not None
    reports = (await session.scalars(select(Delivery).where(Delivery.kind == deliveries.UNREACHABLE_REPORT))).all()
    assert [(r.member_id, r.chat_id, r.ref_id) for r in reports] == [(tree.secretary.id, chat(tree.secretary), rows[0].id)]
    assert all(r.state is DeliveryState.unreachable for r in (await session.scalars(
        select(Delivery).where(Delivery.kind == "notice"))).all())


async def test_a_member_reached_again_loses_the_unreachable_mark(session, tree):
    member = tree.members[1]
    account = await session.get(Account, chat(member))
    account.unreachable_at = clock.now()
    await deliveries.queue_to_members(session, "notice", 1, [member.id])
    await session.commit()
    [row] = await deliveries.claim(session, "me", 5, lease=LEASE)
    await deliveries.record(session, "me", [Outcome(row.id, DeliveryState.sent, message_id=1, chat_id=row.chat_id)])
    await session.commit()
    await session.refresh(account)
    assert account.unreachable_at is None


async def test_report_goes_up_the_tree_when_the_cell_has_no_officer_on_telegram(session, tree):
    assert await deliveries.officers_to_tell(session, tree.orphans[0].id) == [(tree.officer.id, chat(tree.officer))]
    # The secretary is never told about themselves: the committee above is.
    assert await deliveries.officers_to_tell(session, tree.secretary.id) == [(tree.officer.id, chat(tree.officer))]
    assert await deliveries.officers_to_tell(session, tree.members[2].id) == [(tree.secretary.id, chat(tree.secretary))]
