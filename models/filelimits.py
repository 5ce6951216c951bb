"""How big an uploaded member list may be, and the checks that keep a hostile file from freezing the bot.

An XLSX is a zip: 1 MB of it can inflate to gigabytes ("a decompression bomb"), and a zip may
declare a small `file_size` for an entry that inflates far beyond it. So before openpyxl sees a
workbook, `check_zip` checks what the zip declares (the sum of the entries' sizes, each entry's
compression ratio, the number of entries) and then what it really holds: it inflates every entry
itself, counting the bytes, and stops at the limit. The rows are counted while they are read
(`Sheet.rows` in importer/reading.py), so a sheet of a million rows stops at the limit too.

The limits are module attributes read at every call (tests lower them). They are stated in README.md:
a member list of MAX_ROWS rows, as `handbook export` writes it, passes every one of them, and reading
and checking it stays under +150 MB of memory (measured: a dry-run import of 100,000 members from
their export, +111 MB peak; 200,000 took +189 MB, hence this row limit).
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

MB = 1024 * 1024
# The file as sent or named on the command line (Telegram lets a bot download 20 MB at most).
MAX_FILE_BYTES = 20 * MB
# Everything in an XLSX once inflated: `handbook export` of MAX_ROWS members is ~85 MB.
MAX_INFLATED_BYTES = 128 * MB
# The shared strings (every text of an Excel-saved sheet) are all held in memory as openpyxl opens the
# workbook, ~8× their size for the shortest strings: 100,000 rows from Excel need ~15 MB.
MAX_SHARED_STRINGS_BYTES = 16 * MB
# Data rows (blank rows aside) in one sheet or CSV: every row is held in memory until the file is checked.
MAX_ROWS = 100_000
# An entry may inflate this many times its compressed size (a sheet is ~15×; a bomb thousands)…
MAX_RATIO = 100
# …unless it stays small anyway (a theme or a style sheet of repeated words).
RATIO_FLOOR_BYTES = 1 * MB
# A workbook has a dozen entries; thousands only make the central directory expensive.
MAX_ZIP_ENTRIES = 1_000
# Excel's last row: openpyxl yields a blank row for every number skipped, so a row numbered 10⁹ is a loop.
MAX_ROW_NUMBER = 1_048_576

_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


class UnreadableFile(Exception):
    """The file is not a member list at all (or not one we will read); nothing was read from it.

    `code`: empty, not_a_table, old_excel, encoding, no_header, missing_name_column,
    missing_card_column, or one of FileTooLarge's. `detail`: the sheet concerned, when there is one.
    """

    def __init__(self, code: str, detail: str | None = None):
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail


class FileTooLarge(UnreadableFile):
    """Over a limit: `code` too_large (bytes of the file, `limit` in MB), too_inflated (bytes inside the
    zip, in MB) or too_many_rows (`limit` rows, `detail` the sheet)."""

    def __init__(self, code: str, limit: int, detail: str | None = None):
        super().__init__(code, detail)
        self.limit = limit


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FileTooLarge("too_large", MAX_FILE_BYTES // MB)


def check_zip(data: bytes) -> None:
    """Refuse a zip that declares, or really holds, more than the limits; inflates nothing past them."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise UnreadableFile("not_a_table") from exc
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_INFLATED_BYTES:
        raise _inflated()
    for entry in entries:
        if _too_compressed(entry.file_size, entry.compress_size) or entry.file_size > _entry_limit(entry):
            raise _inflated()
    view = memoryview(data)
    total = 0
    for entry in entries:
        # No further than the total left, the entry's own limit, or its ratio allows: a liar stops early.
        ratio_allows = max(RATIO_FLOOR_BYTES, MAX_RATIO * entry.compress_size)
        size = _inflated_size(view, entry, min(MAX_INFLATED_BYTES - total, _entry_limit(entry), ratio_allows))
        if size != entry.file_size:  # a zip that lies about its sizes is broken, whatever it holds
            raise UnreadableFile("not_a_table")
        total += size


def _entry_limit(entry: zipfile.ZipInfo) -> int:
    if entry.filename.lower().endswith("sharedstrings.xml"):
        return MAX_SHARED_STRINGS_BYTES
    return MAX_INFLATED_BYTES


def _inflated() -> FileTooLarge:
    return FileTooLarge("too_inflated", MAX_INFLATED_BYTES // MB)


def _too_compressed(size: int, compressed: int) -> bool:
    return size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(compressed, 1)


def _inflated_size(view: memoryview, entry: zipfile.ZipInfo, allowance: int) -> int:
    """The bytes the entry really inflates to, counted chunk by chunk; FileTooLarge past `allowance`."""
    start = entry.header_offset
    header = bytes(view[start:start + _LOCAL_HEADER.size])
    if len(header) < _LOCAL_HEADER.size or entry.flag_bits & 0x1:  # truncated, or encrypted
        raise UnreadableFile("not_a_table")
    signature, *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise UnreadableFile("not_a_table")
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    raw: bytes | memoryview = view[begin:begin + entry.compress_size]
    if entry.compress_type == zipfile.ZIP_STORED:
        if len(raw) > allowance:
            raise _inflated()
        return len(raw)
    if entry.compress_type != zipfile.ZIP_DEFLATED:  # Excel and LibreOffice only ever deflate
        raise UnreadableFile("not_a_table")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    try:
        for offset in range(0, len(raw), _CHUNK):
            pending = raw[offset:offset + _CHUNK]
            while not inflater.eof:
                out = len(inflater.decompress(pending, _CHUNK))
                size += out
                if size > allowance:
                    raise _inflated()
                pending = inflater.unconsumed_tail
                if not pending and out < _CHUNK:  # input used up and nothing more waiting
                    break
            if inflater.eof:
                break
    except zlib.error as exc:
        raise UnreadableFile("not_a_table") from exc
    if not inflater.eof:
        raise UnreadableFile("not_a_table")
    return size


def check_row(count: int, number: int, sheet: str) -> None:
    """`count` rows with data read so far, the last numbered `number`: refuse past the limits."""
    if count > MAX_ROWS or number > MAX_ROW_NUMBER:
        raise FileTooLarge("too_many_rows", MAX_ROWS, sheet)
