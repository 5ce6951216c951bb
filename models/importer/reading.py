"""Reading a member file within the limits of filelimits.py: CSV or XLSX recognised, its header row,
columns and sub-sheets found, without touching the database."""
from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import filelimits
from ..filelimits import UnreadableFile
from .columns import HEADER_INDEX, JOINED_FIELDS, SHEET_INDEX, SheetKind, canonical_header, clean_text, fold

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

# A header row found: (index, columns by field, headers as written, English?).
Header = tuple[int, dict[str, tuple[int, ...]], dict[str, str], bool]
HEADER_SEARCH_ROWS = 30


@dataclass
class Sheet:
    """One table of the file: the member list, or a work-history, awards or discipline list."""

    name: str  # the sheet's title, or the file name for a CSV
    kind: SheetKind
    header_row: int
    columns: dict[str, tuple[int, ...]]  # field -> column positions
    headers: dict[str, str]  # field -> the header as written in the file
    english: bool
    row_estimate: int
    open_rows: Callable[[], Iterator[Sequence[object]]] = field(repr=False)

    def column(self, fld: str) -> str:
        """How the user's file calls a column (or would call it, when it is missing)."""
        return self.headers.get(fld) or canonical_header(self.kind, fld, self.english)

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(row number as the spreadsheet shows it, field -> cell) for every row that is not blank."""
        number = self.header_row
        count = 0
        for cells in self.open_rows():
            number += 1
            values = {fld: _pick(cells, positions, fld) for fld, positions in self.columns.items()}
            if any(v is not None and v != "" for v in values.values()):
                count += 1
                filelimits.check_row(count, number, self.name)
                yield number, values
            elif number > filelimits.MAX_ROW_NUMBER:
                filelimits.check_row(count, number, self.name)


def _pick(cells: Sequence[object], positions: tuple[int, ...], fld: str) -> object:
    if len(positions) == 1 or fld not in JOINED_FIELDS:
        p = positions[0]
        value = cells[p] if p < len(cells) else None
        return value.strip() if isinstance(value, str) else value
    parts = [clean_text(cells[p], True) for p in positions if p < len(cells)]
    return " – ".join(part for part in parts if part)


@dataclass
class ParsedFile:
    filename: str
    format: str  # "csv" or "xlsx"
    members: Sheet | None  # None for a CSV holding only a work-history, awards or discipline list
    extras: list[Sheet] = field(default_factory=list)


def read_member_file(path_or_bytes: str | Path | bytes, filename: str | None = None) -> ParsedFile:
    """Recognise a member list (or, for CSV, one sub-list); raises UnreadableFile(code).

    Over the limits of filelimits.py it raises FileTooLarge: here for the file's bytes and what an
    XLSX inflates to, later (while `Sheet.rows` is read) for the rows. Blocking: see load_member_file.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        filelimits.check_file_size(len(path_or_bytes))
        data = bytes(path_or_bytes)
        filename = filename or "members"
    else:
        path = Path(path_or_bytes)
        filelimits.check_file_size(path.stat().st_size)
        data = path.read_bytes()
        filelimits.check_file_size(len(data))
        filename = filename or path.name
    kind = _sniff(data)
    if kind == "xlsx":
        filelimits.check_zip(data)
        return _read_xlsx(data, filename)
    return _read_csv(data, filename)


async def load_member_file(path_or_bytes: str | Path | bytes, filename: str | None = None) -> ParsedFile:
    """read_member_file in a worker thread: opening a large workbook takes seconds nobody else waits for."""
    return await asyncio.to_thread(read_member_file, path_or_bytes, filename)


_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"BM", b"RIFF", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"OggS", b"ID3")


def _sniff(data: bytes) -> str:
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise UnreadableFile("empty")
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("old_excel")  # Excel 97-2003 .xls: ask for "Save as .xlsx"
    if data.startswith(_BINARY_MAGIC):
        raise UnreadableFile("not_a_table")
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and _looks_binary(data[:8192]):
        raise UnreadableFile("not_a_table")
    return "csv"


_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")


def _looks_binary(head: bytes) -> bool:
    # Text has no NUL and hardly any control bytes; images, archives and noise have plenty.
    controls = sum(1 for b in head if b < 0x20 and b not in _TEXT_CONTROLS)
    return b"\x00" in head or controls > 8 + len(head) // 100


# ---- CSV


def _csv_encoding(data: bytes) -> str:
    # Excel's "Unicode text" export is UTF-16 with a BOM; everything else we accept is UTF-8.
    return "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"


