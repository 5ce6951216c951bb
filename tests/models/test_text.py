"""Free text is stored clean (issue 12 §5) and names are found folded (§6) — on SQLite and PostgreSQL.

Hostile text goes in through every way a person's words reach the database — a notice, a vote, a
meeting, a member list, a profile correction, the importer's bulk statements — and is read back
from a fresh session: no NUL (PostgreSQL used to refuse it outright), no escape character, no
bidi override, NFC; ZWJ and ZWNJ kept.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, update

from models import clock, corrections, meetings, notices, votes
from models.accounts import Account
from models.corrections import CorrectionField
from models.importer import import_members, read_member_file
from models.meetings import Meeting, MeetingKind
from models.members import Member, find_members
from models.notices import Notice, NoticeKind
from models.permissions import load_actor
from models.roles import RoleKind, grant
from models.units import Unit, UnitKind, add_unit
from models.votes import Vote, VoteOption

SECRETARY_TG, MEMBER_TG = 9101, 9102

# One line: NUL, a BOM, ANSI colour codes, a right-to-left override, an isolate and its end, a NEL,
# "Hà" decomposed, an emoji family (ZWJ) and the Bengali conjunct ক্ষ written apart (ZWNJ).
LINE_IN = ("\ufeffHọp\x00 chi bộ \x1b[31mkhẩn\x1b[0m\u202e cấp\u2066 \x85Ha\u0300 "
           "👨\u200d👩\u200d👧 ক্\u200cষ\u2069 ")
LINE_OUT = "Họp chi bộ [31mkhẩn[0m cấp Hà 👨\u200d👩\u200d👧 ক্\u200cষ"
# Several lines: CR LF, a line separator, a NEL, a tab (kept), a screen-clearing escape, a LRO.
BODY_IN = " Dòng một\x00\r\nDòng\u2028hai\x85ba\tTab\x1b[2J\u202dhết ক্ষ\u200d\n"
BODY_OUT = "Dòng một\nDòng\nhai\nba\tTab[2Jhết ক্ষ\u200d"
NAME_IN = "Đặng\x00 Thị\u202e Thu\x1b Ha\u0300"
NAME_OUT = "Đặng Thị Thu Hà"


def test_hostile_strings_are_cleaned_for_lines_and_bodies():
    from models.text import clean_line, clean_text, fold

    assert clean_line(LINE_IN) == LINE_OUT
    assert clean_text(BODY_IN) == BODY_OUT
    assert clean_line("Ha\u0300") == "Hà" and clean_line(None) == ""
    assert clean_text("a\r\rb\u2029c") == "a\n\nb\nc"
    assert fold("ĐẶNG  Thị Thu Ha\u0300\x00") == "dang thi thu ha"


@pytest.fixture
async def cell(session) -> Unit:
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id, official_on=date(1990, 1, 1))
    member = Member(full_name="Lê Văn Bảy", cell_id=cell.id, official_on=date(1990, 1, 1))
    session.add_all([secretary, member])
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    session.add_all([Account(telegram_user_id=SECRETARY_TG, member_id=secretary.id, language="vi"),
                     Account(telegram_user_id=MEMBER_TG, member_id=member.id, language="vi")])
    await session.commit()
    return cell


async def read_back(sessionmaker, stmt):
    async with sessionmaker() as fresh:
        return (await fresh.execute(stmt)).one()


async def test_a_notice_title_and_body_are_stored_clean(session, sessionmaker, cell):
    actor = await load_actor(session, SECRETARY_TG)
    notice = await notices.create_notice(session, actor, kind=NoticeKind.document, title=LINE_IN, body=BODY_IN,
                                         audience_unit_ids=[cell.id])
    await session.commit()
    assert (notice.title, notice.body) == (LINE_OUT, BODY_OUT)  # what the sender is shown, too
    assert await read_back(sessionmaker, select(Notice.title, Notice.body).where(Notice.id == notice.id)) == (
        LINE_OUT, BODY_OUT)
    member_id = await session.scalar(select(Account.member_id).where(Account.telegram_user_id == MEMBER_TG))
    assert (await notices.documents(session, member_id, "HỌP KHẨN ha")).total == 1


async def test_a_vote_question_and_options_are_stored_clean(session, sessionmaker, cell):
    actor = await load_actor(session, SECRETARY_TG)
    vote = await votes.open_vote(session, actor, cell_id=cell.id, question=LINE_IN,
                                 options=["Đồng ý\u202e", "Không\x00 đồng ý", "Ha\u0300\x1b[0m"])
    await session.commit()
    assert await read_back(sessionmaker, select(Vote.question).where(Vote.id == vote.id)) == (LINE_OUT,)
    async with sessionmaker() as fresh:
        labels = (await fresh.scalars(select(VoteOption.label).where(VoteOption.vote_id == vote.id)
                                      .order_by(VoteOption.position))).all()
    assert labels == ["Đồng ý", "Không đồng ý", "Hà[0m"]


async def test_a_meeting_place_title_and_agenda_are_stored_clean(session, sessionmaker, cell):
    actor = await load_actor(session, SECRETARY_TG)
    meeting = await meetings.schedule_meeting(
        session, actor, cell_id=cell.id, kind=MeetingKind.regular, title=LINE_IN,
        starts_at=clock.now() + timedelta(days=5), place="Nhà văn hóa\x00 tổ 3\u2066\x1b[5m", agenda=BODY_IN)
    await session.commit()
    stored = await read_back(sessionmaker, select(Meeting.title, Meeting.place, Meeting.agenda)
                             .where(Meeting.id == meeting.id))
    assert tuple(stored) == (LINE_OUT, "Nhà văn hóa tổ 3[5m", BODY_OUT)


def csv_bytes(rows: list[list[str]]) -> bytes:
    return ("\n".join(";".join(cells) for cells in rows) + "\n").encode("utf-8")


async def test_an_imported_member_is_stored_clean_and_found_by_name(session, sessionmaker):
    data = csv_bytes([
        ["Họ và tên", "Ngày sinh", "Giới tính", "Số thẻ đảng", "Chi bộ", "Đảng bộ", "Địa chỉ"],
        # (a NUL would make the file binary and refused as a whole: the other controls are in a cell)
        ["\ufeffĐặng\u202e Thị\x85 Thu\x1b Ha\u0300", "05/12/1950", "Nữ", "07.0001\u202e", "Chi bộ Tổ\x1b dân phố 1",
         "Đảng bộ phường Phú Hội",
         "12 Lê\u2066 Lợi\x1b[0m, Huế"],
    ])
    report = await import_members(session, read_member_file(data, "ds.csv"))
    await session.commit()
    assert (report.created, report.errors) == (1, [])
    stored = await read_back(sessionmaker, select(Member.full_name, Member.card_number, Member.address, Unit.name)
                             .join(Unit, Unit.id == Member.cell_id))
    assert tuple(stored) == (NAME_OUT, "07.0001", "12 Lê Lợi[0m, Huế", "Chi bộ Tổ dân phố 1")
    assert [m.full_name for m in await find_members(session, "ĐẶNG THỊ")] == [NAME_OUT]


async def test_bulk_inserts_and_updates_are_cleaned_too(session, sessionmaker, cell):
    """The importer writes with Core statements and lists of dicts: the column type still cleans."""
    await session.execute(insert(Member), [
        {"full_name": NAME_IN, "cell_id": cell.id, "address": "Kiệt\x00 5\u202e", "exempt": False},
        {"full_name": "Trần\u2066 Văn Ba\x85", "cell_id": cell.id, "exempt": False},
    ])
    await session.execute(update(Member).where(Member.full_name == "Trần Văn Ba").values(position="Tổ\x1b trưởng\u202d"))
    await session.commit()
    async with sessionmaker() as fresh:
        rows = (await fresh.execute(select(Member.full_name, Member.address, Member.position, Member.search_name)
                                    .where(Member.cell_id == cell.id).order_by(Member.sort_name))).all()
    assert [tuple(r) for r in rows if r.full_name not in ("Nguyễn Thị Hồng Nhung", "Lê Văn Bảy")] == [
        ("Trần Văn Ba", None, "Tổ trưởng", "tran van ba"),
        (NAME_OUT, "Kiệt 5", None, "dang thi thu ha"),
    ]


async def test_a_profile_correction_is_stored_clean_and_applied_clean(session, sessionmaker, cell):
    member_actor = await load_actor(session, MEMBER_TG)
    correction = await corrections.request_correction(session, member_actor, CorrectionField.address,
                                                      "\ufeff12\x00 Lê Lợi\u202e, Ha\u0300 Nội\x1b[0m")
    await session.commit()
    assert await read_back(sessionmaker, select(corrections.ProfileCorrection.new_value)
                           .where(corrections.ProfileCorrection.id == correction.id)) == ("12 Lê Lợi, Hà Nội[0m",)
    await corrections.approve(session, await load_actor(session, SECRETARY_TG), correction.id)
    await session.commit()
    assert await read_back(sessionmaker, select(Member.address).where(Member.id == member_actor.member_id)) == (
        "12 Lê Lợi, Hà Nội[0m",)
    name = await corrections.request_correction(session, member_actor, CorrectionField.full_name,
                                                "Lê\u2066 Văn\x00 Bảy\x85 Em")
    assert name.new_value == "Lê Văn Bảy Em"


# --- §6: names are searched folded --------------------------------------------------------------


@pytest.mark.parametrize("query", ["Đặng Thị Thu Hà", "dang thi thu ha", "ĐẶNG THỊ", "thu hà", "THU HA", "đặng",
                                   "thu Ha\u0300", "  thị   thu "])
async def test_a_name_is_found_whatever_its_case_and_diacritics(session, cell, query):
    session.add_all([Member(full_name="Đặng Thị Thu Hà", cell_id=cell.id),
                     Member(full_name="Đào Văn Hải", cell_id=cell.id)])
    await session.commit()
    assert [m.full_name for m in await find_members(session, query)] == ["Đặng Thị Thu Hà"]


async def test_a_renamed_member_is_found_by_the_new_name_only(session, cell):
    member = Member(full_name="Đặng Thị Thu Hà", cell_id=cell.id)
    session.add(member)
    await session.commit()
    member.full_name = "Phan Thị Thu Hà"
    await session.commit()
    assert await find_members(session, "đặng") == []
    assert [m.id for m in await find_members(session, "PHAN THI")] == [member.id]


async def test_like_wildcards_in_a_name_query_are_plain_characters(session, cell):
    session.add(Member(full_name="Đặng Thị Thu Hà", cell_id=cell.id))
    await session.commit()
    for query in ("%", "_", "d%ng", "thu_ha", "\\"):
        assert await find_members(session, query) == [], query


async def test_the_importer_updates_the_search_key_with_the_name(session):
    header = ["Họ và tên", "Ngày sinh", "Số thẻ đảng", "Chi bộ", "Đảng bộ"]
    first = csv_bytes([header, ["Trần Văn Lâm", "05/12/1950", "07.0002", "Chi bộ 1", "Đảng bộ phường An Cựu"]])
    await import_members(session, read_member_file(first, "ds.csv"))
    await session.commit()
    renamed = csv_bytes([header, ["ĐẶNG Văn Lâm", "05/12/1950", "07.0002", "Chi bộ 1", "Đảng bộ phường An Cựu"]])
    report = await import_members(session, read_member_file(renamed, "ds.csv"))
    await session.commit()
    assert report.updated == 1
    assert [m.full_name for m in await find_members(session, "dang van")] == ["ĐẶNG Văn Lâm"]
    assert await find_members(session, "tran van") == []
