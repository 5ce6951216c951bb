"""The profile as shown (load_profile): two queries, the same facts as the ORM objects and the other models' reads hold."""
from __future__ import annotations

from datetime import date

from models import party_age, probation, transfers
from models.accounts import ensure_account
from models.members import (
    Award,
    AwardEntry,
    Discipline,
    DisciplineEntry,
    DisciplineForm,
    Member,
    PartyGap,
    WorkHistory,
    WorkPeriod,
    get_profile,
    load_profile,
)
from models.permissions import load_actor
from models.probation_file import ProbationFile, helped_by
from models.roles import RoleKind, grant
from models.transfers import Direction, MemberCell, Transfer, TransferKind
from models.units import UnitKind, add_unit


async def test_profile_view_holds_every_part_in_order(session):
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    cell = await add_unit(session, "Chi bộ <Tổ 3> & 4", UnitKind.cell, ward)
    other = await add_unit(session, "Chi bộ Tổ 9", UnitKind.cell, ward)
    m = Member(full_name="Lê Thị Thu", cell_id=cell.id, birth_date=date(1941, 3, 9), official_on=date(1966, 5, 1))
    m.work_history = [WorkHistory(position_no=2, period_from="1975", period_to=None, description="Hiệu trưởng"),
                      WorkHistory(position_no=1, period_from="1960", period_to="1975", description="Giáo viên")]
    m.awards = [Award(position_no=1, awarded_on=date(2005, 5, 19), title="Huy hiệu 40 năm tuổi Đảng", decision="125-QĐ/TU"),
                Award(position_no=2, awarded_on=None, title="Bằng khen", decision=None)]
    m.disciplines = [Discipline(position_no=1, decided_on=date(2021, 3, 15), form=DisciplineForm.reprimand,
                                reason="Vắng sinh hoạt")]
    bystander = Member(full_name="Trần Văn Lâm", cell_id=other.id)
    session.add_all([m, bystander])
    await session.flush()
    await grant(session, m.id, cell.id, RoleKind.secretary)
    await grant(session, m.id, ward.id, RoleKind.committee)
    await session.commit()

    bystander_id = bystander.id
    view = await load_profile(session, m.id)
    assert view.member.id == m.id and view.member.cell.name == "Chi bộ <Tổ 3> & 4"
    assert view.units == ("Đảng bộ thành phố Huế", "Đảng bộ phường Phú Hội", "Chi bộ <Tổ 3> & 4")
    assert view.roles == ((RoleKind.committee, "Đảng bộ phường Phú Hội"), (RoleKind.secretary, "Chi bộ <Tổ 3> & 4"))
    assert view.work_history == (WorkPeriod("1960", "1975", "Giáo viên"), WorkPeriod("1975", None, "Hiệu trưởng"))
    assert view.awards == (AwardEntry(date(2005, 5, 19), "Huy hiệu 40 năm tuổi Đảng", "125-QĐ/TU"),
                           AwardEntry(None, "Bằng khen", None))
    assert view.disciplines == (DisciplineEntry(date(2021, 3, 15), DisciplineForm.reprimand, "Vắng sinh hoạt"),)

    # The ORM path (used for edits), read afresh, agrees on the lists.
    session.expunge_all()
    orm = await get_profile(session, m.id)
    assert [w.description for w in orm.work_history] == [w.description for w in view.work_history]
    assert [a.title for a in orm.awards] == [a.title for a in view.awards]

    # Another member's parts never leak in; a member with none has empty lists.
    plain = await load_profile(session, bystander_id)
    assert plain.units == ("Đảng bộ thành phố Huế", "Đảng bộ phường Phú Hội", "Chi bộ Tổ 9")
    assert (plain.roles, plain.work_history, plain.awards, plain.disciplines) == ((), (), (), ())
    assert await load_profile(session, 10_000) is None


