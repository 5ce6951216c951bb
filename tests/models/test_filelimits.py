"""Hostile member lists: decompression bombs, lying zips, too many rows, too many bytes — and reading off the loop."""
from __future__ import annotations

import asyncio
import functools
import io
import struct
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from models import filelimits, importer
from models.base import Base
from models.filelimits import FileTooLarge, UnreadableFile
from models.importer import import_members, load_member_file, read_member_file

HEADER = ["Họ và tên", "Ngày sinh", "Số điện thoại", "Số thẻ đảng", "Chi bộ", "Đảng bộ"]
SHEET = "xl/worksheets/sheet1.xml"


async def dump(session) -> dict[str, list[tuple]]:
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        out[table.name] = [tuple(r) for r in rows]
    return out


@functools.cache
def workbook(rows: int) -> bytes:
    """A plain member list of `rows` members, as Excel or openpyxl write it."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    for n in range(rows):
        ws.append([f"Nguyễn Văn {n}", "05/12/1950", f"0905 {n:06d}"[:12], f"07.{n:06d}", "Chi bộ 1", "Đảng bộ phường Phú Hội"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=4)
def padded(xlsx: bytes, padding: int) -> bytes:
    """The same workbook with `padding` spaces inside its sheet: valid XML, a few KB zipped, huge inflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename != SHEET:
                dst.writestr(item.filename, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            info = zipfile.ZipInfo(SHEET)
            info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(info, "w", force_zip64=True) as f:
                f.write(head + b"<sheetData>")
                chunk = b" " * (1024 * 1024)
                for _ in range(padding // len(chunk)):
                    f.write(chunk)
                f.write(tail)
    return out.getvalue()


def declaring(xlsx: bytes, name: str, size: int) -> bytes:
    """The zip with entry `name` declaring `size` uncompressed bytes, in both its headers, whatever it holds."""
    data = bytearray(xlsx)
    encoded = name.encode()
    central = data.find(b"PK\x01\x02")  # the first central directory header…
    while True:  # …then the one naming the entry
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + name_length]) == encoded:
            break
        central = data.find(b"PK\x01\x02", central + 4)
        assert central > 0
    struct.pack_into("<L", data, central + 24, size)
    local = struct.unpack_from("<L", data, central + 42)[0]
    struct.pack_into("<L", data, local + 22, size)
    return bytes(data)


# ---------------------------------------------------------------- zip bombs


