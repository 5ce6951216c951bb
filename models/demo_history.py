"""The demo's past quarter (issue 15): what the ward of models/demo.py did in the last three months.

Built through the models' own functions, each at the moment it happened: the clock travels back
(clock.travel), the secretary schedules, takes the roll, closes the meeting; members answer, read,
vote, write. Deterministic (a fixed seed; every date counted from the clock's now). The outbox of
that past is settled as it would have been (sent; the member who blocked the bot unreachable),
so nothing is sent again when the bot starts. The next regular meetings are a few days ahead.
The caller commits; load_demo comes first, and the personas' accounts (if any) before this.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import bulletins, clock, corrections, deliveries, meetings, minutes, notices, votes
from .accounts import Account
from .corrections import CorrectionField
from .dates import VIETNAM
from .demo import Demo
from .feedback import Draft, FeedbackKind, add_reply, claim_undelivered, claim_unnotified, finish_delivery, submit
from .members import Member
from .permissions import Actor, member_actor
from .roles import Role, RoleKind
from .sealing import FeedbackKeys
from .units import Unit

HISTORY_SEED = 1930
MONTHS = 3  # the last three months, each cell meeting once a month
MEETING_DAYS = (5, 8, 12)  # each cell's usual day of the month, in the order of the demo's cells
MEETING_TIME = time(19, 30)
NEXT_MEETING_IN = (3, 5, 6)  # days from now to each cell's next regular meeting
BLOCKED = "Võ Đình Quang"  # the member who blocked the bot (cell 1)
BLOCKED_USER_ID = 299_001  # his Telegram account, long gone quiet
CLAIMER = "demo-history"

# What a cell does in a month, month by month (oldest first): the content and decisions of its minutes.
RECORDS = (
    ("Kiểm điểm công tác tháng; quán triệt kế hoạch vận động quỹ Vì người nghèo; thu đảng phí quý.",
     ["Mỗi đảng viên vận động ít nhất hai hộ tham gia quỹ Vì người nghèo",
      "Hoàn thành thu đảng phí quý trước ngày 20"]),
    ("Kiểm điểm công tác tháng; góp ý dự thảo văn kiện Đại hội Đảng bộ phường; vệ sinh môi trường tổ dân phố.",
     ["Tổng hợp ý kiến góp ý văn kiện gửi Đảng ủy phường trước ngày 25",
      "Tổ chức tổng vệ sinh tổ dân phố vào sáng Chủ nhật cuối tháng"]),
    ("Kiểm điểm công tác tháng; phân công đảng viên phụ trách hộ gia đình; chuẩn bị đánh giá, xếp loại cuối năm.",
     ["Mỗi đảng viên hoàn thành bản tự kiểm điểm trước ngày 10 tháng sau",
      "Phân công đảng viên phụ trách 5 hộ gia đình tại khu phố"]),
)
THEMATIC = ("Sinh hoạt chuyên đề: Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
            "Trao đổi chuyên đề về nêu gương của đảng viên ở khu dân cư; mỗi đảng viên liên hệ bản thân.",
            ["Mỗi đảng viên đăng ký một việc làm nêu gương trong quý"])
PLACES = ("Nhà văn hóa Tổ dân phố 1", "Nhà văn hóa Tổ dân phố 2", "Hội trường Tổ dân phố 5")
EXCUSES = ("Đi công tác xa", "Ốm, đang điều trị tại nhà", "Về quê có việc gia đình", "Trực ca tại cơ quan")
FEEDBACK = (
    ("Đề nghị chi bộ gửi tài liệu họp trước hai ngày để đảng viên lớn tuổi kịp đọc.",
     "Cảm ơn đồng chí. Từ kỳ họp tới, tài liệu sẽ được gửi trước ít nhất hai ngày."),
    ("Đèn đường kiệt 24 Lê Lợi hỏng đã hai tuần, đề nghị chi bộ phản ánh với phường.",
     "Chi bộ đã báo Ủy ban nhân dân phường; đèn đã được sửa ngày hôm qua."),
    ("Đề nghị tổ chức buổi hướng dẫn dùng điện thoại để nhận thông báo của chi bộ.", None),
)
BULLETINS = (
    "Kính thưa các đồng chí đảng viên. Tháng qua, Đảng bộ phường đã hoàn thành việc thu đảng phí quý. "
    "Các chi bộ tiếp tục vận động nhân dân tham gia quỹ Vì người nghèo. Ủy ban nhân dân phường nhắc bà con "
    "giữ vệ sinh đường phố và phòng chống dịch sốt xuất huyết.",
    "Kính thưa các đồng chí đảng viên. Đảng ủy phường đã ban hành nghị quyết về phát triển kinh tế - xã hội "
    "đến cuối năm; đề nghị các đồng chí nghiên cứu và xác nhận đã học tập. Các chi bộ chuẩn bị đánh giá, "
    "xếp loại đảng viên cuối năm.",
)


@dataclass
class History:
    """What was made, for the tests and the sandbox's banner."""

    meetings: list[int] = field(default_factory=list)  # closed, oldest first
    next_meetings: list[int] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)
    votes: list[int] = field(default_factory=list)  # closed: the open one, then the secret one
    feedback_answered: list[int] = field(default_factory=list)
    feedback_waiting: list[int] = field(default_factory=list)
    correction: int | None = None
    bulletins: list[int] = field(default_factory=list)
    blocked_member: int | None = None


