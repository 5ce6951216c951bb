"""Audio bulletins without Telegram: who may send, the audience, scheduling, listing, the audio-file table."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import bulletins, clock
from models.accounts import Account
from models.bulletins import AudioFile, Bulletin, BulletinError
from models.deliveries import Delivery, DeliveryState
from models.members import Member
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
SECRETARY, OFFICER, MEMBER, OTHER_CELL, ADMIN = 11, 12, 13, 14, 99
TEXT = "Tháng 12, chi bộ sinh hoạt ngày 05/12/2026 lúc 19:30 tại nhà văn hóa."


@dataclass
class Ward:
    ward: Unit
    cell1: Unit
    cell2: Unit
    elsewhere: Unit
    m: dict[str, Member]


@pytest.fixture
async def ward(session) -> Ward:
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    cell1 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    cell2 = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    other = await add_unit(session, "Đảng bộ phường Vĩnh Ninh", UnitKind.ward, city)
    elsewhere = await add_unit(session, "Chi bộ Tổ dân phố 3", UnitKind.cell, other)
    m = {
        "secretary": Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id),
        "bay": Member(full_name="Lê Văn Bảy", cell_id=cell1.id),
        "unlinked": Member(full_name="Tôn Nữ Thị Lài", cell_id=cell1.id),
        "lam": Member(full_name="Trần Văn Lâm", cell_id=cell2.id),
        "officer": Member(full_name="Huỳnh Thị Mai", cell_id=cell2.id),
        "tung": Member(full_name="Võ Văn Tùng", cell_id=elsewhere.id),
    }
    session.add_all(m.values())
    await session.flush()
    await grant(session, m["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, m["officer"].id, ward.id, RoleKind.committee)
    for tid, key in ((SECRETARY, "secretary"), (OFFICER, "officer"), (MEMBER, "bay"), (OTHER_CELL, "tung"),
                     (15, "lam")):
        session.add(Account(telegram_user_id=tid, member_id=m[key].id, language="vi"))
    await session.commit()
    return Ward(ward, cell1, cell2, elsewhere, m)


async def actor(session, telegram_id: int):
    return await load_actor(session, telegram_id, frozenset({ADMIN}))


async def make(session, telegram_id: int, unit: Unit, **kw) -> Bulletin:
    kw.setdefault("title", "Bản tin tháng 12")
    kw.setdefault("text", TEXT)
    kw.setdefault("lang", "vi")
    bulletin = await bulletins.create_bulletin(session, await actor(session, telegram_id), unit_id=unit.id, **kw)
    await session.commit()
    return bulletin


async def queued_to(session, bulletin_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(Delivery.member_id, Delivery.chat_id)
        .where(Delivery.kind == bulletins.BULLETIN_DELIVERY, Delivery.ref_id == bulletin_id)
    )
    return dict(rows.all())


async def test_a_secretary_sends_to_her_cell_and_a_committee_to_its_subtree(session, ward):
    for telegram_id, unit in ((SECRETARY, ward.cell2), (SECRETARY, ward.ward), (MEMBER, ward.cell1),
                              (OFFICER, ward.elsewhere)):
        with pytest.raises(BulletinError) as err:
            await make(session, telegram_id, unit)
        assert err.value.reason == "not_allowed"
    cell = await make(session, SECRETARY, ward.cell1)
    assert cell.dispatched_at is not None and cell.recipients == 2  # Bảy and the unlinked member; not the sender
    assert await queued_to(session, cell.id) == {ward.m["bay"].id: MEMBER}
    whole = await make(session, OFFICER, ward.ward)
    assert whole.recipients == 4  # secretary, Bảy, the unlinked member, Lâm
    assert await queued_to(session, whole.id) == {ward.m["secretary"].id: SECRETARY, ward.m["bay"].id: MEMBER,
                                                   ward.m["lam"].id: 15}
    anywhere = await make(session, ADMIN, ward.elsewhere)
    assert await queued_to(session, anywhere.id) == {ward.m["tung"].id: OTHER_CELL}


async def test_bad_bulletins_are_refused(session, ward):
    for kw, reason in (({"title": "  "}, "title_empty"), ({"title": "x" * 201}, "title_long"),
                       ({"text": " \n "}, "text_empty"), ({"text": "x" * (bulletins.TEXT_MAX + 1)}, "text_long"),
                       ({"send_at": clock.now() - timedelta(minutes=5)}, "when_past"),
                       ({"send_at": clock.now() + timedelta(days=400)}, "when_too_far")):
        with pytest.raises(BulletinError) as err:
            await make(session, SECRETARY, ward.cell1, **kw)
        assert err.value.reason == reason
    assert await session.scalar(select(func.count()).select_from(Bulletin)) == 0


async def test_a_scheduled_bulletin_goes_out_once_when_the_clock_reaches_it(session, ward, sessionmaker):
    at = clock.now() + timedelta(hours=2)
    bulletin = await make(session, SECRETARY, ward.cell1, send_at=at)
    assert bulletin.dispatched_at is None and await queued_to(session, bulletin.id) == {}
    assert await bulletins.release_due(session) == []
    late = Member(full_name="Phan Minh Khôi", cell_id=ward.cell1.id)  # joins before it goes out
    session.add(late)
    await session.flush()
    session.add(Account(telegram_user_id=16, member_id=late.id, language="vi"))
    await session.commit()
    clock.advance(timedelta(hours=2))

    async def tick() -> list:
        async with sessionmaker() as s:
            done = await bulletins.release_due(s)
            await s.commit()
            return done

    # Two schedulers tick at once: the bulletin goes out once.
    first, second = await asyncio.gather(tick(), tick())
    done = first + second
    assert [(d.id, d.recipients, d.queued) for d in done] == [(bulletin.id, 3, 2)]
    assert await queued_to(session, bulletin.id) == {ward.m["bay"].id: MEMBER, late.id: 16}
    await session.commit()  # on SQLite this session's transaction holds the write lock
    assert await tick() == []
    await session.refresh(bulletin)
    assert bulletin.dispatched_at is not None and bulletin.recipients == 3


async def test_a_cancelled_bulletin_never_goes_out(session, ward):
    bulletin = await make(session, SECRETARY, ward.cell1, send_at=clock.now() + timedelta(days=3))
    assert not await bulletins.cancel(session, await actor(session, MEMBER), bulletin.id)
    assert not await bulletins.cancel(session, await actor(session, OTHER_CELL), bulletin.id)
    assert await bulletins.cancel(session, await actor(session, OFFICER), bulletin.id)  # the ward covers the cell
    await session.commit()
    assert not await bulletins.cancel(session, await actor(session, SECRETARY), bulletin.id)  # once
    clock.advance(timedelta(days=4))
    assert await bulletins.release_due(session) == []
    assert await bulletins.dispatch(session, bulletin.id) is None
    sent = await make(session, SECRETARY, ward.cell1)
    assert not await bulletins.cancel(session, await actor(session, SECRETARY), sent.id)  # already out


def test_the_monthly_slot_is_the_first_at_eight_local_time():
    def utc(*args) -> datetime:
        return datetime(*args, tzinfo=HUE).astimezone(UTC)

    assert bulletins.monthly_slot(HUE, utc(2026, 11, 28, 19, 45)) == utc(2026, 12, 1, 8)
    assert bulletins.monthly_slot(HUE, utc(2026, 12, 1, 7, 30)) == utc(2026, 12, 1, 8)
    assert bulletins.monthly_slot(HUE, utc(2026, 12, 1, 7, 59, 30)) == utc(2027, 1, 1, 8)  # less than a minute left
    assert bulletins.monthly_slot(HUE, utc(2026, 12, 1, 8, 0)) == utc(2027, 1, 1, 8)
    assert bulletins.monthly_slot(HUE, utc(2026, 11, 28, 19, 45), 2) == utc(2027, 2, 1, 8)
    # 08:00 in Huế is 01:00 UTC
    assert bulletins.monthly_slot(HUE, utc(2026, 11, 28, 19, 45)).hour == 1


def test_a_bulletin_time_at_the_calendars_start_is_refused_not_a_crash():
    """Regression: "01/01/0001 00:00" in Huế (UTC+7) has no UTC moment: OverflowError from astimezone."""
    with pytest.raises(BulletinError) as err:
        bulletins.parse_when("01/01/0001 00:00", ZoneInfo("Asia/Ho_Chi_Minh"), datetime(2026, 12, 1, tzinfo=UTC))
    assert err.value.reason == "when_past"


async def test_bulletins_queue_ahead_one_a_month(session, ward):
    clock.freeze(datetime(2026, 11, 28, 12, 45, tzinfo=UTC))
    first = await bulletins.next_monthly_slot(session, ward.cell1.id, HUE)
    assert first == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    await make(session, SECRETARY, ward.cell1, send_at=first)
    second = await bulletins.next_monthly_slot(session, ward.cell1.id, HUE)
    assert second == datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    await make(session, SECRETARY, ward.cell1, title="Bản tin tháng 1", send_at=second)
    assert await bulletins.next_monthly_slot(session, ward.cell2.id, HUE) == first  # each unit its own slots
    waiting = await bulletins.scheduled(session, [ward.ward.path])
    assert [b.send_at for b in waiting] == [first, second]
    assert await bulletins.scheduled(session, [ward.elsewhere.path]) == []
    clock.freeze(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    assert [d.recipients for d in await bulletins.release_due(session)] == [2]
    await session.commit()
    assert [b.send_at for b in await bulletins.scheduled(session, None)] == [second]


async def test_members_list_the_bulletins_of_their_units_and_may_hear_them(session, ward):
    cell = await make(session, SECRETARY, ward.cell1, title="Chi bộ 1")
    whole = await make(session, OFFICER, ward.ward, title="Cả phường")
    other = await make(session, OFFICER, ward.cell2, title="Chi bộ 2")
    waiting = await make(session, SECRETARY, ward.cell1, title="Tháng sau", send_at=clock.now() + timedelta(days=2))
    page = await bulletins.heard_by(session, ward.m["bay"].id)
    assert page.total == 2 and {b.title for b in page.items} == {"Chi bộ 1", "Cả phường"}
    assert {b.title for b in (await bulletins.heard_by(session, ward.m["lam"].id)).items} == {"Chi bộ 2", "Cả phường"}
    assert (await bulletins.heard_by(session, ward.m["tung"].id)).total == 0
    assert (await bulletins.heard_by(session, ward.m["bay"].id, offset=1, limit=1)).total == 2

    bay, tung, officer = [await actor(session, t) for t in (MEMBER, OTHER_CELL, OFFICER)]
    for b, who, allowed in ((cell, bay, True), (whole, bay, True), (other, bay, False), (whole, tung, False),
                            (waiting, bay, False), (waiting, officer, True), (other, officer, True)):
        loaded = await bulletins.get_bulletin(session, b.id)
        assert await bulletins.may_hear(session, who, loaded) is allowed, (b.title, who.telegram_user_id)


async def test_the_audio_file_table_keeps_the_first_file_id(session, sessionmaker):
    key = "a" * 64
    assert await bulletins.audio_files(session, [key]) == {}
    await bulletins.remember_audio(session, key, "AwACAgIAAxkBAAI00001", duration=12.5, engine="espeak",
                                   mime="audio/ogg", size=40_000, file_unique_id="AgADxyz")
    await session.commit()
    # A second upload of the same audio (two workers racing) keeps the first file_id.
    async with sessionmaker() as other:
        await bulletins.remember_audio(other, key, "AwACAgIAAxkBAAI00002", duration=12.5, engine="espeak",
                                       mime="audio/ogg")
        await other.commit()
    found = await bulletins.audio_files(session, [key, "b" * 64])
    assert list(found) == [key]
    row = found[key]
    assert (row.file_id, row.duration, row.engine, row.mime, row.size) == (
        "AwACAgIAAxkBAAI00001", 12.5, "espeak", "audio/ogg", 40_000)
    await bulletins.forget_audio(session, key)
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(AudioFile)) == 0


async def test_dispatch_states_are_plain_deliveries(session, ward):
    bulletin = await make(session, SECRETARY, ward.cell1)
    states = (await session.scalars(select(Delivery.state).where(Delivery.ref_id == bulletin.id))).all()
    assert states == [DeliveryState.queued]
