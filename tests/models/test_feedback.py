"""Feedback without Telegram: statuses, anonymity, the hourly limit, replies, sweeps, the digest."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from models import clock, feedback
from models.accounts import Account
from models.audit import AuditEntry
from models.base import Base
from models.feedback import (
    AboutSource,
    Draft,
    FeedbackItem,
    FeedbackKind,
    FeedbackRate,
    FeedbackRefused,
    FeedbackReply,
    FeedbackStatus,
    FeedbackThread,
    NotAllowed,
    Refusal,
    ReplyRefusal,
    ReplyRefused,
)
from models.members import Member
from models.permissions import Actor, load_actor
from models.roles import RoleKind, grant
from models.sealing import FeedbackKeys
from models.units import Unit, UnitKind, add_unit

KEY = FeedbackKeys.from_secret("k" * 32)
T0 = datetime(2026, 5, 12, 3, 0, tzinfo=UTC)  # 10:00 in Huế


@dataclass
class Ward:
    ward: Unit
    cell1: Unit
    cell2: Unit
    ids: dict[str, int]  # member ids
    tg: dict[str, int]  # telegram ids

    async def actor(self, session, who: str) -> Actor:
        return await load_actor(session, self.tg[who])


@pytest.fixture
async def ward(session) -> Ward:
    clock.freeze(T0)
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    cell1 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    cell2 = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    people = {
        "member": ("Lê Văn Bảy", cell1), "other": ("Phan Minh Khôi", cell1), "secretary": ("Nguyễn Thị Hồng Nhung", cell1),
        "secretary2": ("Trần Văn Lâm", cell2), "officer": ("Huỳnh Thị Mai", cell2), "cell2": ("Đặng Thị Thu Hà", cell2),
    }
    members = {k: Member(full_name=n, cell_id=c.id) for k, (n, c) in people.items()}
    session.add_all(members.values())
    await session.flush()
    await grant(session, members["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, members["secretary2"].id, cell2.id, RoleKind.secretary)
    await grant(session, members["officer"].id, ward.id, RoleKind.committee)
    tg = {k: 7_340_001 + i for i, k in enumerate(members)}
    for k, m in members.items():
        session.add(Account(telegram_user_id=tg[k], member_id=m.id, language="vi"))
    await session.commit()
    return Ward(ward, cell1, cell2, {k: m.id for k, m in members.items()}, tg)


async def send(session, w: Ward, who: str = "member", body: str = "Đường điện ở kiệt 5 hay bị mất", *,
               anonymous: bool = False, key: FeedbackKeys = KEY, **kw) -> FeedbackItem:
    actor = await w.actor(session, who)
    item = await feedback.submit(session, actor, Draft(kind=kw.pop("kind", FeedbackKind.text), body=body, **kw),
                                 anonymous=anonymous, key=key, chat_id=w.tg[who])
    await session.commit()
    return item


async def test_a_named_item_is_new_then_seen_answered_closed(session, ward):
    item = await send(session, ward)
    assert (item.status, item.member_id, item.cell_id, item.anonymous) == (
        FeedbackStatus.new, ward.ids["member"], ward.cell1.id, False)
    secretary = await ward.actor(session, "secretary")
    view = await feedback.open_item(session, secretary, item.id, as_officer=True)
    assert view.author == "Lê Văn Bảy" and item.status is FeedbackStatus.seen
    await feedback.add_reply(session, secretary, item.id, "Chi bộ đã báo Điện lực, tuần sau sửa.")
    assert item.status is FeedbackStatus.answered
    await feedback.close_item(session, secretary, item.id)
    await session.commit()
    assert item.status is FeedbackStatus.closed and item.closed_by_member_id == ward.ids["secretary"]
    with pytest.raises(ReplyRefused) as refused:
        await feedback.add_reply(session, secretary, item.id, "Thêm nữa")
    assert refused.value.reason is ReplyRefusal.closed
    # the member sees their own item and its reply
    member = await ward.actor(session, "member")
    own = await feedback.open_item(session, member, item.id, as_officer=False)
    assert [r.body for r in own.replies] == ["Chi bộ đã báo Điện lực, tuần sau sửa."]
    assert [i.id for i in await feedback.own_items(session, ward.ids["member"])] == [item.id]
    actions = [a for (a,) in (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).all()]
    assert actions == ["feedback_replied", "feedback_closed"]


async def test_only_the_cells_secretary_or_a_committee_above_handles_an_item(session, ward):
    item = await send(session, ward)
    for who in ("secretary2", "other", "cell2"):
        actor = await ward.actor(session, who)
        with pytest.raises(NotAllowed):
            await feedback.open_item(session, actor, item.id, as_officer=True)
        with pytest.raises(NotAllowed):
            await feedback.add_reply(session, actor, item.id, "x")
        with pytest.raises(NotAllowed):
            await feedback.close_item(session, actor, item.id)
    with pytest.raises(NotAllowed):  # another member cannot open it as "their own"
        await feedback.open_item(session, await ward.actor(session, "other"), item.id, as_officer=False)
    officer = await ward.actor(session, "officer")
    assert (await feedback.open_item(session, officer, item.id, as_officer=True)).cell.id == ward.cell1.id
    with pytest.raises(NotAllowed):
        await feedback.open_item(session, officer, 999_999, as_officer=True)


async def test_no_column_links_an_anonymous_item_to_a_member(session, ward, engine):
    item = await send(session, ward, anonymous=True, body="Tôi không dám nói thẳng")
    assert item.member_id is None and item.anonymous
    # 1. the tables: no column of the feedback tables except feedback_items.member_id (NULL here)
    #    points at members or accounts, and the thread holds no readable chat id.
    def columns(sync_conn):
        insp = inspect(sync_conn)
        out = {}
        for table in ("feedback_items", "feedback_replies", "feedback_threads", "feedback_rate"):
            out[table] = ([c["name"] for c in insp.get_columns(table)],
                          [(fk["constrained_columns"], fk["referred_table"]) for fk in insp.get_foreign_keys(table)])
        return out

    async with engine.connect() as conn:
        tables = await conn.run_sync(columns)
    to_people = {(t, tuple(cols)) for t, (_, fks) in tables.items() for cols, ref in fks if ref in ("members", "accounts")}
    assert to_people == {
        ("feedback_items", ("member_id",)), ("feedback_items", ("closed_by_member_id",)),
        ("feedback_replies", ("replied_by_member_id",)),
    }
    assert tables["feedback_threads"][0] == ["item_id", "sealed_chat", "created_at"]
    assert set(tables["feedback_rate"][0]) == {"key", "minute", "count"}
    # 2. the rows: the anonymous item's every value, and its thread's, match no member id or telegram id.
    secret_ids = {str(ward.ids["member"]), str(ward.tg["member"])}
    row = (await session.execute(text("SELECT * FROM feedback_items WHERE id = :i"), {"i": item.id})).mappings().one()
    assert row["member_id"] is None and row["closed_by_member_id"] is None
    thread = (await session.execute(text("SELECT * FROM feedback_threads"))).mappings().one()
    rates = (await session.execute(text("SELECT * FROM feedback_rate"))).mappings().all()
    assert set(thread) == {"item_id", "sealed_chat", "created_at"} and thread["item_id"] == item.id
    for opaque in [thread["sealed_chat"], *(r["key"] for r in rates)]:
        assert opaque not in secret_ids and str(ward.tg["member"]) not in opaque
    # 3. try a join: from the anonymous item through every table of the feature to members or accounts
    found = (await session.execute(text(
        "SELECT m.id FROM feedback_items i "
        "LEFT JOIN feedback_threads t ON t.item_id = i.id "
        "JOIN members m ON m.id = i.member_id OR m.id = i.closed_by_member_id "
        "   OR CAST(m.id AS TEXT) = t.sealed_chat "
        "WHERE i.id = :i"), {"i": item.id})).all()
    assert found == []
    found = (await session.execute(text(
        "SELECT a.telegram_user_id FROM feedback_items i JOIN feedback_threads t ON t.item_id = i.id "
        "JOIN accounts a ON CAST(a.telegram_user_id AS TEXT) = t.sealed_chat "
        "   OR CAST(a.member_id AS TEXT) = t.sealed_chat WHERE i.id = :i"), {"i": item.id})).all()
    assert found == []
    # 4. and no audit entry was written about sending it
    assert (await session.execute(select(AuditEntry))).all() == []
    # 5. the member's own list does not show it; the secretary sees "anonymous"
    assert await feedback.own_items(session, ward.ids["member"]) == []
    view = await feedback.open_item(session, await ward.actor(session, "secretary"), item.id, as_officer=True)
    assert view.author is None and view.item.anonymous


async def test_the_database_refuses_an_anonymous_item_with_a_member(session, ward):
    session.add(FeedbackItem(cell_id=ward.cell1.id, member_id=ward.ids["member"], anonymous=True,
                             kind=FeedbackKind.text, body="x"))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()


async def test_an_anonymous_reply_finds_its_way_back_once_then_the_way_is_gone(session, ward):
    item = await send(session, ward, anonymous=True)
    secretary = await ward.actor(session, "secretary")
    await feedback.add_reply(session, secretary, item.id, "Cảm ơn đồng chí, chi bộ sẽ xem xét.")
    await session.commit()
    [pending] = await feedback.claim_undelivered(session, KEY)
    assert (pending.chat_id, pending.anonymous, pending.language) == (ward.tg["member"], True, "vi")
    assert await feedback.claim_undelivered(session, KEY) == []  # claimed once
    await feedback.finish_delivery(session, pending.reply_id, delivered=True)
    await session.commit()
    assert await session.get(FeedbackThread, item.id) is None
    with pytest.raises(ReplyRefused) as refused:
        await feedback.add_reply(session, secretary, item.id, "Một câu nữa")
    assert refused.value.reason is ReplyRefusal.thread_gone
    # a wrong key cannot open a thread
    other = await send(session, ward, anonymous=True)
    thread = await session.get(FeedbackThread, other.id)
    assert feedback.unseal_chat(b"x" * 32, thread.sealed_chat) is None
    assert KEY.unseal(thread.sealed_chat) == ward.tg["member"]
    assert KEY.unseal("garbage!") is None


async def test_a_failed_delivery_is_retried_and_closing_forgets_the_way_back(session, ward):
    item = await send(session, ward, anonymous=True)
    secretary = await ward.actor(session, "secretary")
    await feedback.add_reply(session, secretary, item.id, "Trả lời")
    await session.commit()
    [pending] = await feedback.claim_undelivered(session, KEY)
    await feedback.finish_delivery(session, pending.reply_id, delivered=False, retry=True)
    await session.commit()
    await feedback.close_item(session, secretary, item.id)  # a reply is still on its way: keep the thread
    await session.commit()
    assert await session.get(FeedbackThread, item.id) is not None
    [again] = await feedback.claim_undelivered(session, KEY)
    assert again.reply_id == pending.reply_id and again.chat_id == ward.tg["member"]
    await feedback.finish_delivery(session, again.reply_id, delivered=True)
    # closing an unanswered anonymous item deletes its thread at once
    other = await send(session, ward, anonymous=True)
    await feedback.close_item(session, secretary, other.id)
    await session.commit()
    assert (await session.execute(select(FeedbackThread))).all() == []


async def test_a_reply_failing_for_a_day_is_given_up_and_its_way_back_forgotten(session, ward):
    item = await send(session, ward, anonymous=True)
    secretary = await ward.actor(session, "secretary")
    await feedback.add_reply(session, secretary, item.id, "Trả lời")
    await session.commit()
    for _ in range(3):  # network errors for a few hours: tried again at the next sweep
        [pending] = await feedback.claim_undelivered(session, KEY)
        assert await feedback.finish_delivery(session, pending.reply_id, delivered=False, retry=True)
        await session.commit()
        clock.advance(timedelta(hours=5))
    clock.advance(timedelta(hours=10))  # a day after the reply: the next failure is the last
    [pending] = await feedback.claim_undelivered(session, KEY)
    assert not await feedback.finish_delivery(session, pending.reply_id, delivered=False, retry=True)
    await session.commit()
    assert await feedback.claim_undelivered(session, KEY) == []
    reply = await session.get(FeedbackReply, pending.reply_id)
    assert reply.undeliverable and reply.delivered_at is not None
    assert await session.get(FeedbackThread, item.id) is None


async def test_ten_an_hour_counting_anonymous_ones_with_the_clock_moved(session, ward):
    for i in range(10):
        await send(session, ward, body=f"Ý kiến số {i}", anonymous=i % 2 == 0)
        clock.advance(timedelta(minutes=3))
    with pytest.raises(FeedbackRefused) as refused:
        await send(session, ward, body="Lần thứ mười một", anonymous=True)
    assert refused.value.reason is Refusal.rate_limited
    # the first one was sent 30 minutes ago: free again in 30 minutes
    assert timedelta(minutes=29) <= refused.value.retry_after <= timedelta(minutes=31)
    await session.rollback()
    # another member is not affected
    await send(session, ward, who="other", body="Ý kiến của tôi")
    clock.advance(timedelta(minutes=31))
    await send(session, ward, body="Đã qua một giờ kể từ ý kiến đầu", anonymous=True)
    # the rate table never holds a member id, and old minutes are pruned
    keys = (await session.scalars(select(FeedbackRate.key))).all()
    assert all(len(k) == 64 and str(ward.ids["member"]) != k for k in keys)
    clock.advance(timedelta(hours=2))
    await send(session, ward, body="Sau hai giờ")
    assert len((await session.scalars(select(FeedbackRate))).all()) == 1


async def test_limits_on_length_voice_and_about(session, ward):
    with pytest.raises(FeedbackRefused) as refused:
        await send(session, ward, body="a" * 4001)
    assert refused.value.reason is Refusal.too_long
    await send(session, ward, body="a" * 4000)
    with pytest.raises(FeedbackRefused) as refused:
        await send(session, ward, body=None, kind=FeedbackKind.voice, file_id="AwAC", duration=301)
    assert refused.value.reason is Refusal.voice_too_long
    voice = await send(session, ward, body=None, kind=FeedbackKind.voice, file_id="AwAC", duration=300)
    assert voice.kind is FeedbackKind.voice and voice.duration == 300
    with pytest.raises(FeedbackRefused) as refused:
        await send(session, ward, body="   ")
    assert refused.value.reason is Refusal.empty
    with pytest.raises(FeedbackRefused) as refused:  # no such meeting
        await send(session, ward, about_kind="meeting", about_id=1)
    assert refused.value.reason is Refusal.bad_about
    stranger = Actor(telegram_user_id=1)
    with pytest.raises(FeedbackRefused):
        await feedback.submit(session, stranger, Draft(FeedbackKind.text, "x"), anonymous=False, key=KEY, chat_id=1)


@pytest.fixture
def meetings_source():
    """A stand-in for a feature whose records can be written about: meeting 7 is cell 1's only."""
    titles = {7: "Sinh hoạt chi bộ tháng 5", 8: "Sinh hoạt chuyên đề"}

    async def latest(session, member_id, cell_id, limit):
        return [(7, titles[7])]

    async def title(session, ref_id):
        return titles.get(ref_id)

    async def visible(session, ref_id, member_id, cell_id):
        return ref_id == 7 and cell_id == 3

    real = feedback.ABOUT_SOURCES.get("meeting")
    feedback.register_about_source(AboutSource("meeting", latest, title, visible))
    yield
    feedback.ABOUT_SOURCES["meeting"] = real


