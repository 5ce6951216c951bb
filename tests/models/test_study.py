"""Study items without Telegram: the XLSX question bank (bad rows named), who may give what to study, the quiz's
answers (only the member's own, latest attempt), the best score kept, and the per-cell progress of /report."""
from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from models import clock, filelimits, notices, study
from models.accounts import Account
from models.dates import VIETNAM, local_today
from models.deliveries import Delivery
from models.members import Member
from models.notices import NoticeKind
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.study import Answered, BankError, Question, StudyError

from .two_wards import two_wards

HEADER = ["Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng", "Giải thích"]


def xlsx(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_bank_reads_letters_numbers_and_texts_as_the_right_option():
    questions = study.read_bank(xlsx([
        ["Đại hội XIV của Đảng họp năm nào?", "2021", "2026", "2031", "B", "Tháng 1 năm 2026."],
        ["Nghị quyết 57-NQ/TW bàn về lĩnh vực nào?", "Khoa học, công nghệ", "Nông nghiệp", None, 1, None],
        ["Đảng phí đóng theo tháng?", "Sai", "Đúng", None, "đúng", ""],
        [None, None, None, None, None, None],  # a blank row is skipped
    ]))
    assert questions == [
        Question("Đại hội XIV của Đảng họp năm nào?", ("2021", "2026", "2031"), 1, "Tháng 1 năm 2026."),
        Question("Nghị quyết 57-NQ/TW bàn về lĩnh vực nào?", ("Khoa học, công nghệ", "Nông nghiệp"), 0, None),
        Question("Đảng phí đóng theo tháng?", ("Sai", "Đúng"), 1, None),
    ]


def test_bad_rows_refuse_the_whole_bank_each_named_by_its_row():
    with pytest.raises(BankError) as caught:
        study.read_bank(xlsx([
            ["Câu đúng", "A1", "A2", None, "A", None],
            ["Chỉ một phương án", "A1", None, None, "A", None],  # row 3
            [None, "A1", "A2", None, "A", None],  # row 4: no question
            ["Đáp án lạ", "A1", "A2", None, "E", None],  # row 5
            ["Thiếu đáp án", "A1", "A2", None, None, None],  # row 6
            ["Có chỗ trống", "A1", None, "A3", "A", None],  # row 7
            ["Giải thích dài", "A1", "A2", None, "B", "x" * 201],  # row 8
            ["Công thức", "A1", "=1+1", None, "A", None],  # row 9: never evaluated
            ["x" * 301, "A1", "A2", None, "A", None],  # row 10
        ]))
    error = caught.value
    assert error.code == "rows"
    assert [(p.row, p.reason) for p in error.problems] == [
        (3, "options_few"), (4, "question_missing"), (5, "answer_unknown"), (6, "answer_missing"),
        (7, "option_gap"), (8, "explanation_long"), (9, "formula"), (10, "question_long")]


@pytest.mark.parametrize(("data", "code"), [
    (b"%PDF-1.4 not a sheet", "not_xlsx"),
    ("Câu hỏi,A,B,Đáp án đúng\n".encode(), "not_xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old_excel"),
    (b"   ", "empty"),
])
def test_what_is_not_an_xlsx_is_said_so(data, code):
    with pytest.raises(BankError) as caught:
        study.read_bank(data)
    assert caught.value.code == code


def test_a_zip_that_is_no_workbook_no_header_too_many_rows_and_a_bomb(monkeypatch):
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(BankError, match="not_xlsx"):
        study.read_bank(docx.getvalue())
    with pytest.raises(BankError, match="no_header"):
        study.read_bank(xlsx([["a", "b", "c"]] * 12, header=["Họ tên", "Ngày sinh", "Chi bộ"]))
    with pytest.raises(BankError) as caught:
        study.read_bank(xlsx([[f"Câu {i}", "A", "B", None, "A", None] for i in range(study.QUESTIONS_MAX + 1)]))
    assert (caught.value.code, caught.value.limit) == ("too_many", study.QUESTIONS_MAX)
    monkeypatch.setattr(filelimits, "MAX_INFLATED_BYTES", 1024 * 1024)  # the limits are read at every call
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (2 * 1024 * 1024))
    with pytest.raises(BankError, match="too_inflated"):
        study.read_bank(bomb.getvalue())


