"""Party age and badges (issue 17): a table of members with their expected party age, next badge and award
day (gaps, discipline, 29 February and badges already given included), the committee's list and the award."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select

from models import party_age
from models.audit import AuditEntry
from models.members import Award, Discipline, DisciplineForm, Member, PartyGap
from models.party_age import BadgeError, add_months, award_day_on_or_after, months_between
from models.permissions import member_actor
from models.roles import RoleKind, grant
from models.units import UnitKind, add_unit

from .two_wards import two_wards

TODAY = date(2026, 12, 4)
R, W, X = DisciplineForm.reprimand, DisciplineForm.warning, DisciplineForm.removal


@dataclass(frozen=True)
class Case:
    name: str
    joined: date | None
    today: date
    age: tuple[int, int] | None  # (years, months)
    badge: tuple[int, date, int, bool] | None  # (milestone, award day, delay months, overdue)
    awarded: tuple[int, ...] = ()
    gaps: tuple[tuple[date, date | None], ...] = ()
    disciplines: tuple[tuple[date | None, DisciplineForm], ...] = field(default_factory=tuple)


CASES = (
    Case("50 năm ngay trước 3/2", date(1977, 1, 24), TODAY, (49, 10), (50, date(2027, 2, 3), 0, False), (30, 40)),
    Case("ngày 29/2 chưa đủ tháng", date(1996, 2, 29), date(2026, 2, 1), (29, 11), (30, date(2026, 5, 19), 0, False)),
    Case("ngày 29/2 đủ vào 28/2", date(1996, 2, 29), date(2026, 2, 28), (30, 0), (30, date(2026, 5, 19), 0, False)),
    Case("khoảng ra khỏi Đảng trừ 24 tháng", date(1990, 3, 10), TODAY, (34, 8), (30, date(2027, 2, 3), 0, True),
         gaps=((date(2000, 1, 1), date(2002, 1, 1)),)),
    Case("khiển trách lùi 6 tháng", date(1982, 6, 15), TODAY, (44, 5), (45, date(2028, 2, 3), 6, False), (30, 40),
         disciplines=((date(2010, 5, 1), R),)),
    Case("cảnh cáo lùi 9 tháng", date(1976, 8, 20), TODAY, (50, 3), (50, date(2027, 9, 2), 9, False), (30, 40, 45),
         disciplines=((date(2020, 1, 10), W),)),
    Case("cách chức rồi khiển trách lùi 18 tháng", date(1986, 9, 2), TODAY, (40, 3), (30, date(2027, 2, 3), 18, True),
         disciplines=((date(2015, 1, 1), X), (date(2016, 3, 1), R))),
    Case("kỷ luật sau khi đủ tuổi không lùi", date(1995, 11, 7), date(2025, 10, 1), (29, 10),
         (30, date(2025, 11, 7), 0, False), disciplines=((date(2026, 1, 1), R),)),
    Case("khai trừ không lùi (là khoảng ra khỏi Đảng)", date(1995, 11, 7), date(2025, 10, 1), (29, 10),
         (30, date(2025, 11, 7), 0, False), disciplines=((date(2001, 1, 1), DisciplineForm.expulsion),)),
    Case("đang ở ngoài Đảng", date(1970, 1, 1), TODAY, (30, 0), None, gaps=((date(2000, 1, 1), None),)),
    Case("đã nhận đủ", date(1930, 1, 1), TODAY, (96, 11), None, (90,)),
    Case("huy hiệu thấp bị bỏ qua lấy mức cao", date(1980, 1, 10), TODAY, (46, 10), (45, date(2027, 2, 3), 0, True),
         (30,)),
    Case("không có ngày vào Đảng", None, TODAY, None, None),
    Case("ngày vào Đảng sau hôm nay", date(2027, 1, 1), TODAY, None, (30, date(2057, 2, 3), 0, False)),
)


def test_months_as_the_calendar_counts_them():
    assert add_months(date(1996, 2, 29), 12) == date(1997, 2, 28)
    assert add_months(date(1996, 2, 29), 48) == date(2000, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert months_between(date(2025, 1, 31), date(2025, 2, 28)) == 1
    assert months_between(date(2025, 3, 10), date(2025, 4, 9)) == 0
    assert months_between(date(2025, 3, 10), date(2025, 3, 1)) == 0
    assert [award_day_on_or_after(d) for d in (date(2026, 2, 3), date(2026, 2, 4), date(2026, 11, 8))] == [
        date(2026, 2, 3), date(2026, 5, 19), date(2027, 2, 3)]


async def test_the_table_of_members(session):
    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell)
    made = []
    for case in CASES:
        m = Member(full_name=case.name, cell_id=cell.id, joined_on=case.joined)
        m.awards = [Award(position_no=i, title=f"Huy hiệu {y} năm tuổi Đảng") for i, y in enumerate(case.awarded)]
        m.disciplines = [Discipline(position_no=i, decided_on=d, form=f) for i, (d, f) in enumerate(case.disciplines)]
        session.add(m)
        made.append((case, m))
    await session.flush()
    session.add_all(PartyGap(member_id=m.id, from_on=a, until_on=b) for case, m in made for a, b in case.gaps)
    await session.flush()
    for case, m in made:
        standing = await party_age.member_standing(session, m.id, case.today)
        age = (standing.age.years, standing.age.months) if standing.age else None
        b = standing.badge
        badge = (b.milestone, b.award_day, b.delay_months, b.overdue) if b else None
        assert (age, badge) == (case.age, case.badge), case.name
    assert standing.rule == party_age.rules().short_name


def test_awarded_titles_are_read_whatever_their_case_and_marks():
    assert party_age.milestone_of("HUY HIỆU 40 NĂM TUỔI ĐẢNG") == 40
    assert party_age.milestone_of("Huy hieu 30 nam tuoi Dang (truy tặng)") == 30
    assert party_age.milestone_of("Giấy khen của Đảng ủy phường") is None


@pytest.fixture
async def ward(session):
    city, ward, other, cell1, cell2, far = await two_wards(session)

    def member(name, cell, joined, awarded=(), disciplines=()):
        m = Member(full_name=name, cell_id=cell.id, joined_on=joined)
        m.awards = [Award(position_no=i, title=f"Huy hiệu {y} năm tuổi Đảng") for i, y in enumerate(awarded)]
        m.disciplines = [Discipline(position_no=0, decided_on=d, form=f) for d, f in disciplines]
        session.add(m)
        return m

    people = {
        "due": member("Trần Thị Bích Liên", cell2, date(1977, 1, 24), (30, 40)),
        "due_first_cell": member("Lê Văn Bảy", cell1, date(1986, 11, 20)),
        "later": member("Ngô Văn Tài", cell2, date(1977, 6, 1), (30, 40, 45)),
        "delayed": member("Phạm Văn Hùng", cell1, date(1996, 12, 1), (), [(date(2023, 6, 15), R)]),
        "young": member("Phan Minh Khôi", cell1, date(2025, 3, 1)),
        "far": member("Nguyễn Văn Xa", far, date(1977, 1, 2), (30, 40)),
        "officer": member("Huỳnh Thị Mai", cell2, date(2000, 1, 1)),
        "secretary": member("Nguyễn Thị Hồng Nhung", cell1, date(2001, 1, 1)),
    }
    await session.flush()
    await grant(session, people["officer"].id, ward.id, RoleKind.committee)
    await grant(session, people["secretary"].id, cell1.id, RoleKind.secretary)
    return people


DAY = date(2027, 2, 3)


async def test_a_committee_sees_who_is_due_in_its_ward_only(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    found = await party_age.due_at(session, officer, DAY)
    assert [(d.full_name, d.cell_name, d.badge.milestone) for d in found] == [
        ("Lê Văn Bảy", "Chi bộ 1", 40), ("Trần Thị Bích Liên", "Chi bộ 2", 50)]
    # Not the cell secretary: badges are a committee's.
    assert await party_age.due_at(session, await member_actor(session, ward["secretary"].id), DAY) == []
    admin = await member_actor(session, ward["officer"].id)
    admin.is_admin = True
    assert {d.full_name for d in await party_age.due_at(session, admin, DAY)} == {
        "Lê Văn Bảy", "Trần Thị Bích Liên", "Nguyễn Văn Xa"}
    # Phạm Văn Hùng reaches 30 years on 01/12/2026; his reprimand delays him to 01/06/2027, so 2/9/2027.
    assert {d.full_name for d in await party_age.due_at(session, officer, date(2027, 9, 2))} >= {"Phạm Văn Hùng"}
    assert await party_age.due_count(session, officer, date(2026, 12, 10)) == 2  # 55 days before 3/2
    assert await party_age.due_count(session, officer, date(2026, 11, 8)) == 0  # 87 days: not yet shown


async def test_recording_an_award_once_within_the_committees_units(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    due = ward["due"]
    recorded, award = await party_age.record_award(session, officer, due.id, 50, today=TODAY)
    assert (recorded.full_name, recorded.cell_name, recorded.badge.milestone) == (due.full_name, "Chi bộ 2", 50)
    assert (award.title, award.awarded_on) == ("Huy hiệu 50 năm tuổi Đảng", DAY)
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "badge_awarded"))).one()
    assert (entry.actor_member_id, entry.subject_member_id) == (officer.member_id, due.id)
    assert [d.full_name for d in await party_age.due_at(session, officer, DAY)] == ["Lê Văn Bảy"]

    refusals = [
        (due.id, 50, "already"),
        (due.id, 45, "already"),
        (ward["far"].id, 50, "not_allowed"),
        (999_999, 50, "not_allowed"),
        (ward["later"].id, 50, "not_due"),
        (ward["due_first_cell"].id, 30, "not_due"),  # 40 is the one due
        (ward["due_first_cell"].id, 41, "bad_milestone"),
    ]
    for member_id, milestone, reason in refusals:
        with pytest.raises(BadgeError) as exc:
            await party_age.record_award(session, officer, member_id, milestone, today=TODAY)
        assert exc.value.reason == reason, (member_id, milestone)
    secretary = await member_actor(session, ward["secretary"].id)
    with pytest.raises(BadgeError, match="not_allowed"):
        await party_age.record_award(session, secretary, ward["due_first_cell"].id, 40, today=TODAY)


async def test_a_period_out_of_the_party_is_recorded_and_deducted(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    member = ward["due_first_cell"]  # admitted 20/11/1986: 40 years on 20/11/2026, due on 3/2/2027
    before = await party_age.member_standing(session, member.id, TODAY)
    assert (before.age.years, before.age.months, before.badge.milestone) == (40, 0, 40)
    await party_age.record_gap(session, officer, member.id, date(1990, 1, 1), date(1991, 1, 1), "Mất liên lạc",
                               today=TODAY)
    after = await party_age.member_standing(session, member.id, TODAY)
    assert (after.age.years, after.age.months) == (39, 0)
    assert (after.badge.milestone, after.badge.award_day) == (30, DAY)  # 40 moves to 20/11/2027: 30 is the one due
    assert [d.full_name for d in await party_age.due_at(session, officer, DAY)] == [
        "Lê Văn Bảy", "Trần Thị Bích Liên"]
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "party_gap_recorded"))).one()
    assert entry.subject_member_id == member.id

    bad = [
        (member.id, date(1985, 1, 1), date(1986, 1, 1), "gap_dates"),  # before the admission
        (member.id, date(2027, 1, 1), None, "gap_dates"),  # in the future
        (member.id, date(2000, 5, 1), date(2000, 4, 1), "gap_dates"),  # ends before it starts
        (member.id, date(1990, 6, 1), date(1992, 1, 1), "gap_overlap"),
        (member.id, date(1989, 1, 1), None, "gap_overlap"),
        (ward["far"].id, date(1990, 1, 1), date(1991, 1, 1), "not_allowed"),
    ]
    for member_id, start, until, reason in bad:
        with pytest.raises(BadgeError) as exc:
            await party_age.record_gap(session, officer, member_id, start, until, today=TODAY)
        assert exc.value.reason == reason, (start, until)
    secretary = await member_actor(session, ward["secretary"].id)
    with pytest.raises(BadgeError, match="not_allowed"):
        await party_age.record_gap(session, secretary, member.id, date(2001, 1, 1), date(2002, 1, 1), today=TODAY)
