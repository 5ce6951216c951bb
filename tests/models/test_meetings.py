"""Cell meetings without Telegram: scheduling, moving, cancelling, answers, reminders, roll-call,
closing, minutes and the committee's reports — on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import audit, clock, meetings, minutes, reports
from models.accounts import Account
from models.deliveries import Delivery
from models.meetings import Answer, Meeting, MeetingError, MeetingKind, MeetingState, Presence, ReminderState
from models.members import Member
from models.permissions import Actor, load_actor
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 19:00 in Huế


@dataclass
class Ward:
    ward: Unit
    cell: Unit
    other: Unit
    secretary: Member
    deputy: Member
    officer: Member
    members: list[Member]  # of cell, linked to Telegram (secretary and deputy excluded)
    unlinked: Member  # of cell, no Telegram
    exempt: Member  # of cell, exempt from activities, linked
    stranger: Member  # of the other cell, linked


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(T0)
    yield
    clock.reset()


@pytest.fixture
async def w(session) -> Ward:
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    other = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id, official_on=date(1990, 1, 1))
    deputy = Member(full_name="Hoàng Văn Dũng", cell_id=cell.id, official_on=date(1990, 1, 1))
    officer = Member(full_name="Huỳnh Thị Mai", cell_id=other.id)
    members = [Member(full_name=f"Đảng viên {i}", cell_id=cell.id) for i in range(4)]
    unlinked = Member(full_name="Trần Văn Sáu", cell_id=cell.id)
    exempt = Member(full_name="Tôn Nữ Thị Lài", cell_id=cell.id, exempt=True)
    stranger = Member(full_name="Ngô Văn Tài", cell_id=other.id)
    session.add_all([secretary, deputy, officer, *members, unlinked, exempt, stranger])
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    await grant(session, deputy.id, cell.id, RoleKind.deputy)
    await grant(session, officer.id, ward.id, RoleKind.committee)
    for m in [secretary, deputy, officer, *members, exempt, stranger]:
        session.add(Account(telegram_user_id=700000 + m.id, member_id=m.id, language="vi"))
    await session.commit()
    return Ward(ward, cell, other, secretary, deputy, officer, members, unlinked, exempt, stranger)


async def actor(session, member: Member) -> Actor:
    return await load_actor(session, 700000 + member.id)


def at_local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=HUE).astimezone(UTC)


async def schedule(session, w: Ward, *, starts_at: datetime | None = None, by: Member | None = None, **kw) -> Meeting:
    who = await actor(session, by or w.secretary)
    meeting = await meetings.schedule_meeting(
        session, who, cell_id=kw.pop("cell_id", w.cell.id), kind=kw.pop("kind", MeetingKind.regular),
        title=kw.pop("title", "Sinh hoạt thường kỳ tháng 12"), starts_at=starts_at or T0 + timedelta(days=5),
        place=kw.pop("place", "Nhà văn hóa tổ 3"), agenda=kw.pop("agenda", "Quán triệt Nghị quyết"), **kw)
    await session.commit()
    return meeting


async def delivered(session, kind: str, ref_id: int) -> set[int]:
    return set((await session.scalars(
        select(Delivery.member_id).where(Delivery.kind == kind, Delivery.ref_id == ref_id))).all())


def linked_of_cell(w: Ward) -> set[int]:
    return {w.secretary.id, w.deputy.id, w.exempt.id, *(m.id for m in w.members)}


# --- parsing -------------------------------------------------------------------------------------------
def test_parse_when_accepts_what_secretaries_type():
    assert meetings.parse_when("05/12/2026 19:30") == (date(2026, 12, 5), time(19, 30))
    assert meetings.parse_when(" 5/12/2026  lúc 19h30 ") == (date(2026, 12, 5), time(19, 30))
    assert meetings.parse_when("19 giờ 30 05/12/2026") == (date(2026, 12, 5), time(19, 30))
    assert meetings.parse_when("05/12/2026") == (date(2026, 12, 5), None)
    assert meetings.parse_time("7h") == time(7, 0)


@pytest.mark.parametrize("text, reason", [
    ("31/02/2026 19:30", "date_impossible"),
    ("05/12/26 19:30", "date_format"),
    ("ngày mai", "date_format"),
    ("05/12/2026 25:00", "time_impossible"),
    ("05/12/2026 19:75", "time_impossible"),
    ("", "date_format"),
])
def test_parse_when_says_why_not(text, reason):
    with pytest.raises(MeetingError) as exc:
        meetings.parse_when(text)
    assert exc.value.reason == reason


def test_local_start_refuses_the_past_and_the_far_future():
    assert meetings.local_start(date(2026, 12, 5), time(19, 30), HUE) == datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    with pytest.raises(MeetingError, match="when_past"):
        meetings.local_start(date(2026, 11, 28), time(18, 0), HUE)  # an hour ago in Huế
    with pytest.raises(MeetingError, match="when_too_far"):
        meetings.local_start(date(2028, 1, 1), time(8, 0), HUE)


def test_reminder_offsets():
    assert meetings.parse_offset("3d") == timedelta(days=3)
    assert meetings.parse_offset("2h") == timedelta(hours=2)
    assert meetings.parse_offset("30m") == timedelta(minutes=30)
    for bad in ("0h", "3w", "d", "-1d"):
        with pytest.raises(ValueError):
            meetings.parse_offset(bad)


# --- scheduling -------------------------------------------------------------------------------------------
async def test_schedule_queues_the_notice_and_plans_reminders(session, w):
    meeting = await schedule(session, w)
    assert meeting.state is MeetingState.scheduled
    # Every linked member of the cell but the one who called it; the unlinked have no chat.
    assert await delivered(session, meetings.MEETING_DELIVERY, meeting.id) == linked_of_cell(w) - {w.secretary.id}
    due = [(r.label, r.due_at, r.state) for r in await meetings.reminders_of(session, meeting.id)]
    assert due == [("3d", meeting.starts_at - timedelta(days=3), ReminderState.pending),
                   ("1d", meeting.starts_at - timedelta(days=1), ReminderState.pending),
                   ("2h", meeting.starts_at - timedelta(hours=2), ReminderState.pending)]
    mine = await meetings.answer_of(session, meeting.id, w.secretary.id)
    assert mine.answer is Answer.attend
    assert [e.action for e in await audit.entries(session, "meeting_scheduled")] == ["meeting_scheduled"]


async def test_a_meeting_called_for_tomorrow_gets_no_three_day_reminder(session, w):
    meeting = await schedule(session, w, starts_at=T0 + timedelta(hours=30), reminders=("3d", "1d", "2h"))
    assert [r.label for r in await meetings.reminders_of(session, meeting.id)] == ["1d", "2h"]


async def test_who_may_schedule(session, w):
    # The committee above the cell may; a member, or the secretary of another cell, may not.
    assert (await schedule(session, w, by=w.officer)).cell_id == w.cell.id
    assert (await schedule(session, w, by=w.deputy)).cell_id == w.cell.id
    for who, cell in ((w.members[0], w.cell), (w.secretary, w.other)):
        with pytest.raises(MeetingError, match="not_allowed"):
            await schedule(session, w, by=who, cell_id=cell.id)
    with pytest.raises(MeetingError, match="not_allowed"):  # a ward is not a cell
        await schedule(session, w, by=w.officer, cell_id=w.ward.id)


@pytest.mark.parametrize("field, value, reason", [
    ("agenda", "x" * 10_000, "agenda_long"),
    ("title", "   ", "title_empty"),
    ("title", "T" * 201, "title_long"),
    ("place", "", "place_empty"),
])
async def test_schedule_refuses_bad_texts(session, w, field, value, reason):
    with pytest.raises(MeetingError) as exc:
        await schedule(session, w, **{field: value})
    assert exc.value.reason == reason
    if reason == "agenda_long":
        assert exc.value.details["limit"] == meetings.AGENDA_MAX


async def test_schedule_refuses_the_past(session, w):
    with pytest.raises(MeetingError, match="when_past"):
        await schedule(session, w, starts_at=T0 - timedelta(minutes=5))
    assert await session.scalar(select(func.count()).select_from(Meeting)) == 0


# --- moving and cancelling ------------------------------------------------------------------------------------
async def test_moving_tells_members_and_moves_the_reminders(session, w):
    meeting = await schedule(session, w)
    sec = await actor(session, w.secretary)
    new = meeting.starts_at + timedelta(days=2)
    change = await meetings.move_meeting(session, sec, meeting.id, starts_at=new, place="Hội trường tổ 3")
    await session.commit()
    assert (meeting.starts_at, meeting.place) == (new, "Hội trường tổ 3")
    rows = await meetings.reminders_of(session, meeting.id)
    assert [(r.label, r.state) for r in rows if r.state is ReminderState.pending] == [
        ("3d", ReminderState.pending), ("1d", ReminderState.pending), ("2h", ReminderState.pending)]
    assert {r.due_at for r in rows if r.state is ReminderState.pending} == {
        new - timedelta(days=3), new - timedelta(days=1), new - timedelta(hours=2)}
    assert sum(r.state is ReminderState.cancelled for r in rows) == 3
    assert await delivered(session, meetings.CHANGE_DELIVERY, change.id) == linked_of_cell(w) - {w.secretary.id}
    with pytest.raises(MeetingError, match="when_past"):
        await meetings.move_meeting(session, sec, meeting.id, starts_at=T0 - timedelta(hours=1))
    with pytest.raises(MeetingError, match="nothing_changed"):
        await meetings.move_meeting(session, sec, meeting.id, starts_at=new)
    with pytest.raises(MeetingError, match="not_allowed"):
        await meetings.move_meeting(session, await actor(session, w.members[0]), meeting.id, starts_at=new + timedelta(1))


async def test_cancelling_tells_members_and_stops_reminders_and_answers(session, w):
    meeting = await schedule(session, w)
    change = await meetings.cancel_meeting(session, await actor(session, w.secretary), meeting.id)
    await session.commit()
    assert meeting.state is MeetingState.cancelled
    assert {r.state for r in await meetings.reminders_of(session, meeting.id)} == {ReminderState.cancelled}
    assert len(await delivered(session, meetings.CHANGE_DELIVERY, change.id)) == len(linked_of_cell(w)) - 1
    clock.freeze(T0 + timedelta(days=4, hours=23))
    assert await meetings.release_due_reminders(session) == []
    with pytest.raises(MeetingError, match="cancelled"):
        await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.attend)


# --- answers ---------------------------------------------------------------------------------------------------
async def test_answers_change_until_the_start_and_are_audited(session, w):
    meeting = await schedule(session, w)
    me = await actor(session, w.members[0])
    await meetings.answer(session, me, meeting.id, Answer.attend)
    with pytest.raises(MeetingError, match="reason_empty"):
        await meetings.answer(session, me, meeting.id, Answer.absent, reason="  ")
    row = await meetings.answer(session, me, meeting.id, Answer.absent, reason="Ốm  đau")
    assert (row.answer, row.reason, row.by_proxy) == (Answer.absent, "Ốm đau", False)
    await session.commit()
    summary = await meetings.answers(session, meeting.id)
    assert [a.name for a in summary.absent] == ["Đảng viên 0"]
    assert {a.name for a in summary.attend} == {"Nguyễn Thị Hồng Nhung"}
    assert summary.members == 8 and len(summary.silent) == 6
    clock.freeze(meeting.starts_at)
    with pytest.raises(MeetingError, match="answers_closed"):
        await meetings.answer(session, me, meeting.id, Answer.attend)
    entries = await audit.entries(session, "meeting_answer")
    assert [(e.subject_member_id, json.loads(e.detail)["answer"]) for e in entries] == [
        (w.members[0].id, "attend"), (w.members[0].id, "absent")]


async def test_only_the_cells_members_answer_and_the_secretary_answers_for_the_phoneless(session, w):
    meeting = await schedule(session, w)
    with pytest.raises(MeetingError, match="not_allowed"):
        await meetings.answer(session, await actor(session, w.stranger), meeting.id, Answer.attend)
    with pytest.raises(MeetingError, match="not_allowed"):  # a member cannot answer for another
        await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.attend,
                              for_member_id=w.members[1].id)
    with pytest.raises(MeetingError, match="not_allowed"):  # nor the secretary for another cell's member
        await meetings.answer(session, await actor(session, w.secretary), meeting.id, Answer.attend,
                              for_member_id=w.stranger.id)
    row = await meetings.answer(session, await actor(session, w.secretary), meeting.id, Answer.absent,
                                reason="Đi viện", for_member_id=w.unlinked.id)
    assert (row.by_proxy, row.recorded_by_member_id) == (True, w.secretary.id)
    summary = await meetings.answers(session, meeting.id)
    [proxied] = summary.absent
    assert (proxied.name, proxied.by_proxy, proxied.reachable) == ("Trần Văn Sáu", True, False)


async def test_an_answer_given_on_paper_is_a_proxy_answer_marked_so(session, w):
    meeting = await schedule(session, w)
    secretary = await actor(session, w.secretary)
    row = await meetings.answer(session, secretary, meeting.id, Answer.attend, for_member_id=w.unlinked.id,
                                on_paper=True)
    assert (row.by_proxy, row.on_paper, row.recorded_by_member_id) == (True, True, w.secretary.id)
    [paper] = [a for a in (await meetings.answers(session, meeting.id)).attend if a.member_id == w.unlinked.id]
    assert (paper.name, paper.by_proxy, paper.on_paper, paper.reachable) == ("Trần Văn Sáu", True, True, False)
    entries = (await session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "meeting_answer"))).all()
    assert json.loads(entries[-1].detail) == {"meeting_id": meeting.id, "answer": "attend", "proxy": True,
                                              "paper": True}
    # Changed later by proxy without the paper: no longer marked; a member's own answer never is.
    row = await meetings.answer(session, secretary, meeting.id, Answer.absent, reason="Ốm", for_member_id=w.unlinked.id)
    assert (row.by_proxy, row.on_paper) == (True, False)
    own = await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.attend, on_paper=True)
    assert (own.by_proxy, own.on_paper) == (False, False)
    with pytest.raises(MeetingError, match="not_allowed"):  # a member cannot record another's paper answer
        await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.attend,
                              for_member_id=w.unlinked.id, on_paper=True)


# --- reminders ---------------------------------------------------------------------------------------------------
async def test_each_reminder_is_sent_once_to_those_who_did_not_decline(session, w):
    meeting = await schedule(session, w)
    await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.absent, reason="Ốm")
    await session.commit()
    clock.freeze(meeting.starts_at - timedelta(days=3) - timedelta(seconds=1))
    assert await meetings.release_due_reminders(session) == []
    clock.freeze(meeting.starts_at - timedelta(days=3))
    [first] = await meetings.release_due_reminders(session)
    await session.commit()
    assert await meetings.release_due_reminders(session) == []
    await session.commit()
    assert await delivered(session, meetings.REMINDER_DELIVERY, first.reminder_id) == linked_of_cell(w) - {w.members[0].id}
    clock.freeze(meeting.starts_at - timedelta(hours=2))
    # Down for two days: the 1-day reminder fell due too; only the latest one goes out.
    released = await meetings.release_due_reminders(session)
    await session.commit()
    assert [r.reminder_id for r in released] == [(await meetings.reminders_of(session, meeting.id))[2].id]
    states = [(r.label, r.state) for r in await meetings.reminders_of(session, meeting.id)]
    assert states == [("3d", ReminderState.sent), ("1d", ReminderState.dropped), ("2h", ReminderState.sent)]
    assert await session.scalar(select(func.count()).select_from(Delivery)
                                .where(Delivery.kind == meetings.REMINDER_DELIVERY)) == 2 * (len(linked_of_cell(w)) - 1)


async def test_a_reminder_missed_until_the_start_is_dropped(session, w):
    meeting = await schedule(session, w)
    clock.freeze(meeting.starts_at + timedelta(minutes=1))
    assert await meetings.release_due_reminders(session) == []
    await session.commit()
    assert {r.state for r in await meetings.reminders_of(session, meeting.id)} == {ReminderState.dropped}
    assert await delivered(session, meetings.REMINDER_DELIVERY, 1) == set()


async def test_two_schedulers_claiming_at_once_send_each_reminder_once(sessionmaker, w):
    async with sessionmaker() as session:
        made = [await schedule(session, w, starts_at=T0 + timedelta(days=4, hours=h)) for h in range(1, 10)]
    clock.freeze(T0 + timedelta(days=1, hours=10))  # every "3d" reminder of the nine is due, none other

    async def scheduler() -> list[int]:
        async with sessionmaker() as session:
            released = await meetings.release_due_reminders(session, limit=4)
            await asyncio.sleep(0.05)  # hold the claim while the other one tries
            await session.commit()
            return [r.reminder_id for r in released]

    got: list[int] = []
    for _ in range(4):
        a, b = await asyncio.gather(scheduler(), scheduler())
        got += a + b
    assert len(got) == len(set(got)) == len(made)
    async with sessionmaker() as session:
        per_chat = (await session.execute(
            select(Delivery.chat_id, func.count()).where(Delivery.kind == meetings.REMINDER_DELIVERY)
            .group_by(Delivery.chat_id))).all()
    assert {n for _, n in per_chat} == {len(made)}


# --- the roll-call ---------------------------------------------------------------------------------------------
async def test_roll_call_starts_from_the_answers_and_cycles(session, w):
    meeting = await schedule(session, w)
    await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.absent, reason="Ốm")
    sec = await actor(session, w.secretary)
    with pytest.raises(MeetingError, match="roll_call_early"):
        await meetings.open_roll_call(session, sec, meeting.id)
    clock.freeze(meeting.starts_at - timedelta(minutes=30))
    with pytest.raises(MeetingError, match="not_allowed"):
        await meetings.open_roll_call(session, await actor(session, w.members[1]), meeting.id)
    await meetings.open_roll_call(session, sec, meeting.id)
    roll = {e.member_id: e for e in await meetings.roll(session, meeting.id)}
    assert len(roll) == 8
    assert (roll[w.members[0].id].status, roll[w.members[0].id].reason) == (Presence.excused, "Ốm")
    assert roll[w.exempt.id].status is Presence.exempt
    assert roll[w.members[1].id].status is None
    row = await meetings.mark(session, sec, meeting.id, w.members[1].id)
    assert row.status is Presence.present
    for expected in (Presence.excused, Presence.unexcused, Presence.exempt, Presence.present):
        assert (await meetings.mark(session, sec, meeting.id, w.members[1].id)).status is expected
    assert row.recorded_by_member_id == w.secretary.id and row.recorded_at == clock.now()
    with pytest.raises(MeetingError, match="not_allowed"):
        await meetings.mark(session, sec, meeting.id, w.stranger.id)
    assert await meetings.mark_all_present(session, sec, meeting.id) == 5
    await session.commit()
    present = await meetings.present_member_ids(session, meeting.id)
    assert present == linked_of_cell(w) - {w.members[0].id, w.exempt.id} | {w.unlinked.id}
    assert (meeting.member_count, meeting.present_count, meeting.excused_count, meeting.exempt_count) == (8, 6, 1, 1)
    assert len(await audit.entries(session, "attendance_marked")) == 5
    # Another cell's secretary, or a member, cannot touch it.
    with pytest.raises(MeetingError, match="not_allowed"):
        await meetings.mark(session, await actor(session, w.members[1]), meeting.id, w.members[2].id)


async def test_the_base_follows_the_cell_setting_for_exempt_members(session, w):
    meeting = await schedule(session, w)
    clock.freeze(meeting.starts_at)
    sec = await actor(session, w.secretary)
    await meetings.mark_all_present(session, sec, meeting.id)
    counted = meetings.ratio(meeting, exempt_counted=True)
    left_out = meetings.ratio(meeting, exempt_counted=False)
    assert (counted.present, counted.base, counted.percent) == (7, 8, 88)
    assert (left_out.present, left_out.base, left_out.percent, left_out.exempt_absent) == (7, 7, 100, 1)


# --- closing and the minutes -------------------------------------------------------------------------------------
async def test_closing_needs_a_roll_call_and_counts_the_unmarked_absent(session, w):
    meeting = await schedule(session, w)
    sec = await actor(session, w.secretary)
    with pytest.raises(MeetingError, match="not_started"):
        await meetings.close_meeting(session, sec, meeting.id, content="x", decisions=[])
    clock.freeze(meeting.starts_at + timedelta(hours=2))
    with pytest.raises(MeetingError, match="no_roll_call"):
        await meetings.close_meeting(session, sec, meeting.id, content="x", decisions=[])
    await meetings.open_roll_call(session, sec, meeting.id)
    for m in w.members[:3]:
        await meetings.mark(session, sec, meeting.id, m.id, Presence.present)
    with pytest.raises(MeetingError, match="content_empty"):
        await meetings.close_meeting(session, sec, meeting.id, content="  ", decisions=[])
    with pytest.raises(MeetingError, match="decision_long"):
        await meetings.close_meeting(session, sec, meeting.id, content="Nội dung", decisions=["x" * 501])
    await meetings.close_meeting(session, sec, meeting.id, content="Quán triệt Nghị quyết 57-NQ/TW",
                                 decisions=["1. Tổng vệ sinh ngày 15/12", "", "- Vận động quỹ khuyến học  "])
    await session.commit()
    full = await meetings.get_meeting(session, meeting.id, full=True)
    assert [d.text for d in full.decisions] == ["Tổng vệ sinh ngày 15/12", "Vận động quỹ khuyến học"]
    assert (full.state, full.present_count, full.unexcused_count, full.exempt_count) == (MeetingState.closed, 3, 4, 1)
    assert (full.chair_name, full.recorder_name) == ("Nguyễn Thị Hồng Nhung", "Hoàng Văn Dũng")
    assert full.ended_at == clock.now()
    assert await meetings.present_member_ids(session, meeting.id) == {m.id for m in w.members[:3]}
    with pytest.raises(MeetingError, match="already_closed"):
        await meetings.close_meeting(session, sec, meeting.id, content="x", decisions=[])


async def closed_meeting(session, w: Ward) -> Meeting:
    meeting = await schedule(session, w, agenda="1. Quán triệt Nghị quyết\n2. Công tác vệ sinh")
    await meetings.answer(session, await actor(session, w.members[0]), meeting.id, Answer.absent, reason="Ốm đau")
    clock.freeze(meeting.starts_at + timedelta(minutes=90))
    sec = await actor(session, w.secretary)
    await meetings.open_roll_call(session, sec, meeting.id)
    await meetings.mark_all_present(session, sec, meeting.id)
    await meetings.mark(session, sec, meeting.id, w.unlinked.id, Presence.unexcused)
    await meetings.close_meeting(session, sec, meeting.id, content="Đã thảo luận.", decisions=["Quyết định một"])
    await session.commit()
    return meeting


async def test_minutes_are_drafted_from_the_data(session, w):
    meeting = await closed_meeting(session, w)
    m = await minutes.draft_minutes(session, meeting.id)
    assert (m.unit_name, m.parent_name, m.place, m.kind) == ("Chi bộ Tổ dân phố 1", "Đảng bộ phường Phú Hội",
                                                           "Nhà văn hóa tổ 3", "regular")
    assert (m.chair, m.recorder) == ("Nguyễn Thị Hồng Nhung", "Hoàng Văn Dũng")
    assert (m.members, m.present, m.excused, m.unexcused, m.exempt, m.base) == (8, 5, 1, 1, 1, 8)
    assert sorted((a.name, a.status, a.reason) for a in m.absent) == sorted([
        ("Trần Văn Sáu", "unexcused", None), ("Tôn Nữ Thị Lài", "exempt", None), ("Đảng viên 0", "excused", "Ốm đau")])
    assert m.agenda.startswith("1. Quán triệt") and m.content == "Đã thảo luận." and m.decisions == ["Quyết định một"]
    assert m.votes == []  # no votes at this meeting (or the votes feature absent)
    assert m.percent == 62


async def test_minutes_edits_then_approval_keeps_a_snapshot_and_locks(session, w):
    meeting = await closed_meeting(session, w)
    sec = await actor(session, w.secretary)
    with pytest.raises(MeetingError, match="not_allowed"):
        await minutes.approve_minutes(session, await actor(session, w.members[1]), meeting.id)
    await meetings.record_content(session, sec, meeting.id, chair_name="Lê Văn Bảy", decisions=["A", "B"])
    approved = await minutes.approve_minutes(session, sec, meeting.id)
    await session.commit()
    assert approved.chair == "Lê Văn Bảy" and approved.decisions == ["A", "B"] and approved.approved_by == w.secretary.full_name
    w.members[0].full_name = "Tên mới"  # a later change does not rewrite approved minutes
    await session.commit()
    again = await minutes.draft_minutes(session, meeting.id)
    assert again == approved
    assert minutes.Minutes.from_json(approved.to_json()) == approved
    for call in (meetings.mark(session, sec, meeting.id, w.members[1].id),
                 meetings.record_content(session, sec, meeting.id, content="x"),
                 minutes.approve_minutes(session, sec, meeting.id)):
        with pytest.raises(MeetingError, match="minutes_approved"):
            await call
    await minutes.set_minutes_file(session, meeting.id, "BQAC-file")
    assert (await meetings.get_meeting(session, meeting.id)).minutes_file_id == "BQAC-file"


def test_vote_results_are_read_whatever_shape_they_come_in():
    from types import SimpleNamespace as NS

    standard = NS(question="Thông qua nghị quyết", rule=NS(value="members"), passed=True, cast=7, eligible=9, base=9,
                  options=(NS(kind=NS(value="agree"), label="", count=6), NS(kind=NS(value="disagree"), label="", count=1)))
    r = minutes._as_result(standard)
    assert (r.question, r.options, r.cast, r.eligible, r.passed, r.rule, r.base) == (
        "Thông qua nghị quyết", [("", 6, "agree"), ("", 1, "disagree")], 7, 9, True, "members", 9)
    mapping = minutes._as_result({"question": "Q", "counts": {"Có": 3, "Không": 1}, "cast": 4, "eligible": 5})
    assert mapping.options == [("Có", 3, ""), ("Không", 1, "")] and mapping.passed is None


# --- the committee's reports ----------------------------------------------------------------------------------
async def test_day_report_shows_each_cell_that_met(session, w):
    meeting = await closed_meeting(session, w)
    await schedule(session, w, by=w.officer, cell_id=w.other.id, starts_at=meeting.starts_at + timedelta(days=1))
    day = meeting.starts_at.astimezone(HUE).date()
    [row] = await reports.day_report(session, w.ward.path, day, HUE)
    assert (row.cell_name, row.state, row.roll_taken) == ("Chi bộ Tổ dân phố 1", MeetingState.closed, True)
    assert (row.ratio.present, row.ratio.base, row.ratio.percent) == (5, 8, 62)
    assert row.decisions == ["Quyết định một"] and row.content == "Đã thảo luận."
    assert await reports.day_report(session, w.other.path, day, HUE) == []
    assert len(await reports.day_report(session, w.ward.path, day + timedelta(days=1), HUE)) == 1


async def test_month_report_counts_meetings_and_rates_per_cell(session, w):
    meeting = await closed_meeting(session, w)
    w.cell.exempt_counted = False
    await session.commit()
    start = meeting.starts_at.astimezone(HUE)
    report = await reports.month_report(session, w.ward, start.year, start.month, HUE, clock.now())
    by_name = {c.cell_name: c for c in report.cells}
    one, two = by_name["Chi bộ Tổ dân phố 1"], by_name["Chi bộ Tổ dân phố 2"]
    assert (one.held, one.present, one.base, one.percent, one.exempt_counted) == (1, 5, 7, 71, False)
    assert (two.held, two.percent) == (0, None)
    assert (report.cells_met, report.held, report.percent, report.exempt_counted) == (1, 1, 71, None)
    groups = await reports.group_by_child(session, report)
    assert [(g.name, g.cells, g.cells_met, g.present) for g in groups] == [
        ("Chi bộ Tổ dân phố 1", 1, 1, 5), ("Chi bộ Tổ dân phố 2", 1, 0, 0)]
    nothing = await reports.month_report(session, w.ward, start.year, 1, HUE, clock.now())
    assert nothing.held == 0 and nothing.percent is None


async def test_month_report_lists_cells_by_name_as_people_read_them(session, w):
    """Cells made in any order: "Tổ dân phố 10" after "Tổ dân phố 2", the Vietnamese alphabet, by ward."""
    for name in ("Chi bộ Tổ dân phố 10", "Chi bộ Đông Ba", "Chi bộ Dương Nỗ", "Chi bộ Tổ dân phố 3"):
        await add_unit(session, name, UnitKind.cell, w.ward)
    other_ward = await add_unit(session, "Đảng bộ phường An Cựu", UnitKind.ward)
    await add_unit(session, "Chi bộ An Cựu 1", UnitKind.cell, other_ward)
    await session.commit()
    report = await reports.month_report(session, w.ward, 2026, 11, HUE, clock.now())
    assert [c.cell_name for c in report.cells] == [
        "Chi bộ Dương Nỗ", "Chi bộ Đông Ba", "Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2", "Chi bộ Tổ dân phố 3",
        "Chi bộ Tổ dân phố 10"]


async def test_minutes_and_the_day_report_carry_the_meetings_vote_results(session, w):
    from models import votes

    meeting = await schedule(session, w)
    clock.freeze(meeting.starts_at + timedelta(minutes=30))
    sec = await actor(session, w.secretary)
    await meetings.open_roll_call(session, sec, meeting.id)
    await meetings.mark_all_present(session, sec, meeting.id)
    vote = await votes.open_vote(session, sec, cell_id=w.cell.id, question="Thông qua kế hoạch tổng vệ sinh",
                                 meeting_id=meeting.id, closes_at=clock.now() + timedelta(minutes=20))
    await session.commit()
    agree = votes.STANDARD_OPTIONS.index(votes.OptionKind.agree) + 1  # positions 1, 2, 3
    for member in (w.secretary, w.deputy):  # the cell's full members (the others are probationary)
        await votes.cast_ballot(session, vote.id, member.id, agree)
    await votes.close_vote(session, vote.id, by=sec)
    await meetings.close_meeting(session, sec, meeting.id, content="Biểu quyết kế hoạch.", decisions=["Tổng vệ sinh"])
    await session.commit()
    m = await minutes.draft_minutes(session, meeting.id)
    assert m.votes_known
    [result] = m.votes
    assert result.question == "Thông qua kế hoạch tổng vệ sinh"
    assert ("", 2, "agree") in result.options and sum(count for _, count, _ in result.options) == 2
    assert (result.cast, result.eligible, result.passed, result.rule, result.base) == (2, 2, True, "members", 2)
    [row] = await reports.day_report(session, w.ward.path, meeting.starts_at.astimezone(HUE).date(), HUE)
    assert row.votes == m.votes
