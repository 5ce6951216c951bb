"""The officer's weekly to-do without Telegram: its lines, scoped by the officer's units, and the Monday tick
(once a week per officer, at their hour, nothing when nothing waits) — on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import clock, corrections, meetings, notices, todo, votes
from models.accounts import Account
from models.deliveries import Delivery
from models.meetings import Meeting, MeetingKind, MeetingState
from models.members import Member
from models.notices import NoticeKind
from models.permissions import Actor, load_actor
from models.roles import RoleKind, grant
from models.todo import TODO_DELIVERY, TodoRun
from models.units import Unit, UnitKind, add_unit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_7 = datetime(2026, 11, 30, 7, 0, tzinfo=HUE).astimezone(UTC)  # a Monday, 07:00 in Huế (Q4's 2nd month)


@dataclass
class Ward:
    ward: Unit
    cell: Unit
    other: Unit
    secretary: Member
    officer: Member  # committee of the ward
    members: list[Member]  # of cell, linked
    stranger: Member  # of the other cell, linked


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(MONDAY_7)
    yield
    clock.reset()


@pytest.fixture
async def w(session) -> Ward:
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    other = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id, official_on=date(1990, 1, 1))
    officer = Member(full_name="Huỳnh Thị Mai", cell_id=other.id)
    members = [Member(full_name=f"Đảng viên {i}", cell_id=cell.id, official_on=date(2000, 1, 1)) for i in range(3)]
    stranger = Member(full_name="Ngô Văn Tài", cell_id=other.id)
    session.add_all([secretary, officer, *members, stranger])
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    await grant(session, officer.id, ward.id, RoleKind.committee)
    for m in [secretary, officer, *members, stranger]:
        session.add(Account(telegram_user_id=700000 + m.id, member_id=m.id, language="vi"))
    # Both cells held their thematic meeting this quarter: nothing waits to begin with.
    for c in (cell, other):
        session.add(Meeting(cell_id=c.id, kind=MeetingKind.thematic, title="Chuyên đề quý IV", place="Nhà văn hóa",
                            starts_at=MONDAY_7 - timedelta(days=20), state=MeetingState.closed))
    await session.commit()
    return Ward(ward, cell, other, secretary, officer, members, stranger)


async def actor(session, member: Member) -> Actor:
    return await load_actor(session, 700000 + member.id)


async def todo_deliveries(session) -> list[tuple[int, int]]:
    rows = await session.execute(select(Delivery.member_id, Delivery.ref_id).where(Delivery.kind == TODO_DELIVERY)
                                 .order_by(Delivery.id))
    return [tuple(r) for r in rows.all()]


async def test_nothing_waiting_is_an_empty_todo_and_a_member_has_none(session, w):
    assert (await todo.todo_for(session, await actor(session, w.secretary))).empty
    assert (await todo.todo_for(session, await actor(session, w.members[0]))).empty


async def test_the_next_meeting_with_who_has_not_answered_in_the_cell_and_the_ward(session, w):
    sec = await actor(session, w.secretary)
    meeting = await meetings.schedule_meeting(
        session, sec, cell_id=w.cell.id, kind=MeetingKind.regular, title="Sinh hoạt thường kỳ tháng 12",
        starts_at=MONDAY_7 + timedelta(days=3), place="Nhà văn hóa tổ 3")
    await meetings.schedule_meeting(  # a later one of the same cell is not "the next"
        session, sec, cell_id=w.cell.id, kind=MeetingKind.regular, title="Họp sau", starts_at=MONDAY_7 + timedelta(days=6),
        place="Nhà văn hóa tổ 3")
    await meetings.answer(session, await actor(session, w.members[0]), meeting.id, meetings.Answer.attend)
    await session.commit()
    found = await todo.todo_for(session, sec)
    [line] = found.meetings
    assert (line.meeting_id, line.title, line.cell) == (meeting.id, "Sinh hoạt thường kỳ tháng 12", "Chi bộ Tổ dân phố 1")
    assert (line.answered, line.members, line.documents) == (2, 4, 0)  # the secretary who scheduled it comes
    assert line.silent.shown == ("Đảng viên 1", "Đảng viên 2") and line.silent.total == 2
    assert not found.empty
    # The ward's officer sees the cell's meeting too; the other cell's secretary would not.
    assert [m.meeting_id for m in (await todo.todo_for(session, await actor(session, w.officer))).meetings] == [meeting.id]
    assert (await todo.todo_for(session, await actor(session, w.stranger))).empty


async def test_a_notice_unread_by_name_until_everyone_read_it(session, w):
    sec = await actor(session, w.secretary)
    notice = await notices.create_notice(session, sec, kind=NoticeKind.notice, title="Đóng đảng phí quý IV",
                                         body="Các đồng chí đóng đảng phí trước ngày 15.", audience_unit_ids=[w.cell.id])
    await session.commit()
    [line] = (await todo.todo_for(session, sec)).notices
    assert line.notice_id == notice.id and line.unread.total == 3  # the sender is not a recipient
    assert "Đảng viên 1" in line.unread.shown
    for m in w.members:
        await notices.mark_read(session, notice.id, m.id)
    await session.commit()
    assert (await todo.todo_for(session, sec)).notices == ()


async def test_votes_closing_this_week_corrections_and_blocked_members(session, w):
    sec = await actor(session, w.secretary)
    soon = await votes.open_vote(session, sec, cell_id=w.cell.id, question="Kết nạp quần chúng Lê Văn Bình?",
                                 closes_at=MONDAY_7 + timedelta(days=2))
    await votes.open_vote(session, sec, cell_id=w.cell.id, question="Chọn nơi sinh hoạt?",
                          closes_at=MONDAY_7 + timedelta(days=10))
    await corrections.request_correction(session, await actor(session, w.members[1]), corrections.CorrectionField.phone,
                                         "0905 111 222")
    account = await session.get(Account, 700000 + w.members[2].id)
    account.unreachable_at = MONDAY_7 - timedelta(days=1)
    await session.commit()
    found = await todo.todo_for(session, sec)
    assert [v.vote_id for v in found.votes] == [soon.id]
    assert found.corrections == 1
    assert found.blocked.shown == ("Đảng viên 2",) and found.blocked.total == 1
    # Scoped: the other cell's member blocking the bot is not this secretary's business.
    other = await session.get(Account, 700000 + w.stranger.id)
    other.unreachable_at = MONDAY_7
    await session.commit()
    assert (await todo.todo_for(session, sec)).blocked.total == 1
    assert (await todo.todo_for(session, await actor(session, w.officer))).blocked.total == 2


async def test_a_quarter_without_a_thematic_meeting(session, w):
    await session.execute(Meeting.__table__.delete().where(Meeting.cell_id == w.cell.id))
    await session.commit()
    today = MONDAY_7.astimezone(HUE).date()
    assert await todo.cells_without_thematic(session, [w.cell.id, w.other.id], today) == {w.cell.id}
    found = await todo.todo_for(session, await actor(session, w.secretary))
    assert found.no_thematic.shown == ("Chi bộ Tổ dân phố 1",) and found.quarter == 4
    # Early in a quarter (its first month) it is not a line yet; the next quarter starts afresh.
    assert (await todo.todo_for(session, await actor(session, w.secretary), datetime(2027, 1, 4, tzinfo=HUE))).empty
    assert todo.quarter_bounds(date(2026, 11, 30), HUE) == (datetime(2026, 10, 1, tzinfo=HUE),
                                                           datetime(2027, 1, 1, tzinfo=HUE))


async def something_waits(session, w) -> None:
    account = await session.get(Account, 700000 + w.members[2].id)
    account.unreachable_at = MONDAY_7 - timedelta(days=1)  # the secretary's and the ward officer's to-do
    await session.commit()


async def test_the_tick_queues_once_a_week_per_officer_at_their_hour(session, w):
    await something_waits(session, w)
    clock.freeze(MONDAY_7 - timedelta(minutes=1))
    assert await todo.weekly_tick(session, HUE, 7) == []  # 06:59
    clock.freeze(MONDAY_7)
    first = await todo.weekly_tick(session, HUE, 7)
    await session.commit()
    assert {m for m, _ in await todo_deliveries(session)} == {w.secretary.id, w.officer.id} and len(first) == 2
    # Again the same Monday (a restart, another instance): nothing more.
    clock.freeze(MONDAY_7 + timedelta(hours=3))
    assert await todo.weekly_tick(session, HUE, 7) == []
    await session.commit()
    assert len(await todo_deliveries(session)) == 2
    # Tuesday: nothing; the next Monday: the new week's.
    clock.freeze(MONDAY_7 + timedelta(days=1))
    assert await todo.weekly_tick(session, HUE, 7) == []
    clock.freeze(MONDAY_7 + timedelta(days=7))
    assert len(await todo.weekly_tick(session, HUE, 7)) == 2
    await session.commit()
    assert len(await todo_deliveries(session)) == 4
    weeks = (await session.scalars(select(TodoRun.week).distinct().order_by(TodoRun.week))).all()
    assert weeks == ["2026-W49", "2026-W50"]


async def test_nothing_waiting_sends_nothing_and_the_week_is_taken(session, w):
    assert await todo.weekly_tick(session, HUE, 7) == []
    await session.commit()
    assert await todo_deliveries(session) == []
    assert await session.scalar(select(func.count()).select_from(TodoRun)) == 2  # both officers' week done
    await something_waits(session, w)
    assert await todo.weekly_tick(session, HUE, 7) == []  # not twice a week


async def test_each_officer_chooses_off_or_another_hour(session, w):
    await something_waits(session, w)
    await todo.choose(session, w.secretary.id, weekly=False)
    await todo.choose(session, w.officer.id, hour=9)
    await session.commit()
    assert await todo.weekly_tick(session, HUE, 7) == []
    assert await todo.weekly_of(session, w.secretary.id, 7) == todo.Weekly(False, 7)
    assert await todo.weekly_of(session, w.officer.id, 7) == todo.Weekly(True, 9)
    clock.freeze(MONDAY_7 + timedelta(hours=2))
    await todo.weekly_tick(session, HUE, 7)
    await session.commit()
    assert [m for m, _ in await todo_deliveries(session)] == [w.officer.id]
    with pytest.raises(ValueError):
        await todo.choose(session, w.officer.id, hour=24)


async def test_the_setting_off_sends_only_to_who_turned_it_on(session, w):
    await something_waits(session, w)
    assert await todo.weekly_tick(session, HUE, None) == []
    assert await todo.weekly_of(session, w.secretary.id, None) == todo.Weekly(False, 7)
    await todo.choose(session, w.secretary.id, weekly=True)
    await session.commit()
    await todo.weekly_tick(session, HUE, None)
    await session.commit()
    assert [m for m, _ in await todo_deliveries(session)] == [w.secretary.id]


async def test_the_run_gives_the_todo_as_it_stands_at_send_time(session, w):
    await something_waits(session, w)
    [(kind, run_id), _] = await todo.weekly_tick(session, HUE, 7)
    await session.commit()
    assert kind == TODO_DELIVERY and not (await todo.todo_of_run(session, run_id, HUE)).empty
    account = await session.get(Account, 700000 + w.members[2].id)
    account.unreachable_at = None  # the member is reachable again before the message goes
    await session.commit()
    assert (await todo.todo_of_run(session, run_id, HUE)).empty
    assert (await todo.todo_of_run(session, 999_999, HUE)).empty
