"""The year-end review (issue 16), its first slice: the rules file's levels at their thresholds (the extra
conditions of "xuất sắc" included), the form a position gives, exemptions, who may open a round and read or
change an entry, the lock after sending, a proxy marked, reminders queued once."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import clock, review, suspension
from models.accounts import Account
from models.audit import AuditEntry
from models.deliveries import Delivery
from models.members import Member
from models.permissions import member_actor
from models.review import Form, Level, ReviewEntry, ReviewError
from models.roles import RoleKind, grant
from models.suspension import SuspensionError

from .two_wards import two_wards

TODAY = date(2026, 12, 4)
DEADLINE = date(2026, 12, 20)
MEETING = date(2026, 12, 28)
BOTH = ["on_time", "above_requirement"]


@pytest.mark.parametrize(("total", "conditions", "level"), [
    (49, [], Level.failed), (50, [], Level.done), (69, [], Level.done), (70, [], Level.good),
    (89, BOTH, Level.good), (90, BOTH, Level.excellent), (90, [], Level.good), (90, ["on_time"], Level.good),
    (100, BOTH, Level.excellent), (0, [], Level.failed),
])
def test_levels_at_the_thresholds(total, conditions, level):
    assert review.rules().level(total, conditions) is level


def test_the_rules_file_forms_make_100_points_of_30_general_and_70_tasks():
    r = review.rules()
    for form in Form:
        groups = r.groups(form)
        assert sum(g.max for g in groups) == 100
        assert sum(g.max for g in groups if g.id in ("politics", "ethics", "discipline")) == 30
    assert r.reminder_days == (7, 3, 1) and r.admitted_months == 6


@pytest.mark.parametrize(("position", "form"), [
    ("Cán bộ hưu trí", Form.c), ("Cựu chiến binh", Form.c), (None, Form.c), ("Bí thư chi bộ", Form.b),
    ("Đảng ủy viên, Trưởng Ban Xây dựng Đảng", Form.b), ("Giáo viên", Form.a), ("Kỹ sư phần mềm", Form.a),
])
def test_the_form_a_position_gives(position, form):
    assert review.rules().form_for(position) is form


def test_reminder_thresholds():
    r = review.rules()
    assert [review.reminder_due(r, DEADLINE, DEADLINE - timedelta(days=d)) for d in (9, 8, 7, 6, 4, 3, 2, 1, 0, -1)] \
        == [None, None, 7, 7, 7, 3, 3, 1, 1, None]  # one missed while down goes late, once


@pytest.fixture
async def ward(session):
    w = await two_wards(session)

    def member(name, cell, position="Cán bộ hưu trí", joined=date(1980, 1, 1), **kw):
        m = Member(full_name=name, cell_id=cell.id, joined_on=joined, official_on=joined, position=position, **kw)
        session.add(m)
        return m

    people = {
        "bay": member("Lê Văn Bảy", w.cell1),
        "oanh": member("Lê Thị Kim Oanh", w.cell1, "Kế toán"),
        "sau": member("Trần Văn Sáu", w.cell1),  # no Telegram
        "lai": member("Tôn Nữ Thị Lài", w.cell1, exempt=True),
        "khoi": member("Phan Minh Khôi", w.cell1, "Kỹ sư", joined=date(2026, 9, 1)),
        "secretary": member("Nguyễn Thị Hồng Nhung", w.cell1, "Bí thư chi bộ"),
        "tai": member("Ngô Văn Tài", w.cell2),
        "officer": member("Huỳnh Thị Mai", w.cell2, "Đảng ủy viên"),
        "xa": member("Nguyễn Văn Xa", w.far),
    }
    await session.flush()
    await grant(session, people["secretary"].id, w.cell1.id, RoleKind.secretary)
    await grant(session, people["officer"].id, w.ward.id, RoleKind.committee)
    for n, key in enumerate(("bay", "oanh", "secretary", "officer", "khoi", "tai"), start=1):
        session.add(Account(telegram_user_id=900 + n, member_id=people[key].id))
    await session.flush()
    clock.freeze(datetime(2026, 12, 4, 3, 0, tzinfo=UTC))
    return {"w": w, **people}


async def _actor(session, ward, key):
    return await member_actor(session, ward[key].id)


async def _open(session, ward):
    officer = await _actor(session, ward, "officer")
    return await review.open_round(session, officer, ward["w"].ward.id, 2026, DEADLINE, MEETING, today=TODAY)


async def _entry(session, rnd, member) -> ReviewEntry:
    return (await session.scalars(select(ReviewEntry).where(ReviewEntry.round_id == rnd.id,
                                                            ReviewEntry.member_id == member.id))).one()


async def test_only_a_committee_officer_over_the_unit_opens_a_round(session, ward):
    w = ward["w"]
    secretary, member = await _actor(session, ward, "secretary"), await _actor(session, ward, "bay")
    for who, unit in ((secretary, w.ward), (member, w.ward), (secretary, w.cell1),
                      (await _actor(session, ward, "officer"), w.other), (await _actor(session, ward, "officer"), w.cell1)):
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.open_round(session, who, unit.id, 2026, DEADLINE, MEETING, today=TODAY)
    assert [u.id for u in await review.units_to_open(session, await _actor(session, ward, "officer"))] == [w.ward.id]
    officer = await _actor(session, ward, "officer")
    for self_day, meet_day, year, reason in ((TODAY - timedelta(days=1), MEETING, 2026, "deadline_past"),
                                            (DEADLINE, DEADLINE - timedelta(days=1), 2026, "deadline_order"),
                                            (DEADLINE, TODAY + timedelta(days=400), 2026, "deadline_far"),
                                            (DEADLINE, MEETING, 2020, "year")):
        with pytest.raises(ReviewError, match=reason):
            await review.open_round(session, officer, w.ward.id, year, self_day, meet_day, today=TODAY)


async def test_opening_gives_each_member_a_form_points_and_exemptions_and_tells_those_on_telegram(session, ward):
    opened = await _open(session, ward)
    rnd = opened.round
    assert (rnd.year, rnd.rules_id, rnd.self_deadline) == (2026, "review_2025", DEADLINE)
    # Exempt: excused from activities, admitted less than 6 months before 31/12; the far ward's member not in scope.
    assert sorted(opened.exempt) == [("Phan Minh Khôi", "Chi bộ 1", "recent"), ("Tôn Nữ Thị Lài", "Chi bộ 1", "excused")]
    assert opened.reviewed == 6
    entries = {e.member_id: e for e in (await session.scalars(select(ReviewEntry))).all()}
    assert ward["xa"].id not in entries
    assert entries[ward["bay"].id].form is Form.c and entries[ward["oanh"].id].form is Form.a
    assert entries[ward["secretary"].id].form is Form.b
    assert entries[ward["bay"].id].points == {"politics": 8, "ethics": 8, "discipline": 8, "residence": 56}
    # Told: the members on Telegram who are reviewed (not the exempt Khôi, not Sáu without Telegram).
    told = set((await session.scalars(select(Delivery.member_id).where(Delivery.kind == review.OPEN_DELIVERY))).all())
    assert told == {ward[k].id for k in ("bay", "oanh", "secretary", "officer", "tai")}
    with pytest.raises(ReviewError, match="already_open"):
        await _open(session, ward)
    assert (await session.scalars(select(AuditEntry.action).where(AuditEntry.action == "review_opened"))).one()


async def test_last_years_points_are_suggested(session, ward):
    r = review.rules()
    last = (Form.c, {"politics": 10, "ethics": 9, "discipline": 7, "residence": 66})
    assert review.suggested_points(r, Form.c, last) == last[1]
    assert review.suggested_points(r, Form.a, last)["tasks"] == 56  # another form: the defaults
    assert review.suggested_points(r, Form.c, (Form.c, {"residence": 500}))["residence"] == 56  # out of range


async def test_a_member_edits_only_their_own_entry_and_it_locks_once_sent(session, ward):
    rnd = (await _open(session, ward)).round
    bay, oanh = await _actor(session, ward, "bay"), await _actor(session, ward, "oanh")
    mine, theirs = await _entry(session, rnd, ward["bay"]), await _entry(session, rnd, ward["oanh"])
    # Another member's entry: neither read nor changed (nor by their cell's secretary: she is on Telegram).
    for who, entry in ((oanh, mine), (bay, theirs)):
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.sheet(session, who, entry.id)
        with pytest.raises(ReviewError, match="not_allowed"):
            await review.set_points(session, who, entry.id, 0, 5, today=TODAY)
    with pytest.raises(ReviewError, match="has_telegram"):
        await review.sheet(session, await _actor(session, ward, "secretary"), theirs.id)
    # Points outside the group's range, or a group the form has not: refused, nothing changed.
    for group, value in ((0, 11), (0, -1), (3, 71), (4, 1), (9, 0)):
        with pytest.raises(ReviewError, match="points_range"):
            await review.set_points(session, bay, mine.id, group, value, today=TODAY)
    assert mine.points["politics"] == 8
    s = await review.set_points(session, bay, mine.id, 3, 70, today=TODAY)
    s = await review.set_points(session, bay, mine.id, 0, 10, today=TODAY)
    s = await review.set_points(session, bay, mine.id, 1, 10, today=TODAY)
    s = await review.set_points(session, bay, mine.id, 2, 10, today=TODAY)
    assert (s.total, s.level) == (100, Level.good)  # 100 points without the conditions: "tốt"
    await review.set_condition(session, bay, mine.id, 0, True, today=TODAY)
    s = await review.set_condition(session, bay, mine.id, 1, True, today=TODAY)
    assert s.level is Level.excellent
    # Text: normalised, HTML kept as text (escaped when shown), 10,000 characters refused whole.
    with pytest.raises(ReviewError, match="text_long"):
        await review.set_text(session, bay, mine.id, "strengths", "x" * 10_000, today=TODAY)
    s = await review.set_text(session, bay, mine.id, "strengths", "  <b>Gương mẫu</b>\u202e ", today=TODAY)
    assert mine.strengths == "<b>Gương mẫu</b>"
    await review.set_text(session, bay, mine.id, "shortcomings", "   ", today=TODAY)
    assert mine.shortcomings is None
    # After the deadline: refused.
    with pytest.raises(ReviewError, match="deadline"):
        await review.submit(session, bay, mine.id, today=DEADLINE + timedelta(days=1))
    s = await review.submit(session, bay, mine.id, today=DEADLINE)
    assert (mine.self_level, mine.by_proxy, mine.submitted_by_member_id) == (Level.excellent, False, ward["bay"].id)
    # Sent: locked, a second sending refused.
    with pytest.raises(ReviewError, match="submitted"):
        await review.submit(session, bay, mine.id, today=TODAY)
    with pytest.raises(ReviewError, match="submitted"):
        await review.set_points(session, bay, mine.id, 0, 1, today=TODAY)
    assert mine.points["politics"] == 10


async def test_a_voice_answer_is_kept_replaced_by_a_text_and_heard_only_by_those_who_may(session, ward):
    rnd = (await _open(session, ward)).round
    bay, oanh = await _actor(session, ward, "bay"), await _actor(session, ward, "oanh")
    mine = await _entry(session, rnd, ward["bay"])
    await review.set_text(session, bay, mine.id, "strengths", "Gương mẫu", today=TODAY)
    # Over 5 minutes: refused, the typed text kept; another member's entry, a field not asked: refused.
    with pytest.raises(ReviewError, match="voice_long"):
        await review.set_voice(session, bay, mine.id, "strengths", "AwACAgQ", review.VOICE_MAX_SECONDS + 1, today=TODAY)
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.set_voice(session, oanh, mine.id, "strengths", "AwACAgQ", 42, today=TODAY)
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.set_voice(session, bay, mine.id, "cell_comment", "AwACAgQ", 42, today=TODAY)
    assert (mine.strengths, mine.voices) == ("Gương mẫu", None)
    s = await review.set_voice(session, bay, mine.id, "strengths", "AwACAgQ", 42, today=TODAY)
    assert (mine.strengths, s.entry.voice("strengths")) == (None, ("AwACAgQ", 42))  # the voice replaces the text
    await review.set_voice(session, bay, mine.id, "remedies", "AwACAgR", 300, today=TODAY)  # 5:00 exactly: kept
    await review.set_text(session, bay, mine.id, "remedies", "Học thêm nghị quyết", today=TODAY)  # a text replaces it
    await session.commit()
    session.expunge_all()
    again = await _entry(session, rnd, ward["bay"])
    assert (again.voices, again.remedies) == ({"strengths": {"file_id": "AwACAgQ", "duration": 42}},
                                              "Học thêm nghị quyết")
    # Heard again by the member; by another member neither before nor after it is sent; by the secretary once sent.
    assert (await review.voice_answer(session, bay, mine.id, "strengths"))[1] == ("AwACAgQ", 42)
    with pytest.raises(ReviewError, match="no_voice"):
        await review.voice_answer(session, bay, mine.id, "remedies")
    secretary = await _actor(session, ward, "secretary")
    for who in (oanh, secretary):
        with pytest.raises(ReviewError, match="not_allowed|not_submitted"):
            await review.voice_answer(session, who, mine.id, "strengths")
    await review.submit(session, bay, mine.id, today=TODAY)
    assert (await review.voice_answer(session, secretary, mine.id, "strengths"))[1] == ("AwACAgQ", 42)
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.voice_answer(session, oanh, mine.id, "strengths")


async def test_a_suspended_member_recorded_on_the_card_is_left_out_with_the_reason(session, ward):
    secretary, oanh = await _actor(session, ward, "secretary"), ward["oanh"]
    # Only the cell's officers (or a committee above): not a member, not another cell's member.
    for key in ("bay", "tai"):
        with pytest.raises(SuspensionError, match="not_allowed"):
            await suspension.set_suspended(session, await _actor(session, ward, key), oanh.id, True, today=TODAY)
    await suspension.set_suspended(session, secretary, oanh.id, True, today=TODAY)
    assert oanh.suspended_on == TODAY
    with pytest.raises(SuspensionError, match="unchanged"):  # a second tap changes nothing
        await suspension.set_suspended(session, secretary, oanh.id, True, today=TODAY + timedelta(days=1))
    assert oanh.suspended_on == TODAY
    audited = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "member_suspended"))).one()
    assert (audited.actor_member_id, audited.subject_member_id) == (ward["secretary"].id, oanh.id)
    opened = await _open(session, ward)
    assert ("Lê Thị Kim Oanh", "Chi bộ 1", "suspended") in opened.exempt and opened.reviewed == 5
    assert (await _entry(session, opened.round, oanh)).exempt_reason == "suspended"
    # Reinstated: audited, the next year's round reviews her again.
    await suspension.set_suspended(session, await _actor(session, ward, "officer"), oanh.id, False, today=TODAY)
    assert oanh.suspended_on is None
    assert (await session.scalars(select(AuditEntry).where(AuditEntry.action == "member_reinstated"))).one()
    assert review.exempt_reason(review.rules(), oanh, 2027) is None


async def test_an_exempt_member_has_nothing_to_fill_in(session, ward):
    rnd = (await _open(session, ward)).round
    khoi = await _entry(session, rnd, ward["khoi"])
    with pytest.raises(ReviewError, match="exempt"):
        await review.set_points(session, await _actor(session, ward, "khoi"), khoi.id, 0, 5, today=TODAY)


async def test_the_cells_officer_fills_one_in_by_proxy_for_a_member_without_telegram(session, ward):
    rnd = (await _open(session, ward)).round
    secretary = await _actor(session, ward, "secretary")
    sau = await _entry(session, rnd, ward["sau"])
    assert await review.waiting_count(session, secretary) == 4  # Bảy, Oanh, Sáu, the secretary herself
    # A member (even of the same cell) may not; a cell officer of another cell may not.
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.submit(session, await _actor(session, ward, "bay"), sau.id, today=TODAY)
    s = await review.set_points(session, secretary, sau.id, 3, 40, today=TODAY)
    assert s.proxy and s.level is Level.done
    await review.submit(session, secretary, sau.id, today=TODAY)
    assert (sau.by_proxy, sau.submitted_by_member_id, sau.self_level) == (True, ward["secretary"].id, Level.done)
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "review_submitted"))).one()
    assert (entry.actor_member_id, entry.subject_member_id) == (ward["secretary"].id, ward["sau"].id)
    assert '"proxy": true' in entry.detail
    [cell] = await review.cell_reviews(session, secretary)
    assert cell.cell_name == "Chi bộ 1" and cell.waiting == 3
    assert [(x.full_name, x.submitted, x.by_proxy, x.exempt_reason, x.on_telegram) for x in cell.lines
            if x.member_id in (ward["sau"].id, ward["lai"].id)] == [
        ("Tôn Nữ Thị Lài", False, False, "excused", False), ("Trần Văn Sáu", True, True, None, False)]
    # The ward's officer sees both cells; the form changed by the secretary starts from the new form's defaults.
    assert len(await review.cell_reviews(session, await _actor(session, ward, "officer"))) == 2
    oanh = await _entry(session, rnd, ward["oanh"])
    await review.set_form(session, secretary, oanh.id, Form.b, today=TODAY)
    assert oanh.form is Form.b and set(oanh.points) == {"politics", "ethics", "discipline", "tasks", "leadership"}
    with pytest.raises(ReviewError, match="not_allowed"):
        await review.set_form(session, await _actor(session, ward, "oanh"), oanh.id, Form.a, today=TODAY)


async def test_reminders_go_once_per_threshold_to_those_who_have_not_sent(session, ward):
    rnd = (await _open(session, ward)).round
    bay = await _entry(session, rnd, ward["bay"])
    await review.submit(session, await _actor(session, ward, "bay"), bay.id, today=TODAY)

    async def tick(day: date):
        clock.freeze(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))
        return await review.daily_tick(session)

    assert await tick(DEADLINE - timedelta(days=8)) == []
    first = await tick(DEADLINE - timedelta(days=7))
    assert len(first) == 4  # Oanh, the secretary, the officer, Tài: not Bảy (sent), Sáu (no Telegram), the exempt
    assert await tick(DEADLINE - timedelta(days=7)) == [] and await tick(DEADLINE - timedelta(days=6)) == []
    assert len(await tick(DEADLINE - timedelta(days=3))) == 4
    assert len(await tick(DEADLINE - timedelta(days=1))) == 4
    assert await tick(DEADLINE) == [] and await tick(DEADLINE + timedelta(days=1)) == []
    count = await session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.kind == review.REMINDER_DELIVERY))
    assert count == 12
    assert await review.reminder_entry(session, first[0][1]) is not None


async def test_the_years_record_counts_meetings_attended_and_documents_studied(session, ward):
    from models.meetings.schema import Attendance, Meeting, MeetingKind, Presence
    from models.notices.tables import Notice, NoticeKind, NoticeRecipient

    w, bay = ward["w"], ward["bay"]
    at = lambda y, m: datetime(y, m, 5, 12, 0, tzinfo=UTC)  # noqa: E731
    meetings = [Meeting(cell_id=w.cell1.id, kind=MeetingKind.regular, title=f"Tháng {n}", starts_at=when,
                        place="Nhà văn hóa") for n, when in enumerate((at(2026, 1), at(2026, 2), at(2026, 3),
                                                                         at(2026, 4), at(2025, 12)))]
    notices = [Notice(kind=NoticeKind.resolution, unit_id=w.ward.id, title=f"Nghị quyết {n}", body="…",
                      search_text="", study_required=study, created_at=at(2026, n + 1))
               for n, study in enumerate((True, True, False))]
    session.add_all([*meetings, *notices])
    await session.flush()
    for meeting, status in zip(meetings, (Presence.present, Presence.excused, Presence.exempt, Presence.present,
                                          Presence.present), strict=True):
        session.add(Attendance(meeting_id=meeting.id, member_id=bay.id, status=status))
    for notice, studied in zip(notices, (at(2026, 6), None, at(2026, 6)), strict=True):
        session.add(NoticeRecipient(notice_id=notice.id, member_id=bay.id, studied_at=studied))
    await session.flush()
    # 2026: present twice of three marked (the exempt mark left out, December 2025 another year); 1 of 2 studied.
    assert await review.year_record(session, bay.id, 2026) == review.YearRecord(2, 3, 1, 2)
    assert await review.year_record(session, ward["oanh"].id, 2026) == review.YearRecord(0, 0, 0, 0)