async def test_about_a_meeting_when_the_feature_offers_one(session, ward, meetings_source):
    assert ward.cell1.id == 3
    choices = await feedback.about_choices(session, ward.ids["member"], ward.cell1.id)
    assert [(c.kind, c.id) for c in choices] == [("general", None), ("meeting", 7)]
    item = await send(session, ward, about_kind="meeting", about_id=7)
    assert (item.about_kind, item.about_id) == ("meeting", 7)
    with pytest.raises(FeedbackRefused):  # not a meeting of this member's cell
        await send(session, ward, about_kind="meeting", about_id=8)
    await session.rollback()
    with pytest.raises(FeedbackRefused):
        await send(session, ward, who="cell2", about_kind="meeting", about_id=7)
    await session.rollback()
    with pytest.raises(ValueError):
        feedback.register_about_source(AboutSource("party", None, None, None))


async def test_the_summary_sweep_claims_each_item_once_even_when_two_run(sessionmaker, session, ward):
    for i in range(3):
        await send(session, ward, body=f"Ý kiến {i}")
    await send(session, ward, who="cell2", body="Ý kiến chi bộ 2")

    async def sweep():
        async with sessionmaker() as s:
            claimed = await feedback.claim_unnotified(s)
            await s.commit()
            return claimed

    first, second = await asyncio.gather(sweep(), sweep())
    claimed = first + second
    assert len(claimed) == 4 and len({i for i, _ in claimed}) == 4
    assert await sweep() == []
    cells = {c for _, c in claimed}
    assert cells == {ward.cell1.id, ward.cell2.id}
    recipients = await feedback.cell_officers(session, ward.cell1.id)
    assert [r.telegram_user_id for r in recipients] == [ward.tg["secretary"]]
    above = await feedback.cell_officers(session, ward.cell1.id, committee_only=True)
    assert [r.telegram_user_id for r in above] == [ward.tg["officer"]]
    # the secretary's own request goes to the committee when the cell has no other officer
    own = await feedback.cell_officers(session, ward.cell1.id, exclude_member_id=ward.ids["secretary"])
    assert [r.telegram_user_id for r in own] == [ward.tg["officer"]]


