"""A phone number two members would share: imported all the same, with a warning naming both, never the number."""
from __future__ import annotations

import logging

from sqlalchemy import select

from handlers.import_report import describe_report
from models.importer import import_members, read_member_file
from models.members import Member
from models.shared_phones import SharedPhone
from models.units import Unit

HEADER = "Họ và tên;Ngày sinh;Số điện thoại;Số thẻ đảng;Chi bộ;Đảng bộ"


def csv_file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


async def test_two_rows_with_one_number_are_both_imported_with_a_warning(session, caplog):
    caplog.set_level(logging.DEBUG)
    data = csv_file(
        "Nguyễn Văn An;05/12/1950;0905 111 222;07.000101;Chi bộ 1;Đảng bộ phường Phú Hội",
        "Trần Thị Bình;06/01/1952;0905 333 444;07.000102;Chi bộ 1;Đảng bộ phường Phú Hội",
        "Lê Thị Cúc;07/02/1953;+84 905 111 222;07.000103;Chi bộ 2;Đảng bộ phường Phú Hội",
    )
    preview = await import_members(session, read_member_file(data, "ds.csv"), dry_run=True)
    assert preview.ok and preview.warnings == [SharedPhone("ds.csv", 4, other_row=2)]
    report = await import_members(session, read_member_file(data, "ds.csv"))
    assert (report.errors, report.created) == ([], 3)
    assert report.warnings == [SharedPhone("ds.csv", 4, other_row=2)]
    for lang, words in (("vi", "Dòng 4: trùng số điện thoại với dòng 2"), ("en", "Row 4: same phone number as row 2")):
        text = describe_report(lang, report)
        assert words in text
        assert "111 222" not in text and "905111222" not in text
    ours = [r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("models", "handlers", "bot")]
    assert not [m for m in ours if "905111222" in m or "111 222" in m]
    # Importing the same file again: still the two of them.
    again = await import_members(session, read_member_file(data, "ds.csv"), dry_run=True)
    assert again.warnings == [SharedPhone("ds.csv", 4, other_row=2)]


async def test_a_number_already_held_by_a_member_is_named_by_card_or_left_unnamed_outside_the_scope(session):
    first = csv_file(
        "Nguyễn Văn An;05/12/1950;0905 111 222;07.000101;Chi bộ 1;Đảng bộ phường Phú Hội",
        "Trần Văn Dũng;05/12/1960;0905 555 666;;Chi bộ 1;Đảng bộ phường Phú Hội",
        "Hồ Văn Em;05/12/1961;0905 777 888;07.000301;Chi bộ 3;Đảng bộ phường Vĩnh Ninh",
    )
    assert (await import_members(session, read_member_file(first, "a.csv"))).created == 3
    await session.commit()
    second = csv_file(
        "Lê Thị Cúc;07/02/1953;0905 111 222;07.000103;Chi bộ 2;Đảng bộ phường Phú Hội",
        "Phan Thị Gấm;07/02/1954;0905 555 666;07.000104;Chi bộ 2;Đảng bộ phường Phú Hội",
        "Võ Thị Hoa;07/02/1955;0905 777 888;07.000105;Chi bộ 2;Đảng bộ phường Phú Hội",
    )
    report = await import_members(session, read_member_file(second, "b.csv"), dry_run=True)
    assert report.ok and report.warnings == [
        SharedPhone("b.csv", 2, other_card="07.000101"),
        SharedPhone("b.csv", 3, other_name="Trần Văn Dũng"),
        SharedPhone("b.csv", 4, other_card="07.000301"),
    ]
    ward = (await session.scalars(select(Unit).where(Unit.name == "Đảng bộ phường Phú Hội"))).one()
    scoped = await import_members(session, read_member_file(second, "b.csv"), within=ward, dry_run=True)
    assert scoped.warnings[-1] == SharedPhone("b.csv", 4, elsewhere=True)  # Vĩnh Ninh is not the ward's to see
    text = describe_report("vi", scoped, dry_run=True)
    assert "số thẻ 07.000101" in text and "Trần Văn Dũng" in text and "đơn vị khác" in text
    assert "07.000301" not in text


async def test_a_member_keeping_their_own_number_or_giving_it_up_is_no_warning(session):
    data = csv_file("Nguyễn Văn An;05/12/1950;0905 111 222;07.000101;Chi bộ 1;Đảng bộ phường Phú Hội")
    await import_members(session, read_member_file(data, "a.csv"))
    await session.commit()
    same = await import_members(session, read_member_file(data, "a.csv"), dry_run=True)
    assert same.warnings == []
    # An moves to a new number in the same file that gives his old one to his wife.
    moved = csv_file("Nguyễn Văn An;05/12/1950;0905 999 000;07.000101;Chi bộ 1;Đảng bộ phường Phú Hội",
                     "Lê Thị Cúc;07/02/1953;0905 111 222;07.000103;Chi bộ 1;Đảng bộ phường Phú Hội")
    report = await import_members(session, read_member_file(moved, "b.csv"))
    assert (report.errors, report.warnings) == ([], [])
    assert (await session.scalars(select(Member.phone).where(Member.card_number == "07.000103"))).one() == "+84905111222"
