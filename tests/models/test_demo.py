"""Demo data: the ward of Phú Hội, its three cells, thirty members and the training personas."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import anniversaries, clock
from models.accounts import Account, LinkOutcome, link_by_contact
from models.dates import local_today
from models.demo import BIRTHDAY_IN, BIRTHDAY_SOON, CELLS, DemoNotEmpty, load_demo
from models.members import Award, Discipline, DisciplineForm, Gender, Member, WorkHistory
from models.permissions import load_actor, may_view_member, member_actor
from models.phones import normalise_phone
from models.roles import Role, RoleKind
from models.units import Unit, UnitKind


def age(born) -> int:
    today = local_today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def members_of(session) -> list[Member]:
    return list((await session.scalars(select(Member).order_by(Member.id))).all())


async def test_structure(session):
    demo = await load_demo(session)
    await session.commit()
    units = {u.id: u for u in await session.scalars(select(Unit))}
    assert len(units) == 5
    city, ward = units[demo.city], units[demo.ward]
    assert (city.name, city.kind, city.parent_id) == ("Đảng bộ thành phố Huế", UnitKind.city, None)
    assert (ward.name, ward.kind, ward.parent_id) == ("Đảng bộ phường Phú Hội", UnitKind.ward, city.id)
    assert list(demo.cells) == ["Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2", "Chi bộ Tổ dân phố 5"] == list(CELLS)
    for name, cell_id in demo.cells.items():
        cell = units[cell_id]
        assert (cell.name, cell.kind, cell.parent_id) == (name, UnitKind.cell, ward.id)
        assert cell.path == f"{ward.path}{cell.id}/"


async def test_members(session):
    demo = await load_demo(session)
    members = await members_of(session)
    assert 25 <= len(members) <= 35
    per_cell = Counter(m.cell_id for m in members)
    # Every cell has at least three full members (the Charter's minimum).
    assert per_cell.keys() == set(demo.cells.values())
    assert all(sum(m.cell_id == cell and m.is_full_member for m in members) >= 3 for cell in per_cell)
    # Realistic Vietnamese names, with their diacritics.
    assert all(not m.full_name.isascii() and len(m.full_name.split()) >= 3 for m in members)
    assert {m.gender for m in members} == {Gender.male, Gender.female}
    assert all(1940 <= m.birth_date.year <= 1995 for m in members)
    assert sum(age(m.birth_date) > 65 for m in members) >= 5
    assert any(age(m.birth_date) > 75 for m in members)
    probationary = [m for m in members if m.official_on is None]
    assert 1 <= len(probationary) <= 5
    assert all(m.joined_on > m.birth_date for m in members)
    assert all(m.official_on > m.joined_on for m in members if m.official_on)
    # Phones and cards: unique, and phones already in the one format linking by contact expects.
    phones = [m.phone for m in members]
    assert len(set(phones)) == len(phones)
    assert all(p.startswith(("+8490", "+8491")) and normalise_phone(p) == p for p in phones)
    cards = [m.card_number for m in members]
    assert len(set(cards)) == len(cards) and all(c.startswith("07.") and len(c) == 9 for c in cards)
    assert all(m.position and "Huế" in m.address for m in members)


async def test_profiles(session):
    await load_demo(session)
    history = Counter((await session.scalars(select(WorkHistory.member_id))).all())
    members = await members_of(session)
    with_history = [m for m in members if 2 <= history[m.id] <= 4]
    assert len(with_history) >= len(members) * 2 // 3
    assert all(history[m.id] <= 4 for m in members)
    titles = set((await session.scalars(select(Award.title))).all())
    assert {"Huy hiệu 40 năm tuổi Đảng", "Giấy khen của Đảng ủy phường"} <= titles
    assert all(a.awarded_on <= local_today() for a in await session.scalars(select(Award)))
    discipline = (await session.scalars(select(Discipline))).one()
    assert discipline.form is DisciplineForm.reprimand


async def test_roles(session):
    demo = await load_demo(session)
    roles = (await session.execute(select(Role.kind, Role.unit_id, Role.member_id))).all()
    secretaries = {unit_id for kind, unit_id, _ in roles if kind is RoleKind.secretary}
    assert secretaries == set(demo.cells.values())
    assert [unit_id for kind, unit_id, _ in roles if kind is RoleKind.deputy] == [demo.cells["Chi bộ Tổ dân phố 1"]]
    assert [(unit_id, m) for kind, unit_id, m in roles if kind is RoleKind.committee] == [
        (demo.ward, demo.committee_officer.member_id)]
    assert len(roles) == 5


async def test_personas(session):
    demo = await load_demo(session)
    cell1, cell2 = "Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2"

    elderly = await session.get(Member, demo.elderly_member.member_id)
    assert age(elderly.birth_date) > 75 and demo.elderly_member.cell == cell1
    assert elderly.cell_id == demo.cells[cell1] and demo.elderly_member.role == "member"

    young = await session.get(Member, demo.young_member.member_id)
    assert age(young.birth_date) < 40 and young.official_on is None and not young.is_full_member
    assert young.cell_id == demo.cells[cell1]

    assert demo.secretary.role == "secretary" and demo.secretary.cell == cell1
    assert await session.scalar(select(Role.id).where(
        Role.member_id == demo.secretary.member_id, Role.unit_id == demo.cells[cell1], Role.kind == RoleKind.secretary))
    assert demo.committee_officer.role == "committee"

    newcomer = await session.get(Member, demo.newcomer.member_id)
    assert newcomer.cell_id == demo.cells[cell2] and demo.newcomer.cell == cell2
    assert newcomer.phone == demo.newcomer.phone and newcomer.full_name == demo.newcomer.full_name
    personas = [demo.elderly_member, demo.young_member, demo.secretary, demo.committee_officer, demo.newcomer]
    assert len({p.member_id for p in personas}) == 5


async def test_no_telegram_links_and_the_newcomer_links_by_contact(session):
    demo = await load_demo(session)
    assert await session.scalar(select(func.count()).select_from(Account)) == 0
    result = await link_by_contact(session, 5551, 5551, demo.newcomer.phone)
    assert (result.outcome, result.member_id) == (LinkOutcome.linked, demo.newcomer.member_id)


async def test_the_officer_sees_the_ward_and_the_secretary_her_cell(session):
    demo = await load_demo(session)
    members = await members_of(session)
    cell1 = demo.cells["Chi bộ Tổ dân phố 1"]
    for tg, persona in ((1, demo.secretary), (2, demo.committee_officer)):
        session.add(Account(telegram_user_id=tg, member_id=persona.member_id))
    await session.flush()
    secretary, officer = await load_actor(session, 1), await load_actor(session, 2)
    assert all([await may_view_member(session, officer, m.id) for m in members])
    assert [await may_view_member(session, secretary, m.id) for m in members] == [m.cell_id == cell1 for m in members]


async def test_only_into_an_empty_database(session):
    await load_demo(session)
    with pytest.raises(DemoNotEmpty):
        await load_demo(session)


async def test_deterministic(session):
    clock.freeze(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))

    async def snapshot():
        demo = await load_demo(session)
        rows = (await session.execute(select(
            Member.full_name, Member.birth_date, Member.phone, Member.card_number, Member.joined_on,
            Member.official_on, Member.address).order_by(Member.id))).all()
        titles = (await session.execute(select(Award.title, Award.awarded_on).order_by(Award.id))).all()
        return demo.newcomer.full_name, demo.newcomer.phone, rows, titles

    first = await snapshot()
    await session.rollback()
    assert await snapshot() == first


@pytest.mark.parametrize("today", [datetime(2026, 12, 4, 3, tzinfo=UTC), datetime(2027, 4, 30, 3, tzinfo=UTC),
                                   datetime(2027, 5, 19, 3, tzinfo=UTC), datetime(2028, 2, 29, 3, tzinfo=UTC)])
async def test_one_member_is_due_the_fifty_years_badge_at_the_next_award_day(session, today):
    """Issue 17: the committee's list of the next award day is never empty in the demo, whenever it runs."""
    from models import party_age
    from models.demo import BADGE_50
    from models.permissions import member_actor

    clock.freeze(today)
    try:
        demo = await load_demo(session)
        officer = await member_actor(session, demo.committee_officer.member_id)
        day = party_age.next_award_day()
        assert [(d.full_name, d.badge.milestone) for d in await party_age.due_at(session, officer, day)] == [
            (BADGE_50, 50)]
    finally:
        clock.reset()


