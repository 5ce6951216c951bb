"""Member import (CSV/XLSX), phone numbers and dates."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from models import clock
from models.base import Base
from models.dates import BadDate, format_date, parse_date
from models.importer import ErrorCode, RowError, UnreadableFile, committee_kind, import_members, read_member_file
from models.members import Award, Discipline, DisciplineForm, Gender, Member, WorkHistory
from models.phones import BadPhone, normalise_phone, parse_phone
from models.units import Unit, UnitKind, add_unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD_CSV = FIXTURES / "members_good.csv"
BAD_CSV = FIXTURES / "members_bad.csv"
XLSX = FIXTURES / "members.xlsx"

MEMBER_HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số điện thoại", "Số thẻ đảng", "Ngày vào Đảng",
                 "Ngày chính thức", "Chi bộ", "Đảng bộ", "Chức vụ"]


# ---------------------------------------------------------------- helpers


async def dump(session) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal dumps mean an unchanged database."""
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        out[table.name] = [tuple(r) for r in rows]
    return out


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def member(session, name: str) -> Member:
    return (await session.scalars(select(Member).where(Member.full_name == name))).one()


async def unit(session, name: str) -> Unit:
    return (await session.scalars(select(Unit).where(Unit.name == name))).one()


def csv_bytes(lines: list[str], delimiter: str = ";", bom: bool = False) -> bytes:
    text = "\n".join(delimiter.join(cells) if isinstance(cells, list) else cells for cells in lines) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def write_members_xlsx(path: Path) -> Path:
    """A small workbook: the member list, the three sub-sheets and a sheet the importer ignores."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Danh sách"
    ws.append(MEMBER_HEADER + ["Địa chỉ", "Miễn sinh hoạt"])
    ws.append(["Lê Thị Thu", datetime(1941, 3, 9), "Nữ", 905111301, "07.000301", datetime(1965, 5, 19),
               datetime(1966, 5, 19), "Chi bộ Tổ dân phố 5", "Đảng bộ phường Phú Hội", "Đảng viên",
               "15 Nguyễn Công Trứ, Huế", "x"])
    ws.append(["Trương Văn Phúc", "14/07/1972", "Nam", "0905 111 302", "07.000302", "02/09/1995", "02/09/1996",
               "Chi bộ Tổ dân phố 5", "Đảng bộ phường Phú Hội", "Bí thư chi bộ", None, None])
    ws.append(["Đoàn Thị Mỹ", date(1994, 1, 30), "Nữ", "+84905111303", "07.000303", date(2026, 3, 3), None,
               "Chi bộ Tổ dân phố 5", "Đảng bộ phường Phú Hội", None, None, None])
    work = book.create_sheet("Quá trình công tác")
    work.append(["Số thẻ đảng", "Từ", "Đến", "Chức vụ – đơn vị"])
    work.append(["07.000301", "1960", "1975", "Giáo viên Trường tiểu học Phú Hội"])
    work.append(["07.000301", "1975", "1996", "Hiệu trưởng Trường tiểu học Phú Hội"])
    work.append(["07.000302", "09/1995", "nay", "Cán bộ Ủy ban nhân dân phường Phú Hội"])
    awards = book.create_sheet("Khen thưởng")
    awards.append(["Số thẻ đảng", "Ngày", "Hình thức", "Số quyết định"])
    awards.append(["07.000301", datetime(2005, 5, 19), "Huy hiệu 40 năm tuổi Đảng", "125-QĐ/TU"])
    awards.append(["07.000302", "03/02/2020", "Giấy khen của Đảng ủy phường", None])
    discipline = book.create_sheet("Kỷ luật")
    discipline.append(["Số thẻ đảng", "Ngày", "Hình thức", "Lý do"])
    discipline.append(["07.000302", "15/03/2021", "Khiển trách", "Vắng sinh hoạt ba kỳ liền không lý do"])
    notes = book.create_sheet("Ghi chú")
    notes.append(["Người lập", "Bí thư chi bộ"])
    book.save(path)
    return path


@pytest.fixture
def xlsx_path(tmp_path) -> Path:
    return write_members_xlsx(tmp_path / "members.xlsx")


def codes(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.code.value, e.column) for e in report.errors]


# ---------------------------------------------------------------- phones and dates


@pytest.mark.parametrize("text", ["0905 111 222", "0905.111.222", "+84905111222", "84905111222", "(+84) 905-111-222", 905111222])
def test_phone_forms_are_one_number(text):
    assert normalise_phone(text) == "+84905111222"


@pytest.mark.parametrize("text", ["", None, "abc", "0123", "0123 456 789", "+8491234567"])
def test_invalid_phone(text):
    assert normalise_phone(text) is None
    with pytest.raises(BadPhone) as info:
        parse_phone(text)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("05/12/2026", date(2026, 12, 5)),
        ("5/3/1952", date(1952, 3, 5)),
        ("19-05-1975", date(1975, 5, 19)),
        ("01.09.1985", date(1985, 9, 1)),
        ("1960-07-20", date(1960, 7, 20)),
        ("1960-07-20 00:00:00", date(1960, 7, 20)),
        (datetime(1941, 3, 9, 0, 0), date(1941, 3, 9)),
        (date(1994, 1, 30), date(1994, 1, 30)),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [("31/02/1950", "no_such_day"), ("05/12/50", "two_digit_year"), ("hôm qua", "format"), ("", "empty"),
     ("05/12/1850", "out_of_range"), (1950, "format"), ("2026-13-01", "no_such_day")],
)
def test_bad_date(value, reason):
    with pytest.raises(BadDate) as info:
        parse_date(value)
    assert info.value.reason == reason


def test_format_date():
    assert format_date(date(2026, 12, 5)) == "05/12/2026"


def test_committee_kind():
    assert committee_kind("Đảng bộ phường Phú Hội") is UnitKind.ward
    assert committee_kind("Đảng bộ xã Quảng Thọ") is UnitKind.commune
    assert committee_kind("Đảng bộ Bảo hiểm xã hội tỉnh") is UnitKind.grassroots
    assert committee_kind("Đảng bộ Trường Đại học Sư phạm") is UnitKind.grassroots


# ---------------------------------------------------------------- a good file


async def test_good_csv_creates_units_and_members(session):
    parsed = read_member_file(GOOD_CSV)
    assert parsed.format == "csv" and parsed.members.name == "members_good.csv"
    report = await import_members(session, parsed)
    await session.commit()

    assert (report.created, report.updated, report.unchanged, report.units_created) == (6, 0, 0, 5)
    assert report.errors == [] and report.ok
    ward, commune = await unit(session, "Đảng bộ phường Phú Hội"), await unit(session, "Đảng bộ xã Quảng Thọ")
    assert (ward.kind, commune.kind) == (UnitKind.ward, UnitKind.commune)
    cell1 = await unit(session, "Chi bộ Tổ dân phố 1")
    assert cell1.kind is UnitKind.cell and cell1.parent_id == ward.id and cell1.path == f"{ward.path}{cell1.id}/"

    an = await member(session, "Nguyễn Văn An")
    assert (an.phone, an.birth_date, an.gender, an.card_number) == ("+84905111222", date(1945, 12, 5), Gender.male, "07.000101")
    assert (an.joined_on, an.official_on, an.cell_id, an.exempt) == (date(1968, 2, 3), date(1969, 2, 3), cell1.id, True)
    assert an.address == "12 Lê Lợi; phường Phú Hội, Huế" and an.position == "Bí thư chi bộ"
    phones = {m.full_name: m.phone for m in await session.scalars(select(Member))}
    assert phones["Trần Thị Bình"] == "+84905111223" and phones["Phạm Thị Dung"] == "+84905111225"
    dung = await member(session, "Phạm Thị Dung")
    assert dung.gender is Gender.female and dung.official_on is None and not dung.is_full_member
    assert dung.exempt is False and dung.position is None
    # HTML is only text here; escaping is the renderer's job.
    hoa = await member(session, "Võ Thị <b>Hoa</b>")
    assert hoa.card_number is None and hoa.gender is Gender.female
    assert (await member(session, "Lê Văn Cường")).birth_date == date(1960, 7, 20)


ENGLISH_CSV = [
    "Full name,Date of birth,Gender,Phone,Card number,Date joined,Official date,Cell,Party committee,Position,Address,Exempt",
    'Nguyễn Văn An,05/12/1945,male,0905 111 222,07.000101,03/02/1968,03/02/1969,Chi bộ Tổ dân phố 1,Đảng bộ phường Phú Hội,Bí thư chi bộ,"12 Lê Lợi; phường Phú Hội, Huế",yes',
    "Trần Thị Bình,05/03/1952,female,0905111223,07.000102,19/05/1975,19/05/1976,Chi bộ Tổ dân phố 1,Đảng bộ phường Phú Hội,,,no",
]


async def test_english_headers(session):
    parsed = read_member_file(csv_bytes(ENGLISH_CSV), "members.csv")
    assert parsed.members.english
    report = await import_members(session, parsed)
    assert (report.created, report.units_created, report.errors) == (2, 2, [])
    an = await member(session, "Nguyễn Văn An")
    assert (an.gender, an.phone, an.exempt, an.official_on) == (Gender.male, "+84905111222", True, date(1969, 2, 3))
    assert (await member(session, "Trần Thị Bình")).gender is Gender.female


async def test_headers_match_without_case_spaces_diacritics_and_below_a_title(session):
    data = csv_bytes([
        "DANH SÁCH ĐẢNG VIÊN CHI BỘ TỔ DÂN PHỐ 1",
        "",
        "STT\t  HO VA TEN \tngay sinh (dd/mm/yyyy)\tGIOI TINH\tSo dien thoai\tso the dang\tChi Bo\tdang bo",
        "1\tNguyễn Văn An\t05/12/1945\tNAM\t0905111222\t07.000101\tChi bộ Tổ dân phố 1\tĐảng bộ phường Phú Hội",
        "2\tTrần Thị Bình\t31/02/1952\tnữ\t0905111223\t07.000102\tChi bộ Tổ dân phố 1\tĐảng bộ phường Phú Hội",
    ], delimiter="\t")
    parsed = read_member_file(data, "ds.csv")
    assert parsed.members.header_row == 3
    report = await import_members(session, parsed)
    # The row number is the one the spreadsheet shows, title rows included.
    assert codes(report) == [(5, "bad_date", "ngay sinh (dd/mm/yyyy)")]
    assert report.errors[0].detail == "no_such_day"
    assert await count(session, Member) == 0


# ---------------------------------------------------------------- XLSX and its sub-sheets


async def test_xlsx_fills_work_history_awards_and_discipline(session, xlsx_path):
    parsed = read_member_file(xlsx_path)
    assert parsed.format == "xlsx"
    assert [s.kind.value for s in parsed.extras] == ["work_history", "awards", "discipline"]
    report = await import_members(session, parsed)
    assert report.errors == []
    assert (report.created, report.units_created) == (3, 2)
    await session.commit()

    thu = await member(session, "Lê Thị Thu")
    assert (thu.birth_date, thu.phone, thu.exempt) == (date(1941, 3, 9), "+84905111301", True)
    history = (await session.scalars(
        select(WorkHistory).where(WorkHistory.member_id == thu.id).order_by(WorkHistory.position_no))).all()
    assert [(h.period_from, h.period_to, h.description) for h in history] == [
        ("1960", "1975", "Giáo viên Trường tiểu học Phú Hội"),
        ("1975", "1996", "Hiệu trưởng Trường tiểu học Phú Hội"),
    ]
    award = (await session.scalars(select(Award).where(Award.member_id == thu.id))).one()
    assert (award.awarded_on, award.title, award.decision) == (date(2005, 5, 19), "Huy hiệu 40 năm tuổi Đảng", "125-QĐ/TU")
    phuc = await member(session, "Trương Văn Phúc")
    penalty = (await session.scalars(select(Discipline).where(Discipline.member_id == phuc.id))).one()
    assert (penalty.form, penalty.decided_on) == (DisciplineForm.reprimand, date(2021, 3, 15))
    assert penalty.reason == "Vắng sinh hoạt ba kỳ liền không lý do"
    my = await member(session, "Đoàn Thị Mỹ")
    assert my.official_on is None and my.joined_on == date(2026, 3, 3)
    assert await count(session, WorkHistory) == 3 and await count(session, Award) == 2


async def test_committed_xlsx_fixture_imports(session):
    report = await import_members(session, read_member_file(XLSX))
    assert report.errors == [] and report.created == 3
    assert await count(session, Discipline) == 1


async def test_xlsx_reimport_changes_nothing_and_a_changed_award_replaces_the_list(session, xlsx_path):
    await import_members(session, read_member_file(xlsx_path))
    await session.commit()
    before = await dump(session)
    again = await import_members(session, read_member_file(xlsx_path))
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 3, [])
    assert await dump(session) == before

    book = openpyxl.load_workbook(xlsx_path)
    book["Khen thưởng"]["C3"] = "Bằng khen của Thành ủy Huế"
    book.save(xlsx_path)
    edited = await import_members(session, read_member_file(xlsx_path))
    assert (edited.created, edited.updated, edited.unchanged) == (0, 1, 2)
    phuc = await member(session, "Trương Văn Phúc")
    titles = (await session.scalars(select(Award.title).where(Award.member_id == phuc.id))).all()
    assert titles == ["Bằng khen của Thành ủy Huế"]
    # The other lists were equal and were left alone, ids and all.
    after = await dump(session)
    assert after["work_history"] == before["work_history"] and after["disciplines"] == before["disciplines"]


async def test_csv_sub_lists_come_as_extra_files(session):
    await import_members(session, read_member_file(GOOD_CSV))
    history = read_member_file(csv_bytes([
        "Số thẻ đảng;Từ;Đến;Nội dung",
        "07.000101;1963;1968;Công nhân Nhà máy điện Huế",
        "07.000101;1968;2005;Cán bộ Sở Công nghiệp",
    ]), "qua_trinh_cong_tac.csv")
    discipline = read_member_file(csv_bytes([
        "Card number,Date,Form,Reason", "07.000103,01/06/2019,cảnh cáo,Vi phạm quy định",
    ], delimiter=","), "discipline.csv")
    assert history.members is None and discipline.members is None
    report = await import_members(session, read_member_file(GOOD_CSV), extra_files=[history, discipline])
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 2, 4, [])
    an = await member(session, "Nguyễn Văn An")
    descriptions = (await session.scalars(
        select(WorkHistory.description).where(WorkHistory.member_id == an.id).order_by(WorkHistory.position_no))).all()
    assert descriptions == ["Công nhân Nhà máy điện Huế", "Cán bộ Sở Công nghiệp"]
    assert (await session.scalars(select(Discipline.form))).one() is DisciplineForm.warning


async def test_sub_sheet_errors_name_the_sheet(session, xlsx_path):
    book = openpyxl.load_workbook(xlsx_path)
    book["Kỷ luật"].append(["07.000301", "01/01/2022", "Phê bình", ""])
    book["Khen thưởng"].append(["07.999999", "01/01/2022", "Giấy khen", ""])
    book["Quá trình công tác"].append(["07.000302", "1990", "1995", None])
    book["Quá trình công tác"].append([None, "1990", "1995", "Bộ đội"])
    book.save(xlsx_path)
    report = await import_members(session, read_member_file(xlsx_path))
    found = {(e.sheet, e.row, e.code.value, e.column, e.value) for e in report.errors}
    assert found == {
        ("Kỷ luật", 3, "unknown_discipline", "Hình thức", "Phê bình"),
        ("Khen thưởng", 4, "unknown_card", "Số thẻ đảng", "07.999999"),
        ("Quá trình công tác", 5, "missing_text", "Chức vụ – đơn vị", ""),
        ("Quá trình công tác", 6, "missing_card", "Số thẻ đảng", ""),
    }
    assert await count(session, Member) == 0 and await count(session, Unit) == 0


# ---------------------------------------------------------------- importing again


async def test_reimport_changes_nothing(session):
    first = await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    before = await dump(session)
    again = await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    assert (again.created, again.updated, again.unchanged, again.units_created) == (0, 0, first.created, 0)
    assert await dump(session) == before


async def test_edited_file_updates_and_adds_without_duplicates(session, tmp_path):
    await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    lines = GOOD_CSV.read_bytes().decode("utf-8-sig").splitlines()
    lines[2] = lines[2].replace("0905.111.223", "0935 999 888")
    lines.append("Đinh Văn Khoa;10/10/1980;Nam;0905 111 299;07.000105;01/01/2010;01/01/2011;Chi bộ Tổ dân phố 2;Đảng bộ phường Phú Hội;;;")
    edited = tmp_path / "edited.csv"
    edited.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    report = await import_members(session, read_member_file(edited))
    await session.commit()
    assert (report.created, report.updated, report.unchanged, report.units_created) == (1, 1, 5, 0)
    assert await count(session, Member) == 7
    assert (await member(session, "Trần Thị Bình")).phone == "+84935999888"
    names = (await session.scalars(select(Member.full_name))).all()
    assert len(names) == len(set(names))


async def test_member_without_card_is_matched_by_name_birth_and_cell(session):
    await import_members(session, read_member_file(GOOD_CSV))
    lines = GOOD_CSV.read_bytes().decode("utf-8-sig").splitlines()
    hoa_line = next(line for line in lines if "Hoa" in line)
    changed = hoa_line.replace("0914222334", "0914 222 335")
    report = await import_members(session, read_member_file(csv_bytes([lines[0], changed]), "one.csv"))
    assert (report.created, report.updated) == (0, 1)
    assert (await member(session, "Võ Thị <b>Hoa</b>")).phone == "+84914222335"
    # Adding the card later keeps the same member.
    with_card = changed.replace(";;07/11/1970", ";07.000202;07/11/1970")
    report = await import_members(session, read_member_file(csv_bytes([lines[0], with_card]), "one.csv"))
    assert (report.created, report.updated) == (0, 1)
    assert (await member(session, "Võ Thị <b>Hoa</b>")).card_number == "07.000202"
    assert await count(session, Member) == 6


async def test_dry_run_reports_and_writes_nothing(session):
    before = await dump(session)
    report = await import_members(session, read_member_file(GOOD_CSV), dry_run=True)
    assert (report.created, report.units_created, report.dry_run) == (6, 5, True)
    assert await dump(session) == before


# ---------------------------------------------------------------- a bad file


BAD_ROWS = [
    (3, "bad_date", "Ngày sinh"),
    (4, "unknown_gender", "Giới tính"),
    (5, "duplicate_card", "Số thẻ đảng"),
    (6, "missing_name", "Họ và tên"),
    (7, "bad_phone", "Số điện thoại"),
    (8, "date_order", "Ngày chính thức"),
]


async def test_bad_file_reports_every_row_and_changes_nothing(session):
    await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    before = await dump(session)
    members_before = await count(session, Member)

    report = await import_members(session, read_member_file(BAD_CSV))
    assert codes(report) == BAD_ROWS
    assert report.errors[0] == RowError("members_bad.csv", 3, "Ngày sinh", ErrorCode.bad_date, "31/02/1950", "no_such_day")
    assert report.errors[1].value == "X"
    assert report.errors[2].value == "07.000101" and report.errors[2].detail == "2"
    assert report.errors[4].value == "0123"
    assert (report.created, report.updated, report.unchanged, report.units_created) == (0, 0, 0, 0)
    await session.commit()
    assert await count(session, Member) == members_before
    assert await dump(session) == before


async def test_bad_file_into_an_empty_database_creates_no_unit(session):
    report = await import_members(session, read_member_file(BAD_CSV))
    assert codes(report) == BAD_ROWS
    await session.commit()
    assert all(rows == [] for rows in (await dump(session)).values())


async def test_dates_out_of_order_and_in_the_future(session):
    clock.freeze(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
    data = csv_bytes([
        ";".join(MEMBER_HEADER[:7] + ["Chi bộ"]),
        "Nguyễn Văn A;01/01/1960;Nam;;;01/01/1955;;Chi bộ 1",
        "Nguyễn Văn B;01/01/1960;Nam;;;01/01/1990;;Chi bộ 1",
        "Nguyễn Văn C;01/01/1960;Nam;;;01/12/2026;;Chi bộ 1",
        "Nguyễn Văn D;01/01/1960;Nam;;;01/01/1990;01/01/1989;Chi bộ 1",
    ])
    report = await import_members(session, read_member_file(data, "dates.csv"))
    assert [(e.row, e.code.value, e.detail) for e in report.errors] == [
        (2, "date_order", "before_birth"),
        (4, "date_order", "future"),
        (5, "date_order", "before_joined"),
    ]


async def test_control_characters_removed_and_overlong_refused(session):
    data = csv_bytes([
        "Họ và tên;Chi bộ;Chức vụ",
        "Nguyễn\x07 Văn\u202e  An\t;Chi bộ 1;Đảng viên",
        f"{'Ê' * 201};Chi bộ 1;",
        f"Trần Văn Bảo;Chi bộ 1;{'x' * 201}",
    ])
    report = await import_members(session, read_member_file(data, "x.csv"))
    assert [(e.row, e.code.value, e.column) for e in report.errors] == [
        (3, "too_long", "Họ và tên"), (4, "too_long", "Chức vụ")]
    ok = await import_members(session, read_member_file(csv_bytes(["Họ và tên;Chi bộ", "Nguyễn\x07 Văn\u202e  An\t;Chi bộ 1"]), "x.csv"))
    assert ok.created == 1
    assert (await session.scalars(select(Member.full_name))).one() == "Nguyễn Văn An"


async def test_the_same_member_twice_without_card(session):
    data = csv_bytes(["Họ và tên;Ngày sinh;Chi bộ", "Lê Văn Tám;01/01/1950;Chi bộ 1", "Lê Văn Tám;01/01/1950;Chi bộ 1"])
    report = await import_members(session, read_member_file(data, "x.csv"))
    assert codes(report) == [(3, "duplicate_member", "Họ và tên")]


async def test_same_cell_name_in_two_committees_is_ambiguous_without_committee(session):
    await import_members(session, read_member_file(GOOD_CSV))
    other = csv_bytes(["Họ và tên;Chi bộ;Đảng bộ", "Lê Văn Tám;Chi bộ Tổ dân phố 1;Đảng bộ phường Vĩnh Ninh"])
    assert (await import_members(session, read_member_file(other, "x.csv"))).created == 1
    vague = csv_bytes(["Họ và tên;Chi bộ", "Lê Văn Chín;Chi bộ Tổ dân phố 1", "Lê Văn Mười;"])
    report = await import_members(session, read_member_file(vague, "x.csv"))
    assert codes(report) == [(2, "ambiguous_unit", "Chi bộ"), (3, "missing_cell", "Chi bộ")]


# ---------------------------------------------------------------- files that are not member lists


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    "data, code",
    [
        (PNG, "not_a_table"),
        (random.Random(7).randbytes(4096), "not_a_table"),
        (bytes(range(1, 32)) * 50, "not_a_table"),
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n  \n", "empty"),
        (b"PK\x03\x04not really a workbook", "not_a_table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old_excel"),
        ("Kính gửi các đồng chí,\nhọp chi bộ lúc 19 giờ 30.\n".encode(), "no_header"),
        ("Ngày sinh;Giới tính;Số điện thoại\n01/01/1950;Nam;0905111222\n".encode(), "missing_name_column"),
        ("Họ và tên;Chi bộ\n".encode() + "Nguyen Van Àn;Chi bo 1\n".encode("latin-1"), "encoding"),
    ],
    ids=["png", "random", "control", "empty", "blank", "zip", "xls", "letter", "no-name", "latin-1"],
)
def test_unreadable_files(data, code):
    with pytest.raises(UnreadableFile) as info:
        read_member_file(data, "upload.csv")
    assert info.value.code == code


def test_xlsx_whose_first_sheet_has_no_name_column(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Ngày sinh", "Giới tính", "Chi bộ"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(UnreadableFile) as info:
        read_member_file(tmp_path / "x.xlsx")
    assert info.value.code == "missing_name_column"


async def test_unreadable_file_changes_nothing(session):
    before = await dump(session)
    with pytest.raises(UnreadableFile):
        read_member_file(PNG, "photo.png")
    assert await dump(session) == before


# ---------------------------------------------------------------- scope


async def test_cell_secretary_cannot_import_into_another_cell(session):
    await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    before = await dump(session)
    cell1 = await unit(session, "Chi bộ Tổ dân phố 1")
    data = csv_bytes([
        "Họ và tên;Ngày sinh;Số thẻ đảng;Chi bộ",
        "Lê Văn Mới;01/01/1980;07.000900;Chi bộ Tổ dân phố 1",
        "Trần Văn Khác;01/01/1981;07.000901;Chi bộ Tổ dân phố 2",
        "Lê Văn Cường;20/07/1960;07.000103;",
    ])
    report = await import_members(session, read_member_file(data, "x.csv"), within=cell1)
    assert [(e.row, e.code.value, e.column, e.value) for e in report.errors] == [
        (3, "out_of_scope", "Chi bộ", "Chi bộ Tổ dân phố 2"),
        # 07.000103 is a member of cell 2: a secretary of cell 1 may not touch him.
        (4, "out_of_scope", "Số thẻ đảng", "07.000103"),
    ]
    await session.commit()
    assert await dump(session) == before


async def test_rows_without_cell_go_into_the_secretarys_cell(session):
    await import_members(session, read_member_file(GOOD_CSV))
    cell1 = await unit(session, "Chi bộ Tổ dân phố 1")
    data = csv_bytes(["Họ và tên;Ngày sinh;Đảng bộ", "Lê Văn Mới;01/01/1980;Đảng bộ phường Phú Hội", "Lê Văn Mới Hai;01/01/1981;"])
    report = await import_members(session, read_member_file(data, "x.csv"), within=cell1)
    assert (report.created, report.units_created, report.errors) == (2, 0, [])
    assert (await member(session, "Lê Văn Mới Hai")).cell_id == cell1.id


async def test_committee_scope(session):
    await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    ward = await unit(session, "Đảng bộ phường Phú Hội")
    data = csv_bytes([
        "Họ và tên;Số thẻ đảng;Chi bộ;Đảng bộ",
        "Lê Văn Mới;07.000900;Chi bộ Tổ dân phố 9;",
        "Hoàng Văn Em;07.000201;Chi bộ Thôn Phước Yên;Đảng bộ xã Quảng Thọ",
    ])
    report = await import_members(session, read_member_file(data, "x.csv"), within=ward)
    assert [(e.row, e.code.value, e.column) for e in report.errors] == [(3, "out_of_scope", "Số thẻ đảng")]
    assert await count(session, Unit) == 5

    ok = await import_members(session, read_member_file(csv_bytes(data.decode().splitlines()[:2]), "x.csv"), within=ward)
    assert (ok.created, ok.units_created) == (1, 1)
    cell9 = await unit(session, "Chi bộ Tổ dân phố 9")
    assert cell9.parent_id == ward.id and cell9.path.startswith(ward.path)

    foreign = csv_bytes(["Họ và tên;Chi bộ;Đảng bộ", "Lê Văn Lạ;Chi bộ Thôn 1;Đảng bộ xã Quảng Thọ"])
    report = await import_members(session, read_member_file(foreign, "x.csv"), within=ward)
    assert codes(report) == [(2, "out_of_scope", "Đảng bộ")]


async def test_administrator_root_puts_committees_under_the_city(session):
    city = await add_unit(session, "Đảng bộ thành phố Huế", UnitKind.city)
    report = await import_members(session, read_member_file(GOOD_CSV), root=city)
    assert report.units_created == 5
    ward = await unit(session, "Đảng bộ phường Phú Hội")
    assert ward.parent_id == city.id and ward.path == f"{city.path}{ward.id}/"


# ---------------------------------------------------------------- progress


async def test_progress_is_reported_every_thousand_rows(session):
    lines = ["Họ và tên;Số thẻ đảng;Chi bộ;Đảng bộ"]
    lines += [f"Đảng viên số {i};07.{i:06d};Chi bộ {i % 3};Đảng bộ phường Phú Hội" for i in range(2500)]
    calls = []
    report = await import_members(session, read_member_file(csv_bytes(lines), "big.csv"),
                                  progress=lambda done, total: calls.append((done, total)))
    assert report.created == 2500 and await count(session, Member) == 2500
    assert len(calls) >= 4
    assert calls[-1] == (2500, 2500)
    assert all(total == 2500 for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


async def test_objects_already_loaded_show_the_import(session, xlsx_path):
    await import_members(session, read_member_file(GOOD_CSV))
    await session.commit()
    binh = await member(session, "Trần Thị Bình")
    lines = GOOD_CSV.read_bytes().decode("utf-8-sig").splitlines()
    lines[2] = lines[2].replace("0905.111.223", "0935 999 888")
    await import_members(session, read_member_file(csv_bytes(lines), "edited.csv"))
    assert binh.phone == "+84935999888"


async def test_xlsx_with_english_headers_and_sheet_names(session, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Full name", "Date of birth", "Gender", "Card number", "Cell", "Organisation"])
    book.active.append(["Lê Văn Bảy", "20/09/1943", "M", "07.011035", "Chi bộ Tổ dân phố 1", "Đảng bộ phường Phú Hội"])
    for title, header, row in (
        ("Work history", ["Card number", "From", "To", "Description"], ["07.011035", "1965", "2003", "Giáo viên"]),
        ("Awards", ["Card number", "Date", "Award", "Decision"], ["07.011035", "03/02/2013", "Huy hiệu 40 năm tuổi Đảng", "1-QĐ/TU"]),
        ("Discipline", ["Card number", "Date", "Form", "Reason"], ["07.011035", "01/06/1990", "Warning", "Late"]),
    ):
        ws = book.create_sheet(title)
        ws.append(header)
        ws.append(row)
    book.save(tmp_path / "en.xlsx")
    parsed = read_member_file(tmp_path / "en.xlsx")
    assert parsed.members.english and [s.name for s in parsed.extras] == ["Work history", "Awards", "Discipline"]
    report = await import_members(session, parsed)
    assert (report.created, report.errors) == (1, [])
    assert (await session.scalars(select(Discipline.form))).one() is DisciplineForm.warning
    assert (await session.scalars(select(WorkHistory.description))).one() == "Giáo viên"


def test_xlsx_with_a_wrong_declared_size_is_read_in_full(tmp_path, xlsx_path):
    import re
    import zipfile

    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(xlsx_path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert n == 1
            dst.writestr(item, data)
    sheet = read_member_file(broken).members
    assert len(sheet.columns) == 12
    assert [values["full_name"] for _, values in sheet.rows()] == ["Lê Thị Thu", "Trương Văn Phúc", "Đoàn Thị Mỹ"]


async def test_excel_unicode_text_export_and_exempt_words(session):
    # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated.
    text = "\r\n".join([
        "Họ và tên\tChi bộ\tMiễn sinh hoạt",
        "Tôn Nữ Thị Lài\tChi bộ 1\tCó",
        "Lê Văn Bảy\tChi bộ 1\tKhông",
        "Trần Văn Sáu\tChi bộ 1\tcó lẽ",
    ]) + "\r\n"
    parsed = read_member_file(text.encode("utf-16"), "export.txt")
    report = await import_members(session, parsed)
    assert [(e.row, e.code.value, e.value) for e in report.errors] == [(4, "bad_flag", "có lẽ")]
    fixed = read_member_file(text.replace("có lẽ", "x").encode("utf-16"), "export.txt")
    assert (await import_members(session, fixed)).created == 3
    exempt = dict((await session.execute(select(Member.full_name, Member.exempt))).all())
    assert exempt == {"Tôn Nữ Thị Lài": True, "Lê Văn Bảy": False, "Trần Văn Sáu": True}


async def test_a_card_number_the_spreadsheet_turned_into_a_number_keeps_its_leading_zero(session, tmp_path):
    """"07.000301" typed into Excel is stored as the number 7.000301; "07.000310" as 7.00031."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(MEMBER_HEADER)
    ws.append(["Lê Thị Thu", "09/03/1941", "Nữ", None, 7.000301, None, None, "Chi bộ Tổ dân phố 5",
               "Đảng bộ phường Phú Hội", None])
    ws.append(["Trương Văn Phúc", "14/07/1972", "Nam", None, 7.00031, None, None, "Chi bộ Tổ dân phố 5",
               "Đảng bộ phường Phú Hội", None])
    awards = book.create_sheet("Khen thưởng")
    awards.append(["Số thẻ đảng", "Ngày", "Hình thức", "Số quyết định"])
    awards.append([7.000301, "19/05/2005", "Huy hiệu 40 năm tuổi Đảng", None])
    book.save(tmp_path / "numbers.xlsx")
    report = await import_members(session, read_member_file(tmp_path / "numbers.xlsx"))
    assert report.errors == []
    assert (await member(session, "Lê Thị Thu")).card_number == "07.000301"
    assert (await member(session, "Trương Văn Phúc")).card_number == "07.000310"
    assert await count(session, Award) == 1
