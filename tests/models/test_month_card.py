"""A cell's month in figures (the "bảng tin chi bộ"), read from what the features kept — on SQLite and
PostgreSQL. The month is built with the features' own functions: a meeting held and one left open, notices
read and a resolution studied, votes passed and not, feedback answered and not, and the same things just
outside the month or in another cell, which must not count."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import clock, feedback, meetings, notices, votes
from models.accounts import Account
from models.feedback import Draft, FeedbackKind
from models.meetings import MeetingKind, Presence
from models.members import Member
from models.month_card import MonthFigures, VoteLine, month_figures
from models.notices import NoticeKind
from models.permissions import Actor, load_actor
from models.roles import RoleKind, grant
from models.sealing import FeedbackKeys
from models.units import Unit, UnitKind, add_unit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 19:00 in Huế, three days before December
KEY = FeedbackKeys.from_secret("k" * 32)


def hue(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=HUE).astimezone(UTC)


@dataclass
class Ward:
    ward: Unit
    cell: Unit
    other: Unit
    secretary: Member
    deputy: Member
    officer: Member  # the ward's committee, a member of the other cell
    members: list[Member]  # probationary, linked
    unlinked: Member
    exempt: Member
    stranger: Member  # of the other cell

    async def actor(self, session, member: Member) -> Actor:
        return await load_actor(session, 900000 + member.id)


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
    official = date(1990, 1, 1)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id, official_on=official)
    deputy = Member(full_name="Hoàng Văn Dũng", cell_id=cell.id, official_on=official)
    officer = Member(full_name="Huỳnh Thị Mai", cell_id=other.id, official_on=official)
    members = [Member(full_name=f"Đảng viên {i}", cell_id=cell.id) for i in range(4)]
    unlinked = Member(full_name="Trần Văn Sáu", cell_id=cell.id)
    exempt = Member(full_name="Tôn Nữ Thị Lài", cell_id=cell.id, exempt=True)
    stranger = Member(full_name="Ngô Văn Tài", cell_id=other.id)
    session.add_all([secretary, deputy, officer, *members, unlinked, exempt, stranger])
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    await grant(session, officer.id, ward.id, RoleKind.committee)
    for m in [secretary, deputy, officer, *members, exempt, stranger]:
        session.add(Account(telegram_user_id=900000 + m.id, member_id=m.id, language="vi"))
    await session.commit()
    return Ward(ward, cell, other, secretary, deputy, officer, members, unlinked, exempt, stranger)


async def held_meeting(session, w: Ward, starts_at: datetime) -> None:
    """Everyone present but the unlinked member (unexcused); the exempt member is marked exempt."""
    sec = await w.actor(session, w.secretary)
    meeting = await meetings.schedule_meeting(session, sec, cell_id=w.cell.id, kind=MeetingKind.regular,
                                              title="Sinh hoạt thường kỳ", starts_at=starts_at, place="Nhà văn hóa")
    await session.commit()
    clock.freeze(starts_at + timedelta(minutes=90))
    await meetings.open_roll_call(session, sec, meeting.id)
    await meetings.mark_all_present(session, sec, meeting.id)
    await meetings.mark(session, sec, meeting.id, w.unlinked.id, Presence.unexcused)
    await meetings.close_meeting(session, sec, meeting.id, content="Đã thảo luận.", decisions=[])
    await session.commit()


async def held_vote(session, w: Ward, question: str, deputy_agrees: bool) -> None:
    """The cell's two full members vote; more than half of two is two."""
    sec = await w.actor(session, w.secretary)
    vote = await votes.open_vote(session, sec, cell_id=w.cell.id, question=question,
                                 closes_at=clock.now() + timedelta(hours=2))
    await session.commit()
    await votes.cast_ballot(session, vote.id, w.secretary.id, 1)
    await votes.cast_ballot(session, vote.id, w.deputy.id, 1 if deputy_agrees else 2)
    await votes.close_vote(session, vote.id, by=sec)
    await session.commit()


async def write(session, w: Ward, member: Member, body: str) -> int:
    actor = await w.actor(session, member)
    item = await feedback.submit(session, actor, Draft(FeedbackKind.text, body), anonymous=False, key=KEY,
                                 chat_id=900000 + member.id)
    await session.commit()
    return item.id


