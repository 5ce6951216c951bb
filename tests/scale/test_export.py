"""`handbook export`: the members and their profiles to XLSX, and the importer reads it back unchanged."""
from __future__ import annotations

from pathlib import Path

import openpyxl
from sqlalchemy import select

from models import importer
from models.base import Base
from models.db import make_engine, make_sessionmaker
from models.export import MEMBER_COLUMNS, MEMBERS_SHEET, export_members
from models.importer import HEADERS, SheetKind, import_members, read_member_file
from models.members import Award, Discipline, Member, WorkHistory
from models.units import Unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


async def load(session, *files: Path) -> None:
    for f in files:
        report = await import_members(session, read_member_file(f))
        assert report.ok, report.errors
    await session.commit()


async def profiles(session) -> list[tuple]:
    """Every member with the parts of their profile, without database ids."""
    units = {u.id: u for u in (await session.scalars(select(Unit))).all()}
    out = []
    for m in (await session.scalars(select(Member).order_by(Member.full_name))).all():
        work = (await session.execute(select(WorkHistory.period_from, WorkHistory.period_to, WorkHistory.description)
                                      .where(WorkHistory.member_id == m.id).order_by(WorkHistory.position_no))).all()
        awards = (await session.execute(select(Award.awarded_on, Award.title, Award.decision)
                                        .where(Award.member_id == m.id).order_by(Award.position_no))).all()
        discipline = (await session.execute(select(Discipline.decided_on, Discipline.form, Discipline.reason)
                                            .where(Discipline.member_id == m.id).order_by(Discipline.position_no))).all()
        cell = units[m.cell_id]
        out.append((m.full_name, m.birth_date, m.gender, m.phone, m.card_number, m.joined_on, m.official_on,
                    cell.name, units[cell.parent_id].name if cell.parent_id else None, m.position, m.address,
                    m.exempt, [tuple(r) for r in work], [tuple(r) for r in awards], [tuple(r) for r in discipline]))
    return out


def test_the_export_names_every_column_the_importer_reads():
    assert set(MEMBER_COLUMNS) == set(HEADERS[SheetKind.members])


async def test_export_then_import_round_trip(session, db_url, tmp_path):
    await load(session, FIXTURES / "members.xlsx", FIXTURES / "members_good.csv")
    # A member without a card number keeps their place in the list; their awards cannot be tied to them.
    nameless = (await session.scalars(select(Member).where(Member.card_number.is_(None)))).first()
    if nameless is None:
        nameless = (await session.scalars(select(Member))).first()
        nameless.card_number = None
    session.add(Award(member_id=nameless.id, position_no=0, title="Giấy khen"))
    await session.commit()
    before = await profiles(session)

    path = tmp_path / "export.xlsx"
    report = await export_members(session, path)
    assert report.members == len(before) and report.left_out == 1
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [MEMBERS_SHEET, "Quá trình công tác", "Khen thưởng", "Kỷ luật"]
    assert next(book[MEMBERS_SHEET].iter_rows(values_only=True))[:3] == ("Họ và tên", "Ngày sinh", "Giới tính")

    # Back into the same database: nothing to change.
    again = await import_members(session, read_member_file(path))
    assert again.ok, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(before))
    await session.rollback()
    assert await profiles(session) == before

    # Into an empty database: the same members and profiles (less the one award left out).
    fresh_url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(fresh_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with make_sessionmaker(engine)() as fresh:
            created = await import_members(fresh, read_member_file(path))
            assert created.ok and created.created == len(before)
            await fresh.commit()
            after = await profiles(fresh)
    finally:
        await engine.dispose()
    expected = [row if row[4] is not None or row[0] != nameless.full_name else (*row[:13], [], row[14])
                for row in before]
    assert after == expected


async def test_export_of_one_unit_only(session, tmp_path):
    await load(session, FIXTURES / "members.xlsx", FIXTURES / "members_good.csv")
    cells = (await session.scalars(select(Unit).where(Unit.kind == importer.UnitKind.cell).order_by(Unit.id))).all()
    assert len(cells) >= 2
    report = await export_members(session, tmp_path / "one.xlsx", within=cells[0])
    in_cell = (await session.scalars(select(Member).where(Member.cell_id == cells[0].id))).all()
    assert report.members == len(in_cell) > 0


def test_cli_export_then_import_members_changes_nothing(db_url, tmp_path, monkeypatch):
    import stat

    from click.testing import CliRunner

    from bot.cli import main
    from models import migrate

    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("HANDBOOK_DATABASE_URL", db_url)
    migrate.upgrade_sync(db_url)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    assert run("import-members", str(FIXTURES / "members.xlsx")).exit_code == 0
    target = tmp_path / "members.xlsx"
    result = run("export", str(target))
    assert result.exit_code == 0, result.output
    assert "Exported 3 members" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # personal data
    assert run("export", str(target)).exit_code != 0  # never overwrites
    assert run("export", str(tmp_path / "members.csv")).exit_code != 0
    again = run("import-members", str(target))
    assert again.exit_code == 0 and "3" in again.output
