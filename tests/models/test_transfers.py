"""Transfers of party activity (issue 17): the deadlines of the rules file, every refusal, the move of an
official transfer with the past cell kept, open transfers as an officer sees them, temporary members apart."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import transfers
from models.audit import AuditEntry
from models.members import Member
from models.permissions import member_actor
from models.roles import RoleKind, grant
from models.transfers import Direction, Purpose, TransferError, TransferKind, TransferState

from .two_wards import two_wards

TODAY = date(2026, 12, 4)  # a Friday
OFF, TMP = TransferKind.official, TransferKind.temporary
OUT, IN = Direction.outgoing, Direction.incoming


def test_working_days_count_monday_to_friday():
    assert transfers.add_working_days(TODAY, 1) == date(2026, 12, 7)  # Friday → Monday
    assert transfers.add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # Saturday → Monday
    assert transfers.add_working_days(TODAY, 5) == date(2026, 12, 11)
    assert transfers.add_working_days(TODAY, 60) == date(2027, 3, 8)  # 12 weeks, then 1/1 and Tết 2027 taken out
    assert transfers.add_working_days(TODAY, 0) == TODAY


def test_the_rules_file():
    r = transfers.rules()
    assert (r.working_days, r.letter_days, r.future_days) == (60, 30, 30)
    assert r.months == {Purpose.work: (3, 12), Purpose.study: (3, 24)}


@pytest.fixture
async def ward(session):
    city, ward, other, cell1, cell2, far = await two_wards(session)

    def member(name, cell, joined):
        m = Member(full_name=name, cell_id=cell.id, joined_on=joined)
        session.add(m)
        return m

    people = {
        "bay": member("Lê Văn Bảy", cell1, date(1986, 11, 20)),
        "lien": member("Trần Thị Bích Liên", cell1, date(1977, 1, 24)),
        "khoi": member("Phan Minh Khôi", cell1, date(2025, 3, 1)),
        "tai": member("Ngô Văn Tài", cell2, date(1977, 6, 1)),
        "xa": member("Nguyễn Văn Xa", far, date(1977, 1, 2)),
        "secretary": member("Nguyễn Thị Hồng Nhung", cell1, date(2001, 1, 1)),
        "secretary2": member("Huỳnh Thị Mai", cell2, date(2000, 1, 1)),
    }
    await session.flush()
    await grant(session, people["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, people["secretary2"].id, cell2.id, RoleKind.secretary)
    return {"cells": (cell1, cell2, far), "ward": ward, **people}


async def test_an_official_transfer_moves_the_member_and_keeps_the_past_cell(session, ward):
    cell1, cell2, _far = ward["cells"]
    secretary = await member_actor(session, ward["secretary"].id)
    bay = ward["bay"]
    t = await transfers.record_transfer(session, secretary, bay.id, kind=OFF, direction=OUT,
                                        decided_on=TODAY, unit_id=cell2.id, today=TODAY)
    assert (t.state, t.unit_id, t.unit_name) == (TransferState.open, cell2.id, None)
    due = transfers.deadlines(t)
    assert (due.move_by, due.letter_by, due.until) == (date(2027, 3, 8), date(2027, 1, 3), None)
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "transfer_recorded"))).one()
    assert (entry.actor_member_id, entry.subject_member_id) == (secretary.member_id, bay.id)

    # Both secretaries see it: the member's and the receiving cell's.
    secretary2 = await member_actor(session, ward["secretary2"].id)
    for who in (secretary, secretary2):
        lines = await transfers.open_transfers(session, who)
        assert [(x.full_name, x.cell_name, x.other) for x in lines] == [("Lê Văn Bảy", "Chi bộ 1", "Chi bộ 2")]

    with pytest.raises(TransferError, match="date_before_decision"):
        await transfers.complete_transfer(session, secretary2, t.id, on=date(2026, 12, 1))
    done = await transfers.complete_transfer(session, secretary2, t.id, on=date(2026, 12, 20))
    assert (done.state, done.closed_on) == (TransferState.done, date(2026, 12, 20))
    await session.refresh(bay)
    assert bay.cell_id == cell2.id
    assert await transfers.past_cells(session, bay.id) == [("Chi bộ 1", None, date(2026, 12, 20))]
    assert await transfers.open_transfers(session, secretary) == []
    with pytest.raises(TransferError, match="not_open"):
        await transfers.complete_transfer(session, secretary2, t.id)
    # Back again later: the second past cell starts where the first ended.
    t2 = await transfers.record_transfer(session, secretary2, bay.id, kind=OFF, direction=OUT,
                                         decided_on=date(2027, 1, 5), unit_id=cell1.id, today=date(2027, 1, 5))
    await transfers.complete_transfer(session, secretary, t2.id, on=date(2027, 2, 1))
    assert await transfers.past_cells(session, bay.id) == [
        ("Chi bộ 1", None, date(2026, 12, 20)), ("Chi bộ 2", date(2026, 12, 20), date(2027, 2, 1))]
    # What the profile shows: the cells left, and a transfer under way with its other end's name.
    t3 = await transfers.record_transfer(session, secretary, bay.id, kind=OFF, direction=OUT,
                                         decided_on=date(2027, 2, 2), unit_name="Đảng bộ tỉnh Quảng Trị",
                                         today=date(2027, 2, 2))
    moves = await transfers.history(session, bay.id)
    assert (len(moves.past), moves.open.id, moves.other) == (2, t3.id, "Đảng bộ tỉnh Quảng Trị")
    assert (await transfers.history(session, ward["lien"].id)) == transfers.History([], None, "")


async def test_a_temporary_member_is_listed_apart_in_the_host_cell(session, ward):
    cell1, cell2, _far = ward["cells"]
    secretary = await member_actor(session, ward["secretary"].id)
    secretary2 = await member_actor(session, ward["secretary2"].id)
    lien = ward["lien"]
    t = await transfers.record_transfer(session, secretary, lien.id, kind=TMP, direction=OUT, decided_on=TODAY,
                                        unit_id=cell2.id, purpose=Purpose.work, until_on=date(2027, 6, 4),
                                        today=TODAY)
    assert transfers.deadlines(t).until == date(2027, 6, 4)
    # Coming in from outside the handbook, recorded by the host cell.
    tai = ward["tai"]
    await transfers.record_transfer(session, secretary2, tai.id, kind=TMP, direction=IN, decided_on=TODAY,
                                    unit_name="Chi bộ Trường Đại học Sư phạm", purpose=Purpose.study,
                                    until_on=date(2028, 12, 4), today=TODAY)
    assert [m.full_name for m in await transfers.temporary_in(session, cell2.id, TODAY)] == [
        "Trần Thị Bích Liên", "Ngô Văn Tài"]
    assert await transfers.temporary_in(session, cell1.id, TODAY) == []
    assert await transfers.temporary_in(session, cell2.id, date(2026, 12, 1)) == []  # not yet begun
    # The member stays in their own cell; completing the temporary transfer moves no one.
    await transfers.complete_transfer(session, secretary, t.id, on=date(2027, 6, 4))
    await session.refresh(lien)
    assert lien.cell_id == cell1.id and await transfers.past_cells(session, lien.id) == []
    assert [m.full_name for m in await transfers.temporary_in(session, cell2.id, TODAY)] == ["Ngô Văn Tài"]


async def test_every_refusal(session, ward):
    cell1, cell2, far = ward["cells"]
    secretary = await member_actor(session, ward["secretary"].id)
    bay, khoi = ward["bay"], ward["khoi"]

    def rec(member_id, **kw):
        args = dict(kind=OFF, direction=OUT, decided_on=TODAY, unit_id=cell2.id, today=TODAY)
        args.update(kw)
        return transfers.record_transfer(session, secretary, member_id, **args)

    refusals = [
        (ward["tai"].id, {}, "not_allowed"),  # another cell's member
        (ward["xa"].id, {}, "not_allowed"),
        (999_999, {}, "not_allowed"),
        (bay.id, {"unit_id": cell1.id}, "same_cell"),
        (bay.id, {"unit_id": ward["ward"].id}, "not_a_cell"),
        (bay.id, {"unit_id": 999_999}, "not_a_cell"),
        (bay.id, {"unit_id": None}, "no_destination"),
        (bay.id, {"unit_id": None, "unit_name": "   "}, "no_destination"),
        (bay.id, {"unit_name": "Chi bộ khác"}, "no_destination"),  # both
        (bay.id, {"unit_id": None, "unit_name": "x" * 201}, "no_destination"),
        (bay.id, {"decided_on": date(2027, 1, 4)}, "date_future"),  # 31 days ahead
        (khoi.id, {"decided_on": date(2025, 2, 28)}, "date_before_joined"),
        (bay.id, {"until_on": date(2027, 6, 1)}, "official_has_no_end"),
        (bay.id, {"kind": TMP}, "temporary_needs_end"),
        (bay.id, {"kind": TMP, "purpose": Purpose.work}, "temporary_needs_end"),
        (bay.id, {"kind": TMP, "purpose": Purpose.work, "until_on": date(2027, 3, 3)}, "length_work"),
        (bay.id, {"kind": TMP, "purpose": Purpose.work, "until_on": date(2027, 12, 5)}, "length_work"),
        (bay.id, {"kind": TMP, "purpose": Purpose.study, "until_on": date(2028, 12, 5)}, "length_study"),
    ]
    for member_id, kw, reason in refusals:
        with pytest.raises(TransferError) as exc:
            await rec(member_id, **kw)
        assert exc.value.reason == reason, (member_id, kw)
    # The edges are allowed: 30 days ahead, the joining day, 3 and 12 months, 2 years of study.
    t = await rec(bay.id, decided_on=date(2027, 1, 3))
    await transfers.cancel_transfer(session, secretary, t.id)
    t = await rec(khoi.id, decided_on=date(2025, 3, 1), unit_id=None, unit_name=" Chi bộ  Công an tỉnh ")
    assert t.unit_name == "Chi bộ Công an tỉnh"
    await transfers.cancel_transfer(session, secretary, t.id)
    for purpose, until in ((Purpose.work, date(2027, 3, 4)), (Purpose.work, date(2027, 12, 4)),
                           (Purpose.study, date(2028, 12, 4))):
        t = await rec(bay.id, kind=TMP, purpose=purpose, until_on=until, unit_id=far.id)
        await transfers.cancel_transfer(session, secretary, t.id)
    # Two open transfers: refused.
    open_one = await rec(bay.id)
    with pytest.raises(TransferError, match="already_open"):
        await rec(bay.id, unit_id=None, unit_name="Đảng bộ tỉnh Quảng Trị")
    # Closing: another ward's secretary may not; an official transfer out of the handbook is not completed here.
    with pytest.raises(TransferError, match="not_allowed"):
        await transfers.cancel_transfer(session, await member_actor(session, ward["xa"].id), open_one.id)
    await transfers.cancel_transfer(session, secretary, open_one.id)
    with pytest.raises(TransferError, match="not_open"):
        await transfers.cancel_transfer(session, secretary, open_one.id)
    outside = await rec(bay.id, unit_id=None, unit_name="Đảng bộ tỉnh Quảng Trị")
    with pytest.raises(TransferError, match="outside_handbook"):
        await transfers.complete_transfer(session, secretary, outside.id)
    with pytest.raises(TransferError, match="not_allowed"):
        await transfers.complete_transfer(session, secretary, 999_999)
    actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("transfer_%")))).all()
    assert actions.count("transfer_cancelled") == 6 and actions.count("transfer_recorded") == 7


async def test_destinations_are_the_cells_of_the_secretarys_committee(session, ward):
    cell1, cell2, far = ward["cells"]
    secretary = await member_actor(session, ward["secretary"].id)
    assert await transfers.destination_cells(session, secretary, cell1.id) == ([cell2], 1)
    admin = await member_actor(session, ward["secretary"].id)
    admin.is_admin = True
    units, total = await transfers.destination_cells(session, admin, cell1.id, 0, 1)
    assert (units, total) == ([cell2], 2)
    assert await transfers.destination_cells(session, admin, cell1.id, 1, 1) == ([far], 2)
    nobody = await member_actor(session, ward["bay"].id)
    assert await transfers.destination_cells(session, nobody, cell1.id) == ([], 0)
    assert await transfers.open_transfers(session, nobody) == []


async def test_the_panels_count_and_a_line_of_the_list(session, ward):
    _cell1, cell2, _far = ward["cells"]
    secretary, secretary2, nobody, far = [await member_actor(session, ward[k].id)
                                          for k in ("secretary", "secretary2", "bay", "xa")]
    assert [await transfers.open_count(session, a) for a in (secretary, secretary2, nobody)] == [0, 0, 0]
    t = await transfers.record_transfer(session, secretary, ward["bay"].id, kind=OFF, direction=OUT,
                                        decided_on=TODAY, unit_id=cell2.id, today=TODAY)
    assert [await transfers.open_count(session, a) for a in (secretary, secretary2, nobody, far)] == [1, 1, 0, 0]
    line = await transfers.open_line(session, secretary2, t.id)
    assert (line.full_name, line.cell_name, line.other, line.due.move_by) == (
        "Lê Văn Bảy", "Chi bộ 1", "Chi bộ 2", date(2027, 3, 8))
    for who, reason in ((far, "not_allowed"), (nobody, "not_allowed")):
        with pytest.raises(TransferError, match=reason):
            await transfers.open_line(session, who, t.id)
    await transfers.cancel_transfer(session, secretary2, t.id)
    with pytest.raises(TransferError, match="not_open"):
        await transfers.open_line(session, secretary, t.id)


async def test_the_todo_lists_a_transfer_as_each_deadline_comes_near(session, ward):
    from datetime import timedelta

    from models import todo
    from models.dates import VIETNAM

    _cell1, cell2, _far = ward["cells"]
    secretary, nobody = [await member_actor(session, ward[k].id) for k in ("secretary", "bay")]
    t = await transfers.record_transfer(session, secretary, ward["bay"].id, kind=OFF, direction=OUT,
                                        decided_on=TODAY, unit_id=cell2.id, today=TODAY)
    await transfers.record_transfer(session, secretary, ward["lien"].id, kind=TMP, direction=OUT, decided_on=TODAY,
                                    unit_id=cell2.id, purpose=Purpose.work, until_on=date(2027, 6, 4), today=TODAY)
    letter_by, move_by = TODAY + timedelta(days=30), date(2027, 3, 8)
    assert transfers.rules().remind_days == 14

    def seen(on: date) -> list[tuple[str, str, date, int]]:
        return [(d.line.full_name, d.step.value, d.day, d.days_left) for d in found[on]]

    found = {on: await transfers.due(session, secretary, on) for on in (
        TODAY, letter_by - timedelta(days=15), letter_by - timedelta(days=14), letter_by, letter_by + timedelta(days=1),
        move_by - timedelta(days=14), move_by + timedelta(days=2), date(2027, 5, 25))}
    assert seen(TODAY) == [] and seen(letter_by - timedelta(days=15)) == []
    assert seen(letter_by - timedelta(days=14)) == [("Lê Văn Bảy", "letter", letter_by, 14)]
    assert seen(letter_by) == [("Lê Văn Bảy", "letter", letter_by, 0)]
    assert seen(letter_by + timedelta(days=1)) == []  # the letter's day past, the move not near yet
    assert seen(move_by - timedelta(days=14)) == [("Lê Văn Bảy", "move", move_by, 14)]
    assert seen(move_by + timedelta(days=2)) == [("Lê Văn Bảy", "move", move_by, -2)]  # overdue, still listed
    assert seen(date(2027, 5, 25)) == [("Lê Văn Bảy", "move", move_by, -78),
                                       ("Trần Thị Bích Liên", "end", date(2027, 6, 4), 10)]
    assert await transfers.due(session, nobody, letter_by) == []
    # The weekly to-do carries them; once completed, the transfer is gone from it.
    monday = datetime(2027, 1, 1, 7, 0, tzinfo=VIETNAM)
    assert [d.line.full_name for d in (await todo.todo_for(session, secretary, monday)).transfers] == ["Lê Văn Bảy"]
    await transfers.complete_transfer(session, secretary, t.id, on=date(2027, 1, 2))
    assert (await todo.todo_for(session, secretary, monday)).transfers == ()


async def test_the_receiving_secretary_sees_the_arrival_and_receives_the_member(session, ward):
    from models.accounts import Account
    from models.todo import todo_for

    cell1, cell2, far = ward["cells"]
    secretary = await member_actor(session, ward["secretary"].id)
    secretary2 = await member_actor(session, ward["secretary2"].id)
    await grant(session, ward["xa"].id, far.id, RoleKind.secretary)
    third = await member_actor(session, ward["xa"].id)
    bay = ward["bay"]
    for uid, m in ((901, ward["secretary"]), (902, ward["secretary2"]), (903, bay)):
        session.add(Account(telegram_user_id=uid, member_id=m.id, language="vi"))
    await session.flush()
    t = await transfers.record_transfer(session, secretary, bay.id, kind=OFF, direction=OUT,
                                        decided_on=TODAY, unit_id=cell2.id, today=TODAY)
    # The receiving cell's secretary: an arrival, in her to-do once (not also as a transfer due).
    now = datetime(2027, 2, 22, 9, 0, tzinfo=UTC)
    found = await todo_for(session, await member_actor(session, ward["secretary2"].id), now)
    assert [(a.full_name, a.cell_name, a.transfer.decided_on) for a in found.arrivals] == [
        ("Lê Văn Bảy", "Chi bộ 1", TODAY)]
    assert found.transfers == ()
    # The member's own cell: a transfer due, no arrival.
    mine = await todo_for(session, secretary, now)
    assert mine.arrivals == () and [d.line.transfer.id for d in mine.transfers] == [t.id]
    assert await transfers.arrivals(session, third) == []
    # Neither the member's own secretary nor a third cell's may receive them.
    for who in (secretary, third):
        with pytest.raises(TransferError, match="not_allowed"):
            await transfers.receive_transfer(session, who, t.id, on=date(2026, 12, 10))
    with pytest.raises(TransferError, match="date_before_decision"):
        await transfers.receive_transfer(session, secretary2, t.id, on=date(2026, 12, 1))

    arrival = await transfers.receive_transfer(session, secretary2, t.id, on=date(2026, 12, 10))
    assert (arrival.from_cell.id, arrival.to_cell.id, arrival.transfer.state) == (cell1.id, cell2.id,
                                                                                  TransferState.done)
    await session.refresh(bay)
    assert bay.cell_id == cell2.id and bay.joined_on == date(1986, 11, 20)  # the profile kept
    assert await transfers.past_cells(session, bay.id) == [("Chi bộ 1", None, date(2026, 12, 10))]
    assert (await session.scalar(select(Account.member_id).where(Account.telegram_user_id == 903))) == bay.id
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "transfer_received"))).one()
    assert (entry.actor_member_id, entry.subject_member_id, json.loads(entry.detail)["to_cell_id"]) == (
        secretary2.member_id, bay.id, cell2.id)
    # Told: the member's former secretary (the receiving one acted; the member is told apart).
    assert await transfers.to_tell_of_arrival(session, arrival, secretary2) == [(901, "vi")]
    assert await transfers.arrivals(session, secretary2) == []
    with pytest.raises(TransferError, match="received"):
        await transfers.receive_transfer(session, secretary2, t.id)

    # A transfer cancelled meanwhile, and a temporary one (nothing to receive), refused.
    lien = ward["lien"]
    t2 = await transfers.record_transfer(session, secretary, lien.id, kind=OFF, direction=OUT,
                                         decided_on=TODAY, unit_id=cell2.id, today=TODAY)
    await transfers.cancel_transfer(session, secretary, t2.id)
    with pytest.raises(TransferError, match="cancelled"):
        await transfers.receive_transfer(session, secretary2, t2.id)
    t3 = await transfers.record_transfer(session, secretary, lien.id, kind=TMP, direction=OUT, decided_on=TODAY,
                                         unit_id=cell2.id, purpose=Purpose.work, until_on=date(2027, 6, 4),
                                         today=TODAY)
    with pytest.raises(TransferError, match="not_allowed"):
        await transfers.receive_transfer(session, secretary2, t3.id)
    assert await transfers.arrivals(session, secretary2) == []