def test_a_bomb_declaring_its_size_is_refused_before_openpyxl_reads_it(monkeypatch):
    opened = []
    monkeypatch.setattr(importer.reading, "_read_xlsx", lambda *a: opened.append(a))
    bomb = padded(workbook(3), 200 * filelimits.MB)  # inflates past the 128 MB limit
    assert len(bomb) < filelimits.MB
    with pytest.raises(FileTooLarge) as info:
        read_member_file(bomb, "danh_sach.xlsx")
    assert (info.value.code, info.value.limit) == ("too_inflated", filelimits.MAX_INFLATED_BYTES // filelimits.MB)
    assert opened == []


def test_the_declared_total_is_checked_even_where_the_ratio_passes(monkeypatch):
    monkeypatch.setattr(filelimits, "MAX_RATIO", 10_000)
    monkeypatch.setattr(filelimits, "MAX_INFLATED_BYTES", 2 * filelimits.MB)
    with pytest.raises(FileTooLarge) as info:
        read_member_file(padded(workbook(3), 3 * filelimits.MB), "x.xlsx")
    assert info.value.code == "too_inflated"


def test_the_ratio_of_one_entry_is_checked_even_under_the_total(monkeypatch):
    monkeypatch.setattr(filelimits, "RATIO_FLOOR_BYTES", 0)
    bomb = padded(workbook(3), 2 * filelimits.MB)  # ~1000×, far under 128 MB
    with pytest.raises(FileTooLarge):
        read_member_file(bomb, "x.xlsx")


def test_a_bomb_that_lies_about_its_size_is_counted_while_it_inflates():
    honest = workbook(3)
    small = zipfile.ZipFile(io.BytesIO(honest)).getinfo(SHEET).file_size
    liar = declaring(padded(honest, 200 * filelimits.MB), SHEET, small)  # declares a few KB
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo(SHEET).file_size == small
    with pytest.raises(FileTooLarge) as info:
        read_member_file(liar, "x.xlsx")
    assert info.value.code == "too_inflated"


def test_a_zip_lying_under_the_limits_is_not_a_table():
    honest = workbook(3)
    size = zipfile.ZipFile(io.BytesIO(honest)).getinfo(SHEET).file_size
    with pytest.raises(UnreadableFile) as info:
        read_member_file(declaring(honest, SHEET, size - 10), "x.xlsx")
    assert info.value.code == "not_a_table" and not isinstance(info.value, FileTooLarge)


async def test_a_refused_bomb_imports_nothing_and_an_honest_workbook_passes(session):
    before = await dump(session)
    with pytest.raises(FileTooLarge):
        await import_members(session, read_member_file(padded(workbook(3), 200 * filelimits.MB), "x.xlsx"))
    assert await dump(session) == before
    report = await import_members(session, read_member_file(workbook(3), "x.xlsx"))
    assert (report.errors, report.created) == ([], 3)


# ---------------------------------------------------------------- rows and bytes


async def test_a_sheet_over_the_row_limit_is_refused_and_imports_nothing(session, monkeypatch):
    monkeypatch.setattr(filelimits, "MAX_ROWS", 5)
    before = await dump(session)
    parsed = read_member_file(workbook(6), "x.xlsx")
    with pytest.raises(FileTooLarge) as info:
        await import_members(session, parsed)
    assert (info.value.code, info.value.limit, info.value.detail) == ("too_many_rows", 5, "Sheet")
    assert await dump(session) == before
    report = await import_members(session, read_member_file(workbook(5), "x.xlsx"))
    assert report.created == 5


async def test_blank_rows_do_not_count_but_a_row_numbered_past_excels_last_is_refused(session, monkeypatch):
    monkeypatch.setattr(filelimits, "MAX_ROWS", 2)
    monkeypatch.setattr(filelimits, "MAX_ROW_NUMBER", 50)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    ws.append(["An", None, None, None, "Chi bộ 1"])
    ws.cell(row=40, column=1, value="Bình")
    ws.cell(row=40, column=5, value="Chi bộ 1")
    path = io.BytesIO()
    book.save(path)
    assert (await import_members(session, read_member_file(path.getvalue(), "x.xlsx"), dry_run=True)).created == 2
    ws.cell(row=60, column=7, value="ghi chú")  # a stray cell beyond the last row allowed, in no known column
    path = io.BytesIO()
    book.save(path)
    with pytest.raises(FileTooLarge):
        await import_members(session, read_member_file(path.getvalue(), "x.xlsx"), dry_run=True)


async def test_csv_has_a_row_limit_and_a_byte_limit(session, monkeypatch, tmp_path):
    monkeypatch.setattr(filelimits, "MAX_ROWS", 3)
    lines = ["Họ và tên;Chi bộ"] + [f"Người {n};Chi bộ 1" for n in range(4)]
    with pytest.raises(FileTooLarge) as info:
        await import_members(session, read_member_file("\n".join(lines).encode(), "ds.csv"))
    assert info.value.code == "too_many_rows"
    assert (await import_members(session, read_member_file("\n".join(lines[:4]).encode(), "ds.csv"))).created == 3

    monkeypatch.setattr(filelimits, "MAX_FILE_BYTES", 100)
    big = ("Họ và tên;Chi bộ\n" + "Nguyễn Văn An;Chi bộ 1\n" * 5).encode()
    assert len(big) > 100
    with pytest.raises(FileTooLarge) as info:
        read_member_file(big, "ds.csv")
    assert info.value.code == "too_large"
    (tmp_path / "ds.csv").write_bytes(big)
    with pytest.raises(FileTooLarge):
        read_member_file(tmp_path / "ds.csv")


# ---------------------------------------------------------------- off the event loop


async def _while_blocked(monkeypatch, module, name: str, work) -> list[str]:
    """Run `work` with `module.name` blocking until another coroutine has run: it must be off the loop.

    On the loop, the blocked call would hold the loop and the other coroutine could never release it.
    """
    events: list[str] = []
    started, released = threading.Event(), threading.Event()
    original = getattr(module, name)

    def blocking(*args, **kwargs):
        started.set()
        if not released.wait(30):
            raise AssertionError(f"{name} ran on the event loop: nothing else could run meanwhile")
        events.append("checked")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, blocking)

    async def someone_else():
        while not started.is_set():
            await asyncio.sleep(0.01)
        events.append("someone else answered")
        released.set()

    await asyncio.gather(work(), someone_else())
    return events


async def test_the_workbook_is_opened_off_the_event_loop(monkeypatch):
    data = workbook(3)
    parsed = []

    async def work():
        parsed.append(await load_member_file(data, "x.xlsx"))

    events = await _while_blocked(monkeypatch, importer.reading, "_read_xlsx", work)
    assert events[:2] == ["someone else answered", "checked"]
    assert parsed[0].members is not None


async def test_the_rows_are_checked_off_the_event_loop(session, monkeypatch):
    parsed = read_member_file(workbook(3), "x.xlsx")
    reports = []

    async def work():
        reports.append(await import_members(session, parsed, dry_run=True))

    events = await _while_blocked(monkeypatch, importer.apply, "check_member_row", work)
    assert events[0] == "someone else answered" and events.count("checked") == 3
    assert reports[0].created == 3


def test_the_limits_are_stated_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    stated = {
        "MAX_FILE_BYTES": f"{filelimits.MAX_FILE_BYTES // filelimits.MB} MB",
        "MAX_INFLATED_BYTES": f"{filelimits.MAX_INFLATED_BYTES // filelimits.MB} MB",
        "MAX_RATIO": f"{filelimits.MAX_RATIO}×",
        "MAX_SHARED_STRINGS_BYTES": f"{filelimits.MAX_SHARED_STRINGS_BYTES // filelimits.MB} MB",
        "MAX_ROWS": f"{filelimits.MAX_ROWS:,}",
    }
    for name, value in stated.items():
        assert f"| `{name}` | {value} |" in readme, name