# --- giving a document to study, and the quiz -------------------------------------------------------------------
SECRETARY, OFFICER, LAN, HOA, FAR = 21, 22, 23, 24, 25
BANK = [Question("Câu 1?", ("Đúng", "Sai"), 0, "Vì đúng."), Question("Câu 2?", ("A", "B", "C"), 2, None)]


@pytest.fixture
async def ward(session):
    w = await two_wards(session)
    people = {
        "secretary": Member(full_name="Nguyễn Thị Hồng", cell_id=w.cell1.id),
        "lan": Member(full_name="Trần Thị Lan", cell_id=w.cell1.id),
        "hoa": Member(full_name="Lê Văn Hòa", cell_id=w.cell2.id),
        "officer": Member(full_name="Phan Văn Đức", cell_id=w.cell2.id),
        "far": Member(full_name="Võ Văn Xa", cell_id=w.far.id),
    }
    session.add_all(people.values())
    await session.flush()
    await grant(session, people["secretary"].id, w.cell1.id, RoleKind.secretary)
    await grant(session, people["officer"].id, w.ward.id, RoleKind.committee)
    for tid, key in ((SECRETARY, "secretary"), (OFFICER, "officer"), (LAN, "lan"), (HOA, "hoa"), (FAR, "far")):
        session.add(Account(telegram_user_id=tid, member_id=people[key].id, language="vi"))
    await session.commit()
    return w, people


async def _resolution(session, sender_tid, units, title="Nghị quyết 57-NQ/TW"):
    actor = await load_actor(session, sender_tid)
    return await notices.create_notice(session, actor, kind=NoticeKind.resolution, title=title, body="Nội dung.",
                                       audience_unit_ids=[u.id for u in units])


async def test_an_officer_gives_a_document_their_unit_received_and_its_members_get_it(session, ward):
    w, people = ward
    resolution = await _resolution(session, OFFICER, [w.ward])
    secretary = await load_actor(session, SECRETARY)
    unit = await study.study_unit(session, secretary)
    assert unit.id == w.cell1.id
    assert [n.id for n in await study.eligible_documents(session, secretary, unit)] == [resolution.id]
    deadline = local_today() + timedelta(days=7)
    item, count = await study.create_study(session, secretary, notice_id=resolution.id, unit_id=unit.id,
                                           deadline=deadline, questions=BANK)
    await session.commit()
    assert count == 2  # the cell's two members, the secretary among them
    queued = (await session.scalars(select(Delivery.member_id).where(Delivery.kind == study.STUDY_DELIVERY))).all()
    assert sorted(queued) == sorted([people["secretary"].id, people["lan"].id])
    card = await study.member_card(session, item.id, people["lan"].id)
    assert (card.questions, card.studied, card.best_score) == (2, False, None)
    assert await study.member_card(session, item.id, people["hoa"].id) is None  # another cell
    with pytest.raises(StudyError, match="exists"):
        await study.create_study(session, secretary, notice_id=resolution.id, unit_id=unit.id, deadline=deadline)
    with pytest.raises(StudyError, match="deadline_past"):
        await study.create_study(session, await load_actor(session, OFFICER), notice_id=resolution.id,
                                 unit_id=w.ward.id, deadline=local_today() - timedelta(days=1))


