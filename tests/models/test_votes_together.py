"""Group commit (models/votes/together.py): taps that come together are written in one transaction,
and still every member's ballot is written exactly once, refusals write nothing, and a batch that fails
costs its other taps nothing."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from models import votes
from models.votes import Ballot, BallotKind, Cast, SecretVoter, together

from .test_votes import AGREE, DISAGREE, OTHER, c, open_, result_of  # noqa: F401  (c: the cell fixture)


@pytest.mark.parametrize("kind", [BallotKind.open, BallotKind.secret])
async def test_concurrent_taps_of_a_whole_cell_in_few_transactions_each_ballot_once(sessionmaker, session, c, kind):
    vote = await open_(session, c, ballot=kind, may_change=True)
    batcher = together.BallotBatcher(sessionmaker)
    electors = c.full  # 8 full members
    # Each elector taps three times, racing (the options alternate); the probationary member and a member of
    # another cell (not in the vote's base) tap too; and someone with no member at all.
    taps = [(m.id, AGREE if (i + r) % 2 == 0 else DISAGREE) for r in range(3) for i, m in enumerate(electors)]
    taps += [(c.probationary.id, AGREE), (c.outsider.id, AGREE), (None, AGREE)]
    results = await asyncio.gather(*(batcher.cast(vote.id, member, position) for member, position in taps))

    assert batcher.batches < len(taps)  # grouped: fewer transactions than taps
    outcomes = [r.outcome for r in results]
    assert outcomes.count(Cast.recorded) == len(electors)
    assert outcomes[-3:] == [Cast.probationary, Cast.not_elector, Cast.not_elector]
    again = Cast.locked if kind is BallotKind.secret else Cast.changed
    assert set(outcomes[len(electors):-3]) == {again}  # the later taps of each member, in order
    model = SecretVoter if kind is BallotKind.secret else Ballot
    async with sessionmaker() as s:
        rows = await s.scalar(select(func.count()).select_from(model).where(model.vote_id == vote.id))
        members = await s.scalar(select(func.count(func.distinct(model.member_id))).where(model.vote_id == vote.id))
        assert rows == members == len(electors)
        assert await s.scalar(select(func.count()).select_from(model).where(
            model.member_id.in_([c.probationary.id, c.outsider.id]))) == 0
    result = await result_of(sessionmaker, vote.id)
    assert result.cast == len(electors)
    if kind is BallotKind.open:  # each holds the member's last tap (r = 2: the same option as the first)
        assert (result.count(AGREE), result.count(DISAGREE)) == (4, 4)
    else:  # a secret ballot keeps the first
        assert result.count(AGREE) + result.count(DISAGREE) == len(electors)


async def test_a_members_racing_taps_in_one_batch_are_cast_in_order(sessionmaker, session, c):
    vote = await open_(session, c, may_change=True)
    batcher = together.BallotBatcher(sessionmaker, max_wait_s=0.05)
    member = c.full[2].id
    first, second, third = await asyncio.gather(
        batcher.cast(vote.id, member, AGREE), batcher.cast(vote.id, member, DISAGREE),
        batcher.cast(vote.id, member, DISAGREE))
    assert batcher.batches == 1
    assert (first.outcome, second.outcome, third.outcome) == (Cast.recorded, Cast.changed, Cast.same)
    async with sessionmaker() as s:
        assert (await s.execute(select(Ballot.position, Ballot.changes).where(Ballot.vote_id == vote.id))).all() == [
            (DISAGREE, 1)]


async def test_two_batchers_racing_one_member_still_one_ballot(sessionmaker, session, c):
    """Two instances (a batcher each) taking the same member's taps: the unique key decides."""
    vote = await open_(session, c, ballot=BallotKind.secret)
    member = c.full[4].id
    a, b = together.BallotBatcher(sessionmaker), together.BallotBatcher(sessionmaker)
    results = await asyncio.gather(*(x.cast(vote.id, member, AGREE) for x in (a, b) for _ in range(5)))
    assert [r.outcome for r in results].count(Cast.recorded) == 1
    assert (await result_of(sessionmaker, vote.id)).cast == 1


async def test_a_failing_tap_rolls_back_its_batch_and_the_others_are_written_alone(sessionmaker, session, c,
                                                                                   monkeypatch):
    vote = await open_(session, c)
    bad = c.full[5].id
    cast, record = together.cast_ballot, together.record_new

    async def failing(s, vote_id, member_id, *args, **kw):
        if member_id == bad:
            raise RuntimeError("boom")
        return await cast(s, vote_id, member_id, *args, **kw)

    async def failing_together(s, vote, choices, **kw):
        if bad in choices:
            raise RuntimeError("boom")
        return await record(s, vote, choices, **kw)

    monkeypatch.setattr(together, "cast_ballot", failing)
    monkeypatch.setattr(together, "record_new", failing_together)
    batcher = together.BallotBatcher(sessionmaker)
    results = await asyncio.gather(*(batcher.cast(vote.id, m.id, AGREE) for m in c.full), return_exceptions=True)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and str(failed[0]) == "boom"
    assert [r.outcome for r in results if not isinstance(r, Exception)] == [Cast.recorded] * (len(c.full) - 1)
    result = await result_of(sessionmaker, vote.id)
    assert result.cast == result.count(AGREE) == len(c.full) - 1


async def test_cast_together_answers_after_the_commit(sessionmaker, session, c):
    vote = await open_(session, c)
    member = c.full[1].id
    result = await votes.cast_together(sessionmaker, vote.id, member, AGREE)
    assert result.outcome is Cast.recorded and result.option.position == AGREE
    async with sessionmaker() as s:  # another session sees it: committed
        assert await s.scalar(select(Ballot.position).where(Ballot.vote_id == vote.id, Ballot.member_id == member)) \
            == AGREE
    assert (await votes.cast_together(sessionmaker, vote.id + 1000, member, AGREE)).outcome is Cast.no_vote


async def test_a_batch_keeps_every_guard_other_without_text_an_opinion_and_a_closed_vote(sessionmaker, session, c):
    vote = await open_(session, c)
    batcher = together.BallotBatcher(sessionmaker)
    asked, opinion, plain = await asyncio.gather(
        batcher.cast(vote.id, c.full[1].id, OTHER), batcher.cast(vote.id, c.full[2].id, OTHER, "Cần thêm số liệu"),
        batcher.cast(vote.id, c.full[3].id, AGREE))
    assert (asked.outcome, opinion.outcome, plain.outcome) == (Cast.text_needed, Cast.recorded, Cast.recorded)
    async with sessionmaker() as s:
        assert dict((await s.execute(select(Ballot.member_id, Ballot.text).where(Ballot.vote_id == vote.id))).all()) \
            == {c.full[2].id: "Cần thêm số liệu", c.full[3].id: None}
        await votes.close_vote(s, vote.id)
        await s.commit()
    late = await asyncio.gather(*(batcher.cast(vote.id, m.id, AGREE) for m in c.full[4:]))
    assert {r.outcome for r in late} == {Cast.closed}
    assert (await result_of(sessionmaker, vote.id)).cast == 2