async def test_lists_and_counts_by_cell_and_status(session, ward):
    a = await send(session, ward, body="Một")
    await send(session, ward, body="Hai", anonymous=True)
    await send(session, ward, who="cell2", body="Ba")
    secretary = await ward.actor(session, "secretary")
    await feedback.open_item(session, secretary, a.id, as_officer=True)
    await session.commit()
    rows, total = await feedback.list_items(session, ward.cell1.path, FeedbackStatus.new)
    assert total == 1 and rows[0][0].body == "Hai"
    rows, total = await feedback.list_items(session, ward.ward.path, FeedbackStatus.new)
    assert total == 2 and {name for _, name in rows} == {"Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2"}
    counts = {c.name: (c.counts[FeedbackStatus.new], c.counts[FeedbackStatus.seen], c.total)
              for c in await feedback.counts_by_cell(session, ward.ward.path)}
    assert counts == {"Chi bộ Tổ dân phố 1": (1, 1, 2), "Chi bộ Tổ dân phố 2": (1, 0, 1)}


def test_recurring_words_and_phrases_without_stop_words():
    texts = [
        "Đề nghị chi bộ sửa đường điện ở kiệt 5, đường điện yếu lắm.",
        "Đường điện khu vực tổ 3 hay bị chập vào buổi tối",
        "Cần làm vệ sinh môi trường sạch sẽ quanh chợ",
        "Tổ chức vệ sinh môi trường hàng tháng, mọi người cùng tham gia",
        "Vệ sinh môi trường ở bờ sông chưa tốt; đường điện cũng cần xem lại",
        "Xin cảm ơn các đồng chí",
    ]
    terms = feedback.recurring_terms(texts)
    assert terms[:2] == [("vệ sinh môi trường", 3), ("đường điện", 3)]
    words = {t for t, _ in terms}
    assert not words & {"vệ sinh", "môi trường", "sinh môi", "điện", "đường", "của", "đồng chí", "các"}
    assert all(n >= 2 for _, n in terms)
    assert feedback.recurring_terms([]) == []


