"""`handbook import-members` and `handbook export` with hostile files: the same limits and cells as the bot."""
from __future__ import annotations

import openpyxl
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from models import filelimits
from models.members import Member
from tests.models.test_filelimits import padded, workbook
from tests.models.test_sheets import HOSTILE, hostile_csv
from tests.test_cli import cli_env, count_members, query, run  # noqa: F401 (cli_env is a fixture)


def test_export_then_dry_run_reads_hostile_values_back_exactly(cli_env, tmp_path):
    source = tmp_path / "ds.csv"
    source.write_bytes(hostile_csv())
    assert run("import-members", str(source)).exit_code == 0
    before = query(cli_env, select(Member.full_name, Member.address, Member.phone).order_by(Member.card_number))
    assert sorted(name for name, *_ in before) == sorted(HOSTILE)

    exported = tmp_path / "export.xlsx"
    result = run("export", str(exported))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(exported)
    assert [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"] == []

    again = run("import-members", str(exported), "--dry-run")
    assert again.exit_code == 0, again.output
    assert f"0 đảng viên mới, 0 sẽ cập nhật, {len(HOSTILE)} không đổi" in again.output
    assert query(cli_env, select(Member.full_name, Member.address, Member.phone).order_by(Member.card_number)) == before


def test_a_bomb_is_refused_with_the_limit_and_nothing_imported(cli_env, tmp_path):
    bomb = tmp_path / "bom.xlsx"
    bomb.write_bytes(padded(workbook(3), 200 * filelimits.MB))
    result = CliRunner().invoke(main, ["import-members", str(bomb)])
    assert result.exit_code == 2
    assert "giải nén" in result.output and f"{filelimits.MAX_INFLATED_BYTES // filelimits.MB} MB" in result.output
    assert count_members(cli_env) == 0


def test_too_many_rows_are_refused_by_the_cli_too(cli_env, tmp_path, monkeypatch):
    monkeypatch.setattr(filelimits, "MAX_ROWS", 2)
    path = tmp_path / "ds.xlsx"
    path.write_bytes(workbook(3))
    result = CliRunner().invoke(main, ["import-members", str(path)])
    assert result.exit_code == 2
    assert "hơn 2 dòng" in result.output
    assert count_members(cli_env) == 0


def test_a_shared_phone_is_a_warning_that_names_rows_not_the_number(cli_env, tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên;Số điện thoại;Chi bộ\nNguyễn Văn An;0905 111 222;Chi bộ 1\n"
                    "Lê Thị Cúc;0905111222;Chi bộ 1\n", encoding="utf-8")
    result = run("import-members", str(path))
    assert result.exit_code == 0
    assert "Dòng 3: trùng số điện thoại với dòng 2" in result.output
    assert "111" not in result.output
    assert count_members(cli_env) == 2