def month_start(today: date, back: int) -> date:
    """The first day of the month `back` months before today's."""
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


async def load_history(session: AsyncSession, demo: Demo, key: FeedbackKeys) -> History:
    """Seed the past quarter (see the module's text); the clock is as it was afterwards."""
    rng = random.Random(HISTORY_SEED)
    now = clock.now()
    today = now.astimezone(VIETNAM).date()
    history = History()
    members = list((await session.scalars(select(Member).order_by(Member.id))).all())
    by_cell = {cell_id: [m for m in members if m.cell_id == cell_id] for cell_id in demo.cells.values()}
    secretaries = {cell_id: await member_actor(session, await cell_secretary(session, cell_id))
                   for cell_id in demo.cells.values()}
    officer = await member_actor(session, demo.committee_officer.member_id)
    blocked = next(m for m in members if m.full_name == BLOCKED)
    history.blocked_member = blocked.id
    if await session.get(Account, BLOCKED_USER_ID) is None:
        start = datetime.combine(month_start(today, MONTHS), time(9), tzinfo=VIETNAM).astimezone(UTC)
        session.add(Account(telegram_user_id=BLOCKED_USER_ID, member_id=blocked.id, language="vi",
                            first_seen=start, linked_at=start))
        await session.flush()

    personas = {demo.elderly_member.member_id, demo.young_member.member_id, demo.secretary.member_id,
                demo.committee_officer.member_id, demo.newcomer.member_id}
    for back in range(MONTHS, 0, -1):
        first = month_start(today, back)
        content, decisions = RECORDS[MONTHS - back]
        for n, (cell_id, secretary) in enumerate(secretaries.items()):
            starts = datetime.combine(first.replace(day=MEETING_DAYS[n]), MEETING_TIME, tzinfo=VIETNAM).astimezone(UTC)
            cell = by_cell[cell_id]
            others = [m for m in cell if m.id != secretary.member_id and m.id not in personas and not m.exempt]
            absent = rng.sample(others, 3)
            # Cell 1 votes at its meetings of the last two months: in secret, then openly.
            vote = (back == 2) if n == 0 and back <= 2 else None
            meeting_id, vote_id = await _monthly_meeting(
                session, secretary, cell_id, starts, f"Sinh hoạt chi bộ thường kỳ tháng {first.month:02d}/{first.year}",
                PLACES[n], proxy=next(m for m in others if m not in absent), excused=absent[:2], unexcused=absent[2],
                content=content, decisions=decisions, approve=back > 1, rng=rng, secret_vote=vote)
            history.meetings.append(meeting_id)
            if vote_id is not None:
                history.votes.append(vote_id)
        if back == 2:
            # The cell 1's thematic meeting, mid-quarter.
            cell_id, secretary = next(iter(secretaries.items()))
            starts = datetime.combine(first.replace(day=20), time(8), tzinfo=VIETNAM).astimezone(UTC)
            thematic, _ = await _monthly_meeting(
                session, secretary, cell_id, starts, THEMATIC[0], PLACES[0], proxy=None, excused=[],
                unexcused=None, content=THEMATIC[1], decisions=THEMATIC[2], approve=True, rng=rng,
                kind=meetings.MeetingKind.thematic)
            history.meetings.append(thematic)

    history.notices = await _notices(session, demo, officer, secretaries, today, rng)
    history.bulletins = await _bulletins(session, demo, officer, today)
    history.feedback_answered, history.feedback_waiting = await _feedback(
        session, by_cell, secretaries, today, key)
    history.correction = await _correction(session, by_cell, secretaries, today)

    # The next regular meeting of each cell, a few days ahead (scheduled now; its invitations go now too).
    for n, (cell_id, secretary) in enumerate(secretaries.items()):
        day = today + timedelta(days=NEXT_MEETING_IN[n])
        meeting = await meetings.schedule_meeting(
            session, secretary, cell_id=cell_id, kind=meetings.MeetingKind.regular,
            title=f"Sinh hoạt chi bộ thường kỳ tháng {day.month:02d}/{day.year}",
            starts_at=datetime.combine(day, MEETING_TIME, tzinfo=VIETNAM).astimezone(UTC), place=PLACES[n],
            agenda="1. Kiểm điểm công tác tháng\n2. Triển khai nhiệm vụ tháng tới\n3. Ý kiến của đảng viên")
        history.next_meetings.append(meeting.id)
    await _settle_outbox(session, clock.now())  # the invitations too: the personas start with quiet chats
    return history