async def test_digest_of_a_month_and_of_a_meeting(session, ward, meetings_source):
    clock.freeze(datetime(2026, 4, 30, 16, 30, tzinfo=UTC))  # 23:30 on 30/04 in Huế: April
    await send(session, ward, body="Tháng tư: đường điện")
    clock.freeze(datetime(2026, 4, 30, 17, 30, tzinfo=UTC))  # 00:30 on 01/05 in Huế: May
    first = await send(session, ward, body="Đường điện kiệt 5 yếu")
    await send(session, ward, body="Đường điện tổ 3 chập chờn", about_kind="meeting", about_id=7)
    await send(session, ward, who="other", body="Vệ sinh môi trường", anonymous=True, about_kind="meeting", about_id=7)
    await send(session, ward, who="cell2", body="Đường điện chi bộ 2")
    await feedback.add_reply(session, await ward.actor(session, "secretary"), first.id, "Đã báo.")
    await session.commit()
    may = await feedback.digest(session, ward.cell1.path, month=(2026, 5))
    assert (may.total, may.answered) == (3, 1)
    assert [(g.about.kind, g.about.title, len(g.items)) for g in may.groups] == [
        ("general", None, 1), ("meeting", "Sinh hoạt chi bộ tháng 5", 2)]
    assert may.terms[0] == ("đường điện", 2)
    meeting = await feedback.digest(session, ward.cell1.path, about=("meeting", 7))
    assert meeting.total == 2 and [len(g.items) for g in meeting.groups] == [2]
    ward_wide = await feedback.digest(session, ward.ward.path, month=(2026, 5))
    assert ward_wide.total == 4 and ward_wide.terms[0] == ("đường điện", 3)
    april = await feedback.digest(session, ward.cell1.path, month=(2026, 4))
    assert april.total == 1
    assert await feedback.about_refs(session, ward.cell1.path, datetime(2026, 1, 1, tzinfo=UTC)) == [("meeting", 7)]
    assert feedback.local_month(datetime(2026, 4, 30, 17, 30, tzinfo=UTC)) == (2026, 5)