def _read_csv(data: bytes, filename: str) -> ParsedFile:
    encoding = _csv_encoding(data)
    try:
        head = data[:65536].decode(encoding, errors="strict") if len(data) <= 65536 else None
        if head is None:
            data.decode(encoding)  # the whole file must decode; keep only the bytes
            head = data[:65536].decode(encoding, errors="ignore")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("encoding") from exc
    head_rows = {d: _csv_head(head, d) for d in (";", "\t", ",")}
    found = _best_header(head_rows, _kind_hint(filename))
    if found is None:
        raise UnreadableFile(_why_no_header(head_rows.values()))
    kind, delimiter, (index, columns, headers, english) = found

    def open_rows() -> Iterator[Sequence[object]]:
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
        reader = csv.reader(stream, delimiter=delimiter)
        for _ in range(index + 1):
            next(reader, None)
        return reader

    try:
        count = sum(1 for _ in open_rows())
    except csv.Error as exc:
        raise UnreadableFile("not_a_table") from exc
    sheet = Sheet(filename, kind, index + 1, columns, headers, english, count, open_rows)
    if kind is SheetKind.members:
        return ParsedFile(filename, "csv", sheet)
    return ParsedFile(filename, "csv", None, [sheet])


def _best_header(head_rows: dict[str, list[list[str]]], hint: SheetKind | None) -> tuple[SheetKind, str, Header] | None:
    """A member list if the name column is there; else the sub-list whose columns fit best."""
    for kinds in ([SheetKind.members], [k for k in SheetKind if k is not SheetKind.members]):
        found = [
            (len(header[1]) + (kind is hint), kind, delimiter, header)
            for kind in kinds
            for delimiter, rows in head_rows.items()
            if (header := _find_header(rows, kind)) is not None
        ]
        if found:
            _, kind, delimiter, header = max(found, key=lambda f: f[0])
            return kind, delimiter, header
    return None


def _csv_head(text: str, delimiter: str) -> list[list[str]]:
    # Records, not lines: a quoted title cell may span lines, and rows are numbered by record.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [row for row, _ in zip(reader, range(HEADER_SEARCH_ROWS), strict=False)]
    except csv.Error:
        return []


def _kind_hint(filename: str) -> SheetKind | None:
    folded = fold(Path(filename).stem)
    for name, kind in SHEET_INDEX.items():
        if name in folded:
            return kind
    return None


# ---- XLSX


def _read_xlsx(data: bytes, filename: str) -> ParsedFile:
    import openpyxl  # only when a workbook comes: it is slow to import

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook (a .docx, a broken file)
        raise UnreadableFile("not_a_table") from exc
    if not book.worksheets:
        raise UnreadableFile("no_header")
    first, *others = book.worksheets
    members = _xlsx_sheet(first, SheetKind.members)
    extras = []
    for ws in others:
        kind = SHEET_INDEX.get(fold(ws.title))
        if kind is not None:
            extras.append(_xlsx_sheet(ws, kind))
    return ParsedFile(filename, "xlsx", members, extras)


def _xlsx_sheet(ws: ReadOnlyWorksheet, kind: SheetKind) -> Sheet:
    estimate_to = ws.max_row or 0
    # Some programs write a wrong size ("A1") into the sheet: read what is there instead.
    ws.reset_dimensions()
    # types-openpyxl gives ReadOnlyWorksheet the iter_rows of Worksheet, self type included: [misc] below.
    head = [list(r) for r in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]  # type: ignore[misc]
    header = _find_header(head, kind)
    if header is None:
        if kind is SheetKind.members:
            raise UnreadableFile(_why_no_header([head]), ws.title)
        raise UnreadableFile("missing_card_column" if _known_count(head, kind) else "no_header", ws.title)
    index, columns, headers, english = header

    def open_rows() -> Iterator[Sequence[object]]:
        rows: Iterator[Sequence[object]] = ws.iter_rows(min_row=index + 2, values_only=True)  # type: ignore[misc]
        return rows

    estimate = max(estimate_to - index - 1, 0)
    return Sheet(ws.title, kind, index + 1, columns, headers, english, estimate, open_rows)


# ---- the header row


def _find_header(rows: Sequence[Sequence[object]], kind: SheetKind) -> Header | None:
    """The first row naming the key column: (index, columns, headers as written, English?)."""
    key = "full_name" if kind is SheetKind.members else "card_number"
    for index, row in enumerate(rows):
        columns: dict[str, list[int]] = {}
        headers: dict[str, str] = {}
        english_votes = 0
        for position, cell in enumerate(row):
            if cell is None or not str(cell).strip():
                continue
            hit = HEADER_INDEX[kind].get(fold(cell))
            if hit is None:
                continue
            fld, english = hit
            if fld in columns and fld not in JOINED_FIELDS:
                continue  # the first of two same columns wins
            columns.setdefault(fld, []).append(position)
            headers.setdefault(fld, clean_text(cell))
            english_votes += 1 if english else -1
        if key in columns and (kind is SheetKind.members or len(columns) >= 2):
            return index, {f: tuple(p) for f, p in columns.items()}, headers, english_votes > 0
    return None


def _known_count(rows: Iterable[Sequence[object]], kind: SheetKind) -> int:
    return max((sum(1 for c in row if c is not None and fold(c) in HEADER_INDEX[kind]) for row in rows), default=0)


def _why_no_header(heads: Iterable[Sequence[Sequence[object]]]) -> str:
    known = max((_known_count(rows, SheetKind.members) for rows in heads), default=0)
    return "missing_name_column" if known >= 2 else "no_header"
