"""Names in Vietnamese order: given name first, the alphabet's own letters, tones last — in Python and in SQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from models import migrate
from models.collation import name_key, title_key
from models.db import make_engine
from models.importer import import_members, read_member_file
from models.members import Member, members_under
from models.units import UnitKind, add_unit

# How a Vietnamese roster reads (xếp theo tên, vần chữ cái tiếng Việt).
ROSTER = [
    "Lê An", "Lê Văn An", "Lê Ang", "Lê Anh", "Nguyễn Anh", "Bùi Thị Ảnh", "Lê Ánh", "Đỗ Văn Ạnh", "Võ Ăn", "Hồ Ân",
    "Ngô Bảy", "Ngô Bẩy", "Lê Thị Dung", "Trần Thị Đào", "Phan Đức", "Lê Thị Uyên", "Lê Thị Ư", "Nguyễn Văn Yến",
    "Phạm Anh Zũng",
]


def test_roster_order():
    shuffled = sorted(ROSTER, key=lambda n: n[::-1])
    assert sorted(shuffled, key=name_key) == ROSTER


@pytest.mark.parametrize("a, b", [
    ("Trần Thị Dung", "Trần Thị Đào"),  # d before đ, whatever follows
    ("Lê Văn Út", "Lê Văn Ưng"),  # u before ư
    ("Hồ Thị O", "Hồ Thị Ô"), ("Hồ Thị Ô", "Hồ Thị Ơ"),
    ("Lê A", "Lê Ă"), ("Lê Ă", "Lê Â"),
    ("Mai Ca", "Mai Cà"), ("Mai Cà", "Mai Cả"), ("Mai Cả", "Mai Cã"), ("Mai Cã", "Mai Cá"), ("Mai Cá", "Mai Cạ"),
])
def test_letter_and_tone_order(a, b):
    assert name_key(a) < name_key(b)


def test_case_spacing_and_composition_do_not_matter():
    decomposed = "Nguye\u0302\u0303n Va\u0306n Đa\u0300o"
    assert name_key("NGUYỄN  VĂN   ĐÀO") == name_key("nguyễn văn đào") == name_key(decomposed)
    assert name_key("") == name_key(None) == ""
    assert name_key("Hoàng-Anh") == name_key("HoàngAnh")
    assert len(name_key("Nguyễn " * 40)) <= 700
    assert name_key("Lê 2") > name_key("Lê Zũ")  # digits after every letter


async def test_sql_orders_and_pages_like_python(session):
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward)
    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell, ward)
    session.add_all([Member(full_name=n, cell_id=cell.id) for n in sorted(ROSTER, key=len)])
    await session.commit()
    first, total = await members_under(session, ward.path, 0, 10)
    second, _ = await members_under(session, ward.path, 10, 10)
    assert total == len(ROSTER)
    assert [m.full_name for m in first + second] == ROSTER

    # A renamed member moves with the name.
    renamed = first[0]
    renamed.full_name = "Lê Thị Ý"
    await session.commit()
    names = [m.full_name for m in (await members_under(session, ward.path, 0, 50))[0]]
    assert names[-3:] == ["Lê Thị Ý", "Nguyễn Văn Yến", "Phạm Anh Zũng"] and "Lê An" not in names


async def test_importer_fills_and_updates_the_key(session, tmp_path):
    header = "Họ và tên,Số thẻ đảng,Chi bộ,Đảng bộ\n"
    f = tmp_path / "ds.csv"
    f.write_text(header + "Trần Thị Đào,001,Chi bộ 1,Đảng bộ phường An Cựu\nLê Thị Dung,002,Chi bộ 1,Đảng bộ phường An Cựu\n",
                 encoding="utf-8")
    report = await import_members(session, read_member_file(f))
    assert report.errors == []
    await session.commit()
    rows = (await session.execute(select(Member.full_name, Member.sort_name).order_by(Member.sort_name))).all()
    assert [n for n, _ in rows] == ["Lê Thị Dung", "Trần Thị Đào"]
    assert all(key == name_key(n) for n, key in rows)

    f.write_text(header + "Trần Thị Đào,001,Chi bộ 1,Đảng bộ phường An Cựu\nLê Thị Yến,002,Chi bộ 1,Đảng bộ phường An Cựu\n",
                 encoding="utf-8")
    report = await import_members(session, read_member_file(f))
    assert report.errors == [] and report.updated == 1
    await session.commit()
    rows = (await session.execute(select(Member.full_name, Member.sort_name).order_by(Member.sort_name))).all()
    assert [n for n, _ in rows] == ["Trần Thị Đào", "Lê Thị Yến"]
    assert all(key == name_key(n) for n, key in rows)


async def test_migration_gives_existing_members_their_key(db_url):
    """A database from before the column: the upgrade fills the key of every member already there."""
    await migrate.upgrade(db_url, "0001")
    engine = make_engine(db_url)
    try:
        from sqlalchemy import column, insert, table

        units = table("units", column("id"), column("name"), column("kind"), column("path"), column("exempt_counted"))
        members = table("members", column("id"), column("full_name"), column("cell_id"), column("exempt"))
        async with engine.begin() as conn:
            await conn.execute(insert(units).values(id=1, name="Chi bộ 1", kind="cell", path="/1/", exempt_counted=True))
            await conn.execute(insert(members), [{"id": i, "full_name": n, "cell_id": 1, "exempt": False}
                                                 for i, n in enumerate(reversed(ROSTER), start=1)])
        await migrate.upgrade(db_url)
        async with engine.connect() as conn:
            names = (await conn.execute(select(Member.full_name).order_by(Member.sort_name))).scalars().all()
            assert names == ROSTER
            await conn.execute(update(Member).values(full_name="x").where(Member.id < 0))  # the column is usable
    finally:
        await engine.dispose()


def test_unit_names_in_order_with_numbers_by_value():
    names = ["Chi bộ An Cựu", "Chi bộ Ấn", "Chi bộ Dương Nỗ", "Chi bộ Đông Ba", "Chi bộ Tổ 2 khu 9",
             "Chi bộ Tổ 2 khu 10", "Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2", "Chi bộ Tổ dân phố 10"]
    assert sorted(reversed(names), key=title_key) == names
    assert title_key("CHI BỘ  tổ 2") == title_key("Chi bộ Tổ 2")