async def test_a_birthday_this_week(session):
    """Issue 17: a member of cell 1 has a birthday within the week, so the secretary's to-do lists it."""
    demo = await load_demo(session)
    found = await anniversaries.upcoming(session, await member_actor(session, demo.secretary.member_id))
    day = local_today() + timedelta(days=BIRTHDAY_IN)
    assert (BIRTHDAY_SOON, day, day.year - 1951) in [(o.full_name, o.day, o.years) for o in found], found


# 20/01/2027: the young member's conversion window runs across Tết 2027 (5–10/02 off).
@pytest.mark.parametrize("today", [datetime(2026, 12, 4, 3, tzinfo=UTC), datetime(2027, 1, 20, 3, tzinfo=UTC),
                                   datetime(2027, 8, 31, 3, tzinfo=UTC), datetime(2028, 2, 29, 3, tzinfo=UTC)])
async def test_the_young_member_is_a_probationary_member_due_soon_in_the_secretarys_todo(session, today):
    """Issue 17: the secretary's to-do (and the 🌱 panel) lists the probationary member whose conversion meeting is
    due within the reminders' window, whenever the demo runs."""
    from models import probation
    from models.demo import CONVERSION_DUE_IN
    from models.todo import todo_for

    clock.freeze(today)
    try:
        demo = await load_demo(session)
        secretary = await member_actor(session, demo.secretary.member_id)
        found = (await todo_for(session, secretary, today)).probation
        young = [d for d in found if d.member_id == demo.young_member.member_id]
        assert [d.deadlines.status for d in young] == [probation.Status.conversion_due], found
        # Due in about CONVERSION_DUE_IN days (a weekend or holiday moves it to the next working day), warned.
        assert CONVERSION_DUE_IN <= young[0].days_left <= CONVERSION_DUE_IN + 7 and young[0].threshold == 30
    finally:
        clock.reset()
