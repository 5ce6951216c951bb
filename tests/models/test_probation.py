"""Probation (issue 17): a table of members with their expected deadlines (the ceremony within 30 working days
of the decision, month 12, the conversion within 30 working days after it, Tết inside a window) and status,
and an officer's list of who is due, scoped to their units."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from models import probation
from models.members import Member
from models.permissions import member_actor
from models.probation import Status
from models.roles import RoleKind, grant
from models.units import UnitKind, add_unit

from .two_wards import two_wards

D = date
TODAY = D(2026, 12, 4)
C, T, V, L = Status.ceremony_due, Status.on_track, Status.conversion_due, Status.lapsed


@dataclass(frozen=True)
class Case:
    name: str
    joined: date | None
    official: date | None
    today: date
    # (ceremony by, month 12, conversion by, status) or None: not probationary
    expected: tuple[date, date, date, Status] | None
    ceremony: date | None = None  # the admission ceremony, when recorded


CASES = (
    # 30 working days from Tuesday 20/01/2026: Tết Bính Ngọ (16–20/02) adds a week → 10/03, not 03/03;
    # the conversion window after 20/01/2027 crosses Tết Đinh Mùi (04–10/02/2027) → 10/03/2027.
    Case("Tết trong hạn kết nạp", D(2026, 1, 20), None, D(2026, 1, 25), (D(2026, 3, 10), D(2027, 1, 20), D(2027, 3, 10), C)),
    # Month 12 from the ceremony recorded (05/03/2026), not the decision: not yet due on 25/01/2027.
    Case("tháng 12 tính từ lễ kết nạp", D(2026, 1, 20), None, D(2027, 1, 25),
         (D(2026, 3, 10), D(2027, 3, 5), D(2027, 4, 19), T), D(2026, 3, 5)),
    Case("đang dự bị", D(2025, 6, 2), None, D(2026, 1, 1), (D(2025, 7, 14), D(2026, 6, 2), D(2026, 7, 14), T)),
    # 1/1/2027 inside the window: one more day.
    Case("đến hạn xét chuyển", D(2025, 12, 15), None, D(2026, 12, 20), (D(2026, 1, 27), D(2026, 12, 15), D(2027, 1, 27), V)),
    Case("ngày cuối cùng của hạn", D(2025, 12, 15), None, D(2027, 1, 27), (D(2026, 1, 27), D(2026, 12, 15), D(2027, 1, 27), V)),
    Case("tháng 12 đúng hôm nay", D(2025, 12, 15), None, D(2026, 12, 15), (D(2026, 1, 27), D(2026, 12, 15), D(2027, 1, 27), V)),
    # Tết Ất Tỵ (27–31/01/2025) inside the conversion window.
    Case("quá hạn", D(2024, 1, 10), None, TODAY, (D(2024, 2, 28), D(2025, 1, 10), D(2025, 2, 28), L)),
    Case("hôm sau hạn cuối", D(2025, 12, 15), None, D(2027, 1, 28), (D(2026, 1, 27), D(2026, 12, 15), D(2027, 1, 27), L)),
    Case("29/2 thành 28/2", D(2024, 2, 29), None, D(2024, 3, 1), (D(2024, 4, 11), D(2025, 2, 28), D(2025, 4, 14), C)),  # Giỗ Tổ 07/04/2025
    Case("đã chính thức", D(2020, 5, 1), D(2021, 5, 3), TODAY, None),
    Case("ngày vào Đảng trong tương lai", D(2027, 1, 4), None, TODAY, None),
    Case("không có ngày vào Đảng", None, None, TODAY, None),
)


def test_the_rules_file():
    r = probation.rules()
    assert (r.ceremony_working_days, r.months, r.conversion_working_days, r.reminder_days) == (30, 12, 30, (30, 7, 1))
    assert r.month12_from == "ceremony" and r.window_days == 30


def test_month_12_from_the_ceremony_when_recorded():
    d = probation.deadlines(D(2026, 1, 20), D(2026, 3, 20), ceremony_on=D(2026, 3, 5))
    assert (d.month12, d.conversion_by, d.status) == (D(2027, 3, 5), D(2027, 4, 19), T)  # Giỗ Tổ 16/04/2027 inside


async def test_the_table_of_members(session):
    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell)
    made = [(case, Member(full_name=case.name, cell_id=cell.id, joined_on=case.joined, official_on=case.official,
                              ceremony_on=case.ceremony))
            for case in CASES]
    session.add_all(m for _, m in made)
    await session.flush()
    for case, m in made:
        d = await probation.member_deadlines(session, m.id, case.today)
        got = (d.ceremony_by, d.month12, d.conversion_by, d.status) if d else None
        assert got == case.expected, case.name


@pytest.fixture
async def ward(session):
    city, ward, other, cell1, cell2, far = await two_wards(session)

    def member(name, cell, joined, official=None):
        m = Member(full_name=name, cell_id=cell.id, joined_on=joined, official_on=official)
        session.add(m)
        return m

    people = {
        "soon": member("Phan Minh Khôi", cell1, D(2025, 11, 5)),  # conversion by 18/12/2026 (24/11, Ngày Văn hoá ⚠, inside)
        "ceremony": member("Lê Thị Na", cell2, D(2026, 11, 10)),  # ceremony by 23/12/2026
        "later": member("Ngô Văn Tài", cell1, D(2026, 3, 2)),  # conversion by 13/04/2027: not yet
        "lapsed": member("Trần Văn Lỡ", cell1, D(2024, 1, 10)),
        "full": member("Huỳnh Thị Mai", cell2, D(2000, 1, 1), D(2001, 1, 1)),
        "far": member("Nguyễn Văn Xa", far, D(2025, 11, 5)),
        "secretary": member("Nguyễn Thị Hồng Nhung", cell1, D(2001, 1, 1), D(2002, 1, 1)),
    }
    await session.flush()
    await grant(session, people["full"].id, ward.id, RoleKind.committee)
    await grant(session, people["secretary"].id, cell1.id, RoleKind.secretary)
    return people


async def test_an_officer_sees_who_is_due_in_their_units_only(session, ward):
    committee = await member_actor(session, ward["full"].id)
    found = await probation.due(session, committee, TODAY)
    assert [(d.full_name, d.cell_name, d.deadlines.status, d.deadlines.next_deadline, d.days_left, d.threshold)
            for d in found] == [
        ("Trần Văn Lỡ", "Chi bộ 1", L, D(2025, 2, 28), -644, None),
        ("Phan Minh Khôi", "Chi bộ 1", V, D(2026, 12, 18), 14, 30),
        ("Lê Thị Na", "Chi bộ 2", C, D(2026, 12, 23), 19, 30),
    ]
    secretary = await member_actor(session, ward["secretary"].id)
    assert [d.full_name for d in await probation.due(session, secretary, TODAY)] == ["Trần Văn Lỡ", "Phan Minh Khôi"]
    assert await probation.due_count(session, secretary, TODAY) == 2
    # a wider window takes the later one in; a member without a role sees nobody
    assert "Ngô Văn Tài" in [d.full_name for d in await probation.due(session, secretary, TODAY, 200)]
    assert await probation.due(session, await member_actor(session, ward["soon"].id), TODAY) == []


async def test_reminder_thresholds(session, ward):
    secretary = await member_actor(session, ward["secretary"].id)
    for today, left, threshold in ((D(2026, 12, 11), 7, 7), (D(2026, 12, 12), 6, 7), (D(2026, 12, 17), 1, 1), (D(2026, 12, 18), 0, 1)):
        [soon] = [d for d in await probation.due(session, secretary, today) if d.full_name == "Phan Minh Khôi"]
        assert (soon.days_left, soon.threshold) == (left, threshold)


async def test_the_weekly_todo_lists_them(session, ward):
    from models import todo
    from models.dates import VIETNAM

    now = datetime(2026, 12, 4, 9, 0, tzinfo=VIETNAM)
    found = await todo.todo_for(session, await member_actor(session, ward["secretary"].id), now)
    assert [d.full_name for d in found.probation] == ["Trần Văn Lỡ", "Phan Minh Khôi"] and not found.empty
    assert (await todo.todo_for(session, await member_actor(session, ward["soon"].id), now)).probation == ()