async def test_nobody_gives_a_document_outside_their_units_nor_to_a_unit_not_theirs(session, ward):
    w, people = ward
    far_officer = Member(full_name="Hồ Văn Xa", cell_id=w.far.id)
    session.add(far_officer)
    await session.flush()
    await grant(session, far_officer.id, w.far.id, RoleKind.secretary)
    session.add(Account(telegram_user_id=31, member_id=far_officer.id, language="vi"))
    await session.commit()
    far_doc = await _resolution(session, 31, [w.far], "Văn bản chi bộ 9")
    secretary = await load_actor(session, SECRETARY)
    deadline = local_today() + timedelta(days=3)
    with pytest.raises(StudyError, match="not_allowed"):  # not sent to cell 1 nor by its secretary
        await study.create_study(session, secretary, notice_id=far_doc.id, unit_id=w.cell1.id, deadline=deadline)
    mine = await _resolution(session, SECRETARY, [w.cell1], "Nghị quyết chi bộ")
    with pytest.raises(StudyError, match="not_allowed"):  # cell 2 is not hers
        await study.create_study(session, secretary, notice_id=mine.id, unit_id=w.cell2.id, deadline=deadline)
    member = await load_actor(session, LAN)
    assert await study.study_unit(session, member) is None
    with pytest.raises(StudyError, match="not_allowed"):
        await study.create_study(session, member, notice_id=mine.id, unit_id=w.cell1.id, deadline=deadline)


async def test_answers_count_once_for_the_member_on_the_latest_attempt_and_the_best_score_stays(session, ward):
    w, people = ward
    resolution = await _resolution(session, OFFICER, [w.ward])
    officer = await load_actor(session, OFFICER)
    item, count = await study.create_study(session, officer, notice_id=resolution.id, unit_id=w.ward.id,
                                           deadline=local_today(), questions=BANK)
    assert count == 4  # every member of the ward's two cells
    lan, hoa = people["lan"].id, people["hoa"].id
    with pytest.raises(StudyError, match="not_addressee"):
        await study.start_attempt(session, item.id, people["far"].id)

    async def take(answers: list[int], polls: str) -> study.Answer:
        asked = await study.start_attempt(session, item.id, lan)
        result = None
        for i, choice in enumerate(answers):
            await study.poll_sent(session, f"{polls}{i}", asked)
            assert (await study.answer_poll(session, f"{polls}{i}", hoa, [choice])).outcome is Answered.ignored
            result = await study.answer_poll(session, f"{polls}{i}", lan, [choice])
            again = await study.answer_poll(session, f"{polls}{i}", lan, [choice])
            assert again.outcome is Answered.ignored  # Telegram repeating the update changes nothing
            asked = result.asked
        return result

    assert (await study.answer_poll(session, "no-such-poll", lan, [0])).outcome is Answered.ignored
    first = await take([0, 0], "a")
    assert (first.outcome, first.score, first.total, first.best) == (Answered.finished, 1, 2, 1)
    # A retake started, then another: the older one's poll no longer takes answers.
    stale = await study.start_attempt(session, item.id, lan)
    await study.poll_sent(session, "stale", stale)
    second = await take([0, 2], "b")
    assert (second.score, second.best) == (2, 2)
    assert (await study.answer_poll(session, "stale", lan, [0])).outcome is Answered.ignored
    third = await take([1, 0], "c")
    assert (third.score, third.best) == (0, 2)  # the best score is kept
    card = await study.member_card(session, item.id, lan)
    assert (card.best_score, card.attempts) == (2, 3)
    assert await study.mark_studied(session, item.id, lan) is study.Studied.recorded
    assert await study.mark_studied(session, item.id, lan) is study.Studied.already
    assert await study.mark_studied(session, item.id, people["far"].id) is study.Studied.not_addressee
    await session.commit()

    # /report: the ward's officer sees both cells; cell 1's secretary only hers.
    [seen] = await study.study_progress(session, officer)
    assert [(c.cell, c.members, c.studied, c.taken, c.average) for c in seen.cells] == [
        ("Chi bộ 1", 2, 1, 1, 2.0), ("Chi bộ 2", 2, 0, 0, None)]
    assert seen.questions == 2 and seen.total("members") == 4
    [hers] = await study.study_progress(session, await load_actor(session, SECRETARY))
    assert [c.cell for c in hers.cells] == ["Chi bộ 1"]
    assert await study.study_progress(session, await load_actor(session, LAN)) == []
    assert (await session.scalar(select(func.count()).select_from(study.QuizPoll))) == 7