async def test_the_cells_real_meetings_are_offered(session, ward):
    from models.meetings import Meeting, MeetingKind, MeetingState

    def meeting(cell, title, days, state=MeetingState.scheduled):
        return Meeting(cell_id=cell.id, kind=MeetingKind.regular, title=title, place="Nhà văn hóa tổ 1",
                       starts_at=T0 + timedelta(days=days), state=state)

    held, coming = meeting(ward.cell1, "Sinh hoạt tháng 4", -20), meeting(ward.cell1, "Sinh hoạt tháng 5", 10)
    others = [meeting(ward.cell2, "Chi bộ 2", 5), meeting(ward.cell1, "Đã hủy", 3, MeetingState.cancelled),
              meeting(ward.cell1, "Năm ngoái", -300)]
    session.add_all([held, coming, *others])
    await session.commit()
    choices = await feedback.about_choices(session, ward.ids["member"], ward.cell1.id)
    assert [(c.kind, c.id) for c in choices] == [("general", None), ("meeting", coming.id), ("meeting", held.id)]
    assert choices[1].title == "Sinh hoạt tháng 5 (22/05/2026)"
    item = await send(session, ward, about_kind="meeting", about_id=held.id)
    assert (item.about_kind, item.about_id) == ("meeting", held.id)
    held_id, refused_ids, path = held.id, [m.id for m in others[:2]], ward.cell1.path
    for refused_id in refused_ids:
        with pytest.raises(FeedbackRefused):
            await send(session, ward, about_kind="meeting", about_id=refused_id)
        await session.rollback()
    d = await feedback.digest(session, path, about=("meeting", held_id))
    assert d.total == 1 and d.groups[0].about.title == "Sinh hoạt tháng 4 (22/04/2026)"


def test_every_feature_table_is_registered():
    assert {"feedback_items", "feedback_replies", "feedback_threads", "feedback_rate"} <= set(Base.metadata.tables)
