"""Meetings the HD 42-HD/BTCTW way, without Telegram: the agenda template (default and the cell's own), documents
a day before, a thematic meeting every quarter, the record's start and end and its length — SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import clock, meetings, minutes
from models.audit import AuditEntry
from models.meetings import AgendaTemplate, MeetingError, MeetingKind, MeetingState, hd42
from models.meetings.scheduling import Document

from .test_meetings import HUE, T0, actor, at_local, frozen_clock, schedule, w  # noqa: F401 (fixtures)

DEFAULT = ("Đánh giá tình hình thực hiện nhiệm vụ tháng", "Phương hướng, nhiệm vụ tháng tới",
           "Sinh hoạt chuyên đề (nếu có)", "Ý kiến đảng viên", "Biểu quyết, kết luận")


# --- the rules file -------------------------------------------------------------------------------------
def test_the_rules_file_holds_the_figures_and_the_default_parts():
    r = meetings.rules()
    assert (r.version, r.short_name, r.regular_minutes, r.thematic_minutes, r.documents_days_before) == (
        1, "HD 42", 90, 120, 1)
    assert r.default_parts("vi") == DEFAULT
    assert len(r.default_parts("en")) == len(r.default_parts("bn")) == 5
    assert r.default_parts("xx") == DEFAULT  # a language without parts reads the Vietnamese
    assert (r.minimum_minutes(MeetingKind.regular), r.minimum_minutes(MeetingKind.thematic),
            r.minimum_minutes(MeetingKind.committee)) == (90, 120, None)


def test_a_committee_may_replace_the_rules_file(tmp_path):
    text = hd42.RULES_FILE.read_text(encoding="utf-8").replace("regular_minutes = 90", "regular_minutes = 60")
    (tmp_path / "r.toml").write_text(text.replace("version = 1", "version = 2"), encoding="utf-8")
    r = hd42.load_rules(tmp_path / "r.toml")
    assert (r.version, r.regular_minutes, r.thematic_minutes) == (2, 60, 120)


# --- the agenda template --------------------------------------------------------------------------------
async def test_a_cell_starts_from_the_default_and_may_keep_its_own(session, w):
    template = await meetings.agenda_template(session, w.cell.id, "vi")
    assert template.parts == DEFAULT and not template.own
    assert template.agenda.splitlines()[0] == "1. Đánh giá tình hình thực hiện nhiệm vụ tháng"
    sec = await actor(session, w.secretary)
    own = await meetings.set_agenda_template(session, sec, w.cell.id,
                                             "1. Kiểm điểm tháng\n\n- Quán triệt nghị quyết   \n• Ý kiến đảng viên")
    await session.commit()
    assert own.parts == ("Kiểm điểm tháng", "Quán triệt nghị quyết", "Ý kiến đảng viên") and own.own
    again = await meetings.agenda_template(session, w.cell.id, "en")
    assert again == own  # the cell's own, whatever the language asked
    assert (await meetings.agenda_template(session, w.other.id, "vi")).parts == DEFAULT  # another cell: unchanged
    assert await meetings.set_agenda_template(session, sec, w.cell.id, "Một phần") == meetings.Template(("Một phần",), True)
    assert await meetings.reset_agenda_template(session, sec, w.cell.id) is True
    await session.commit()
    assert await meetings.reset_agenda_template(session, sec, w.cell.id) is False
    assert (await meetings.agenda_template(session, w.cell.id, "vi")).parts == DEFAULT
    actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("agenda_template%"))
                                     .order_by(AuditEntry.id))).all()
    assert actions == ["agenda_template_set", "agenda_template_set", "agenda_template_reset"]


@pytest.mark.parametrize(("text", "reason"), [
    ("", "template_empty"),
    ("  \n - \n", "template_empty"),
    ("\n".join(f"Phần {i}" for i in range(16)), "template_many"),
    ("x" * 201, "template_part_long"),
    ("\n".join("y" * 199 for _ in range(11)), "agenda_long"),
])
async def test_a_template_that_cannot_be_kept_says_why(session, w, text, reason):
    with pytest.raises(MeetingError) as exc:
        await meetings.set_agenda_template(session, await actor(session, w.secretary), w.cell.id, text)
    assert exc.value.reason == reason
    assert await session.get(AgendaTemplate, w.cell.id) is None


async def test_only_the_cells_officers_may_change_its_template(session, w):
    for who, cell in ((w.members[0], w.cell), (w.stranger, w.cell), (w.secretary, w.other), (w.secretary, w.ward)):
        for call in (meetings.set_agenda_template(session, await actor(session, who), cell.id, "Phần một"),
                     meetings.reset_agenda_template(session, await actor(session, who), cell.id)):
            with pytest.raises(MeetingError, match="not_allowed"):
                await call
    with pytest.raises(MeetingError, match="not_allowed"):
        await meetings.set_agenda_template(session, await actor(session, w.secretary), 999_999, "Phần một")
    # the ward's committee manages the cells below it
    await meetings.set_agenda_template(session, await actor(session, w.officer), w.cell.id, "Phần một")


# --- documents at least a day before --------------------------------------------------------------------
async def test_the_meetings_of_tomorrow_without_documents_are_found(session, w):
    today = T0.astimezone(HUE).date()  # 28/11, 19:00 in Huế
    sec = await actor(session, w.secretary)
    tomorrow_bare = await schedule(session, w, starts_at=at_local(today + timedelta(days=1), 19, 30))
    tonight_bare = await schedule(session, w, starts_at=at_local(today, 21, 0), title="Họp chi ủy",
                                  kind=MeetingKind.committee)
    await schedule(session, w, starts_at=at_local(today + timedelta(days=1), 8, 0), title="Có tài liệu",
                   documents=[Document("BQAC-doc", "document", "nghi-quyet.pdf")])
    await schedule(session, w, starts_at=at_local(today + timedelta(days=2), 7, 30), title="Ngày kia")
    await schedule(session, w, starts_at=at_local(today + timedelta(days=1), 19, 0), cell_id=w.other.id,
                   by=w.officer, title="Chi bộ khác")
    cancelled = await schedule(session, w, starts_at=at_local(today + timedelta(days=1), 15, 0), title="Hủy")
    await meetings.cancel_meeting(session, sec, cancelled.id)
    await session.commit()

    found = await meetings.meetings_missing_documents(session, sec, clock.now())
    assert [m.id for m in found] == [tonight_bare.id, tomorrow_bare.id]
    assert found[0].cell.name == "Chi bộ Tổ dân phố 1"  # loaded for the panel's list
    # One minute before midnight the day after tomorrow is still not "tomorrow"; past midnight it is.
    just_before = at_local(today, 23, 59)
    assert {m.title for m in await meetings.meetings_missing_documents(session, sec, just_before)} == {
        tomorrow_bare.title}
    after_midnight = at_local(today + timedelta(days=1), 0, 1)
    assert "Ngày kia" in {m.title for m in await meetings.meetings_missing_documents(session, sec, after_midnight)}
    # The committee above sees its cells' meetings too; a member sees none.
    officer_sees = {m.title for m in await meetings.meetings_missing_documents(session, await actor(session, w.officer),
                                                                               clock.now())}
    assert officer_sees == {tomorrow_bare.title, tonight_bare.title, "Chi bộ khác"}
    assert await meetings.meetings_missing_documents(session, await actor(session, w.members[0]), clock.now()) == []


# --- a thematic meeting every quarter -------------------------------------------------------------------
async def test_a_quarter_without_a_thematic_meeting(session, w):
    today = T0.astimezone(HUE).date()  # 28/11/2026: the fourth quarter
    assert await meetings.quarter_without_thematic(session, w.cell.id, today) is True
    await schedule(session, w, starts_at=at_local(date(2026, 12, 20), 8, 0), kind=MeetingKind.regular)
    assert await meetings.quarter_without_thematic(session, w.cell.id, today) is True  # a regular one does not count
    thematic = await schedule(session, w, starts_at=at_local(date(2026, 12, 12), 8, 0), kind=MeetingKind.thematic,
                              title="Chuyên đề: học tập và làm theo tư tưởng Hồ Chí Minh")
    assert await meetings.quarter_without_thematic(session, w.cell.id, today) is False
    assert await meetings.quarter_without_thematic(session, w.cell.id, date(2026, 10, 1)) is False  # same quarter
    assert await meetings.quarter_without_thematic(session, w.cell.id, date(2027, 1, 2)) is True  # the next one
    assert await meetings.quarter_without_thematic(session, w.other.id, today) is True  # another cell
    await meetings.cancel_meeting(session, await actor(session, w.secretary), thematic.id)
    await session.commit()
    assert await meetings.quarter_without_thematic(session, w.cell.id, today) is True  # cancelled: none


async def test_the_quarter_follows_vietnams_calendar():
    start, end = hd42.quarter_window(date(2026, 12, 31))
    assert (start.astimezone(HUE).date(), end.astimezone(HUE).date()) == (date(2026, 10, 1), date(2027, 1, 1))
    assert start.astimezone(HUE).hour == 0


# --- the record's start, end and length -----------------------------------------------------------------
async def test_the_roll_call_starts_the_record_and_closing_ends_it(session, w):
    meeting = await schedule(session, w)
    sec = await actor(session, w.secretary)
    clock.freeze(meeting.starts_at - timedelta(minutes=20))  # the roll opened early: it begins at the time set
    await meetings.open_roll_call(session, sec, meeting.id)
    await meetings.mark_all_present(session, sec, meeting.id)
    clock.freeze(meeting.starts_at + timedelta(minutes=95))
    await meetings.close_meeting(session, sec, meeting.id, content="Đã thảo luận.", decisions=[])
    await session.commit()
    stored = await meetings.get_meeting(session, meeting.id)
    assert (stored.started_at, stored.ended_at) == (meeting.starts_at, meeting.starts_at + timedelta(minutes=95))
    drafted = await minutes.draft_minutes(session, meeting.id)
    length = minutes.length_of(drafted)
    assert length == meetings.Length(95, 90, "HD 42") and not length.short
    approved = await minutes.approve_minutes(session, sec, meeting.id)
    assert minutes.Minutes.from_json(approved.to_json()).started_at == meeting.starts_at


async def test_a_late_roll_call_is_the_start_and_a_short_meeting_is_shown_short(session, w):
    meeting = await schedule(session, w, kind=MeetingKind.thematic, title="Chuyên đề quý IV")
    sec = await actor(session, w.secretary)
    clock.freeze(meeting.starts_at + timedelta(minutes=10))
    await meetings.open_roll_call(session, sec, meeting.id)
    clock.freeze(meeting.starts_at + timedelta(minutes=15))
    await meetings.open_roll_call(session, sec, meeting.id)  # opened again: the start is kept
    clock.freeze(meeting.starts_at + timedelta(minutes=80))
    await meetings.close_meeting(session, sec, meeting.id, content="Chuyên đề.", decisions=[])
    length = minutes.length_of(await minutes.draft_minutes(session, meeting.id))
    assert length == meetings.Length(70, 120, "HD 42") and length.short


async def test_no_length_without_an_end_and_none_measured_for_a_committee_meeting(session, w):
    assert meetings.meeting_length(MeetingKind.regular, T0, None) is None
    assert meetings.meeting_length(MeetingKind.regular, T0, T0 - timedelta(minutes=1)) is None
    assert meetings.meeting_length("committee", T0, T0 + timedelta(minutes=30)) == meetings.Length(30, None, "HD 42")
    # Closed the next day: the closing time is not the end, so no length is shown.
    meeting = await schedule(session, w)
    sec = await actor(session, w.secretary)
    clock.freeze(meeting.starts_at)
    await meetings.open_roll_call(session, sec, meeting.id)
    clock.freeze(meeting.starts_at + timedelta(days=1))
    closed = await meetings.close_meeting(session, sec, meeting.id, content="Ghi muộn.", decisions=[])
    assert closed.state is MeetingState.closed and closed.ended_at is None
    assert minutes.length_of(await minutes.draft_minutes(session, meeting.id)) is None


def test_minutes_approved_before_the_start_was_kept_still_read():
    old = minutes.Minutes(
        meeting_id=1, unit_name="Chi bộ", parent_name=None, kind="regular", title="T", starts_at=T0,
        ended_at=T0 + timedelta(minutes=100), place="P", chair=None, recorder=None, members=1, present=1, excused=0,
        unexcused=0, exempt=0, base=1, exempt_counted=True, absent=[], agenda="", content="", decisions=[], votes=[],
        votes_known=True)
    data = json.loads(old.to_json())
    del data["started_at"]
    read = minutes.Minutes.from_json(json.dumps(data))
    assert read.started_at is None and minutes.length_of(read) == meetings.Length(100, 90, "HD 42")
