"""Early and posthumous Party badges (issue 17): the early window at its boundaries (11/12/13 months; 24 for 70
years and more), a death date and the milestone reached by it, gaps recorded by kind with the party age
recomputed, refusals, and the declaration list of the next award day."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from models import badge_awards, party_age
from models.audit import AuditEntry
from models.badge_awards import GapKind, ProposalKind
from models.members import Award, Member
from models.party_age import BadgeError, add_months
from models.permissions import member_actor
from models.roles import RoleKind, grant

from .two_wards import two_wards

TODAY = date(2026, 12, 4)
DAY = date(2027, 2, 3)  # the next award day


def joined_for(milestone: int, months_after_day: int) -> date:
    """The admission date that reaches `milestone` years `months_after_day` months after DAY."""
    return add_months(add_months(DAY, months_after_day), -12 * milestone)


@pytest.fixture
async def ward(session):
    w = await two_wards(session)

    def member(name, cell, joined, awarded=(), **kw):
        m = Member(full_name=name, cell_id=cell.id, joined_on=joined, **kw)
        m.awards = [Award(position_no=i, title=f"Huy hiệu {y} năm tuổi Đảng") for i, y in enumerate(awarded)]
        session.add(m)
        return m

    lower = (30, 40, 45, 50, 55, 60, 65)
    people = {
        "m11": member("Nguyễn Văn Mười Một", w.cell1, joined_for(30, 11)),
        "m12": member("Nguyễn Văn Mười Hai", w.cell1, joined_for(30, 12)),
        "m13": member("Nguyễn Văn Mười Ba", w.cell1, joined_for(30, 13)),
        "o24": member("Trần Văn Bảy Mươi", w.cell2, joined_for(70, 24), lower),
        "o25": member("Trần Văn Bảy Lăm", w.cell2, joined_for(70, 25), lower),
        "due": member("Lê Thị Đến Hạn", w.cell2, joined_for(30, -1)),
        "dead": member("Phạm Văn Cố", w.cell1, date(1970, 1, 1), birth_date=date(1945, 5, 5),
                       deceased_on=date(2005, 6, 1)),
        "alive": member("Phạm Văn Sống", w.cell1, date(1970, 1, 1), birth_date=date(1945, 5, 5)),
        "far": member("Nguyễn Văn Xa", w.far, joined_for(30, 6)),
        "officer": member("Huỳnh Thị Mai", w.cell2, date(2000, 1, 1)),
    }
    await session.flush()
    await grant(session, people["officer"].id, w.ward.id, RoleKind.committee)
    return people


@pytest.mark.parametrize(("who", "milestone", "refusal"), [
    ("m11", 30, None), ("m12", 30, None), ("m13", 30, "too_early"),
    ("o24", 70, None), ("o25", 70, "too_early"),
    ("due", 30, "not_early"), ("m11", 40, "not_early"), ("m11", 31, "bad_milestone"),
    ("dead", 30, "deceased"), ("far", 30, "not_allowed"),
])
async def test_the_early_window_at_its_boundaries(session, ward, who, milestone, refusal):
    officer = await member_actor(session, ward["officer"].id)
    if refusal:
        with pytest.raises(BadgeError) as exc:
            await badge_awards.propose_early(session, officer, ward[who].id, milestone, today=TODAY)
        assert exc.value.reason == refusal
        assert (await session.scalars(select(AuditEntry).where(AuditEntry.action == "badge_proposed_early"))).all() == []
        return
    proposal = await badge_awards.propose_early(session, officer, ward[who].id, milestone, today=TODAY)
    assert (proposal.kind, proposal.award_day, proposal.milestone) == (ProposalKind.early, DAY, milestone)
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "badge_proposed_early"))).one()
    assert entry.subject_member_id == ward[who].id
    with pytest.raises(BadgeError) as again:
        await badge_awards.propose_early(session, officer, ward[who].id, milestone, today=TODAY)
    assert again.value.reason == "proposed"


def test_the_early_months_are_the_rules():
    assert [badge_awards.early_months(m) for m in (30, 65, 70, 90)] == [12, 12, 24, 24]


async def test_posthumous_needs_a_death_date_and_the_milestone_reached_by_it(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    dead, alive = ward["dead"].id, ward["alive"].id
    for member_id, milestone, reason in ((alive, 30, "not_deceased"), (dead, 40, "not_reached"),
                                         (dead, 45, "not_reached")):
        with pytest.raises(BadgeError) as exc:
            await badge_awards.propose_posthumous(session, officer, member_id, milestone, today=TODAY)
        assert exc.value.reason == reason
    card = await badge_awards.badge_card(session, officer, dead, TODAY)
    assert card.months == 35 * 12 + 5  # counted to the death, not to today
    proposal = await badge_awards.propose_posthumous(session, officer, dead, 30, today=TODAY)
    assert (proposal.kind, proposal.award_day) == (ProposalKind.posthumous, DAY)
    assert (await session.scalars(select(AuditEntry).where(AuditEntry.action == "badge_proposed_posthumous"))).one()
    # the date of death, recorded by the committee: audited; never in the future nor before the admission
    for bad in (date(2026, 12, 5), date(1969, 12, 31), date(1940, 1, 1)):
        with pytest.raises(BadgeError) as exc:
            await badge_awards.set_deceased(session, officer, alive, bad, today=TODAY)
        assert exc.value.reason == "death_date"
    await badge_awards.set_deceased(session, officer, alive, date(2026, 11, 30), today=TODAY)
    assert (await session.get(Member, alive)).deceased_on == date(2026, 11, 30)
    assert (await session.scalars(select(AuditEntry).where(AuditEntry.action == "member_deceased"))).one()
    await badge_awards.propose_posthumous(session, officer, alive, 55, today=TODAY)  # 56 years 10 months
    # a deceased member leaves the ordinary list of the award day
    assert ward["alive"].full_name not in {d.full_name for d in await party_age.due_at(session, officer, DAY)}


async def test_a_gap_by_kind_recomputes_the_party_age(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    member_id = ward["alive"].id
    before = (await badge_awards.badge_card(session, officer, member_id, TODAY)).months
    await badge_awards.record_gap_of_kind(session, officer, member_id, GapKind.lost_contact, date(1990, 1, 1),
                                          date(1992, 7, 1), today=TODAY)
    card = await badge_awards.badge_card(session, officer, member_id, TODAY)
    assert card.months == before - 30
    assert await badge_awards.gap_notes(session, member_id) == [(date(1990, 1, 1), date(1992, 7, 1), "lost_contact")]
    for start, until, reason in ((date(1991, 1, 1), None, "gap_overlap"), (date(1969, 1, 1), None, "gap_dates"),
                                 (date(2000, 1, 1), date(1999, 1, 1), "gap_dates")):
        with pytest.raises(BadgeError) as exc:
            await badge_awards.record_gap_of_kind(session, officer, member_id, GapKind.expulsion, start, until,
                                                  today=TODAY)
        assert exc.value.reason == reason
    with pytest.raises(BadgeError) as exc:
        await badge_awards.badge_card(session, officer, ward["far"].id, TODAY)
    assert exc.value.reason == "not_allowed"


async def test_the_declaration_list_joins_the_due_and_the_proposed(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    await badge_awards.propose_early(session, officer, ward["o24"].id, 70, today=TODAY)
    await badge_awards.propose_posthumous(session, officer, ward["dead"].id, 30, today=TODAY)
    due = await party_age.due_at(session, officer, DAY)
    lines = await badge_awards.declaration(session, due, officer, DAY)
    got = [(line.full_name, line.milestone, line.kind) for line in lines]
    assert ("Lê Thị Đến Hạn", 30, None) in got
    assert ("Phạm Văn Cố", 30, ProposalKind.posthumous) in got
    assert got[-1] == ("Trần Văn Bảy Mươi", 70, ProposalKind.early)
    assert [line.milestone for line in lines] == sorted(line.milestone for line in lines)
    assert "Nguyễn Văn Xa" not in {line.full_name for line in lines}


async def test_a_proposed_badge_given_is_recorded_once(session, ward):
    officer = await member_actor(session, ward["officer"].id)
    member_id = ward["m12"].id
    with pytest.raises(BadgeError) as exc:
        await badge_awards.record_proposed_award(session, officer, member_id, 30, today=TODAY)
    assert exc.value.reason == "not_proposed"
    await badge_awards.propose_early(session, officer, member_id, 30, today=TODAY)
    award = await badge_awards.record_proposed_award(session, officer, member_id, 30, today=TODAY)
    assert (award.title, award.awarded_on) == ("Huy hiệu 30 năm tuổi Đảng", DAY)
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "badge_awarded"))).one()
    assert json.loads(entry.detail)["kind"] == "early"
    with pytest.raises(BadgeError) as exc:
        await badge_awards.record_proposed_award(session, officer, member_id, 30, today=TODAY)
    assert exc.value.reason == "already"


async def test_the_posthumous_early_window_is_data(session, ward, monkeypatch):
    officer = await member_actor(session, ward["officer"].id)
    dead = ward["dead"].id  # 35 years 5 months at death: 40 is 55 months away
    m = await session.get(Member, dead)
    m.deceased_on = date(2009, 6, 1)  # 39 years 5 months: 40 is 7 months after
    await session.flush()
    with pytest.raises(BadgeError) as exc:
        await badge_awards.propose_posthumous(session, officer, dead, 40, today=TODAY)
    assert exc.value.reason == "not_reached"
    rules = badge_awards.early_rules()
    monkeypatch.setattr(badge_awards, "early_rules", lambda: rules.__class__(
        rules.illness_months, rules.long_months, rules.long_from_milestone, True))
    await badge_awards.propose_posthumous(session, officer, dead, 40, today=TODAY)
