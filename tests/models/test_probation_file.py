"""A probationary member's file (issue 17): the ceremony's date, the helper, the course and the conversion file's
items — recorded only by an officer of the member's cell, every refusal, every change audited."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from models import probation, probation_file
from models.audit import AuditEntry
from models.members import Member
from models.permissions import member_actor
from models.probation import Status
from models.probation_file import FileError
from models.roles import RoleKind, grant

from .two_wards import two_wards

TODAY = date(2026, 12, 4)


@pytest.fixture
async def cell(session):
    _city, _ward, _other, cell1, cell2, _far = await two_wards(session)

    def member(name, unit, joined, official=None):
        m = Member(full_name=name, cell_id=unit.id, joined_on=joined, official_on=official)
        session.add(m)
        return m

    people = {
        "khoi": member("Phan Minh Khôi", cell1, date(2026, 11, 2)),
        "bay": member("Lê Văn Bảy", cell1, date(1986, 11, 20), date(1987, 11, 20)),
        "lien": member("Trần Thị Bích Liên", cell1, date(1977, 1, 24), date(1978, 1, 24)),
        "tai": member("Ngô Văn Tài", cell2, date(1977, 6, 1), date(1978, 6, 1)),
        "secretary": member("Nguyễn Thị Hồng Nhung", cell1, date(2001, 1, 1), date(2002, 1, 1)),
        "secretary2": member("Huỳnh Thị Mai", cell2, date(2000, 1, 1), date(2001, 1, 1)),
    }
    await session.flush()
    await grant(session, people["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, people["secretary2"].id, cell2.id, RoleKind.secretary)
    return people


async def test_the_secretary_keeps_the_file_and_each_change_is_audited(session, cell):
    sec = await member_actor(session, cell["secretary"].id)
    khoi = cell["khoi"]
    card = await probation_file.card(session, sec, khoi.id, TODAY)
    assert (card.ceremony_on, card.helper_name, card.course_done_on, card.done) == (None, None, None, {})
    assert card.deadlines.status is Status.ceremony_due
    assert probation_file.items() == ("self_review", "helper_comments", "mass_org_comments", "residence_comments",
                                      "cell_resolution", "committee_resolution")

    await probation_file.set_ceremony(session, sec, khoi.id, date(2026, 11, 20), TODAY)
    assert [n for _, n in await probation_file.helper_candidates(session, sec, khoi.id)] == [
        "Lê Văn Bảy", "Trần Thị Bích Liên", "Nguyễn Thị Hồng Nhung"]  # full members of the cell, by given name
    await probation_file.set_helper(session, sec, khoi.id, cell["bay"].id)
    await probation_file.set_course(session, sec, khoi.id, True, TODAY)
    await probation_file.set_item(session, sec, khoi.id, "self_review", True, TODAY)
    await probation_file.set_item(session, sec, khoi.id, "cell_resolution", True, TODAY)
    await probation_file.set_item(session, sec, khoi.id, "cell_resolution", False, TODAY)
    card = await probation_file.card(session, sec, khoi.id, TODAY)
    assert (card.ceremony_on, card.helper_name, card.course_done_on, card.done) == (
        date(2026, 11, 20), "Lê Văn Bảy", TODAY, {"self_review": TODAY})
    # Month 12 now counts from the ceremony.
    assert card.deadlines.month12 == date(2027, 11, 20) and card.deadlines.status is Status.on_track
    assert await probation_file.helped_by(session, khoi.id) == ("Lê Văn Bảy", [])
    assert await probation_file.helped_by(session, cell["bay"].id) == (None, ["Phan Minh Khôi"])
    rows = (await session.scalars(select(AuditEntry).where(AuditEntry.subject_member_id == khoi.id)
                                  .order_by(AuditEntry.id))).all()
    assert [(r.action, json.loads(r.detail or "null")) for r in rows] == [
        ("probation_ceremony", {"day": "2026-11-20"}),
        ("probation_helper", {"helper_member_id": cell["bay"].id}),
        ("probation_course", {"done": True}),
        ("probation_file_item", {"item": "self_review", "done": True}),
        ("probation_file_item", {"item": "cell_resolution", "done": True}),
        ("probation_file_item", {"item": "cell_resolution", "done": False}),
    ]
    assert all(r.actor_member_id == cell["secretary"].id for r in rows)


async def test_every_refusal(session, cell):
    sec, sec2, member = [await member_actor(session, cell[k].id) for k in ("secretary", "secretary2", "bay")]
    khoi = cell["khoi"]
    for who in (sec2, member):  # another cell's secretary, a member without a role
        with pytest.raises(FileError, match="not_allowed"):
            await probation_file.card(session, who, khoi.id, TODAY)
        with pytest.raises(FileError, match="not_allowed"):
            await probation_file.set_helper(session, who, khoi.id, cell["bay"].id)
    with pytest.raises(FileError, match="not_allowed"):
        await probation_file.card(session, sec, 999999, TODAY)
    with pytest.raises(FileError, match="not_probationary"):
        await probation_file.card(session, sec, cell["bay"].id, TODAY)
    with pytest.raises(FileError, match="ceremony_before_decision"):
        await probation_file.set_ceremony(session, sec, khoi.id, date(2026, 11, 1), TODAY)
    with pytest.raises(FileError, match="future"):
        await probation_file.set_ceremony(session, sec, khoi.id, date(2026, 12, 5), TODAY)
    for helper in (khoi.id, cell["tai"].id, 999999):  # themself, another cell's member, nobody
        with pytest.raises(FileError, match="helper"):
            await probation_file.set_helper(session, sec, khoi.id, helper)
    with pytest.raises(FileError, match="item"):
        await probation_file.set_item(session, sec, khoi.id, "<b>x</b>", True, TODAY)
    await session.refresh(khoi)
    assert khoi.ceremony_on is None
    assert (await probation_file.card(session, sec, khoi.id, TODAY)).helper_id is None
    assert probation.rules().month12_from == "ceremony"
