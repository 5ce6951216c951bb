"""The demo's past quarter (issue 15): every screen has something true to show, and nothing is sent again."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from models import bulletins, clock, deliveries, feedback, meetings, notices, reports, votes
from models.accounts import Account
from models.corrections import CorrectionStatus, ProfileCorrection
from models.dates import VIETNAM
from models.demo import load_demo
from models.demo_history import BLOCKED_USER_ID, MONTHS, load_history, month_start
from models.sealing import FeedbackKeys
from models.units import Unit

KEY = FeedbackKeys.from_secret("demo history test")


@pytest.fixture
async def seeded(session):
    clock.freeze(datetime(2026, 12, 4, 3, 0, tzinfo=UTC))
    demo = await load_demo(session)
    # The sandbox links the personas before the history: here the secretary of cell 1.
    session.add(Account(telegram_user_id=200003, member_id=demo.secretary.member_id, language="vi",
                        linked_at=clock.now()))
    history = await load_history(session, demo, KEY)
    await session.commit()
    return demo, history


async def test_last_month_report_has_attendance_in_every_cell(session, seeded):
    demo, _ = seeded
    today = clock.now().astimezone(VIETNAM).date()
    for back in range(1, MONTHS + 1):
        first = month_start(today, back)
        ward = await session.get(Unit, demo.ward)
        report = await reports.month_report(session, ward, first.year, first.month, VIETNAM, clock.now())
        assert [c.cell_name for c in report.cells] == list(demo.cells)
        assert all(c.held >= 1 and 0 < c.present < c.base for c in report.cells), report.cells
        assert report.cells_met == 3 and not any(c.not_recorded for c in report.cells)


async def test_meetings_attendance_minutes(session, seeded):
    _, history = seeded
    held = [await meetings.get_meeting(session, i, full=True) for i in history.meetings]
    assert len(held) == 3 * MONTHS + 1
    assert sum(m.kind is meetings.MeetingKind.thematic for m in held) == 1
    for m in held:
        assert m.state is meetings.MeetingState.closed and m.content and m.decisions
        if m.kind is meetings.MeetingKind.regular:
            assert (m.excused_count, m.unexcused_count) == (2, 1) and m.present_count > 5
    proxies = await session.scalar(select(func.count()).where(meetings.MeetingRsvp.by_proxy))
    assert proxies == 3 * MONTHS
    ahead = [await meetings.get_meeting(session, i) for i in history.next_meetings]
    assert all(m.state is meetings.MeetingState.scheduled and m.starts_at > clock.now() for m in ahead)
    assert all((m.starts_at - clock.now()).days < 7 for m in ahead)


async def test_votes_closed_with_results(session, seeded):
    _, history = seeded
    closed = [await votes.get_vote(session, i) for i in history.votes]
    assert {v.ballot for v in closed} == {votes.BallotKind.open, votes.BallotKind.secret}
    for vote in closed:
        assert vote.closed_at is not None and vote.closed_at < clock.now()
        result = await votes.tally(session, vote)
        assert result.cast > 0 and result.cast <= result.eligible


async def test_notices_feedback_corrections(session, seeded):
    demo, history = seeded
    resolution = [n for n in [await notices.get_notice(session, i) for i in history.notices]
                  if n.kind is notices.NoticeKind.resolution]
    assert len(resolution) == 1 and resolution[0].study_required
    status = await notices.status(session, resolution[0].id)
    assert 0 < status.studied < status.read < status.recipients
    elderly = await notices.addressee(session, history.notices[0], demo.elderly_member.member_id)
    assert elderly is not None and elderly.read_at is None

    sent = [await bulletins.get_bulletin(session, i) for i in history.bulletins]
    assert len(sent) == 2 and all(b.dispatched_at is not None and b.recipients > 20 for b in sent)

    items = {i.id: i for i in (await session.scalars(select(feedback.FeedbackItem))).all()}
    assert all(items[i].status is feedback.FeedbackStatus.answered for i in history.feedback_answered)
    assert [items[i].status for i in history.feedback_waiting] == [feedback.FeedbackStatus.new]
    assert all(i.notified_at is not None for i in items.values())
    correction = await session.get(ProfileCorrection, history.correction)
    assert correction.status is CorrectionStatus.pending and correction.notified_at is not None


async def test_nothing_due_in_the_outbox(session, seeded):
    assert await session.scalar(select(func.count()).select_from(deliveries.Delivery)) >= 20
    due = await session.scalar(select(func.count()).where(
        deliveries.Delivery.state.in_((deliveries.DeliveryState.queued, deliveries.DeliveryState.sending)),
        deliveries.Delivery.next_attempt_at <= clock.now()))
    assert due == 0
    # The member who blocked the bot is marked so, and his secretary was told.
    blocked = await session.get(Account, BLOCKED_USER_ID)
    assert blocked.unreachable_at is not None
    assert await session.scalar(select(func.count()).where(
        deliveries.Delivery.kind == deliveries.UNREACHABLE_REPORT)) >= 1