async def cell_secretary(session: AsyncSession, cell_id: int) -> int:
    """The member who holds the cell's secretary role (the demo gives every cell one)."""
    member_id = (await session.scalars(select(Role.member_id).where(
        Role.unit_id == cell_id, Role.kind == RoleKind.secretary).order_by(Role.id))).first()
    if member_id is None:
        raise ValueError(f"demo cell {cell_id} has no secretary")
    return member_id


async def _settle_outbox(session: AsyncSession, moment: datetime) -> None:
    """Every delivery due by `moment` recorded as it went then: sent, or unreachable for the member who
    blocked the bot (his secretary is told, through the outbox, and that is settled too)."""
    for _ in range(3):
        claimed = await deliveries.claim(session, CLAIMER, 10_000, lease=timedelta(minutes=5), now=moment)
        if not claimed:
            return
        outcomes = [deliveries.Outcome(c.id, deliveries.DeliveryState.unreachable, error="Forbidden: bot was blocked",
                                       chat_id=c.chat_id)
                    if c.chat_id == BLOCKED_USER_ID else
                    deliveries.Outcome(c.id, deliveries.DeliveryState.sent, chat_id=c.chat_id)
                    for c in claimed]
        await deliveries.record(session, CLAIMER, outcomes, now=moment)


async def _monthly_meeting(session: AsyncSession, secretary: Actor, cell_id: int, starts: datetime, title: str,
                           place: str, *, proxy: Member | None, excused: list[Member], unexcused: Member | None,
                           content: str, decisions: list[str], approve: bool, rng: random.Random,
                           kind: meetings.MeetingKind = meetings.MeetingKind.regular,
                           secret_vote: bool | None = None) -> tuple[int, int | None]:
    """A meeting from its invitation to its minutes; with `secret_vote` (True or False) a vote at it."""
    with clock.travel(starts - timedelta(days=7)):
        meeting = await meetings.schedule_meeting(
            session, secretary, cell_id=cell_id, kind=kind, title=title, starts_at=starts, place=place,
            agenda="1. Kiểm điểm công tác tháng\n2. Triển khai nhiệm vụ\n3. Ý kiến của đảng viên")
        await _settle_outbox(session, clock.now())
    with clock.travel(starts - timedelta(days=2)):
        for member in excused:
            await meetings.answer(session, await member_actor(session, member.id), meeting.id,
                                  meetings.Answer.absent, reason=rng.choice(EXCUSES))
        if proxy is not None:  # an elderly member told the secretary in person
            await meetings.answer(session, secretary, meeting.id, meetings.Answer.attend, for_member_id=proxy.id)
    with clock.travel(starts + timedelta(minutes=5)):
        await meetings.open_roll_call(session, secretary, meeting.id)
        if unexcused is not None:
            await meetings.mark(session, secretary, meeting.id, unexcused.id, meetings.Presence.unexcused)
        await meetings.mark_all_present(session, secretary, meeting.id)
    vote_id = None
    if secret_vote is not None:
        vote_id = await _vote(session, secretary, meeting.id, starts, secret=secret_vote, rng=rng)
    with clock.travel(starts + timedelta(hours=2)):
        await meetings.close_meeting(session, secretary, meeting.id, content=content, decisions=decisions)
        await _settle_outbox(session, clock.now())
    if approve:
        with clock.travel(starts + timedelta(days=1)):
            await minutes.approve_minutes(session, secretary, meeting.id)
    return meeting.id, vote_id