async def a_month(session, w: Ward) -> None:
    """November's last evening, then December (in Huế), then January."""
    officer, sec = await w.actor(session, w.officer), await w.actor(session, w.secretary)
    # November: a notice, a vote and an item, none of December's.
    await notices.create_notice(session, officer, kind=NoticeKind.notice, title="Tháng 11", body="x",
                                audience_unit_ids=[w.ward.id])
    await session.commit()
    await held_vote(session, w, "Tháng 11?", deputy_agrees=True)
    await write(session, w, w.members[0], "Góp ý tháng 11")
    # December 1st, 06:00 in Huế — still November 30th in UTC: December's.
    await held_meeting(session, w, hue(date(2026, 12, 1), 6))
    clock.freeze(hue(date(2026, 12, 2), 10))
    sent = await notices.create_notice(session, officer, kind=NoticeKind.notice, title="Lịch tổng vệ sinh",
                                       body="x", audience_unit_ids=[w.ward.id])
    study = await notices.create_notice(session, officer, kind=NoticeKind.resolution, title="Nghị quyết 57",
                                        body="x", audience_unit_ids=[w.cell.id], study=True)
    await session.commit()
    for m in (w.secretary, w.members[0], w.members[1]):
        await notices.mark_read(session, sent.id, m.id)
    await notices.mark_read(session, study.id, w.members[2].id)
    await notices.mark_studied(session, study.id, w.secretary.id)
    await notices.mark_read(session, sent.id, w.stranger.id)  # the other cell's
    await session.commit()
    # A meeting scheduled in December and never closed is not "held".
    await meetings.schedule_meeting(session, sec, cell_id=w.cell.id, kind=MeetingKind.regular, title="Chưa họp",
                                    starts_at=hue(date(2026, 12, 20), 19), place="Nhà văn hóa")
    await session.commit()
    clock.freeze(hue(date(2026, 12, 3), 9))
    await held_vote(session, w, "Thông qua kế hoạch tổng vệ sinh?", deputy_agrees=True)
    clock.freeze(hue(date(2026, 12, 5), 9))
    await held_vote(session, w, "Giá 5$ hay 10$?", deputy_agrees=False)
    answered = await write(session, w, w.members[1], "Đường điện ở kiệt 5 hay bị mất")
    closed = await write(session, w, w.members[2], "Xin lịch sinh hoạt sớm hơn")
    await write(session, w, w.members[3], "Đề nghị sửa đèn đường")
    await write(session, w, w.stranger, "Ý kiến của chi bộ khác")
    await feedback.add_reply(session, sec, answered, "Đã báo điện lực.")
    await feedback.close_item(session, sec, closed)
    await session.commit()
    # A vote opened at December's end and closed in January is January's.
    clock.freeze(hue(date(2026, 12, 31), 22))
    new_year = hue(date(2027, 1, 1), 8)
    late = await votes.open_vote(session, sec, cell_id=w.cell.id, question="Tháng 1?", closes_at=new_year)
    await session.commit()
    clock.freeze(new_year)
    await votes.close_vote(session, late.id)
    await session.commit()


async def test_a_cells_month_in_figures(session, w):
    await a_month(session, w)
    figures = await month_figures(session, w.cell.id, 2026, 12, HUE)
    assert figures == MonthFigures(
        cell_name="Chi bộ Tổ dân phố 1", year=2026, month=12,
        meetings=1, present=6, attendance_base=8,  # eight on the roll, the exempt member counted
        notices=2, read=5, read_base=16,  # two notices to the cell's eight members
        study_notices=1, studied=1, study_base=8,
        votes=(VoteLine("Thông qua kế hoạch tổng vệ sinh?", True), VoteLine("Giá 5$ hay 10$?", False)),
        feedback=3, answered=1,
    )
    assert (figures.attendance_rate, figures.read_rate, figures.study_rate, figures.votes_passed) == (75, 31, 12, 1)


async def test_exempt_members_who_took_no_part_leave_the_base_where_the_cell_says_so(session, w):
    await a_month(session, w)
    w.cell.exempt_counted = False
    await session.commit()
    figures = await month_figures(session, w.cell.id, 2026, 12, HUE)
    assert (figures.present, figures.attendance_base) == (6, 7)
    assert (figures.read, figures.read_base, figures.studied, figures.study_base) == (5, 14, 1, 7)


async def test_the_months_around_hold_only_their_own(session, w):
    await a_month(session, w)
    november = await month_figures(session, w.cell.id, 2026, 11, HUE)
    assert (november.meetings, november.notices, november.feedback) == (0, 1, 1)
    assert november.votes == (VoteLine("Tháng 11?", True),)
    january = await month_figures(session, w.cell.id, 2027, 1, HUE)
    assert january.votes == (VoteLine("Tháng 1?", False),)  # nobody voted
    assert (january.meetings, january.notices, january.feedback) == (0, 0, 0)
    assert (january.attendance_rate, january.read_rate, january.study_rate) == (None, None, None)
    other = await month_figures(session, w.other.id, 2026, 12, HUE)
    assert (other.cell_name, other.meetings, other.notices, other.read, other.feedback) == (
        "Chi bộ Tổ dân phố 2", 0, 1, 1, 1)
    with pytest.raises(LookupError):
        await month_figures(session, 987654, 2026, 12, HUE)
