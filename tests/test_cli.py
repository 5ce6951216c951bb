"""The `handbook` command as an administrator uses it from a shell."""
from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from bot.cli import main
from models import migrate
from models.accounts import Account, Invite
from models.db import make_engine, make_sessionmaker
from models.members import Member
from models.roles import Role

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli_env(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("HANDBOOK_DATABASE_URL", db_url)
    monkeypatch.delenv("HANDBOOK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("HANDBOOK_SEAL_KEY", raising=False)
    monkeypatch.delenv("HANDBOOK_DEFAULT_LANGUAGE", raising=False)
    migrate.upgrade_sync(db_url)  # PostgreSQL is only ever upgraded on purpose (see test_schema)
    return db_url


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def query(url: str, stmt):
    async def go():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as s:
                return (await s.execute(stmt)).all()
        finally:
            await engine.dispose()

    return asyncio.run(go())


def count_members(url: str) -> int:
    return query(url, select(func.count()).select_from(Member))[0][0]


def dump_members(url: str) -> list[tuple]:
    return query(url, select(Member.card_number, Member.full_name, Member.phone, Member.birth_date, Member.cell_id)
                 .order_by(Member.card_number))


def test_import_good_file_then_reimport_changes_nothing(cli_env):
    first = run("import-members", str(FIXTURES / "members_good.csv"))
    assert first.exit_code == 0, first.output
    created = count_members(cli_env)
    assert created >= 5 and "Đã nhập xong" in first.output
    snapshot = dump_members(cli_env)
    again = run("import-members", str(FIXTURES / "members_good.csv"))
    assert again.exit_code == 0
    assert "0 đảng viên mới, 0 được cập nhật" in again.output
    assert dump_members(cli_env) == snapshot


def test_bad_file_changes_nothing_and_lists_every_bad_row(cli_env):
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    snapshot = dump_members(cli_env)
    result = CliRunner().invoke(main, ["import-members", str(FIXTURES / "members_bad.csv")])
    assert result.exit_code == 1
    out = result.output
    for row, words in [(3, "31/02/1950"), (4, "giới tính"), (5, "trùng"), (6, "họ và tên"), (7, "điện thoại")]:
        assert re.search(rf"Dòng {row}: .*{words}", out, re.I), (row, out)
    assert dump_members(cli_env) == snapshot


def test_not_a_table_is_refused(cli_env, tmp_path):
    junk = tmp_path / "photo.csv"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    result = CliRunner().invoke(main, ["import-members", str(junk)])
    assert result.exit_code == 2 and "không phải bảng" in result.output
    assert count_members(cli_env) == 0


def test_invite_prints_a_code_that_is_stored_hashed(cli_env):
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    result = run("invite", "07.000101")
    assert result.exit_code == 0, result.output
    code = re.search(r"(?:start=|/start )([A-Z0-9]+)", result.output)[1]
    hashes = [h for (h,) in query(cli_env, select(Invite.code_hash))]
    assert len(hashes) == 1 and code not in hashes[0]
    assert run("invite", "Không Ai Cả").exit_code == 2
    revoked = run("invite", "07.000101", "--revoke")
    assert revoked.exit_code == 0 and "1" in revoked.output
    assert [r for (r,) in query(cli_env, select(Invite.revoked_at))][0] is not None


def test_invite_link_names_the_bot_of_the_setting_or_says_how_to_set_it(cli_env, monkeypatch):
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    monkeypatch.setenv("HANDBOOK_INVITE_TTL_DAYS", "3")
    result = CliRunner().invoke(main, ["invite", "07.000101"])
    assert result.exit_code == 0 and "hết hạn sau 3 ngày" in result.output
    assert "https://t.me/" not in result.output and "<bot username>" not in result.output
    code = re.search(r"Mã mời cho đồng chí .*?: ([A-Z0-9]{12})", result.output)[1]
    assert "HANDBOOK_BOT_USERNAME" in result.output and f"/start {code}" in result.output
    [(expires, created)] = query(cli_env, select(Invite.expires_at, Invite.created_at).where(Invite.revoked_at.is_(None)))
    assert round((expires - created).total_seconds() / 86400) == 3

    monkeypatch.setenv("HANDBOOK_BOT_USERNAME", "@chibo_phuhoi_bot")  # as @BotFather writes it; no getMe asked
    monkeypatch.setenv("HANDBOOK_BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("HANDBOOK_TELEGRAM_API_URL", "http://127.0.0.1:9")  # nothing listens: would fail
    result = CliRunner().invoke(main, ["invite", "07.000101"])
    assert result.exit_code == 0 and re.search(r"^https://t\.me/chibo_phuhoi_bot\?start=[A-Z0-9]{12}$", result.output, re.M)
    monkeypatch.setenv("HANDBOOK_BOT_USERNAME", "t.me/chibo")
    bad = CliRunner().invoke(main, ["invite", "07.000101"])
    assert bad.exit_code != 0 and "HANDBOOK_BOT_USERNAME" in str(bad.exception)


def execute(url: str, stmt) -> None:
    async def go():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as s:
                await s.execute(stmt)
                await s.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_invite_for_a_linked_member_asks_for_relink_then_makes_a_relink_code(cli_env):
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    [(member_id,)] = query(cli_env, select(Member.id).where(Member.card_number == "07.000101"))
    [(phone,)] = query(cli_env, select(Member.phone).where(Member.id == member_id))
    execute(cli_env, insert(Account).values(telegram_user_id=4242, member_id=member_id, language="vi",
                                            linked_at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC)))
    asked = CliRunner().invoke(main, ["invite", "07.000101"])
    assert asked.exit_code == 1
    assert "05/03/2026" in asked.output and "--relink" in asked.output and "start=" not in asked.output
    assert phone not in asked.output
    assert query(cli_env, select(Invite.id)) == []
    made = run("invite", "07.000101", "--relink")
    assert made.exit_code == 0, made.output
    assert re.search(r"(?:start=|/start )([A-Z0-9]+)", made.output) and "05/03/2026" in made.output
    assert query(cli_env, select(Invite.relink, Invite.created_by_member_id)) == [(True, None)]


def test_grant_a_role_on_a_unit(cli_env):
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    result = run("grant", "07.000101", "secretary", "Chi bộ Tổ dân phố 1")
    assert result.exit_code == 0 and "Bí thư" in result.output
    assert len(query(cli_env, select(Role))) == 1
    assert "Không có gì thay đổi" in run("grant", "07.000101", "secretary", "Chi bộ Tổ dân phố 1").output
    assert run("grant", "07.000101", "secretary", "Không có đơn vị này").exit_code == 2
    assert run("grant", "07.000101", "secretary", "Chi bộ Tổ dân phố 1", "--revoke").exit_code == 0
    assert query(cli_env, select(Role)) == []


@pytest.mark.parametrize("unit", ["²", "99999999999"])
def test_grant_on_a_unit_id_that_cannot_be_is_not_found(cli_env, unit):
    """Regression: "handbook grant 07.000101 secretary ²" raised ValueError (str.isdigit() took "²"), and
    "99999999999" went to PostgreSQL as a units.id, which refused it (value out of int32 range)."""
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    assert run("grant", "07.000101", "secretary", unit).exit_code == 2
    assert query(cli_env, select(Role)) == []


def test_members_and_units_are_named_without_case_or_diacritics(cli_env):
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    for name in ("TRẦN THỊ BÌNH", "tran thi binh", "Tra\u0300n Thị Bình"):
        result = run("invite", name)
        assert result.exit_code == 0 and re.search(r"(?:start=|/start )[A-Z0-9]{12}", result.output), name
    granted = run("grant", "pham thi dung", "secretary", "CHI BO TO DAN PHO 2")
    assert granted.exit_code == 0, granted.output
    assert len(query(cli_env, select(Role))) == 1


def test_backup_of_sqlite(cli_env, tmp_path):
    if not cli_env.startswith("sqlite"):
        result = CliRunner().invoke(main, ["backup", str(tmp_path / "b.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    target = tmp_path / "backup.db"
    assert run("backup", str(target)).exit_code == 0
    copy = sqlite3.connect(target)
    assert copy.execute("select count(*) from members").fetchone()[0] == count_members(cli_env)
    copy.close()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert CliRunner().invoke(main, ["backup", str(target)]).exit_code != 0  # never overwrites


def test_db_upgrade(cli_env):
    result = run("db", "upgrade")
    assert result.exit_code == 0 and migrate.head_revision() in result.output


def test_run_without_a_token_says_which_setting(cli_env):
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code != 0 and "HANDBOOK_BOT_TOKEN" in str(result.output) + str(result.exception)


# What `handbook invite` and `grant` load: the commands an administrator runs for each cell, member by member.
LOADED = """
import json, sys
from bot.cli import main
codes = []
for args in sys.argv[1:]:
    try:
        main(json.loads(args), standalone_mode=False)
    except SystemExit as exc:
        codes.append(exc.code)
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""
HEAVY = ("matplotlib", "telegram", "gtts", "alembic", "openpyxl", "rich", "audio", "babel")


def test_invite_and_grant_load_neither_the_bot_nor_its_charts(cli_env, tmp_path):
    """Each command imports what it uses: no handlers (matplotlib, PTB, gTTS behind them), no alembic, no importer."""
    assert run("import-members", str(FIXTURES / "members_good.csv")).exit_code == 0
    commands = [["invite", "07.000101"], ["grant", "07.000102", "deputy", "Chi bộ Tổ dân phố 1"]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", LOADED, *map(json.dumps, commands)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["codes"] == [0, 0]
    assert len(query(cli_env, select(Invite.code_hash))) == 1 and len(query(cli_env, select(Role))) == 1
    heavy = [m for m in result["modules"] if m.split(".")[0] in HEAVY]
    assert heavy == [], f"loaded by invite/grant: {sorted({m.split('.')[0] for m in heavy})} ({heavy[:5]}…)"
    assert {m for m in result["modules"] if m.split(".")[0] == "handlers"} <= {"handlers", "handlers.i18n"}
    # Only the tables they touch (models/__init__.py registers none by itself), and SQLite's dialect alone.
    unused = {"models.votes", "models.meetings", "models.notices", "models.bulletins", "models.feedback"}
    if cli_env.startswith("sqlite"):
        unused.add("sqlalchemy.dialects.postgresql")
    assert unused.isdisjoint(result["modules"]), sorted(unused & set(result["modules"]))


async def test_invite_link_names_the_bot_without_loading_telegram(cli_env, tmp_path):
    """With the token set, the deep link carries the bot's username, asked with one plain getMe."""
    from sandbox import Emulator, start_server

    assert (await asyncio.to_thread(run, "import-members", str(FIXTURES / "members_good.csv"))).exit_code == 0
    emulator = Emulator()
    runner, api = await start_server(emulator)
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HANDBOOK_BOT_TOKEN": emulator.token,
               "HANDBOOK_TELEGRAM_API_URL": api}
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", LOADED, json.dumps(["invite", "07.000101"]),
                                                    cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        await runner.cleanup()
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert f"https://t.me/{emulator.username}?start=" in "\n".join(lines)
    result = json.loads(lines[-1])
    assert result["codes"] == [0] and not [m for m in result["modules"] if m.split(".")[0] == "telegram"]


def test_run_without_a_seal_key_says_how_to_make_one_and_starts_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("HANDBOOK_BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("HANDBOOK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    monkeypatch.delenv("HANDBOOK_SEAL_KEY", raising=False)
    result = CliRunner().invoke(main, ["run"])
    message = str(result.exception)
    assert result.exit_code != 0 and "HANDBOOK_SEAL_KEY is missing" in message
    assert "secrets.token_urlsafe(32)" in message and "\n" not in message
    assert not (tmp_path / "h.db").exists()  # stopped before touching anything