async def test_essays_go_to_the_officer_who_may_receive_them_or_ask_again_and_the_report_counts_them(session, ward):
    w, people = ward
    resolution = await _resolution(session, SECRETARY, [w.cell1])
    secretary = await load_actor(session, SECRETARY)
    item, _ = await study.create_study(session, secretary, notice_id=resolution.id, unit_id=w.cell1.id,
                                       deadline=local_today(), essay=True)
    plain, _ = await study.create_study(session, secretary, notice_id=(await _resolution(
        session, SECRETARY, [w.cell1], "Nghị quyết không cần thu hoạch")).id, unit_id=w.cell1.id,
        deadline=local_today())
    lan = people["lan"].id
    with pytest.raises(StudyError, match="no_essay"):
        await study.submit_essay(session, plain.id, lan, kind="text", text="Bài thu hoạch")
    with pytest.raises(StudyError, match="not_addressee"):
        await study.submit_essay(session, item.id, people["hoa"].id, kind="text", text="Bài thu hoạch")
    with pytest.raises(StudyError, match="essay_empty"):
        await study.submit_essay(session, item.id, lan, kind="text", text="  ")
    with pytest.raises(StudyError, match="essay_long"):
        await study.submit_essay(session, item.id, lan, kind="text", text="x" * (study.ESSAY_TEXT_MAX + 1))
    first = await study.submit_essay(session, item.id, lan, kind="photo", file_id="AgACphoto", text="Viết tay")
    queued = (await session.scalars(select(Delivery.ref_id).where(Delivery.kind == study.ESSAY_DELIVERY))).all()
    assert queued == [first.id]  # to the secretary who gave the item
    view = await study.essay_view(session, first.id)
    assert (view.member_name, view.cell, view.title) == ("Trần Thị Lan", "Chi bộ 1", "Nghị quyết 57-NQ/TW")

    with pytest.raises(StudyError, match="not_allowed"):  # another cell's member may not review it
        await study.review_essay(session, await load_actor(session, HOA), first.id, received=True)
    asked = await study.review_essay(session, secretary, first.id, received=False)
    assert asked.changed and asked.member_chat_id == LAN and asked.essay.state is study.EssayState.revise
    second = await study.submit_essay(session, item.id, lan, kind="voice", file_id="AwACvoice")
    with pytest.raises(StudyError, match="essay_old"):
        await study.review_essay(session, secretary, first.id, received=True)
    officer = await load_actor(session, OFFICER)  # the ward's committee covers cell 1 too
    got = await study.review_essay(session, officer, second.id, received=True)
    assert got.changed and not (await study.review_essay(session, secretary, second.id, received=True)).changed
    with pytest.raises(StudyError, match="essay_received"):
        await study.submit_essay(session, item.id, lan, kind="text", text="Thêm nữa")
    card = await study.member_card(session, item.id, lan)
    assert card.essay is study.EssayState.received
    await session.commit()
    report = {p.item.id: p for p in await study.study_progress(session, secretary)}
    [cell] = report[item.id].cells
    assert (cell.members, cell.essays, cell.received, cell.essay_base) == (2, 1, 1, 2)
    # The secretary is exempt (an older member, the cell's decision): excused once her cell does not count exempt
    # members — unless she hands one in.
    people["secretary"].exempt = True
    w.cell1.exempt_counted = False
    await session.commit()
    [cell] = [c for p in await study.study_progress(session, secretary) if p.item.id == item.id for c in p.cells]
    assert (cell.excused, cell.essay_base) == (1, 1)
    await study.submit_essay(session, item.id, people["secretary"].id, kind="text", text="Tôi vẫn viết.")
    await session.commit()
    [cell] = [c for p in await study.study_progress(session, secretary) if p.item.id == item.id for c in p.cells]
    assert (cell.essays, cell.excused, cell.essay_base) == (2, 0, 2)


