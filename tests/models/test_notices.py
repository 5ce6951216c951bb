"""Notices without Telegram: who may send where, the audience at send time, reads, studies, lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import clock, notices
from models.accounts import Account
from models.deliveries import Delivery, DeliveryState
from models.members import Member
from models.notices import Attachment, Confirmed, NoticeError, NoticeKind, NoticeRecipient
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.text import fold
from models.units import Unit, UnitKind, add_unit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
SECRETARY, OFFICER, MEMBER, OTHER_CELL, ADMIN = 11, 12, 13, 14, 99


@dataclass
class Ward:
    ward: Unit
    cell1: Unit
    cell2: Unit
    elsewhere: Unit  # a cell of another ward
    m: dict[str, Member]


@pytest.fixture
async def ward(session) -> Ward:
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    cell1 = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    cell2 = await add_unit(session, "Chi bộ Tổ dân phố 2", UnitKind.cell, ward)
    other = await add_unit(session, "Đảng bộ phường Vĩnh Ninh", UnitKind.ward, city)
    elsewhere = await add_unit(session, "Chi bộ Tổ dân phố 3", UnitKind.cell, other)
    m = {
        "secretary": Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id),
        "bay": Member(full_name="Lê Văn Bảy", cell_id=cell1.id),
        "unlinked": Member(full_name="Tôn Nữ Thị Lài", cell_id=cell1.id, exempt=True),
        "lam": Member(full_name="Trần Văn Lâm", cell_id=cell2.id),
        "officer": Member(full_name="Huỳnh Thị Mai", cell_id=cell2.id),
        "tung": Member(full_name="Võ Văn Tùng", cell_id=elsewhere.id),
    }
    session.add_all(m.values())
    await session.flush()
    await grant(session, m["secretary"].id, cell1.id, RoleKind.secretary)
    await grant(session, m["officer"].id, ward.id, RoleKind.committee)
    for tid, key in ((SECRETARY, "secretary"), (OFFICER, "officer"), (MEMBER, "bay"), (OTHER_CELL, "tung"),
                     (15, "lam")):
        session.add(Account(telegram_user_id=tid, member_id=m[key].id, language="vi"))
    await session.commit()
    return Ward(ward, cell1, cell2, elsewhere, m)


async def send(session, telegram_id: int, units: list[Unit], **kw):
    actor = await load_actor(session, telegram_id, frozenset({ADMIN}))
    kw.setdefault("kind", NoticeKind.notice)
    kw.setdefault("title", "Họp chi bộ tháng 12")
    kw.setdefault("body", "Kính mời các đồng chí dự họp lúc 19 giờ 30.")
    notice = await notices.create_notice(session, actor, audience_unit_ids=[u.id for u in units], **kw)
    await session.commit()
    return notice


async def recipients(session, notice_id: int) -> set[int]:
    rows = await session.scalars(select(NoticeRecipient.member_id).where(NoticeRecipient.notice_id == notice_id))
    return set(rows.all())


async def test_a_secretary_sends_to_her_cell_only(session, ward):
    with pytest.raises(NoticeError) as err:
        await send(session, SECRETARY, [ward.cell2])
    assert err.value.reason == "not_allowed"
    with pytest.raises(NoticeError):
        await send(session, SECRETARY, [ward.ward])  # a subtree is a committee's
    with pytest.raises(NoticeError):
        await send(session, MEMBER, [ward.cell1])
    notice = await send(session, SECRETARY, [ward.cell1])
    assert notice.unit_id == ward.cell1.id
    # Everyone in the cell but the sender; deliveries only for those on Telegram.
    assert await recipients(session, notice.id) == {ward.m["bay"].id, ward.m["unlinked"].id}
    rows = (await session.scalars(select(Delivery).where(Delivery.ref_id == notice.id))).all()
    assert [(r.kind, r.member_id, r.chat_id, r.state) for r in rows] == [
        (notices.NOTICE_DELIVERY, ward.m["bay"].id, MEMBER, DeliveryState.queued)]


async def test_a_committee_sends_to_its_subtree_or_chosen_cells(session, ward):
    whole = await send(session, OFFICER, [ward.ward])
    assert whole.unit_id == ward.ward.id
    everyone = {m.id for k, m in ward.m.items() if k not in ("officer", "tung")}
    assert await recipients(session, whole.id) == everyone
    chosen = await send(session, OFFICER, [ward.cell1])
    assert chosen.unit_id == ward.ward.id  # issued by the ward committee
    assert await recipients(session, chosen.id) == {ward.m[k].id for k in ("secretary", "bay", "unlinked")}
    nested = await send(session, OFFICER, [ward.ward, ward.cell1, ward.cell2])
    assert await recipients(session, nested.id) == everyone  # each member once
    with pytest.raises(NoticeError):
        await send(session, OFFICER, [ward.elsewhere])


async def test_the_cells_a_notice_can_be_printed_for(session, ward):
    """📄 Bản in: the cells under the audience, in tree order, within what the officer manages."""
    whole = await send(session, OFFICER, [ward.ward])
    assert [c.name for c in await notices.audience_cells(session, whole.id)] == [ward.cell1.name, ward.cell2.name]
    assert [c.id for c in await notices.audience_cells(session, whole.id, [ward.cell2.path])] == [ward.cell2.id]
    assert await notices.audience_cells(session, whole.id, []) == []
    assert await notices.audience_cells(session, whole.id, [ward.elsewhere.path]) == []
    own = await send(session, SECRETARY, [ward.cell1])
    assert [c.id for c in await notices.audience_cells(session, own.id)] == [ward.cell1.id]
    nested = await send(session, OFFICER, [ward.ward, ward.cell1])
    assert [c.id for c in await notices.audience_cells(session, nested.id)] == [ward.cell1.id, ward.cell2.id]
    assert await notices.audience_cells(session, 999999) == []


async def test_an_administrator_sends_anywhere(session, ward):
    notice = await send(session, ADMIN, [ward.cell2, ward.elsewhere])
    assert notice.unit_id == ward.ward.parent_id  # the common ancestor: the city
    assert await recipients(session, notice.id) == {ward.m[k].id for k in ("lam", "officer", "tung")}


async def test_bad_notices_are_refused(session, ward):
    for kw, reason in (({"title": "  "}, "title_empty"), ({"title": "x" * 201}, "title_long"),
                       ({"body": "x" * 5000}, "body_long"),
                       ({"attachment": Attachment("f", "video")}, "file_kind"),
                       ({"send_at": clock.now() - timedelta(minutes=5)}, "when_past")):
        with pytest.raises(NoticeError) as err:
            await send(session, SECRETARY, [ward.cell1], **kw)
        assert err.value.reason == reason
    with pytest.raises(NoticeError) as err:
        await send(session, SECRETARY, [])
    assert err.value.reason == "no_audience"


async def test_study_is_only_for_resolutions(session, ward):
    notice = await send(session, OFFICER, [ward.ward], kind=NoticeKind.notice, study=True)
    assert notice.study_required is False
    resolution = await send(session, OFFICER, [ward.ward], kind=NoticeKind.resolution, study=True)
    assert resolution.study_required is True


async def test_scheduled_notice_resolves_its_audience_when_it_is_due(session, ward):
    notice = await send(session, SECRETARY, [ward.cell1], send_at=clock.now() + timedelta(hours=2))
    assert notice.dispatched_at is None
    assert await recipients(session, notice.id) == set()
    late = Member(full_name="Phan Minh Khôi", cell_id=ward.cell1.id)  # joins before it goes out
    session.add(late)
    await session.commit()
    assert await notices.release_due(session) == []
    assert (await notices.status(session, notice.id)).scheduled_for == notice.send_at
    clock.advance(timedelta(hours=2))
    [done] = await notices.release_due(session)
    await session.commit()
    assert (done.id, done.recipients, done.queued) == (notice.id, 3, 1)
    assert late.id in await recipients(session, notice.id)
    assert await notices.release_due(session) == []
    assert await notices.dispatch(session, notice.id) is None  # never twice


async def test_parse_send_at_in_hue_time():
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Huế
    at = notices.parse_send_at("25/12/2026 19:30", HUE, now)
    assert at == datetime(2026, 12, 25, 12, 30, tzinfo=UTC)
    assert notices.parse_send_at("19h30 25/12/2026", HUE, now) == at
    assert notices.parse_send_at("25-12-2026 lúc 19 giờ 30", HUE, now) == at
    for text, reason in (("01/12/2026 09:00", "when_past"), ("31/02/2027 10:00", "when_impossible"),
                         ("25/12/2026 25:00", "when_impossible"), ("ngày mai", "when_format"),
                         ("25/12/26 10:00", "when_format"), ("25/12/2028 10:00", "when_too_far")):
        with pytest.raises(NoticeError) as err:
            notices.parse_send_at(text, HUE, now)
        assert err.value.reason == reason, text


def test_a_sending_time_at_the_calendars_ends_is_refused_not_a_crash():
    """Regression: "/notice T | text | 01/01/0001 00:00" in Huế (UTC+7): OverflowError from astimezone."""
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    for text, tz, reason in (("01/01/0001 00:00", HUE, "when_past"), ("00:00 01/01/0001", HUE, "when_past"),
                             ("31/12/9999 23:59", timezone(timedelta(hours=-5)), "when_too_far")):
        with pytest.raises(NoticeError) as err:
            notices.parse_send_at(text, tz, now)
        assert err.value.reason == reason, text


async def test_reads_and_studies_only_by_addressees(session, ward):
    notice = await send(session, OFFICER, [ward.cell1], kind=NoticeKind.resolution, study=True)
    bay, tung, lam = ward.m["bay"].id, ward.m["tung"].id, ward.m["lam"].id
    assert await notices.mark_read(session, notice.id, tung) is Confirmed.not_addressee
    assert await notices.mark_read(session, notice.id, lam) is Confirmed.not_addressee
    assert await notices.mark_read(session, notice.id, bay) is Confirmed.recorded
    assert await notices.mark_read(session, notice.id, bay) is Confirmed.already
    assert await notices.mark_studied(session, notice.id, ward.m["secretary"].id) is Confirmed.recorded
    await session.commit()
    s = await notices.status(session, notice.id)
    assert (s.recipients, s.read, s.studied, s.queued, s.not_linked) == (3, 2, 1, 2, 1)
    assert await notices.get_notice(session, notice.id) is not None
    assert await session.get(NoticeRecipient, (notice.id, tung)) is None
    plain = await send(session, SECRETARY, [ward.cell1])
    assert await notices.mark_studied(session, plain.id, bay) is Confirmed.not_for_study


async def test_a_member_who_joins_later_may_still_confirm(session, ward):
    notice = await send(session, SECRETARY, [ward.cell1])
    newcomer = Member(full_name="Đặng Thị Thu Hà", cell_id=ward.cell1.id)
    session.add(newcomer)
    await session.flush()
    assert await notices.mark_read(session, notice.id, newcomer.id) is Confirmed.recorded
    # The sender is no addressee of her own notice.
    assert await notices.mark_read(session, notice.id, ward.m["secretary"].id) is Confirmed.not_addressee


async def test_unread_names_and_rates_by_cell_with_the_exempt_setting(session, ward):
    notice = await send(session, OFFICER, [ward.ward], kind=NoticeKind.resolution, study=True)
    await notices.mark_studied(session, notice.id, ward.m["bay"].id)
    await session.commit()
    names, total = await notices.unread(session, notice.id)
    assert total == 3 and [u.name for u in names] == ["Tôn Nữ Thị Lài", "Nguyễn Thị Hồng Nhung", "Trần Văn Lâm"]
    assert [u.reachable for u in names] == [False, False, False]  # nothing sent yet
    rates = await notices.rates_by_cell(session, notice.id)
    assert [(r.cell, r.count, r.base, r.percent, r.exempt_left_out) for r in rates] == [
        ("Chi bộ Tổ dân phố 1", 1, 3, 33, 0), ("Chi bộ Tổ dân phố 2", 0, 1, 0, 0)]
    ward.cell1.exempt_counted = False
    await session.commit()
    rates = await notices.rates_by_cell(session, notice.id, within=[ward.cell1.path])
    assert [(r.count, r.base, r.percent, r.exempt_left_out) for r in rates] == [(1, 2, 50, 1)]


async def test_remind_those_who_received_and_did_not_read(session, ward):
    notice = await send(session, OFFICER, [ward.ward])
    await session.execute(Delivery.__table__.update().values(state=DeliveryState.sent.value))
    await notices.mark_read(session, notice.id, ward.m["secretary"].id)
    await session.commit()
    first = await notices.remind_unread(session, notice.id, ward.m["officer"].id)
    await session.commit()
    assert first.queued == 2 and first.wait is None  # Bảy and Lâm; Lài has no Telegram
    again = await notices.remind_unread(session, notice.id, ward.m["officer"].id)
    assert again.queued == 0 and again.wait is not None
    reminders = (await session.scalars(select(Delivery.member_id).where(
        Delivery.kind == notices.REMINDER_DELIVERY))).all()
    assert set(reminders) == {ward.m["bay"].id, ward.m["lam"].id}


async def test_inbox_newest_first_and_documents_of_the_members_units(session, ward):
    bay = ward.m["bay"].id
    first = await send(session, SECRETARY, [ward.cell1], title="Lịch sinh hoạt tháng 11")
    clock.advance(timedelta(minutes=1))
    resolution = await send(session, OFFICER, [ward.ward], kind=NoticeKind.resolution,
                            title="Nghị quyết số 57-NQ/TW", body="Về đột phá phát triển khoa học, công nghệ.")
    clock.advance(timedelta(minutes=1))
    await send(session, OFFICER, [ward.cell2], kind=NoticeKind.document, title="Văn bản cho chi bộ 2")
    await send(session, ADMIN, [ward.elsewhere], kind=NoticeKind.document, title="Văn bản phường khác")
    await notices.mark_read(session, first.id, bay)
    page = await notices.inbox(session, bay)
    assert [i.notice.title for i in page.items] == ["Nghị quyết số 57-NQ/TW", "Lịch sinh hoạt tháng 11"]
    assert (page.total, page.unread) == (2, 1) and page.items[1].read_at is not None
    assert (await notices.inbox(session, bay, offset=1, limit=1)).items[0].notice.id == first.id

    docs = await notices.documents(session, bay)
    assert [d.notice.id for d in docs.items] == [resolution.id]
    for query in ("nghi quyet", "KHOA HỌC", "57-nq", "đột phá công nghệ"):
        assert (await notices.documents(session, bay, query)).total == 1, query
    assert (await notices.documents(session, bay, "ngân sách")).total == 0
    assert (await notices.documents(session, bay, "100%_")).total == 0
    lam_docs = await notices.documents(session, ward.m["lam"].id)
    assert [d.notice.title for d in lam_docs.items] == ["Văn bản cho chi bộ 2", "Nghị quyết số 57-NQ/TW"]
    sent = await notices.sent_from(session, [ward.ward.path])
    assert sent.total == 3


async def test_fold_ignores_case_and_diacritics():
    assert fold("  Nghị QUYẾT  Đảng ") == "nghi quyet dang"


async def test_audience_size_for_the_preview(session, ward):
    assert await notices.audience_size(session, [ward.cell1.id], ward.m["secretary"].id) == (2, 1)
    assert await notices.audience_size(session, [ward.ward.id]) == (5, 4)
    assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