async def _vote(session: AsyncSession, secretary: Actor, meeting_id: int, starts: datetime, *, secret: bool,
                rng: random.Random) -> int:
    """A vote at the meeting, closed by the secretary at its end: the secret one elects, the open one approves."""
    opened = starts + timedelta(minutes=40)
    with clock.travel(opened):
        cell_id = (await meetings.get_meeting(session, meeting_id)).cell_id  # type: ignore[union-attr]
        if secret:
            vote = await votes.open_vote(
                session, secretary, cell_id=cell_id, question="Bầu tổ trưởng tổ đảng phụ trách khu phố",
                options=["Đồng chí Trần Văn Sáu", "Đồng chí Nguyễn Thị Mai"], ballot=votes.BallotKind.secret,
                electorate=votes.Electorate.present, rule=votes.PassRule.present, meeting_id=meeting_id,
                closes_at=opened + timedelta(hours=1))
        else:
            vote = await votes.open_vote(
                session, secretary, cell_id=cell_id,
                question="Thông qua kế hoạch vận động quỹ Vì người nghèo năm nay", meeting_id=meeting_id,
                closes_at=opened + timedelta(hours=1))
        await _settle_outbox(session, clock.now())
        electors = (await session.scalars(
            select(votes.Elector.member_id).where(votes.Elector.vote_id == vote.id, votes.Elector.can_vote)
            .order_by(votes.Elector.member_id))).all()
    for n, member_id in enumerate(electors):
        if not secret and n % 5 == 4:
            continue  # a few did not vote before it closed
        with clock.travel(opened + timedelta(minutes=2 + n)):
            position = 1 if rng.random() < 0.8 else 2
            await votes.cast_ballot(session, vote.id, member_id, position)
    with clock.travel(opened + timedelta(minutes=50)):
        await votes.close_vote(session, vote.id, by=secretary)
        await _settle_outbox(session, clock.now())
    return vote.id


async def _notices(session: AsyncSession, demo: Demo, officer: Actor, secretaries: dict[int, Actor], today: date,
                   rng: random.Random) -> list[int]:
    """The ward's notice and resolution, and a cell 1 notice; most read (the resolution mostly studied)."""
    cell1 = next(iter(secretaries))
    sent = [
        (officer, notices.NoticeKind.notice, "Thông báo lịch tiếp công dân của Đảng ủy phường",
         "Đảng ủy phường tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở Ủy ban nhân dân phường.",
         [demo.ward], False, month_start(today, 3).replace(day=15)),
        (officer, notices.NoticeKind.resolution, "Nghị quyết về phát triển kinh tế - xã hội phường Phú Hội",
         "Nghị quyết của Đảng ủy phường về nhiệm vụ phát triển kinh tế - xã hội đến cuối năm. Đề nghị các đồng chí "
         "đảng viên nghiên cứu và xác nhận đã học tập.", [demo.ward], True, month_start(today, 2).replace(day=16)),
        (secretaries[cell1], notices.NoticeKind.notice, "Thu đảng phí quý",
         "Đề nghị các đồng chí nộp đảng phí quý cho đồng chí Phó Bí thư trước ngày 20.", [cell1], False,
         month_start(today, 1).replace(day=14)),
    ]
    ids = []
    for actor, kind, title, body, audience, study, day in sent:
        moment = datetime.combine(day, time(8), tzinfo=VIETNAM).astimezone(UTC)
        with clock.travel(moment):
            notice = await notices.create_notice(session, actor, kind=kind, title=title, body=body,
                                                 audience_unit_ids=audience, study=study)
            await _settle_outbox(session, clock.now())
        recipients = (await session.scalars(
            select(notices.NoticeRecipient.member_id).where(notices.NoticeRecipient.notice_id == notice.id)
            .order_by(notices.NoticeRecipient.member_id))).all()
        for n, member_id in enumerate(recipients):
            roll = rng.random()
            if roll < 0.2 or member_id == demo.elderly_member.member_id:
                continue  # unread: the elderly member has something to read and confirm
            with clock.travel(moment + timedelta(hours=2 + n)):
                if study and roll < 0.8:
                    await notices.mark_studied(session, notice.id, member_id)
                else:
                    await notices.mark_read(session, notice.id, member_id)
        ids.append(notice.id)
    return ids


