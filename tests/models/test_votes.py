"""Votes without Telegram: opening, casting once under racing taps, counting, the Charter's rules,
secret ballots that cannot be joined to their voters, reminders and closing exactly once."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, func, select, text

from models import audit, clock, votes
from models.accounts import Account
from models.deliveries import Delivery
from models.members import Member
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit
from models.votes import (
    Ballot,
    BallotKind,
    Cast,
    Elector,
    Electorate,
    OptionKind,
    PassRule,
    SecretTally,
    SecretVoter,
    Vote,
    VoteError,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SECRETARY_TG, OFFICER_TG, OUTSIDER_TG = 700001, 700002, 700003
AGREE, DISAGREE, OTHER = 1, 2, 3


@dataclass
class Cell:
    ward: Unit
    cell: Unit
    other_cell: Unit
    secretary: Member
    full: list[Member]  # every full member, the secretary first (8 in all)
    probationary: Member
    exempt: Member  # one of `full`
    outsider: Member  # a full member of the other cell


@pytest.fixture
async def c(session) -> Cell:
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    other = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    joined = date(2001, 5, 19)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id, official_on=joined)
    full = [secretary] + [Member(full_name=f"Đảng viên {i}", cell_id=cell.id, official_on=joined) for i in range(6)]
    exempt = Member(full_name="Tôn Nữ Thị Lài", cell_id=cell.id, official_on=date(1970, 1, 1), exempt=True)
    full.append(exempt)
    probationary = Member(full_name="Phan Minh Khôi", cell_id=cell.id, official_on=None)
    outsider = Member(full_name="Trần Văn Lâm", cell_id=other.id, official_on=joined)
    officer = Member(full_name="Huỳnh Thị Mai", cell_id=other.id, official_on=joined)
    session.add_all([*full, probationary, outsider, officer])
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    await grant(session, officer.id, ward.id, RoleKind.committee)
    session.add(Account(telegram_user_id=SECRETARY_TG, member_id=secretary.id, language="vi"))
    session.add(Account(telegram_user_id=OFFICER_TG, member_id=officer.id, language="vi"))
    session.add(Account(telegram_user_id=OUTSIDER_TG, member_id=outsider.id, language="vi"))
    for m in [*full[1:], probationary]:
        session.add(Account(telegram_user_id=800000 + m.id, member_id=m.id, language="vi"))
    await session.commit()
    return Cell(ward, cell, other, secretary, full, probationary, exempt, outsider)


async def open_(session, c: Cell, **kw) -> Vote:
    actor = await load_actor(session, SECRETARY_TG)
    kw.setdefault("question", "Thông qua nghị quyết chi bộ quý IV")
    vote = await votes.open_vote(session, actor, cell_id=c.cell.id, **kw)
    await session.commit()
    vote = await votes.get_vote(session, vote.id)
    await session.commit()  # on SQLite every transaction holds the write lock
    return vote


async def cast_all(sessionmaker, vote_id: int, choices: dict[int, int], text_: str | None = None) -> None:
    for member_id, position in choices.items():
        async with sessionmaker() as s:
            result = await votes.cast_ballot(s, vote_id, member_id, position, text_)
            assert result.counted, result.outcome
            await s.commit()


async def result_of(sessionmaker, vote_id: int) -> votes.VoteResult:
    async with sessionmaker() as s:
        return await votes.tally(s, await votes.get_vote(s, vote_id))


# --- small rules --------------------------------------------------------------------------------------------
def test_more_than_half_is_strict():
    assert not votes.more_than_half(4, 8)
    assert votes.more_than_half(5, 8)
    assert votes.more_than_half(4, 7) and not votes.more_than_half(3, 7)
    assert not votes.more_than_half(0, 0)


def test_durations_and_closing_times():
    now = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)  # 08:00 in Huế
    assert votes.parse_duration("2h") == timedelta(hours=2)
    assert votes.parse_duration("2 giờ") == timedelta(hours=2)
    assert votes.parse_duration("30 phút") == timedelta(minutes=30)
    assert votes.parse_duration("1h30") == timedelta(hours=1, minutes=30)
    assert votes.parse_duration("3d") == timedelta(days=3)
    assert votes.parse_duration("Đồng ý") is None and votes.parse_duration("") is None
    assert votes.parse_closing("2h", TZ, now) == now + timedelta(hours=2)
    assert votes.parse_closing("25/12/2026 19:30", TZ, now) == datetime(2026, 12, 25, 12, 30, tzinfo=UTC)
    assert votes.parse_closing("19h30 25/12/2026", TZ, now) == datetime(2026, 12, 25, 12, 30, tzinfo=UTC)
    for bad, reason in (("mai", "when_format"), ("31/02/2027 10:00", "when_impossible"),
                        ("2m", "when_soon"), ("24/12/2026 07:00", "when_soon"), ("40d", "when_far")):
        with pytest.raises(VoteError) as err:
            votes.parse_closing(bad, TZ, now)
        assert err.value.reason == reason, bad


def test_a_close_pasted_again_and_again_is_too_far_not_a_crash():
    """Regression: "9999d" repeated 400 times added some 4 million days to now: OverflowError."""
    now = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)
    for typed in (" ".join(["9999d"] * 400), "9999d" * 800):
        with pytest.raises(VoteError) as err:
            votes.parse_closing(typed, TZ, now)
        assert err.value.reason == "when_far"


def test_a_close_at_the_calendars_ends_is_refused_not_a_crash():
    """Regression: "01/01/0001 00:00" in Huế (UTC+7) has no UTC moment: OverflowError from astimezone."""
    now = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)
    for typed, tz, reason in (("01/01/0001 00:00", TZ, "when_soon"), ("00:00 01/01/0001", TZ, "when_soon"),
                              ("31/12/9999 23:59", timezone(timedelta(hours=-5)), "when_far")):
        with pytest.raises(VoteError) as err:
            votes.parse_closing(typed, tz, now)
        assert err.value.reason == reason, typed


def test_options_are_checked():
    assert votes.clean_options(None) == []
    assert votes.clean_options([" Phương án  A ", "Phương án B", ""]) == ["Phương án A", "Phương án B"]
    for bad, reason in ((["Chỉ một"], "options_few"), ([str(i) for i in range(9)], "options_many"),
                        (["A" * 61, "B"], "option_long"), (["Có", "có"], "options_repeat")):
        with pytest.raises(VoteError) as err:
            votes.clean_options(bad)
        assert err.value.reason == reason


# --- opening --------------------------------------------------------------------------------------------------
async def test_open_fixes_electors_and_queues_a_ballot_or_a_copy_to_read(session, c):
    vote = await open_(session, c)
    assert [o.kind for o in vote.options] == [OptionKind.agree, OptionKind.disagree, OptionKind.other]
    electors = {e.member_id: e for e in (await session.scalars(select(Elector).where(Elector.vote_id == vote.id)))}
    assert set(electors) == {m.id for m in c.full} | {c.probationary.id}
    assert electors[c.probationary.id].can_vote is False and electors[c.probationary.id].full is False
    assert all(electors[m.id].can_vote for m in c.full)
    rows = (await session.execute(select(Delivery.kind, Delivery.member_id).where(Delivery.ref_id == vote.id))).all()
    by_kind: dict[str, set[int]] = {}
    for kind, member_id in rows:
        by_kind.setdefault(kind, set()).add(member_id)
    assert by_kind == {votes.BALLOT_DELIVERY: {m.id for m in c.full},
                       votes.PROBATION_DELIVERY: {c.probationary.id}}
    assert vote.closes_at == clock.now() + votes.DEFAULT_DURATION or vote.closes_at > clock.now()
    assert [e.action for e in await audit.entries(session, "vote_opened")] == ["vote_opened"]


async def test_only_the_cells_officers_open_votes(session, c):
    for tg in (OUTSIDER_TG, 800000 + c.full[1].id):
        actor = await load_actor(session, tg)
        with pytest.raises(VoteError) as err:
            await votes.open_vote(session, actor, cell_id=c.cell.id, question="Câu hỏi")
        assert err.value.reason == "not_allowed"
    officer = await load_actor(session, OFFICER_TG)  # a committee above the cell may
    vote = await votes.open_vote(session, officer, cell_id=c.cell.id, question="Câu hỏi của Đảng ủy")
    assert vote.id
    with pytest.raises(VoteError) as err:  # a ward is not a cell
        await votes.open_vote(session, officer, cell_id=c.ward.id, question="Câu hỏi")
    assert err.value.reason == "not_allowed"


async def test_secret_ballots_never_show_live_counts_nor_allow_changes(session, c):
    vote = await open_(session, c, ballot=BallotKind.secret, results_live=True, may_change=True)
    assert vote.is_secret and not vote.results_live and not vote.may_change
    tallies = (await session.scalars(select(SecretTally.position).where(SecretTally.vote_id == vote.id))).all()
    assert sorted(tallies) == [1, 2, 3]


async def test_votes_of_those_present_need_a_meeting(session, c):
    actor = await load_actor(session, SECRETARY_TG)
    for kw in ({"electorate": Electorate.present}, {"rule": PassRule.present}):
        with pytest.raises(VoteError) as err:
            await votes.open_vote(session, actor, cell_id=c.cell.id, question="Câu hỏi", **kw)
        assert err.value.reason == "meeting_needed"


# --- casting -------------------------------------------------------------------------------------------------------
async def test_refusals_record_nothing(sessionmaker, session, c):
    vote = await open_(session, c)
    cases = [
        (c.probationary.id, AGREE, Cast.probationary),
        (c.outsider.id, AGREE, Cast.not_elector),
        (None, AGREE, Cast.not_elector),
        (c.full[1].id, 9, Cast.no_option),
        (c.full[1].id, OTHER, Cast.text_needed),  # "Ý kiến khác" without its text
    ]
    for member_id, position, expected in cases:
        async with sessionmaker() as s:
            assert (await votes.cast_ballot(s, vote.id, member_id, position)).outcome is expected
            await s.commit()
    async with sessionmaker() as s:
        assert (await votes.cast_ballot(s, vote.id + 100, c.full[1].id, AGREE)).outcome is Cast.no_vote
    clock.advance(votes.DEFAULT_DURATION)  # past the closing time, before any tick ran
    async with sessionmaker() as s:
        assert (await votes.cast_ballot(s, vote.id, c.full[1].id, AGREE)).outcome is Cast.closed
    assert (await result_of(sessionmaker, vote.id)).cast == 0
    assert await session.scalar(select(func.count()).select_from(Ballot)) == 0


async def test_an_open_ballot_may_change_until_the_close(sessionmaker, session, c):
    vote = await open_(session, c, may_change=True, results_live=True)
    member = c.full[1].id
    async with sessionmaker() as s:
        assert (await votes.cast_ballot(s, vote.id, member, AGREE)).outcome is Cast.recorded
        assert (await votes.cast_ballot(s, vote.id, member, AGREE)).outcome is Cast.same
        changed = await votes.cast_ballot(s, vote.id, member, OTHER, "  Cần  bổ sung   số liệu ")
        assert changed.outcome is Cast.changed and changed.text == "Cần bổ sung số liệu"
        await s.commit()
    result = await result_of(sessionmaker, vote.id)
    assert (result.count(AGREE), result.count(OTHER), result.cast) == (0, 1, 1)
    assert result.options[2].texts == ("Cần bổ sung số liệu",)
    async with sessionmaker() as s:
        ballot = await s.scalar(select(Ballot).where(Ballot.member_id == member))
        assert ballot.changes == 1 and ballot.changed_at is not None


async def test_a_ballot_that_may_not_change_is_locked(sessionmaker, session, c):
    for kind in (BallotKind.open, BallotKind.secret):
        vote = await open_(session, c, ballot=kind, may_change=False)
        member = c.full[2].id
        async with sessionmaker() as s:
            assert (await votes.cast_ballot(s, vote.id, member, DISAGREE)).outcome is Cast.recorded
            locked = await votes.cast_ballot(s, vote.id, member, AGREE)
            assert locked.outcome is Cast.locked
            # The other option's text is not even asked for.
            assert (await votes.cast_ballot(s, vote.id, member, OTHER)).outcome is Cast.locked
            await s.commit()
        if kind is BallotKind.open:
            assert locked.option.kind is OptionKind.disagree  # the open ballot can say what it holds
        result = await result_of(sessionmaker, vote.id)
        assert (result.count(AGREE), result.count(DISAGREE), result.cast) == (0, 1, 1)


@pytest.mark.parametrize("kind", [BallotKind.open, BallotKind.secret])
async def test_a_hundred_racing_taps_of_one_member_make_one_ballot(sessionmaker, session, c, kind):
    vote = await open_(session, c, ballot=kind, may_change=True)
    member = c.full[3].id

    async def tap(i: int) -> Cast:
        async with sessionmaker() as s:
            result = await votes.cast_ballot(s, vote.id, member, AGREE if i % 2 == 0 else DISAGREE)
            await s.commit()
            return result.outcome

    outcomes = await asyncio.gather(*(tap(i) for i in range(100)))
    assert outcomes.count(Cast.recorded) == 1
    result = await result_of(sessionmaker, vote.id)
    assert result.cast == 1 and result.count(AGREE) + result.count(DISAGREE) == 1
    model = SecretVoter if kind is BallotKind.secret else Ballot
    assert await session.scalar(select(func.count()).select_from(model)) == 1


@pytest.mark.parametrize("kind", [BallotKind.open, BallotKind.secret])
async def test_every_member_tapping_at_once_is_counted_once(sessionmaker, session, c, kind):
    vote = await open_(session, c, ballot=kind)

    async def tap(member: Member, position: int) -> Cast:
        async with sessionmaker() as s:
            result = await votes.cast_ballot(s, vote.id, member.id, position)
            await s.commit()
            return result.outcome

    taps = [(m, AGREE if i < 5 else DISAGREE) for i, m in enumerate(c.full)] * 3
    outcomes = await asyncio.gather(*(tap(m, p) for m, p in taps))
    assert outcomes.count(Cast.recorded) == len(c.full)
    result = await result_of(sessionmaker, vote.id)
    assert (result.count(AGREE), result.count(DISAGREE), result.cast) == (5, 3, 8)


# --- counting and the Charter's rules ---------------------------------------------------------------------------
async def test_more_than_half_of_all_full_members_boundary(sessionmaker, session, c):
    """8 full members (the probationary one is not counted): 4 agree is not passed, 5 is."""
    vote4 = await open_(session, c)
    await cast_all(sessionmaker, vote4.id, {m.id: AGREE for m in c.full[:4]})
    r4 = await result_of(sessionmaker, vote4.id)
    assert (r4.members, r4.base, r4.count(AGREE), r4.passed) == (8, 8, 4, False)
    vote5 = await open_(session, c)
    await cast_all(sessionmaker, vote5.id, {m.id: AGREE for m in c.full[:5]})
    r5 = await result_of(sessionmaker, vote5.id)
    assert (r5.base, r5.count(AGREE), r5.passed) == (8, 5, True)
    assert r5.adopted.kind is OptionKind.agree


async def test_rule_of_votes_cast(sessionmaker, session, c):
    vote = await open_(session, c, rule=PassRule.cast)
    await cast_all(sessionmaker, vote.id, {c.full[0].id: AGREE, c.full[1].id: AGREE, c.full[2].id: DISAGREE})
    result = await result_of(sessionmaker, vote.id)
    assert (result.base, result.passed) == (3, True)  # 2 of 3 cast, though only 2 of 8 members
    assert not votes.more_than_half(result.count(AGREE), result.members)


async def test_exempt_members_who_did_not_vote_leave_the_base_when_the_cell_says_so(sessionmaker, session, c):
    c.cell.exempt_counted = False
    await session.commit()
    vote = await open_(session, c)
    await cast_all(sessionmaker, vote.id, {m.id: AGREE for m in c.full[:4]})
    result = await result_of(sessionmaker, vote.id)
    assert (result.members_total, result.exempt_left_out, result.members) == (8, 1, 7)
    assert result.passed  # 4 of 7
    # An exempt member who votes counts again.
    await cast_all(sessionmaker, vote.id, {c.exempt.id: DISAGREE})
    result = await result_of(sessionmaker, vote.id)
    assert (result.members, result.exempt_left_out, result.passed) == (8, 0, False)  # 4 of 8


async def test_exempt_members_stay_in_the_base_by_default(sessionmaker, session, c):
    vote = await open_(session, c)
    await cast_all(sessionmaker, vote.id, {m.id: AGREE for m in c.full[:4]})
    result = await result_of(sessionmaker, vote.id)
    assert (result.members, result.exempt_left_out, result.passed) == (8, 0, False)


async def test_custom_options_adopt_the_option_more_than_half_chose(sessionmaker, session, c):
    vote = await open_(session, c, options=["Phương án A", "Phương án B"], rule=PassRule.cast)
    assert [o.label for o in vote.options] == ["Phương án A", "Phương án B"]
    await cast_all(sessionmaker, vote.id, {c.full[0].id: 2, c.full[1].id: 2, c.full[2].id: 1})
    result = await result_of(sessionmaker, vote.id)
    assert result.adopted.label == "Phương án B" and result.passed
    await cast_all(sessionmaker, vote.id, {c.full[3].id: 1})
    assert not (await result_of(sessionmaker, vote.id)).passed  # 2 and 2 of 4: no majority


async def test_results_of_a_meeting_count_those_present(sessionmaker, session, c):
    from models.meetings import Attendance, Meeting, MeetingKind, Presence

    meeting = Meeting(cell_id=c.cell.id, kind=MeetingKind.regular, title="Sinh hoạt chi bộ tháng 12",
                      starts_at=clock.now() - timedelta(hours=1), place="Nhà văn hóa tổ 1")
    session.add(meeting)
    await session.flush()
    present = c.full[:5] + [c.probationary]
    for m in [*c.full, c.probationary]:
        session.add(Attendance(meeting_id=meeting.id, member_id=m.id,
                               status=Presence.present if m in present else Presence.excused))
    await session.commit()
    vote = await open_(session, c, meeting_id=meeting.id, electorate=Electorate.present, rule=PassRule.present)
    async with sessionmaker() as s:
        absent = await votes.cast_ballot(s, vote.id, c.full[6].id, AGREE)
        assert absent.outcome is Cast.not_present
    await cast_all(sessionmaker, vote.id, {m.id: AGREE for m in c.full[:3]})
    other = await open_(session, c, meeting_id=meeting.id, question="Kết nạp đảng viên mới")
    [first, second] = await votes.results_for_meeting(session, meeting.id)
    assert first.question == "Thông qua nghị quyết chi bộ quý IV" and second.vote_id == other.id
    assert (first.eligible, first.present, first.members, first.cast) == (5, 5, 8, 3)
    assert first.base == 5 and first.passed  # 3 of the 5 present
    assert not votes.more_than_half(first.count(AGREE), first.members)  # but not of all 8
    assert second.present == 5 and second.eligible == 8


async def test_a_meeting_of_another_cell_is_refused(session, c):
    from models.meetings import Meeting, MeetingKind

    meeting = Meeting(cell_id=c.other_cell.id, kind=MeetingKind.regular, title="Sinh hoạt",
                      starts_at=clock.now(), place="Nhà văn hóa")
    session.add(meeting)
    await session.commit()
    with pytest.raises(VoteError) as err:
        await open_(session, c, meeting_id=meeting.id)
    assert err.value.reason == "meeting_other_cell"


# --- secret ballots -----------------------------------------------------------------------------------------------
def test_secret_tables_share_nothing_but_the_vote_and_keep_no_time():
    voters, tallies = SecretVoter.__table__, SecretTally.__table__
    assert {c.name for c in voters.columns} == {"vote_id", "member_id"}
    assert {c.name for c in voters.columns} & {c.name for c in tallies.columns} == {"vote_id"}
    assert not any(isinstance(c.type, DateTime) or "at" in c.name.split("_") for c in tallies.columns)
    assert "member_id" not in tallies.columns and not any(fk.column.table.name == "members"
                                                          for fk in tallies.foreign_keys)


async def _secret_state(sessionmaker, engine, cell_id: int, choices: list[tuple[int, int, str | None]]) -> dict:
    """Everything the database holds about a secret vote after these ballots, as a backend-neutral dump."""
    async with sessionmaker() as s:
        actor = await load_actor(s, SECRETARY_TG)
        vote = await votes.open_vote(s, actor, cell_id=cell_id, question="Bầu bí thư chi bộ", ballot=BallotKind.secret)
        await s.commit()
        vote_id = vote.id
    for member_id, position, text_ in choices:
        async with sessionmaker() as s:
            assert (await votes.cast_ballot(s, vote_id, member_id, position, text_)).outcome is Cast.recorded
            await s.commit()
    async with sessionmaker() as s:
        voters = sorted((await s.execute(select(SecretVoter.__table__).where(SecretVoter.vote_id == vote_id))).all())
        tallies = sorted((p, n, tuple(sorted(json.loads(t))) if t else None) for _, p, n, t in (await s.execute(
            select(SecretTally.__table__).where(SecretTally.vote_id == vote_id))).all())
        logged = [(e.action, e.actor_member_id, e.subject_member_id, e.detail)
                  for e in await audit.entries(s) if e.action != "vote_opened"]
        xmins = None
        if engine.dialect.name == "postgresql":
            # PostgreSQL's system columns: which transaction wrote each row, and where it lies.
            xmins = {r[0] for r in (await s.execute(
                text("SELECT xmin::text FROM vote_secret_tallies WHERE vote_id = :v"), {"v": vote_id})).all()}
        return {"vote_id": vote_id, "voters": [(v[1],) for v in voters], "tallies": tallies, "audit": logged,
                "xmins": xmins}


async def test_a_secret_ballot_cannot_be_joined_to_its_voter(sessionmaker, engine, session, c):
    """Two elections with the same voters and the same choices, given by different members, leave the
    very same data behind: nothing stored can tell who chose what."""
    a, b, d = c.full[1].id, c.full[2].id, c.full[3].id
    first = await _secret_state(sessionmaker, engine, c.cell.id, [(a, AGREE, None), (b, DISAGREE, None),
                                                        (d, OTHER, "Đề nghị giới thiệu thêm nhân sự")])
    second = await _secret_state(sessionmaker, engine, c.cell.id, [(d, DISAGREE, None), (a, OTHER, "Đề nghị giới thiệu thêm nhân sự"),
                                                         (b, AGREE, None)])
    assert first["voters"] == second["voters"] == [(a,), (b,), (d,)]
    assert first["tallies"] == second["tallies"] == [(1, 1, None), (2, 1, None), (3, 1, ("Đề nghị giới thiệu thêm nhân sự",))]
    assert first["audit"] == second["audit"] == []  # casting logs nothing
    if first["xmins"] is not None:
        # Every ballot rewrote every option's row: one transaction id on all of them, the last voter's.
        assert len(first["xmins"]) == 1 and len(second["xmins"]) == 1
    # The attempt: pair each voter with a tally row on anything they share. Only the vote does.
    async with sessionmaker() as s:
        pairs = (await s.execute(
            select(SecretVoter.member_id, SecretTally.position)
            .join(SecretTally, SecretTally.vote_id == SecretVoter.vote_id)
            .where(SecretVoter.vote_id == first["vote_id"])
        )).all()
        assert not await s.scalar(select(func.count()).select_from(Ballot))  # no named ballot was written
    assert len(pairs) == 3 * 3  # every voter with every option: no link at all


async def test_free_text_opinions_of_a_secret_ballot_are_reshuffled(sessionmaker, session, c):
    vote = await open_(session, c, ballot=BallotKind.secret)
    opinions = [f"Ý kiến số {i}" for i in range(6)]
    for member, opinion in zip(c.full, opinions, strict=False):
        async with sessionmaker() as s:
            assert (await votes.cast_ballot(s, vote.id, member.id, OTHER, opinion)).outcome is Cast.recorded
            await s.commit()
    stored = json.loads(await session.scalar(
        select(SecretTally.texts).where(SecretTally.vote_id == vote.id, SecretTally.position == OTHER)))
    assert sorted(stored) == sorted(opinions)
    await session.commit()
    result = await result_of(sessionmaker, vote.id)
    assert result.count(OTHER) == 6 and result.options[2].texts == tuple(sorted(opinions))


async def test_the_roll_of_who_chose_what_is_for_open_ballots_only(sessionmaker, session, c):
    vote = await open_(session, c)
    await cast_all(sessionmaker, vote.id, {c.full[1].id: AGREE})
    lines = await votes.roll(session, vote)
    assert len(lines) == 8 and [line.position for line in lines if line.name == c.full[1].full_name] == [AGREE]
    secret = await open_(session, c, ballot=BallotKind.secret)
    with pytest.raises(VoteError):
        await votes.roll(session, secret)


# --- reminders and closing ------------------------------------------------------------------------------------------
async def test_reminders_go_once_to_those_who_have_not_voted(sessionmaker, session, c):
    vote = await open_(session, c, closes_at=clock.now() + timedelta(hours=3), remind_before=timedelta(hours=1))
    assert vote.remind_at == vote.closes_at - timedelta(hours=1)
    await cast_all(sessionmaker, vote.id, {m.id: AGREE for m in c.full[:3]})
    async with sessionmaker() as s:
        assert await votes.remind_due(s) == []
    clock.advance(timedelta(hours=2, minutes=1))
    async with sessionmaker() as s:
        assert await votes.remind_due(s) == [vote.id]
        await s.commit()
    async with sessionmaker() as s:
        assert await votes.remind_due(s) == []
        reminded = set((await s.scalars(select(Delivery.member_id).where(
            Delivery.kind == votes.REMINDER_DELIVERY, Delivery.ref_id == vote.id))).all())
    assert reminded == {m.id for m in c.full[3:]}  # not the probationary member, not the voters


async def test_a_short_vote_gets_no_reminder(session, c):
    vote = await open_(session, c, closes_at=clock.now() + timedelta(minutes=30), remind_before=timedelta(hours=1))
    assert vote.remind_at is None


async def test_two_schedulers_close_a_due_vote_exactly_once(sessionmaker, session, c):
    vote = await open_(session, c, closes_at=clock.now() + timedelta(hours=2))
    await cast_all(sessionmaker, vote.id, {m.id: AGREE for m in c.full[:5]})
    async with sessionmaker() as s:
        assert await votes.close_due(s) == []
    clock.advance(timedelta(hours=2))
    barrier = asyncio.Barrier(2)

    async def scheduler() -> list[int]:
        async with sessionmaker() as s:
            await barrier.wait()
            closed = await votes.close_due(s)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one runs
            await s.commit()
            return closed

    outcomes = await asyncio.gather(scheduler(), scheduler())
    assert sorted(outcomes, key=len) == [[], [vote.id]]
    async with sessionmaker() as s:
        assert await votes.close_due(s) == []
        results = (await s.scalars(select(Delivery.member_id).where(
            Delivery.kind == votes.RESULT_DELIVERY, Delivery.ref_id == vote.id))).all()
        rolls = (await s.scalars(select(Delivery.member_id).where(Delivery.kind == votes.ROLL_DELIVERY))).all()
        closed = await votes.get_vote(s, vote.id)
        assert [e.action for e in await audit.entries(s, "vote_closed")] == ["vote_closed"]
    assert sorted(results) == sorted([m.id for m in c.full] + [c.probationary.id])
    assert rolls == [c.secretary.id]
    assert closed.closed_at is not None and closed.closed_by_member_id is None
    result = await result_of(sessionmaker, vote.id)
    assert result.closed and result.passed


async def test_closing_early_and_ballots_after_it(sessionmaker, session, c):
    vote = await open_(session, c, ballot=BallotKind.secret)
    secretary = await load_actor(session, SECRETARY_TG)
    assert await votes.close_vote(session, vote.id, by=secretary)
    await session.commit()
    assert not await votes.close_vote(session, vote.id, by=secretary)
    await session.commit()
    async with sessionmaker() as s:
        assert (await votes.cast_ballot(s, vote.id, c.full[1].id, AGREE)).outcome is Cast.closed
        # No roll of names for a secret ballot.
        assert not (await s.scalars(select(Delivery.id).where(Delivery.kind == votes.ROLL_DELIVERY))).all()
        closed = await votes.get_vote(s, vote.id)
        assert closed.closed_by_member_id == c.secretary.id


async def test_a_ballot_racing_the_close_is_counted_or_refused_never_lost(sessionmaker, session, c):
    vote = await open_(session, c, closes_at=clock.now() + timedelta(hours=1))
    secretary = await load_actor(session, SECRETARY_TG)
    await session.commit()

    async def tap(member: Member) -> Cast:
        async with sessionmaker() as s:
            result = await votes.cast_ballot(s, vote.id, member.id, AGREE)
            await s.commit()
            return result.outcome

    async def close() -> bool:
        async with sessionmaker() as s:
            done = await votes.close_vote(s, vote.id, by=secretary)
            await s.commit()
            return done

    outcomes = await asyncio.gather(*(tap(m) for m in c.full[:4]), close(), *(tap(m) for m in c.full[4:]))
    recorded = sum(1 for o in outcomes if o is Cast.recorded)
    assert all(o in (Cast.recorded, Cast.closed, True) for o in outcomes)
    assert (await result_of(sessionmaker, vote.id)).cast == recorded


async def test_lists_for_a_member_and_for_the_secretary(sessionmaker, session, c):
    first = await open_(session, c, question="Câu hỏi thứ nhất")
    second = await open_(session, c, question="Câu hỏi thứ hai", closes_at=clock.now() + timedelta(hours=2))
    await cast_all(sessionmaker, first.id, {c.full[1].id: AGREE})
    secretary = await load_actor(session, SECRETARY_TG)
    await votes.close_vote(session, first.id, by=secretary)
    await session.commit()
    open_list, closed_list = await votes.for_member(session, c.full[1].id)
    assert [v.vote.id for v in open_list] == [second.id] and not open_list[0].voted
    assert [(v.vote.id, v.voted) for v in closed_list] == [(first.id, True)]
    reader, _ = await votes.for_member(session, c.probationary.id)
    assert [v.can_vote for v in reader] == [False]
    assert await votes.for_member(session, c.outsider.id) == ([], [])
    assert {v.id for v in await votes.managed_votes(session, secretary)} == {first.id, second.id}
    outsider = await load_actor(session, OUTSIDER_TG)
    assert await votes.managed_votes(session, outsider) == []