async def test_the_day_before_the_deadline_who_has_not_finished_is_reminded_once(session, ward):
    w, people = ward
    resolution = await _resolution(session, SECRETARY, [w.cell1])
    secretary = await load_actor(session, SECRETARY)
    given = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 09:00 in Huế
    clock.freeze(given)
    item, _ = await study.create_study(session, secretary, notice_id=resolution.id, unit_id=w.cell1.id,
                                       deadline=date(2026, 12, 4), questions=BANK, essay=True)
    lan, sec = people["lan"].id, people["secretary"].id
    await study.mark_studied(session, item.id, sec)
    asked = await study.start_attempt(session, item.id, sec)
    for i, choice in enumerate([0, 2]):
        await study.poll_sent(session, f"p{i}", asked)
        asked = (await study.answer_poll(session, f"p{i}", sec, [choice])).asked
    await study.submit_essay(session, item.id, sec, kind="text", text="Bài thu hoạch.")
    await session.commit()
    assert await study.unfinished(session, item.id) == [lan]  # the secretary did all three

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 12, day, hour, tzinfo=VIETNAM)

    assert await study.remind_due(session, now=at(2, 20)) == []  # two days before
    assert await study.remind_due(session, now=at(3, 7)) == []  # the day before, before the hour
    assert await study.remind_due(session, now=at(3, 8)) == [(study.REMINDER_DELIVERY, item.id)]
    assert await study.remind_due(session, now=at(3, 9)) == []  # once
    await session.commit()
    reminded = (await session.scalars(select(Delivery.member_id).where(
        Delivery.kind == study.REMINDER_DELIVERY))).all()
    assert reminded == [lan]
    # An item given the evening before its deadline's eve is not reminded: its card is still fresh.
    late, _ = await study.create_study(session, secretary, notice_id=(await _resolution(
        session, SECRETARY, [w.cell1], "Chỉ thị mới")).id, unit_id=w.cell1.id, deadline=date(2026, 12, 5))
    late.created_at = at(3, 22)
    await session.commit()
    assert await study.remind_due(session, now=at(4, 8)) == []


# --- older members excused from the essay ---------------------------------------------------------------------
@pytest.mark.parametrize(("birth", "deadline", "excused"), [
    (date(1951, 12, 5), date(2026, 12, 4), False),  # the day before the 75th birthday
    (date(1951, 12, 5), date(2026, 12, 5), True),  # the day of it
    (date(1940, 1, 1), date(2026, 12, 5), True),
    (date(1952, 2, 29), date(2027, 2, 27), False),  # born 29/02: 75 on 28/02 of a common year
    (date(1952, 2, 29), date(2027, 2, 28), True),
    (date(1953, 2, 28), date(2028, 2, 27), False),
    (date(1953, 2, 28), date(2028, 2, 28), True),
    (date(1953, 3, 1), date(2028, 2, 29), False),  # the deadline on 29/02 of a leap year
    (date(1956, 2, 29), date(2031, 2, 28), True),
    (date(1956, 2, 29), date(2031, 3, 1), True),
    (None, date(2026, 12, 5), False),  # no birth date: not excused by age
])
def test_a_member_is_excused_from_the_age_reached_at_the_deadline(birth, deadline, excused):
    assert study.excused_by_age(birth, deadline, 75) is excused
    assert study.essay_excused(birth, False, True, deadline, 75) is excused
    assert study.excused_by_age(birth, deadline, None) is False  # the item excuses nobody by age
    if birth is not None:  # the bound the queries use agrees
        assert (birth <= study.born_by(deadline, 75)) is excused


def test_the_exempt_flag_excuses_alone_when_the_cell_does_not_count_exempt_members():
    young, deadline = date(1990, 5, 1), date(2026, 12, 5)
    assert study.essay_excused(young, True, False, deadline, None)
    assert study.essay_excused(None, True, False, deadline, 75)
    assert not study.essay_excused(young, True, True, deadline, 75)  # the cell counts them
    assert not study.essay_excused(young, False, False, deadline, 75)
    assert study.essay_excused(date(1940, 1, 1), False, True, deadline, 80)  # either excuses