async def test_actor_in_one_query_with_and_without_roles(session):
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell, city)
    officer, member = Member(full_name="A", cell_id=cell.id), Member(full_name="B", cell_id=cell.id)
    session.add_all([officer, member])
    await session.flush()
    await grant(session, officer.id, cell.id, RoleKind.secretary)
    await grant(session, officer.id, city.id, RoleKind.admin)
    for uid, who in ((1, officer), (2, member)):
        account = await ensure_account(session, uid, "vi")
        account.member_id = who.id
    await ensure_account(session, 3, "en")  # a stranger: an account, no member
    await session.commit()

    a = await load_actor(session, 1)
    assert (a.member_id, a.cell_id, a.cell_path, a.language) == (officer.id, cell.id, cell.path, "vi")
    assert [(r.kind, r.unit_id) for r in a.roles] == [(RoleKind.admin, city.id), (RoleKind.secretary, cell.id)]
    assert a.is_admin
    b = await load_actor(session, 2)
    assert (b.member_id, b.roles, b.is_admin, b.is_officer) == (member.id, [], False, False)
    stranger = await load_actor(session, 3)
    assert (stranger.member_id, stranger.language, stranger.roles, stranger.linked) == (None, "en", [], False)
    nobody = await load_actor(session, 4, admin_ids=frozenset({4}))
    assert (nobody.language, nobody.is_admin) == (None, True)


async def test_profile_view_brings_what_the_profile_says_from_other_tables(session):
    """Party gaps, cells left, an open transfer, the probation helper and those helped: the same as the
    functions that read each of them (the profile shows them without a query of its own)."""
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell, city)
    old = await add_unit(session, "Chi bộ 2", UnitKind.cell, city)
    older = await add_unit(session, "Chi bộ 3", UnitKind.cell, city)
    m = Member(full_name="Lê Văn Bảy", cell_id=cell.id, joined_on=date(1972, 11, 12), official_on=date(1973, 12, 1))
    m.awards = [Award(position_no=1, awarded_on=date(2002, 2, 3), title="Huy hiệu 30 năm tuổi Đảng")]
    m.disciplines = [Discipline(position_no=1, decided_on=date(2001, 3, 15), form=DisciplineForm.warning)]
    young = [Member(full_name=n, cell_id=cell.id, joined_on=date(2026, 1, 5)) for n in ("Trần Thị Yến", "Lê Anh")]
    session.add_all([m, *young])
    await session.flush()
    session.add_all([
        PartyGap(member_id=m.id, from_on=date(1980, 1, 1), until_on=date(1982, 6, 1)),
        PartyGap(member_id=m.id, from_on=date(1990, 1, 1), until_on=None),
        MemberCell(member_id=m.id, cell_id=old.id, from_on=date(1990, 1, 1), until_on=date(2000, 1, 1)),
        MemberCell(member_id=m.id, cell_id=older.id, from_on=None, until_on=date(1990, 1, 1)),
        *(ProbationFile(member_id=y.id, helper_member_id=m.id) for y in young),
    ])
    await session.commit()

    view = await load_profile(session, m.id)
    assert sorted(view.gaps) == [(date(1980, 1, 1), date(1982, 6, 1)), (date(1990, 1, 1), None)]
    assert list(view.past_cells) == await transfers.past_cells(session, m.id) == [
        ("Chi bộ 3", None, date(1990, 1, 1)), ("Chi bộ 2", date(1990, 1, 1), date(2000, 1, 1))]
    assert view.helper is None and list(view.helped) == (await helped_by(session, m.id))[1] == ["Lê Anh", "Trần Thị Yến"]
    assert not view.open_transfer
    for day in (date(2026, 12, 5), date(2030, 1, 1)):
        assert party_age.standing_of(view, day) == await party_age.member_standing(session, m.id, day)
    y = await load_profile(session, young[0].id)
    assert (y.helper, y.helped, y.gaps, y.past_cells) == ("Lê Văn Bảy", (), (), ())
    member = y.member
    assert (probation.deadlines_of(member.joined_on, member.official_on, member.ceremony_on, date(2026, 6, 1))
            == await probation.member_deadlines(session, member.id, date(2026, 6, 1)))

    session.add(Transfer(member_id=m.id, kind=TransferKind.official, direction=Direction.outgoing,
                         decided_on=date(2026, 11, 1), unit_id=old.id))
    await session.commit()
    assert (await load_profile(session, m.id)).open_transfer
