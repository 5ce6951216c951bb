"""Profile corrections without Telegram: validation, who decides, applied exactly once, audited."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import clock, corrections
from models.accounts import Account
from models.audit import AuditEntry
from models.corrections import BadValue, CorrectionField, CorrectionStatus, Outcome, Verdict
from models.members import Member, WorkHistory, get_profile
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.units import UnitKind, add_unit

F = CorrectionField
T0 = datetime(2026, 5, 12, 3, 0, tzinfo=UTC)


@pytest.fixture
async def ward(session):
    clock.freeze(T0)
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    cell1 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    cell2 = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    members = {
        "member": Member(full_name="Lê Văn Bảy", cell_id=cell1.id, birth_date=date(1943, 3, 9), phone="+84905111222",
                         card_number="07.012345", joined_on=date(1968, 5, 19), official_on=date(1969, 5, 19)),
        "secretary": Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id),
        "deputy": Member(full_name="Hoàng Văn Dũng", cell_id=cell1.id),
        "secretary2": Member(full_name="Trần Văn Lâm", cell_id=cell2.id),
        "officer": Member(full_name="Huỳnh Thị Mai", cell_id=cell2.id),
        "other": Member(full_name="Phan Minh Khôi", cell_id=cell1.id, card_number="07.099999"),
    }
    session.add_all(members.values())
    await session.flush()
    await grant(session, members["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, members["deputy"].id, cell1.id, RoleKind.deputy)
    await grant(session, members["secretary2"].id, cell2.id, RoleKind.secretary)
    await grant(session, members["officer"].id, ward.id, RoleKind.committee)
    for i, m in enumerate(members.values()):
        session.add(Account(telegram_user_id=8_000 + i, member_id=m.id))
    await session.commit()
    return {k: m.id for k, m in members.items()}


async def actor(session, ids, who):
    account = await session.scalar(select(Account).where(Account.member_id == ids[who]))
    return await load_actor(session, account.telegram_user_id)


async def ask(session, ids, field, value, who="member"):
    c = await corrections.request_correction(session, await actor(session, ids, who), field, value)
    await session.commit()
    return c


@pytest.mark.parametrize(
    "field, text, reason",
    [
        (F.phone, "12345", "phone_invalid"),
        (F.phone, "không có", "phone_unparsable"),
        (F.phone, "", "empty"),
        (F.phone, "0905 111 222", "same"),  # the same number written another way
        (F.birth_date, "31/02/1950", "date_no_such_day"),
        (F.birth_date, "5/12/50", "date_two_digit_year"),
        (F.birth_date, "mùng 5 tháng 12", "date_format"),
        (F.birth_date, "05/12/2099", "future"),
        (F.birth_date, "01/01/1970", "after_joined"),
        (F.official_on, "01/01/1968", "before_joined"),
        (F.joined_on, "01/01/1940", "before_birth"),
        (F.joined_on, "01/01/1970", "after_official"),
        (F.full_name, "12345", "not_a_name"),
        (F.full_name, "x" * 201, "too_long"),
        (F.address, "a" * 301, "too_long"),
        (F.card_number, "07.099999", "card_taken"),
        (F.work_history, "1995 - 1990: Giáo viên", "period_backwards"),
    ],
)
async def test_values_are_checked_before_anyone_sees_them(session, ward, field, text, reason):
    with pytest.raises(BadValue) as bad:
        await corrections.request_correction(session, await actor(session, ward, "member"), field, text)
    assert bad.value.reason == reason


async def test_canonical_values_and_how_they_are_shown(session, ward):
    phone = await ask(session, ward, F.phone, "0914 222 333")
    assert (phone.new_value, phone.old_value) == ("+84914222333", "+84905111222")
    born = await ask(session, ward, F.birth_date, "9/3/1944")
    assert born.new_value == "1944-03-09" and corrections.display_value(F.birth_date, born.new_value) == "09/03/1944"
    job = await ask(session, ward, F.work_history, "1990 - nay: Giáo viên Trường Tiểu học Phú Hội")
    assert json.loads(job.new_value) == {"from": "1990", "to": "nay", "description": "Giáo viên Trường Tiểu học Phú Hội"}
    assert corrections.display_value(F.work_history, job.new_value) == "1990–nay: Giáo viên Trường Tiểu học Phú Hội"
    plain = await ask(session, ward, F.work_history, "Tổ trưởng tổ dân phố")
    assert json.loads(plain.new_value)["from"] is None
    name = await ask(session, ward, F.full_name, "  Lê   Văn  Bảy  Em ")
    assert name.new_value == "Lê Văn Bảy Em"
    actions = (await session.scalars(select(AuditEntry.action))).all()
    assert set(actions) == {"correction_requested"}
    # the request audit names the field, never the value
    details = (await session.scalars(select(AuditEntry.detail))).all()
    assert not any("0914" in d or "84914" in d for d in details)


async def test_a_newer_request_for_the_same_field_replaces_the_pending_one(session, ward):
    first = await ask(session, ward, F.phone, "0914 222 333")
    second = await ask(session, ward, F.phone, "0914 222 444")
    await session.refresh(first)
    assert (first.status, second.status) == (CorrectionStatus.withdrawn, CorrectionStatus.pending)
    a = await ask(session, ward, F.work_history, "1990: Giáo viên")
    b = await ask(session, ward, F.work_history, "2000: Hiệu trưởng")
    await session.refresh(a)
    assert a.status is b.status is CorrectionStatus.pending
    assert [c.field for c in await corrections.own_pending(session, ward["member"])] == [F.phone, F.work_history, F.work_history]


async def test_the_secretary_approves_once_applied_and_audited_with_both_values(session, ward):
    c = await ask(session, ward, F.phone, "0914 222 333")
    secretary = await actor(session, ward, "secretary")
    clock.freeze(datetime(2026, 5, 13, 2, 0, tzinfo=UTC))
    decision = await corrections.approve(session, secretary, c.id)
    await session.commit()
    assert decision.outcome is Outcome.approved and decision.telegram_user_id is not None
    member = await session.get(Member, ward["member"])
    assert member.phone == "+84914222333"
    [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "profile_corrected"))).all()
    detail = json.loads(entry.detail)
    assert (entry.actor_member_id, entry.subject_member_id) == (ward["secretary"], ward["member"])
    assert detail["old"] == "+84905111222" and detail["new"] == "+84914222333" and detail["field"] == "phone"
    assert detail["requested_by_member_id"] == ward["member"] and detail["approved_by_member_id"] == ward["secretary"]
    assert detail["requested_at"].startswith("2026-05-12T03:00") and detail["approved_at"].startswith("2026-05-13T02:00")
    again = await corrections.approve(session, secretary, c.id)
    assert again.outcome is Outcome.already_decided
    rejected = await corrections.reject(session, secretary, c.id, "muộn")
    assert rejected.outcome is Outcome.already_decided
    await session.commit()
    assert len((await session.scalars(select(AuditEntry).where(AuditEntry.action == "profile_corrected"))).all()) == 1


async def test_two_approvals_racing_apply_once(sessionmaker, session, ward):
    c = await ask(session, ward, F.work_history, "1990 - 1995: Giáo viên Trường Tiểu học Phú Hội")

    async def approve(who):
        async with sessionmaker() as s:
            decision = await corrections.approve(s, await actor(s, ward, who), c.id)
            await s.commit()
            return decision.outcome

    outcomes = await asyncio.gather(approve("secretary"), approve("deputy"), approve("officer"))
    assert sorted(o.value for o in outcomes) == ["already_decided", "already_decided", "approved"]
    entries = (await session.scalars(select(WorkHistory).where(WorkHistory.member_id == ward["member"]))).all()
    assert [e.description for e in entries] == ["Giáo viên Trường Tiểu học Phú Hội"]
    audits = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "profile_corrected"))).all()
    assert len(audits) == 1


async def test_party_data_needs_a_committee_above_the_cell(session, ward):
    c = await ask(session, ward, F.card_number, "07.054321")
    secretary = await actor(session, ward, "secretary")
    decision = await corrections.approve(session, secretary, c.id)
    assert (decision.outcome, decision.verdict) == (Outcome.refused, Verdict.committee_only)
    await session.refresh(c)
    assert c.status is CorrectionStatus.pending
    officer = await actor(session, ward, "officer")
    decision = await corrections.approve(session, officer, c.id)
    await session.commit()
    assert decision.outcome is Outcome.approved
    assert (await session.get(Member, ward["member"])).card_number == "07.054321"
    # a committee role on the cell itself is the cell's own committee, not one above it
    await grant(session, ward["deputy"], (await session.get(Member, ward["deputy"])).cell_id, RoleKind.committee)
    d = await ask(session, ward, F.joined_on, "19/05/1967")
    assert (await corrections.approve(session, await actor(session, ward, "deputy"), d.id)).verdict is Verdict.committee_only


async def test_only_the_members_own_officers_decide_and_nobody_their_own(session, ward):
    c = await ask(session, ward, F.address, "12 Lê Lợi, phường Phú Hội")
    for who in ("secretary2", "other", "member"):
        decision = await corrections.approve(session, await actor(session, ward, who), c.id)
        assert decision.outcome is Outcome.refused
    assert (await corrections.approve(session, await actor(session, ward, "member"), c.id)).verdict is Verdict.own_request
    own = await ask(session, ward, F.address, "5 Hùng Vương", who="secretary")
    assert (await corrections.approve(session, await actor(session, ward, "secretary"), own.id)).verdict is Verdict.own_request
    assert (await corrections.approve(session, await actor(session, ward, "deputy"), own.id)).outcome is Outcome.approved
    assert (await corrections.approve(session, await actor(session, ward, "officer"), 99_999)).outcome is Outcome.not_found


async def test_a_rejection_keeps_the_record_and_says_why(session, ward):
    c = await ask(session, ward, F.full_name, "Lê Văn Bẩy")
    secretary = await actor(session, ward, "secretary")
    with pytest.raises(BadValue):
        await corrections.reject(session, secretary, c.id, "   ")
    decision = await corrections.reject(session, secretary, c.id, "Tên trong hồ sơ gốc là Lê Văn Bảy")
    await session.commit()
    assert decision.outcome is Outcome.rejected
    await session.refresh(c)
    assert (c.status, c.reason, c.decided_by_member_id) == (
        CorrectionStatus.rejected, "Tên trong hồ sơ gốc là Lê Văn Bảy", ward["secretary"])
    assert (await session.get(Member, ward["member"])).full_name == "Lê Văn Bảy"
    assert (await corrections.approve(session, secretary, c.id)).outcome is Outcome.already_decided


async def test_each_kind_of_value_is_applied(session, ward):
    officer = await actor(session, ward, "officer")
    values = {
        F.full_name: "Lê Văn Bẩy", F.birth_date: "10/03/1943", F.address: "7 Đội Cung", F.position: "Cựu chiến binh",
        F.joined_on: "20/05/1968", F.official_on: "20/05/1969", F.work_history: "1965 - 1975: Bộ đội",
    }
    for field, value in values.items():
        c = await ask(session, ward, field, value)
        assert (await corrections.approve(session, officer, c.id)).outcome is Outcome.approved
    await session.commit()
    m = await get_profile(session, ward["member"])
    assert (m.full_name, m.birth_date, m.address, m.position, m.joined_on, m.official_on) == (
        "Lê Văn Bẩy", date(1943, 3, 10), "7 Đội Cung", "Cựu chiến binh", date(1968, 5, 20), date(1969, 5, 20))
    assert [(w.period_from, w.period_to, w.description) for w in m.work_history] == [("1965", "1975", "Bộ đội")]


async def test_a_value_that_no_longer_fits_is_not_applied(session, ward):
    official = await ask(session, ward, F.official_on, "01/06/1968")
    joined = await ask(session, ward, F.joined_on, "01/07/1968")  # fits only while official is 1969
    officer = await actor(session, ward, "officer")
    assert (await corrections.approve(session, officer, official.id)).outcome is Outcome.approved
    assert (await corrections.approve(session, officer, joined.id)).outcome is Outcome.invalid_now
    await session.refresh(joined)
    assert joined.status is CorrectionStatus.pending


async def test_lists_and_the_officers_summary(session, ward):
    await ask(session, ward, F.phone, "0914 222 333")
    await ask(session, ward, F.card_number, "07.054321")
    rows, total = await corrections.pending_for(session, await actor(session, ward, "secretary"))
    assert total == 2 and {c.field for c, _, _ in rows} == {F.phone, F.card_number}
    assert (await corrections.pending_for(session, await actor(session, ward, "secretary2")))[1] == 0
    assert (await corrections.pending_for(session, await actor(session, ward, "member")))[1] == 0
    assert (await corrections.pending_for(session, await actor(session, ward, "officer")))[1] == 2
    claimed = await corrections.claim_unnotified(session)
    await session.commit()
    assert [(committee, member) for _, _, committee, member in claimed] == [(False, ward["member"]), (True, ward["member"])]
    assert await corrections.claim_unnotified(session) == []
