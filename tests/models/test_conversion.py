"""The conversion to full membership (issue 17): the cell's vote through the vote engine, at least two thirds of the
full members agreeing, the base leaving out members transferred out temporarily and those excused from the meeting;
probationary members do not vote; the committee's decision sets "Ngày chính thức", audited, the member told once;
and every refusal."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import clock, conversion, meetings, votes
from models.accounts import Account
from models.audit import AuditEntry
from models.conversion import ConversionError
from models.deliveries import Delivery
from models.meetings import MeetingKind, Presence
from models.members import Member
from models.permissions import member_actor
from models.probation_file import ProbationFileItem
from models.roles import RoleKind, grant
from models.transfers import Direction, Transfer, TransferKind
from models.votes import PassRule, at_least_two_thirds

from .two_wards import two_wards

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 10:00 in Huế
TODAY = date(2026, 12, 4)
JOINED = date(2025, 11, 20)  # month 12 on 20/11/2026: the conversion is due
FULL = 9  # full members of the cell, the secretary among them


@pytest.fixture
async def cell(session):
    clock.freeze(NOW)
    units = await two_wards(session)
    full = [Member(full_name=f"Đảng viên {i}", cell_id=units.cell1.id, joined_on=date(1990, 1, 1),
                   official_on=date(1991, 1, 1)) for i in range(1, FULL + 1)]
    young = Member(full_name="Phan Minh Khôi", cell_id=units.cell1.id, joined_on=JOINED)
    other = Member(full_name="Nguyễn Văn Phước", cell_id=units.cell1.id, joined_on=date(2026, 6, 1))
    ward_officer = Member(full_name="Trần Thị Bích Liên", cell_id=units.cell2.id, joined_on=date(1977, 1, 1),
                          official_on=date(1978, 1, 1))
    far_officer = Member(full_name="Lê Văn Xa", cell_id=units.far.id, joined_on=date(1977, 1, 1),
                         official_on=date(1978, 1, 1))
    session.add_all([*full, young, other, ward_officer, far_officer])
    await session.flush()
    session.add(Account(telegram_user_id=7001, member_id=young.id, language="vi"))
    await grant(session, full[0].id, units.cell1.id, RoleKind.secretary)
    await grant(session, ward_officer.id, units.ward.id, RoleKind.committee)
    await grant(session, far_officer.id, units.other.id, RoleKind.committee)
    for item in conversion.rules().vote_needs:
        session.add(ProbationFileItem(member_id=young.id, item=item, done_on=TODAY))
    await session.flush()
    return {"units": units, "full": full, "young": young, "other": other, "ward": ward_officer,
            "far": far_officer}


async def _open(session, c) -> conversion.Conversion:
    sec = await member_actor(session, c["full"][0].id)
    return await conversion.open_conversion_vote(session, sec, c["young"].id, "Chuyển chính thức?", today=TODAY)


async def _cast(session, vote_id: int, members, position: int) -> None:
    for m in members:
        assert (await votes.cast_ballot(session, vote_id, m.id, position)).counted


async def _result(session, vote_id: int) -> votes.VoteResult:
    vote = await votes.get_vote(session, vote_id)
    return await votes.tally(session, vote)


def test_two_thirds_in_whole_members():
    assert at_least_two_thirds(6, 9) and not at_least_two_thirds(5, 9)
    assert at_least_two_thirds(2, 3) and not at_least_two_thirds(1, 3)
    assert at_least_two_thirds(5, 7) and not at_least_two_thirds(4, 7)  # 4.67 needed: 4 is short
    assert at_least_two_thirds(7, 10) and not at_least_two_thirds(6, 10)
    assert not at_least_two_thirds(0, 0)


@pytest.mark.parametrize(("agree", "passed"), [(6, True), (5, False)])
async def test_six_of_nine_pass_five_do_not_and_probationary_members_do_not_vote(session, cell, agree, passed):
    conv = await _open(session, cell)
    vote = await votes.get_vote(session, conv.vote_id)
    assert vote.rule is PassRule.two_thirds
    await _cast(session, vote.id, cell["full"][:agree], 1)
    await _cast(session, vote.id, cell["full"][agree:agree + 2], 2)
    for probationary in (cell["young"], cell["other"]):
        assert (await votes.cast_ballot(session, vote.id, probationary.id, 1)).outcome is votes.Cast.probationary
    result = await _result(session, vote.id)
    assert (result.base, result.agree.count, result.passed) == (FULL, agree, passed)


async def test_the_base_leaves_out_those_transferred_out_and_those_excused(session, cell):
    full, units = cell["full"], cell["units"]
    # One full member is away on a temporary transfer today; one whose transfer ended last month is back.
    session.add_all([
        Transfer(member_id=full[8].id, kind=TransferKind.temporary, direction=Direction.outgoing,
                 decided_on=TODAY - timedelta(days=30), until_on=TODAY + timedelta(days=60), unit_name="Tỉnh khác"),
        Transfer(member_id=full[7].id, kind=TransferKind.temporary, direction=Direction.outgoing,
                 decided_on=date(2026, 5, 1), until_on=date(2026, 11, 1), unit_name="Tỉnh khác"),
    ])
    # Today's meeting: one excused, one absent without a reason (stays in the base).
    sec = await member_actor(session, full[0].id)
    meeting = await meetings.schedule_meeting(session, sec, cell_id=units.cell1.id, kind=MeetingKind.regular,
                                              title="Xét chuyển đảng viên chính thức", place="Nhà văn hóa",
                                              starts_at=NOW + timedelta(minutes=20))
    await meetings.open_roll_call(session, sec, meeting.id)
    await meetings.mark(session, sec, meeting.id, full[6].id, Presence.excused)
    await meetings.mark(session, sec, meeting.id, full[5].id, Presence.unexcused)
    conv = await _open(session, cell)
    vote = await votes.get_vote(session, conv.vote_id)
    assert vote.meeting_id == meeting.id
    # Base 9 − 2 = 7: five agree pass (5 ≥ 14/3), four would not.
    await _cast(session, vote.id, full[:4], 1)
    result = await _result(session, vote.id)
    assert (result.members, result.away_left_out, result.base, result.passed) == (FULL, 2, 7, False)
    await _cast(session, vote.id, full[4:5], 1)
    assert (await _result(session, vote.id)).passed
    # The excused member votes after all: counted, and back in the base (8: five of eight is not two thirds).
    await _cast(session, vote.id, full[6:7], 2)
    result = await _result(session, vote.id)
    assert (result.base, result.passed) == (8, False)


async def test_the_engine_is_unchanged_for_other_votes(session, cell):
    sec = await member_actor(session, cell["full"][0].id)
    vote = await votes.open_vote(session, sec, cell_id=cell["units"].cell1.id, question="Q", away={cell["full"][1].id})
    await _cast(session, vote.id, cell["full"][2:7], 1)
    result = await _result(session, vote.id)
    assert (result.rule, result.base, result.passed) == (PassRule.members, FULL, True)  # 5 of 9: more than half


async def test_decision_sets_the_official_day_audited_and_the_member_told_once(session, cell):
    conv = await _open(session, cell)
    await _cast(session, conv.vote_id, cell["full"][:6], 1)
    ward = await member_actor(session, cell["ward"].id)
    assert await conversion.waiting(session, ward) == []  # open still
    assert await votes.close_vote(session, conv.vote_id)
    [waiting] = await conversion.waiting(session, ward)
    assert (waiting.full_name, waiting.result.passed) == ("Phan Minh Khôi", True)
    assert await conversion.waiting_count(session, await member_actor(session, cell["far"].id)) == 0
    assert await conversion.waiting_count(session, await member_actor(session, cell["full"][0].id)) == 0

    member = await conversion.decide(session, ward, conv.id, today=TODAY)
    assert member.official_on == date(2026, 11, 20)  # month 12
    assert await conversion.waiting(session, ward) == []
    with pytest.raises(ConversionError, match="decided"):
        await conversion.decide(session, ward, conv.id, today=TODAY)
    assert await conversion.told(session, conv.id) == ("Phan Minh Khôi", date(2026, 11, 20))
    sent = await session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.kind == conversion.DECIDED_DELIVERY, Delivery.ref_id == conv.id))
    assert sent == 1
    audited = (await session.scalars(select(AuditEntry.action).where(
        AuditEntry.subject_member_id == cell["young"].id).order_by(AuditEntry.id))).all()
    assert audited == ["conversion_vote_opened", "conversion_decided"]
    items = set((await session.scalars(select(ProbationFileItem.item).where(
        ProbationFileItem.member_id == cell["young"].id))).all())
    assert {"cell_resolution", "committee_resolution"} <= items


async def test_refusals(session, cell):
    sec = await member_actor(session, cell["full"][0].id)
    ward = await member_actor(session, cell["ward"].id)
    young = cell["young"]
    # Before month 12.
    with pytest.raises(ConversionError, match="too_early"):
        await conversion.open_conversion_vote(session, sec, cell["other"].id, "Q", today=TODAY)
    # Not an officer of the cell; a full member.
    with pytest.raises(ConversionError, match="not_allowed"):
        await conversion.open_conversion_vote(session, await member_actor(session, cell["full"][3].id), young.id,
                                              "Q", today=TODAY)
    with pytest.raises(ConversionError, match="not_probationary"):
        await conversion.open_conversion_vote(session, sec, cell["full"][3].id, "Q", today=TODAY)
    # The file short of an item.
    row = await session.get(ProbationFileItem, (young.id, "self_review"))
    await session.delete(row)
    await session.flush()
    with pytest.raises(ConversionError, match="file_incomplete"):
        await conversion.open_conversion_vote(session, sec, young.id, "Q", today=TODAY)
    session.add(ProbationFileItem(member_id=young.id, item="self_review", done_on=TODAY))
    await session.flush()

    conv = await _open(session, cell)
    with pytest.raises(ConversionError, match="vote_open"):
        await _open(session, cell)
    with pytest.raises(ConversionError, match="vote_not_closed"):
        await conversion.decide(session, ward, conv.id, today=TODAY)
    await _cast(session, conv.vote_id, cell["full"][:5], 1)  # 5 of 9: not two thirds
    await votes.close_vote(session, conv.vote_id)
    with pytest.raises(ConversionError, match="not_allowed"):  # a cell's secretary does not decide
        await conversion.decide(session, sec, conv.id, today=TODAY)
    with pytest.raises(ConversionError, match="not_allowed"):  # nor another ward's committee
        await conversion.decide(session, await member_actor(session, cell["far"].id), conv.id, today=TODAY)
    with pytest.raises(ConversionError, match="not_passed"):
        await conversion.decide(session, ward, conv.id, today=TODAY)

    # Another vote after one that failed; it passes; the day checked.
    clock.freeze(NOW + timedelta(days=1, hours=1))
    again = await _open(session, cell)
    assert again.id != conv.id and (await conversion.state(session, young.id)).conversion.id == again.id
    await _cast(session, again.vote_id, cell["full"][:6], 1)
    await votes.close_vote(session, again.vote_id)
    with pytest.raises(ConversionError, match="awaiting_decision"):
        await _open(session, cell)
    with pytest.raises(ConversionError, match="before_month12"):
        await conversion.decide(session, ward, again.id, date(2026, 11, 19), today=TODAY)
    with pytest.raises(ConversionError, match="future"):
        await conversion.decide(session, ward, again.id, TODAY + timedelta(days=1), today=TODAY)
    assert (await session.get(Member, young.id)).official_on is None  # nothing half-written
    await conversion.decide(session, ward, again.id, date(2026, 12, 1), today=TODAY)
    assert (await session.get(Member, young.id)).official_on == date(2026, 12, 1)
    with pytest.raises(ConversionError, match="not_probationary"):
        await _open(session, cell)


async def test_a_passed_vote_waits_in_the_todo_of_the_committee_and_of_the_secretary(session, cell):
    from handlers.todo.render import lines
    from models.dates import VIETNAM
    from models.todo import todo_for

    sec = await member_actor(session, cell["full"][0].id)
    ward = await member_actor(session, cell["ward"].id)
    conv = await _open(session, cell)
    await _cast(session, conv.vote_id, cell["full"][:6], 1)
    assert (await todo_for(session, ward, NOW)).conversions == ()  # the vote open still
    await votes.close_vote(session, conv.vote_id)
    line = "🎓 Phan Minh Khôi (Chi bộ 1): chi bộ đã biểu quyết đạt, chờ cấp ủy công nhận"
    # The committee: the line, and its button to decide.
    text, rows = lines(await todo_for(session, ward, NOW), "vi", VIETNAM)
    assert line in text
    assert [(b.text, b.callback_data) for r in rows for b in r if b.callback_data.startswith("dbx")] == [
        ("🎓 Công nhận: Phan Minh Khôi", f"dbx:{conv.id}")]
    # The secretary: the line, no button (the committee decides).
    text, rows = lines(await todo_for(session, sec, NOW), "vi", VIETNAM)
    assert line in text and not [b for r in rows for b in r if b.callback_data.startswith("dbx")]
    # Another ward's committee sees nothing; once decided, no one does.
    assert (await todo_for(session, await member_actor(session, cell["far"].id), NOW)).conversions == ()
    await conversion.decide(session, ward, conv.id, today=TODAY)
    assert (await todo_for(session, ward, NOW)).conversions == ()
    assert (await todo_for(session, sec, NOW)).conversions == ()


async def test_a_failed_vote_is_held_again_after_the_rules_days_three_at_most(session, cell, monkeypatch):
    import dataclasses

    from handlers.i18n import t

    r = conversion.rules()
    assert (r.revote_after_days, r.max_votes) == (0, 3)  # the rules file: no waiting period, three votes (⚠)
    monkeypatch.setattr(conversion, "rules", lambda: dataclasses.replace(r, revote_after_days=7))

    async def failed(today: date) -> None:
        sec = await member_actor(session, cell["full"][0].id)
        conv = await conversion.open_conversion_vote(session, sec, cell["young"].id, "Q", today=today)
        await _cast(session, conv.vote_id, cell["full"][:5], 1)  # 5 of 9: not two thirds
        await votes.close_vote(session, conv.vote_id)

    await failed(TODAY)  # closed on 4/12 (Huế)
    with pytest.raises(ConversionError, match="revote_too_soon") as refused:
        await _open(session, cell)
    assert refused.value.details == {"day": date(2026, 12, 11)}
    assert t("vi", "probation.refused.revote_too_soon", day="11/12/2026") == (
        "Cuộc biểu quyết trước chưa đạt; theo quy định, chi bộ biểu quyết lại từ ngày 11/12/2026.")
    with pytest.raises(ConversionError, match="revote_too_soon"):
        await conversion.check_open(session, await member_actor(session, cell["full"][0].id), cell["young"].id,
                                    date(2026, 12, 10))
    clock.freeze(NOW + timedelta(days=7))
    await failed(date(2026, 12, 11))
    clock.freeze(NOW + timedelta(days=14))
    await failed(date(2026, 12, 18))
    clock.freeze(NOW + timedelta(days=30))
    with pytest.raises(ConversionError, match="votes_exhausted") as refused:
        await conversion.check_open(session, await member_actor(session, cell["full"][0].id), cell["young"].id,
                                    date(2027, 1, 4))
    assert refused.value.details == {"count": 3}