def test_the_queries_bound_agrees_with_the_age_on_every_day_around_leap_years():
    for deadline in (date(2027, 2, 26) + timedelta(days=n) for n in range(5 * 366)):
        bound = study.born_by(deadline, 70)
        assert study.excused_by_age(bound, deadline, 70)
        assert not study.excused_by_age(bound + timedelta(days=1), deadline, 70)


async def test_older_members_are_excused_counted_so_not_reminded_and_told_on_their_card(session, ward):
    w, people = ward
    deadline = date(2026, 12, 10)
    clock.freeze(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    turns = Member(full_name="Trần Văn Bảy", cell_id=w.cell1.id, birth_date=date(1951, 12, 10))  # 75 that day
    after = Member(full_name="Lê Thị Tám", cell_id=w.cell1.id, birth_date=date(1951, 12, 11))  # 75 the day after
    unknown = Member(full_name="Hồ Văn Chín", cell_id=w.cell1.id)  # no birth date
    session.add_all([turns, after, unknown])
    await session.flush()
    session.add_all(Account(telegram_user_id=41 + i, member_id=m.id, language="vi")
                    for i, m in enumerate((turns, after, unknown)))
    people["lan"].birth_date = date(1944, 2, 29)
    await session.commit()
    secretary = await load_actor(session, SECRETARY)
    resolution = await _resolution(session, SECRETARY, [w.cell1])
    with pytest.raises(StudyError, match="not_allowed"):  # no essay, nobody to excuse
        await study.create_study(session, secretary, notice_id=resolution.id, unit_id=w.cell1.id, deadline=deadline,
                                 essay_excused_age=75)
    with pytest.raises(StudyError, match="not_allowed"):  # not an age the cell may choose
        await study.create_study(session, secretary, notice_id=resolution.id, unit_id=w.cell1.id, deadline=deadline,
                                 essay=True, essay_excused_age=60)
    item, count = await study.create_study(session, secretary, notice_id=resolution.id, unit_id=w.cell1.id,
                                           deadline=deadline, essay=True, essay_excused_age=75)
    await session.commit()
    assert count == 5 and item.essay_excused_age == 75
    old = sorted([turns.id, people["lan"].id])
    cards = (await session.execute(select(Delivery.kind, Delivery.member_id).where(Delivery.kind.in_(
        [study.STUDY_DELIVERY, study.STUDY_EXCUSED_DELIVERY])).order_by(Delivery.kind, Delivery.member_id))).all()
    assert [(kind, member) for kind, member in cards] == [  # the card saying so to those excused by age
        *((study.STUDY_DELIVERY, m) for m in sorted([people["secretary"].id, after.id, unknown.id])),
        *((study.STUDY_EXCUSED_DELIVERY, m) for m in old)]
    assert await study.excused_members(session, item) == set(old)

    [cell] = [c for p in await study.study_progress(session, secretary, deadline) if p.item.id == item.id
              for c in p.cells]
    assert (cell.members, cell.excused, cell.essay_base, cell.essays) == (5, 2, 3, 0)
    for member in (people["secretary"], people["lan"], turns, after, unknown):
        await study.mark_studied(session, item.id, member.id)
    assert await study.unfinished(session, item.id) == sorted([people["secretary"].id, after.id, unknown.id])

    # An essay handed in anyway is received as usual, and counts; the exempt flag excuses too (either does).
    essay = await study.submit_essay(session, item.id, turns.id, kind="text", text="Tôi vẫn viết bài.")
    await study.review_essay(session, secretary, essay.id, received=True)
    people["secretary"].exempt, w.cell1.exempt_counted = True, False
    await session.commit()
    [cell] = [c for p in await study.study_progress(session, secretary, deadline) if p.item.id == item.id
              for c in p.cells]
    assert (cell.excused, cell.essay_base, cell.essays, cell.received) == (2, 3, 1, 1)
    assert await study.unfinished(session, item.id) == sorted([after.id, unknown.id])
