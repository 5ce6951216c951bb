"""Anniversaries (issue 17): a table of members with the occasions expected in a window — birthdays, longevity
celebrations (mừng thọ at the rules' ages), party-join anniversaries (the rules' years), 29 February on
28 February in a common year, a window across the new year — and an officer's list scoped to their units."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from models import anniversaries
from models.anniversaries import Kind
from models.members import Member
from models.permissions import member_actor
from models.roles import RoleKind, grant
from models.units import UnitKind, add_unit

from .two_wards import two_wards

D = date
B, L, P = Kind.birthday, Kind.longevity, Kind.party
MONDAY = D(2026, 12, 7)  # the week 07/12–13/12/2026


@dataclass(frozen=True)
class Case:
    name: str
    birth: date | None
    joined: date | None
    first: date
    last: date
    expected: list[tuple[Kind, date, int]]


CASES = (
    Case("sinh nhật trong tuần", D(1960, 12, 9), None, MONDAY, D(2026, 12, 13), [(B, D(2026, 12, 9), 66)]),
    Case("mừng thọ 80", D(1946, 12, 13), None, MONDAY, D(2026, 12, 13), [(L, D(2026, 12, 13), 80)]),
    Case("sinh nhật hôm sau tuần", D(1946, 12, 14), None, MONDAY, D(2026, 12, 13), []),
    Case("sinh nhật hôm qua", D(1946, 12, 6), None, MONDAY, D(2026, 12, 13), []),
    Case("mừng thọ 100", D(1926, 12, 7), None, MONDAY, D(2026, 12, 13), [(L, D(2026, 12, 7), 100)]),
    Case("71 tuổi: sinh nhật", D(1955, 12, 10), None, MONDAY, D(2026, 12, 13), [(B, D(2026, 12, 10), 71)]),
    Case("30 năm tuổi Đảng", None, D(1996, 12, 11), MONDAY, D(2026, 12, 13), [(P, D(2026, 12, 11), 30)]),
    Case("31 năm tuổi Đảng: không", None, D(1995, 12, 11), MONDAY, D(2026, 12, 13), []),
    Case("55 năm tuổi Đảng và mừng thọ 75", D(1951, 12, 12), D(1971, 12, 8), MONDAY, D(2026, 12, 13),
         [(P, D(2026, 12, 8), 55), (L, D(2026, 12, 12), 75)]),
    # 29/02 falls on 28/02 in a common year, on 29/02 in a leap year.
    Case("29/2 năm thường", D(1956, 2, 29), None, D(2027, 2, 22), D(2027, 2, 28), [(B, D(2027, 2, 28), 71)]),
    Case("29/2 năm nhuận", D(1956, 2, 29), None, D(2028, 2, 28), D(2028, 3, 5), [(B, D(2028, 2, 29), 72)]),
    Case("29/2 vào Đảng, 40 năm", None, D(1988, 2, 29), D(2028, 2, 23), D(2028, 2, 29), [(P, D(2028, 2, 29), 40)]),
    Case("29/2 vào Đảng, 35 năm", None, D(1988, 2, 29), D(2023, 2, 22), D(2023, 2, 28), [(P, D(2023, 2, 28), 35)]),
    # A window across the new year.
    Case("qua năm mới", D(1957, 1, 2), None, D(2026, 12, 28), D(2027, 1, 3), [(L, D(2027, 1, 2), 70)]),
    Case("sinh trong tương lai", D(2027, 12, 9), None, MONDAY, D(2026, 12, 13), []),
    Case("không có ngày", None, None, MONDAY, D(2026, 12, 13), []),
)


def test_the_rules_file():
    r = anniversaries.rules()
    assert r.longevity_ages == (70, 75, 80, 85, 90, 95, 100)
    assert r.party_years[:3] == (30, 35, 40) and r.days_ahead == 7


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_occasions_of_a_member(case):
    assert anniversaries.occasions_of(case.birth, case.joined, case.first, case.last) == case.expected


async def test_the_table_of_members_in_the_database(session):
    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell)
    made = [(c, Member(full_name=c.name, cell_id=cell.id, birth_date=c.birth, joined_on=c.joined)) for c in CASES]
    session.add_all(m for _, m in made)
    await session.flush()
    for case, m in made:
        found = [(o.kind, o.day, o.years) for o in await anniversaries.on_day(session, case.first, [cell.id])
                 if o.member_id == m.id]
        assert found == [x for x in case.expected if x[1] == case.first], case.name
    # The day's query takes 29/02 in on 28/02 of a common year only, and each member's day by month and day.
    # (The two "29/2 năm …" members share a birth date, the two "29/2 vào Đảng …" an admission date.)
    for day, expected in ((D(2027, 2, 28), [("29/2 năm nhuận", B, 71), ("29/2 năm thường", B, 71)]),
                          (D(2028, 2, 28), []),
                          (D(2028, 2, 29), [("29/2 năm nhuận", B, 72), ("29/2 năm thường", B, 72),
                                            ("29/2 vào Đảng, 35 năm", P, 40), ("29/2 vào Đảng, 40 năm", P, 40)]),
                          (D(2026, 12, 12), [("55 năm tuổi Đảng và mừng thọ 75", L, 75)])):
        found = [(o.full_name, o.kind, o.years) for o in await anniversaries.on_day(session, day, [cell.id])]
        assert sorted(found) == expected, day


@pytest.fixture
async def ward(session):
    city, ward, other, cell1, cell2, far = await two_wards(session)

    def member(name, cell, birth=None, joined=None):
        m = Member(full_name=name, cell_id=cell.id, birth_date=birth, joined_on=joined, official_on=joined)
        session.add(m)
        return m

    people = {
        "bay": member("Lê Văn Bảy", cell1, D(1946, 12, 10), D(1975, 5, 1)),  # mừng thọ 80 on Thursday
        "na": member("Lê Thị Na", cell2, D(1980, 12, 7), D(1996, 12, 13)),  # birthday Monday, 30 years Sunday
        "later": member("Ngô Văn Tài", cell1, D(1950, 12, 14)),  # next Monday: not this week
        "far": member("Nguyễn Văn Xa", far, D(1946, 12, 10)),
        "committee": member("Huỳnh Thị Mai", cell2, D(1970, 6, 1), D(2000, 1, 1)),
        "secretary": member("Nguyễn Thị Hồng Nhung", cell1, D(1965, 3, 1), D(2001, 1, 1)),
    }
    await session.flush()
    await grant(session, people["committee"].id, ward.id, RoleKind.committee)
    await grant(session, people["secretary"].id, cell1.id, RoleKind.secretary)
    return people


async def test_an_officer_sees_the_week_of_their_units_only(session, ward):
    committee = await member_actor(session, ward["committee"].id)
    found = await anniversaries.upcoming(session, committee, MONDAY)
    assert [(o.full_name, o.cell_name, o.kind, o.day, o.years, o.days_left(MONDAY)) for o in found] == [
        ("Lê Thị Na", "Chi bộ 2", B, D(2026, 12, 7), 46, 0),
        ("Lê Văn Bảy", "Chi bộ 1", L, D(2026, 12, 10), 80, 3),
        ("Lê Thị Na", "Chi bộ 2", P, D(2026, 12, 13), 30, 6),
    ]
    secretary = await member_actor(session, ward["secretary"].id)
    assert [o.full_name for o in await anniversaries.upcoming(session, secretary, MONDAY)] == ["Lê Văn Bảy"]
    # a wider window takes the later one in; a member without a role sees nobody
    assert "Ngô Văn Tài" in [o.full_name for o in await anniversaries.upcoming(session, secretary, MONDAY, 8)]
    assert await anniversaries.upcoming(session, await member_actor(session, ward["bay"].id), MONDAY) == []


async def test_the_panel_counts_the_week_and_the_cells_switch_is_audited(session, ward):
    import json

    from sqlalchemy import select

    from models.audit import AuditEntry

    secretary = await member_actor(session, ward["secretary"].id)
    assert await anniversaries.upcoming_count(session, secretary, MONDAY) == 1
    assert await anniversaries.upcoming_count(session, await member_actor(session, ward["committee"].id), MONDAY) == 3
    cell = ward["bay"].cell_id
    await anniversaries.set_cell_greets(session, cell, True, ward["secretary"].id, by_telegram_id=4242)
    await anniversaries.set_cell_greets(session, cell, True, ward["secretary"].id)  # no change: nothing to record
    await anniversaries.set_cell_greets(session, cell, False, ward["secretary"].id)
    rows = (await session.scalars(select(AuditEntry).where(AuditEntry.action.like("anniversary_greetings_%"))
                                  .order_by(AuditEntry.id))).all()
    assert [(r.action, r.actor_member_id, json.loads(r.detail)) for r in rows] == [
        ("anniversary_greetings_on", ward["secretary"].id, {"cell_id": cell}),
        ("anniversary_greetings_off", ward["secretary"].id, {"cell_id": cell}),
    ]
    assert rows[0].actor_telegram_id == 4242


async def test_the_weekly_todo_lists_them(session, ward):
    from models import todo
    from models.dates import VIETNAM

    now = datetime(2026, 12, 7, 7, 0, tzinfo=VIETNAM)
    found = await todo.todo_for(session, await member_actor(session, ward["secretary"].id), now)
    assert [(o.full_name, o.years) for o in found.anniversaries] == [("Lê Văn Bảy", 80)] and not found.empty
    assert (await todo.todo_for(session, await member_actor(session, ward["bay"].id), now)).anniversaries == ()


async def test_the_daily_greetings_once_on_the_day_when_the_cell_greets(session, ward):
    from sqlalchemy import select

    from models.accounts import Account
    from models.dates import VIETNAM
    from models.deliveries import Delivery

    for key in ("bay", "na", "committee"):
        session.add(Account(telegram_user_id=800000 + ward[key].id, member_id=ward[key].id, language="vi"))
    await session.flush()
    bay, na = ward["bay"], ward["na"]
    thursday_7 = datetime(2026, 12, 10, 7, 59, tzinfo=VIETNAM)
    thursday_8 = datetime(2026, 12, 10, 8, 0, tzinfo=VIETNAM)
    # Off by default: nothing.
    assert await anniversaries.daily_tick(session, now=thursday_8) == []
    await anniversaries.set_cell_greets(session, bay.cell_id, True, ward["secretary"].id)
    assert await anniversaries.cell_greets(session, bay.cell_id)
    assert await anniversaries.daily_tick(session, now=thursday_7) == []  # before the rules' hour
    [(kind, ref)] = await anniversaries.daily_tick(session, now=thursday_8)
    assert kind == anniversaries.GREETING_DELIVERY
    assert await anniversaries.daily_tick(session, now=thursday_8) == []  # once
    g = await anniversaries.greeting(session, ref)
    assert g is not None and (g.full_name, g.cell_name, g.kind, g.years) == ("Lê Văn Bảy", "Chi bộ 1", L, 80)
    rows = (await session.execute(select(Delivery.member_id, Delivery.chat_id).where(Delivery.kind == kind))).all()
    assert [tuple(r) for r in rows] == [(bay.id, 800000 + bay.id)]
    # Opting out (or the cell turning them off) stops a greeting not sent yet.
    await anniversaries.opt_out(session, bay.id)
    assert await anniversaries.member_opted_out(session, bay.id) and await anniversaries.greeting(session, ref) is None
    await anniversaries.opt_out(session, bay.id, False)
    assert await anniversaries.greeting(session, ref) is not None
    await anniversaries.set_cell_greets(session, bay.cell_id, False, None)
    assert await anniversaries.greeting(session, ref) is None
    # Cell 2 greets; Na opted out: her birthday on Monday and 30 years on Sunday pass unsent.
    await anniversaries.set_cell_greets(session, na.cell_id, True, None)
    await anniversaries.opt_out(session, na.id)
    assert await anniversaries.daily_tick(session, now=datetime(2026, 12, 13, 9, 0, tzinfo=VIETNAM)) == []
    await anniversaries.opt_out(session, na.id, False)
    assert len(await anniversaries.daily_tick(session, now=datetime(2026, 12, 13, 9, 0, tzinfo=VIETNAM))) == 1
