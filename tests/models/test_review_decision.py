"""The year-end review (issue 16), the cell's appraisal and the committee's decision: a cell of 12 (one exempt,
one probationary) votes each member's level with the votes' engine (secret, the base all its full members):
more than half makes the proposal, a tie or no majority leaves the secretary to pick with a reason (audited);
the cell's comments normalised and limited; the committee approves a cell at once or changes one level with a
reason (audited old/new) — never a cell's secretary, never outside its subtree; the round closes once, refused
while proposals wait and, unless confirmed, while members are unrated; each member is told once; the profile
keeps the last three years."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from models import clock, review, votes
from models.accounts import Account
from models.audit import AuditEntry
from models.dates import VIETNAM
from models.deliveries import Delivery
from models.meetings.schema import Meeting, MeetingKind, MeetingState
from models.members import Member, load_profile
from models.permissions import member_actor
from models.review import Form, Level, ReviewEntry, ReviewError, ReviewRound, RoundState
from models.roles import RoleKind, grant

from .two_wards import two_wards

TODAY = date(2026, 12, 4)
DEADLINE = date(2026, 12, 20)
MEETING = date(2026, 12, 28)
LABELS = ["Xuất sắc", "Tốt", "Hoàn thành", "Không hoàn thành"]
FULL = ("secretary", "bay", "oanh", "sau", "mai", "quang", "huong", "hoa", "tuan", "lan")  # + the exempt Lài


def question(name: str, year: int) -> str:
    return f"Xếp loại đảng viên {name} năm {year}"


@pytest.fixture
async def cell(session):
    w = await two_wards(session)
    people = {}
    for key in FULL:
        people[key] = Member(full_name=f"Đảng viên {key.title()}", cell_id=w.cell1.id, joined_on=date(1980, 1, 1),
                             official_on=date(1981, 1, 1), position="Cán bộ hưu trí")
    people["lai"] = Member(full_name="Tôn Nữ Thị Lài", cell_id=w.cell1.id, joined_on=date(1970, 1, 1),
                           official_on=date(1971, 1, 1), exempt=True)
    people["khoi"] = Member(full_name="Phan Minh Khôi", cell_id=w.cell1.id, joined_on=date(2026, 3, 1),
                            official_on=None, position="Kỹ sư")  # probationary, reviewed (9 months)
    people["tai"] = Member(full_name="Ngô Văn Tài", cell_id=w.cell2.id, joined_on=date(1970, 1, 1),
                           official_on=date(1971, 1, 1))
    people["officer"] = Member(full_name="Huỳnh Thị Mai", cell_id=w.cell2.id, joined_on=date(1990, 1, 1),
                               official_on=date(1991, 1, 1), position="Đảng ủy viên")
    people["far_officer"] = Member(full_name="Nguyễn Văn Xa", cell_id=w.far.id, joined_on=date(1990, 1, 1),
                                   official_on=date(1991, 1, 1))
    session.add_all(people.values())
    await session.flush()
    await grant(session, people["secretary"].id, w.cell1.id, RoleKind.secretary)
    await grant(session, people["officer"].id, w.ward.id, RoleKind.committee)
    await grant(session, people["far_officer"].id, w.other.id, RoleKind.committee)
    for n, key in enumerate(("secretary", "bay", "khoi", "officer", "tai"), start=1):
        session.add(Account(telegram_user_id=800 + n, member_id=people[key].id))
    await session.flush()
    clock.freeze(datetime(2026, 12, 4, 3, 0, tzinfo=UTC))
    officer = await member_actor(session, people["officer"].id)
    rnd = (await review.open_round(session, officer, w.ward.id, 2026, DEADLINE, MEETING, today=TODAY)).round
    entries = {e.member_id: e for e in (await session.scalars(select(ReviewEntry))).all()}
    for key, member in people.items():
        if key != "lai" and member.id in entries:
            await review.submit(session, await member_actor(session, member.id), entries[member.id].id, today=TODAY)
    return {"w": w, "round": rnd, "entries": {k: entries[m.id] for k, m in people.items() if m.id in entries},
            **people}


async def _actor(session, cell, key):
    return await member_actor(session, cell[key].id)


async def _open(session, cell, entry_id=None):
    secretary = await _actor(session, cell, "secretary")
    return await review.open_votes(session, secretary, cell["round"].id, cell["w"].cell1.id, question=question,
                                   labels=LABELS, entry_id=entry_id)


async def _cast(session, vote_id, cell, keys, position):
    for key in keys:
        result = await votes.cast_ballot(session, vote_id, cell[key].id, position)
        assert result.outcome is votes.Cast.recorded, (key, result.outcome)


async def test_the_cell_votes_each_members_level_and_more_than_half_makes_the_proposal(session, cell):
    rnd, w = cell["round"], cell["w"]
    opened = await _open(session, cell)
    # One vote per sent member of the cell (11: the exempt Lài is not reviewed), secret, all the full members.
    assert len(opened) == 11
    entries = {k: e for k, e in cell["entries"].items() if e.cell_id == w.cell1.id}
    by_vote = {e.proposal_vote_id: k for k, e in entries.items() if k != "lai"}
    assert set(by_vote) == set(opened)
    vote = await votes.get_vote(session, entries["bay"].proposal_vote_id)
    assert vote.is_secret and vote.rule is votes.PassRule.members and [o.label for o in vote.options] == LABELS
    assert vote.question == "Xếp loại đảng viên Đảng viên Bay năm 2026"
    # The probationary member is rated but does not vote (he gets it to read).
    result = await votes.cast_ballot(session, vote.id, cell["khoi"].id, 2)
    assert result.outcome is votes.Cast.probationary
    kinds = dict((await session.execute(select(Delivery.kind, func.count()).where(
        Delivery.ref_id == vote.id, Delivery.kind.in_((votes.BALLOT_DELIVERY, votes.PROBATION_DELIVERY)))
        .group_by(Delivery.kind))).all())
    assert kinds == {votes.BALLOT_DELIVERY: 2, votes.PROBATION_DELIVERY: 1}  # on Telegram: secretary, Bảy; Khôi
    # Bảy: 6 of the 11 full members say "tốt" (more than half of the base); Oanh: 5 and 5, no majority;
    # Sáu: 5 "tốt" of 11 is not more than half, even with nobody against.
    await _cast(session, entries["bay"].proposal_vote_id, cell, FULL[:6], 2)
    await _cast(session, entries["bay"].proposal_vote_id, cell, FULL[6:], 1)
    await _cast(session, entries["oanh"].proposal_vote_id, cell, FULL[:5], 1)
    await _cast(session, entries["oanh"].proposal_vote_id, cell, FULL[5:], 2)
    await _cast(session, entries["sau"].proposal_vote_id, cell, FULL[:5], 2)
    # A second vote while one is under way: refused.
    with pytest.raises(ReviewError, match="voting"):
        await _open(session, cell, entries["bay"].id)
    closed = await review.close_votes(session, await _actor(session, cell, "secretary"), rnd.id, w.cell1.id)
    assert closed == 11
    page = await review.appraisal(session, await _actor(session, cell, "secretary"), rnd.id, w.cell1.id)
    lines = {x.entry_id: x for x in page.lines}
    bay, oanh, sau = (lines[entries[k].id] for k in ("bay", "oanh", "sau"))
    assert (bay.state, bay.proposed) == ("proposed", Level.good)
    assert bay.counts == {"excellent": 4, "good": 6, "done": 0, "failed": 0, "base": 11, "cast": 10}
    assert (oanh.state, oanh.proposed, oanh.counts["excellent"], oanh.counts["good"]) == ("no_majority", None, 5, 5)
    assert (sau.state, sau.proposed) == ("no_majority", None)
    assert page.count("no_majority") == 10 and page.count("proposed") == 1
    # Settled once: closing again, or another settle, changes nothing and audits nothing more.
    assert await review.close_votes(session, await _actor(session, cell, "secretary"), rnd.id, w.cell1.id) == 0
    assert await review.settle(session) == 0
    assert await session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "review_proposed")) == 11
    # A proposal made: no vote again. Without a majority: the cell may vote again.
    with pytest.raises(ReviewError, match="proposed"):
        await _open(session, cell, entries["bay"].id)
    again = await _open(session, cell, entries["sau"].id)
    assert len(again) == 1 and (await session.get(ReviewEntry, entries["sau"].id)).proposal_counts is None


async def test_without_a_majority_the_secretary_picks_the_level_with_a_reason(session, cell):
    rnd, w, entries = cell["round"], cell["w"], cell["entries"]
    await _open(session, cell, entries["oanh"].id)
    secretary = await _actor(session, cell, "secretary")
    with pytest.raises(ReviewError, match="no_vote"):  # the vote is still under way
        await review.pick_level(session, secretary, entries["oanh"].id, Level.good, "Chi bộ thống nhất")
    with pytest.raises(ReviewError, match="no_vote"):  # never voted
        await review.pick_level(session, secretary, entries["bay"].id, Level.good, "Chi bộ thống nhất")
    await _cast(session, entries["oanh"].proposal_vote_id, cell, FULL[:4], 1)
    await _cast(session, entries["oanh"].proposal_vote_id, cell, FULL[4:8], 2)
    await review.close_votes(session, secretary, rnd.id, w.cell1.id)
    oanh = entries["oanh"].id
    for reason, why in (("", "reason_empty"), ("   ", "reason_empty"), ("x" * 10_000, "reason_long")):
        with pytest.raises(ReviewError, match=why):
            await review.pick_level(session, secretary, oanh, Level.good, reason)
    with pytest.raises(ReviewError, match="not_allowed"):  # a member of the cell may not
        await review.pick_level(session, await _actor(session, cell, "bay"), oanh, Level.good, "Tôi chọn")
    s = await review.pick_level(session, secretary, oanh, Level.good, " <b>Hòa phiếu</b>,\u202e chi bộ thống nhất ")
    assert (s.entry.proposed_level, s.entry.proposal_reason) == (Level.good, "<b>Hòa phiếu</b>, chi bộ thống nhất")
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "review_level_picked"))).one()
    detail = json.loads(audit.detail)
    assert (audit.actor_member_id, detail["level"], detail["counts"]["excellent"]) == (cell["secretary"].id, "good", 4)
    with pytest.raises(ReviewError, match="proposed"):
        await review.pick_level(session, secretary, oanh, Level.done, "Lại")


async def test_a_vote_closed_by_the_clock_becomes_the_proposal_at_the_tick(session, cell):
    entries = cell["entries"]
    [vote_id] = await _open(session, cell, entries["hoa"].id)
    await _cast(session, vote_id, cell, FULL[:7], 3)
    clock.freeze(datetime(2026, 12, 6, 3, 0, tzinfo=UTC))  # past the vote's 24 hours
    assert await votes.close_due(session) == [vote_id]
    assert await review.settle_due(session) == []
    entry = await session.get(ReviewEntry, entries["hoa"].id, populate_existing=True)
    assert entry.proposed_level is Level.done and entry.proposal_counts["done"] == 7


async def test_votes_only_on_the_cells_own_sent_members(session, cell):
    rnd, w, entries = cell["round"], cell["w"], cell["entries"]
    secretary = await _actor(session, cell, "secretary")
    # Another cell's member, in this cell's name; another cell's page: refused.
    with pytest.raises(ReviewError, match="not_in_cell"):
        await _open(session, cell, entries["tai"].id)
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.open_votes(session, secretary, rnd.id, w.cell2.id, question=question, labels=LABELS)
    with pytest.raises(ReviewError, match="not_allowed"):  # a plain member
        await review.open_votes(session, await _actor(session, cell, "bay"), rnd.id, w.cell1.id,
                                question=question, labels=LABELS)
    # A member who moved to another cell since the round opened is no longer voted on here.
    cell["hoa"].cell_id = w.cell2.id
    await session.flush()
    with pytest.raises(ReviewError, match="not_in_cell"):
        await _open(session, cell, entries["hoa"].id)
    assert len(await _open(session, cell)) == 10  # the others
    with pytest.raises(ReviewError, match="nothing_to_vote"):
        await _open(session, cell)
    assert (await session.get(ReviewEntry, entries["hoa"].id)).proposal_vote_id is None


async def test_the_cells_comments_and_who_reads_a_members_sheet(session, cell):
    entries, w = cell["entries"], cell["w"]
    secretary, officer = await _actor(session, cell, "secretary"), await _actor(session, cell, "officer")
    bay = entries["bay"].id
    s = await review.member_sheet(session, secretary, bay)
    assert s.total == 80 and s.entry.self_level is Level.good
    assert (await review.member_sheet(session, officer, bay)).full_name == "Đảng viên Bay"
    for who in ("oanh", "khoi", "tai", "far_officer"):  # members of the cell, another cell, another ward
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.member_sheet(session, await _actor(session, cell, who), bay)
    with pytest.raises(ReviewError, match="not_submitted"):
        await review.member_sheet(session, secretary, entries["lai"].id)
    with pytest.raises(ReviewError, match="text_long"):
        await review.set_comment(session, secretary, bay, "y" * 10_000)
    assert entries["bay"].cell_comment is None
    await review.set_comment(session, secretary, bay, "  <i>Gương mẫu</i>\u200b, nhiệt tình\n\n ")
    assert entries["bay"].cell_comment == "<i>Gương mẫu</i>, nhiệt tình"
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.set_comment(session, await _actor(session, cell, "oanh"), bay, "Tốt")
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.appraisal(session, await _actor(session, cell, "bay"), cell["round"].id, w.cell1.id)


async def _propose(session, cell, keys, position=2):
    """Votes on these members where all the full members choose `position`, closed."""
    secretary = await _actor(session, cell, "secretary")
    for key in keys:
        [vote_id] = await _open(session, cell, cell["entries"][key].id)
        await _cast(session, vote_id, cell, FULL, position)
    await review.close_votes(session, secretary, cell["round"].id, cell["w"].cell1.id)


async def test_the_committee_approves_a_cell_and_changes_one_level_with_a_reason(session, cell):
    rnd, w, entries = cell["round"], cell["w"], cell["entries"]
    keys = [k for k in (*FULL, "khoi") if k != "lan"]
    await _propose(session, cell, keys)
    officer, secretary = await _actor(session, cell, "officer"), await _actor(session, cell, "secretary")
    far = await _actor(session, cell, "far_officer")
    # The cell's secretary may not decide; nor a committee of another ward.
    for who in (secretary, far):
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.approve_cell(session, who, rnd.id, w.cell1.id)
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.change_level(session, who, entries["bay"].id, Level.excellent, "Xuất sắc")
    assert await review.decision_rounds(session, secretary) == [] and await review.decision_rounds(session, far) == []
    assert [r.id for r, _name in await review.decision_rounds(session, officer)] == [rnd.id]
    view = await review.round_view(session, officer, rnd.id)
    assert [(c.cell_name, c.reviewed, c.proposed, c.decided) for c in view.cells] == [
        ("Chi bộ 1", 11, 10, 0), ("Chi bộ 2", 2, 0, 0)]
    proposals = await review.cell_proposals(session, officer, rnd.id, w.cell1.id)
    assert sum(1 for x in proposals.lines if x.proposed is Level.good and x.counts["good"] == 10) == 10
    # One change with its reason (audited: old and new), then the cell approved: the change stays.
    with pytest.raises(ReviewError, match="reason_long"):
        await review.change_level(session, officer, entries["bay"].id, Level.excellent, "z" * 10_000)
    entry, old = await review.change_level(session, officer, entries["bay"].id, Level.excellent,
                                           "Có thành tích <b>nổi bật</b> trong năm")
    assert (old, entry.decided_level, entry.decision_reason) == (Level.good, Level.excellent,
                                                                  "Có thành tích <b>nổi bật</b> trong năm")
    changed = json.loads((await session.scalars(select(AuditEntry.detail)
                                                .where(AuditEntry.action == "review_level_changed"))).one())
    assert (changed["old"], changed["new"], changed["proposed"]) == ("good", "excellent", "good")
    assert await review.approve_cell(session, officer, rnd.id, w.cell1.id) == 9
    with pytest.raises(ReviewError, match="none_proposed"):
        await review.approve_cell(session, officer, rnd.id, w.cell1.id)
    decided = {k: (await session.get(ReviewEntry, entries[k].id, populate_existing=True)).decided_level
               for k in ("bay", "oanh", "khoi", "lan")}
    assert decided == {"bay": Level.excellent, "oanh": Level.good, "khoi": Level.good, "lan": None}
    # The cell may no longer change a decided member.
    with pytest.raises(ReviewError, match="decided"):
        await review.set_comment(session, secretary, entries["oanh"].id, "Thêm")


async def test_closing_the_round_refusals_then_each_member_told_once(session, cell):
    rnd, w, entries = cell["round"], cell["w"], cell["entries"]
    officer = await _actor(session, cell, "officer")
    await _propose(session, cell, ["bay", "khoi", "secretary"])
    # Proposals waiting for approval: refused, naming the cell.
    waiting = await review.pending(session, officer, rnd.id)
    assert waiting.undecided == ["Chi bộ 1"]
    with pytest.raises(ReviewError, match="undecided"):
        await review.close_round(session, officer, rnd.id, leave_unrated=True)
    await review.approve_cell(session, officer, rnd.id, w.cell1.id)
    # Members without a proposal: refused unless confirmed, listed.
    waiting = await review.pending(session, officer, rnd.id)
    assert waiting.undecided == [] and ("Ngô Văn Tài", "Chi bộ 2") in waiting.unrated and len(waiting.unrated) == 10
    with pytest.raises(ReviewError, match="unrated"):
        await review.close_round(session, officer, rnd.id)
    # The cell's secretary, or another ward's committee, may not close it.
    for key in ("secretary", "far_officer"):
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.close_round(session, await _actor(session, cell, key), rnd.id, leave_unrated=True)
    closed = await review.close_round(session, officer, rnd.id, leave_unrated=True)
    assert (closed.decided, closed.unrated, closed.told) == (3, 10, 3)  # Bảy, Khôi, the secretary: on Telegram
    told = (await session.scalars(select(Delivery.member_id).where(Delivery.kind == review.RESULT_DELIVERY))).all()
    assert sorted(told) == sorted(cell[k].id for k in ("bay", "khoi", "secretary"))
    assert (await session.get(ReviewRound, rnd.id, populate_existing=True)).state is RoundState.closed
    # Closing twice: refused, nothing queued again; nothing changes after.
    with pytest.raises(ReviewError, match="closed"):
        await review.close_round(session, officer, rnd.id, leave_unrated=True)
    with pytest.raises(ReviewError, match="closed"):
        await review.change_level(session, officer, entries["bay"].id, Level.done, "Muộn")
    with pytest.raises(ReviewError, match="closed"):
        await _open(session, cell, entries["oanh"].id)
    assert await session.scalar(select(func.count()).select_from(Delivery)
                                .where(Delivery.kind == review.RESULT_DELIVERY)) == 3
    assert await review.level_history(session, cell["bay"].id) == [(2026, Level.good)]


async def test_the_profile_keeps_the_last_three_years(session, cell):
    w, member = cell["w"], cell["bay"]
    assert await review.level_history(session, member.id) == []  # the 2026 round is still open
    for year, level in ((2022, Level.done), (2023, Level.good), (2024, Level.excellent), (2025, Level.good)):
        rnd = ReviewRound(unit_id=w.ward.id, year=year, self_deadline=date(year, 12, 20),
                          meeting_deadline=date(year, 12, 28), rules_id="review_2025", rules_version=1,
                          state=RoundState.closed, opened_at=clock.now(), closed_at=clock.now())
        session.add(rnd)
        await session.flush()
        session.add(ReviewEntry(round_id=rnd.id, member_id=member.id, cell_id=w.cell1.id, form=Form.c, points={},
                                conditions=[], decided_level=level, proposed_level=level))
    await session.flush()
    assert await review.level_history(session, member.id) == [(2025, Level.good), (2024, Level.excellent),
                                                              (2023, Level.good)]
    assert await review.level_history(session, cell["oanh"].id) == []
    # The profile's read brings the same levels (no query of its own).
    assert (await load_profile(session, member.id)).levels == ((2025, Level.good), (2024, Level.excellent),
                                                               (2023, Level.good))
    assert (await load_profile(session, cell["oanh"].id)).levels == ()


async def test_the_appraisal_shows_the_cells_review_meeting_and_its_attendance(session, cell):
    rnd, w = cell["round"], cell["w"]
    secretary = await _actor(session, cell, "secretary")
    assert (await review.appraisal(session, secretary, rnd.id, w.cell1.id)).meeting is None

    def meeting(kind, day, cell_id=w.cell1.id, state=MeetingState.scheduled):
        m = Meeting(cell_id=cell_id, kind=kind, title="Họp", place="Nhà văn hóa", state=state,
                    starts_at=datetime.combine(day, time(19, 30), tzinfo=VIETNAM))
        session.add(m)
        return m

    # Not the cell's review meeting: another kind, cancelled, last year's, another cell's.
    meeting(MeetingKind.regular, date(2026, 12, 20))
    meeting(MeetingKind.review, date(2026, 12, 22), state=MeetingState.cancelled)
    meeting(MeetingKind.review, date(2025, 12, 22))
    meeting(MeetingKind.review, date(2026, 12, 23), cell_id=w.cell2.id)
    await session.flush()
    assert (await review.appraisal(session, secretary, rnd.id, w.cell1.id)).meeting is None
    held = meeting(MeetingKind.review, date(2026, 12, 21))
    await session.flush()
    found = (await review.appraisal(session, secretary, rnd.id, w.cell1.id)).meeting
    assert found is not None and (found.id, found.roll_called) == (held.id, False)
    # The roll called at the meeting (the meetings' own counts).
    held.roll_call_at, held.present_count, held.member_count = clock.now(), 9, 11
    await session.flush()
    found = (await review.appraisal(session, secretary, rnd.id, w.cell1.id)).meeting
    assert (found.roll_called, found.present, found.members) == (True, 9, 11)