async def _bulletins(session: AsyncSession, demo: Demo, officer: Actor, today: date) -> list[int]:
    """The ward's monthly audio bulletin of the last two months, sent in its slot (the 1st, 08:00)."""
    ids = []
    for back, text in ((2, BULLETINS[0]), (1, BULLETINS[1])):
        first = month_start(today, back)
        moment = datetime.combine(first, time(bulletins.MONTHLY_HOUR), tzinfo=VIETNAM).astimezone(UTC)
        with clock.travel(moment):
            bulletin = await bulletins.create_bulletin(
                session, officer, unit_id=demo.ward, title=f"Bản tin Đảng bộ phường tháng {first.month:02d}/{first.year}",
                text=text, lang="vi")
            await _settle_outbox(session, clock.now())
        ids.append(bulletin.id)
    return ids


async def _feedback(session: AsyncSession, by_cell: dict[int, list[Member]], secretaries: dict[int, Actor],
                    today: date, key: FeedbackKeys) -> tuple[list[int], list[int]]:
    answered, waiting = [], []
    cells = list(by_cell)
    for n, (body, reply) in enumerate(FEEDBACK):
        cell_id = cells[n % 2]
        author = by_cell[cell_id][-1 - n]
        sent = datetime.combine(month_start(today, 2 - n if n < 2 else 0).replace(day=18), time(10),
                                tzinfo=VIETNAM).astimezone(UTC)
        sent = min(sent, clock.now() - timedelta(days=1))
        with clock.travel(sent):
            actor = await member_actor(session, author.id)
            if actor.cell_id is None:  # not on Telegram: the actor of the member's record
                cell = await session.get(Unit, cell_id)
                actor = replace(actor, cell_id=cell_id, cell_path=cell.path if cell else None)
            item = await submit(session, actor, Draft(FeedbackKind.text, body), anonymous=False, key=key,
                                chat_id=actor.telegram_user_id or 0)
            await claim_unnotified(session)  # the secretary was told then
        if reply is None:
            waiting.append(item.id)
            continue
        with clock.travel(sent + timedelta(days=2)):
            await add_reply(session, secretaries[cell_id], item.id, reply)
            for pending in await claim_undelivered(session, key):
                await finish_delivery(session, pending.reply_id, delivered=pending.chat_id is not None)
        answered.append(item.id)
    return answered, waiting


async def _correction(session: AsyncSession, by_cell: dict[int, list[Member]], secretaries: dict[int, Actor],
                      today: date) -> int:
    """A member of cell 1 asks to correct the address; the secretary has not decided yet."""
    cell1 = next(iter(secretaries))
    member = by_cell[cell1][-1]
    with clock.travel(clock.now() - timedelta(days=2)):
        correction = await corrections.request_correction(
            session, await member_actor(session, member.id), CorrectionField.address,
            "25 Kiệt 3 Lê Lợi, phường Phú Hội, thành phố Huế")
        await corrections.claim_unnotified(session)  # the secretary was told then
    return correction.id
