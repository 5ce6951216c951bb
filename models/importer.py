"""Import the member list a secretary or an administrator already keeps (CSV or XLSX).

Two steps. `read_member_file` recognises the file (format, header row, columns, sub-sheets)
without touching the database. `import_members` checks every row against the rules and the
database first, and writes only when the whole file is right; the caller commits.
"""
from __future__ import annotations

import asyncio
import csv
import enum
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Column, bindparam, delete, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import clock, filelimits
from .collation import name_key as sort_key
from .dates import BadDate, format_date, local_today, parse_date
from .filelimits import FileTooLarge, UnreadableFile
from .members import Award, Discipline, DisciplineForm, Gender, Member, WorkHistory, search_key
from .phones import BadPhone, parse_phone
from .shared_phones import shared_phones
from .text import clean_line
from .text import clean_text as clean_multiline
from .text import fold as search_fold
from .units import Unit, UnitKind

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from sqlalchemy import Row

    from .shared_phones import SharedPhone

MEMBERS = Member.__table__
UNITS = Unit.__table__
WORK = WorkHistory.__table__
AWARDS = Award.__table__
# A data row of a sheet, by field name, as the file had it (text, number, date, bool or empty).
RowValues = dict[str, object]
# A header row found: (index, columns by field, headers as written, English?).
Header = tuple[int, dict[str, tuple[int, ...]], dict[str, str], bool]
Day = date  # "date" is also a RowChecker method, which hides the type inside the class
# A value of a sub-sheet entry as stored, and an entry: its values in the order of ENTRY_COLUMNS.
EntryValue = str | date | DisciplineForm | None
Entry = tuple[EntryValue, ...]
if TYPE_CHECKING:
    # A member as _EXISTING reads it: id, cell_id, path, then MEMBER_FIELDS (read by name).
    ExistingRow = Row[*tuple[Any, ...]]
T = TypeVar("T")
# Column name -> value, for a member's INSERT or UPDATE: each column its own type.
Changes = dict[str, Any]
# Who a row without a card is: name key, birth date, cell.
_Identity = tuple[str, date | None, int | None]
DISCIPLINES = Discipline.__table__

PROGRESS_EVERY = 1_000
WRITE_BATCH = 1_000
# Well under every backend's limit on bound parameters in one IN (...).
LOOKUP_CHUNK = 900
HEADER_SEARCH_ROWS = 30


# ---------------------------------------------------------------- what the caller gets back


class ErrorCode(str, enum.Enum):
    """Why a row was refused; the bot and the CLI render these in the user's language."""

    missing_name = "missing_name"
    bad_date = "bad_date"
    date_order = "date_order"  # joined before birth, official before joined, a date in the future
    unknown_gender = "unknown_gender"
    duplicate_card = "duplicate_card"  # the same card number twice in the file
    duplicate_member = "duplicate_member"  # the same name, birth date and cell twice, without card
    bad_phone = "bad_phone"
    missing_cell = "missing_cell"
    ambiguous_unit = "ambiguous_unit"  # several units carry that name: name the committee too
    out_of_scope = "out_of_scope"
    unknown_card = "unknown_card"  # a sub-sheet card neither in the file nor in the database
    missing_card = "missing_card"  # a sub-sheet row without a card number
    missing_text = "missing_text"  # a work-history or award row without its content
    too_long = "too_long"
    unknown_discipline = "unknown_discipline"
    bad_flag = "bad_flag"  # "Miễn sinh hoạt" neither yes nor no


@dataclass(frozen=True)
class RowError:
    """One refused value: `row` as the spreadsheet shows it (header = 1 when it is the first row)."""

    sheet: str
    row: int
    column: str | None
    code: ErrorCode
    value: str | None = None
    detail: str | None = None  # a finer reason (BadDate's), or the row a duplicate repeats


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    warnings: list[SharedPhone] = field(default_factory=list)  # shared_phones.SharedPhone: imported all the same

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- the words of the columns


class SheetKind(str, enum.Enum):
    members = "members"
    work_history = "work_history"
    awards = "awards"
    discipline = "discipline"


CARD_HEADERS = (
    ("Số thẻ đảng", "Số thẻ đảng viên", "Số thẻ", "Thẻ đảng"),
    ("Card number", "Party card number", "Card no", "Card"),
)
# field -> (Vietnamese headers, English headers); the first of each is how we name it back.
HEADERS: dict[SheetKind, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    SheetKind.members: {
        "full_name": (("Họ và tên", "Họ tên", "Họ và tên đảng viên", "Tên đảng viên"), ("Full name", "Name")),
        "birth_date": (("Ngày sinh", "Ngày tháng năm sinh", "Sinh ngày"), ("Date of birth", "Birth date", "Birthday", "DOB")),
        "gender": (("Giới tính",), ("Gender", "Sex")),
        "phone": (("Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "Di động"), ("Phone", "Phone number", "Mobile", "Telephone")),
        "card_number": CARD_HEADERS,
        "joined_on": (("Ngày vào Đảng", "Ngày kết nạp", "Ngày kết nạp Đảng"), ("Date joined", "Joined", "Joined on", "Admission date")),
        "official_on": (("Ngày chính thức", "Ngày công nhận chính thức"), ("Date official", "Official date", "Official on")),
        "cell": (("Chi bộ", "Tên chi bộ"), ("Cell", "Party cell")),
        "committee": (("Đảng bộ", "Tên đảng bộ"), ("Party committee", "Organisation", "Organization", "Committee")),
        "position": (("Chức vụ",), ("Position",)),
        "address": (("Địa chỉ", "Nơi ở", "Nơi ở hiện nay", "Nơi cư trú"), ("Address",)),
        "exempt": (("Miễn sinh hoạt", "Miễn SH"), ("Exempt", "Exempt from activities")),
    },
    SheetKind.work_history: {
        "card_number": CARD_HEADERS,
        "period_from": (("Từ", "Từ ngày", "Từ năm", "Từ tháng năm"), ("From",)),
        "period_to": (("Đến", "Đến ngày", "Đến năm", "Đến tháng năm"), ("To", "Until")),
        "description": (
            ("Nội dung", "Chức vụ – đơn vị", "Chức vụ, đơn vị", "Chức vụ và đơn vị", "Quá trình công tác"),
            ("Description", "Position and unit", "Details"),
        ),
    },
    SheetKind.awards: {
        "card_number": CARD_HEADERS,
        "awarded_on": (("Ngày", "Ngày khen thưởng", "Ngày quyết định"), ("Date", "Awarded on")),
        "title": (("Hình thức", "Nội dung", "Hình thức khen thưởng", "Hình thức/Nội dung"), ("Award", "Title", "Form")),
        "decision": (("Số quyết định", "Quyết định", "Số QĐ"), ("Decision", "Decision number", "Decision no")),
    },
    SheetKind.discipline: {
        "card_number": CARD_HEADERS,
        "decided_on": (("Ngày", "Ngày kỷ luật", "Ngày quyết định"), ("Date", "Decided on")),
        "form": (("Hình thức", "Hình thức kỷ luật"), ("Form", "Penalty")),
        "reason": (("Lý do", "Nội dung"), ("Reason",)),
    },
}
# Several columns may hold parts of one text ("Hình thức" and "Nội dung"): they are joined.
JOINED_FIELDS = frozenset({"description", "title", "reason"})
MULTILINE_FIELDS = frozenset({"description", "title", "reason"})

SHEET_NAMES = {
    SheetKind.work_history: ("Quá trình công tác", "Work history"),
    SheetKind.awards: ("Khen thưởng", "Awards"),
    SheetKind.discipline: ("Kỷ luật", "Discipline"),
}

GENDERS = {"nam": Gender.male, "male": Gender.male, "m": Gender.male,
           "nu": Gender.female, "female": Gender.female, "f": Gender.female}
DISCIPLINE_FORMS = {
    "khien trach": DisciplineForm.reprimand, "reprimand": DisciplineForm.reprimand,
    "canh cao": DisciplineForm.warning, "warning": DisciplineForm.warning,
    "cach chuc": DisciplineForm.removal, "removal": DisciplineForm.removal,
    "removal from office": DisciplineForm.removal, "dismissal": DisciplineForm.removal,
    "khai tru": DisciplineForm.expulsion, "expulsion": DisciplineForm.expulsion,
}
YES = frozenset({"x", "co", "1", "yes", "y", "true", "mien", "mien sinh hoat", "exempt", "v"})
NO = frozenset({"", "0", "khong", "no", "n", "false"})
CHECK_MARKS = frozenset("✓✔☑☒✗✘")

# ---------------------------------------------------------------- text


_HINTS = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # "Ngày sinh (dd/mm/yyyy)"
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: object) -> str:
    """Compare words ignoring case, spaces, punctuation and Vietnamese diacritics."""
    text = _HINTS.sub(" ", search_fold(str(text)))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def clean_text(value: object, multiline: bool = False) -> str:
    """A cell as the text we store: control characters removed, spaces tidied, NFC."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return format_date(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if multiline:  # models/text.py's normaliser, each line tidied, empty lines dropped
        lines = (clean_line(line) for line in clean_multiline(str(value)).split("\n"))
        return "\n".join(line for line in lines if line)
    return clean_line(str(value))


def name_key(name: str) -> str:
    return name.casefold()


def _header_index(kind: SheetKind) -> dict[str, tuple[str, bool]]:
    """folded header -> (field, is English)."""
    index: dict[str, tuple[str, bool]] = {}
    for fld, (vi, en) in HEADERS[kind].items():
        for header in vi:
            index.setdefault(fold(header), (fld, False))
        for header in en:
            index.setdefault(fold(header), (fld, True))
    return index


HEADER_INDEX = {kind: _header_index(kind) for kind in SheetKind}
SHEET_INDEX = {fold(name): kind for kind, names in SHEET_NAMES.items() for name in names}


def canonical_header(kind: SheetKind, fld: str, english: bool) -> str:
    vi, en = HEADERS[kind][fld]
    return en[0] if english else vi[0]


# ---------------------------------------------------------------- reading a file


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


# ---------------------------------------------------------------- checking the member rows


def _length(column: Column[Any]) -> int:
    """A VARCHAR column's length (a CleanLine passes it through to its String)."""
    length = getattr(column.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{column} has no length")
    return length


LENGTHS = {
    "full_name": _length(MEMBERS.c.full_name),
    "card_number": _length(MEMBERS.c.card_number),
    "position": _length(MEMBERS.c.position),
    "address": _length(MEMBERS.c.address),
    "cell": _length(UNITS.c.name),
    "committee": _length(UNITS.c.name),
    "period_from": _length(WORK.c.period_from),
    "period_to": _length(WORK.c.period_to),
    "decision": _length(AWARDS.c.decision),
}
# The member columns an import compares and writes (cell_id is the placed cell).
MEMBER_FIELDS = ("full_name", "birth_date", "gender", "phone", "card_number", "joined_on", "official_on",
                 "position", "address", "exempt")


@dataclass(slots=True)
class MemberRow:
    """One member row as checked: values normalised, not yet placed or matched."""

    row: int
    full_name: str
    birth_date: date | None
    gender: Gender | None
    phone: str | None
    card_number: str | None
    joined_on: date | None
    official_on: date | None
    position: str | None
    address: str | None
    exempt: bool | None
    cell: str | None
    committee: str | None
    cell_id: int | None = None  # negative: a unit this import will create
    member_id: int | None = None  # the existing member it updates


class RowChecker:
    """Turns raw cells into typed values, collecting a RowError for every value refused."""

    def __init__(self, sheet: Sheet, errors: list[RowError], today: date):
        self.sheet = sheet
        self.errors = errors
        self.today = today
        self.row = 0
        self.failed = False
        self._shared: dict[str, str] = {}

    def start(self, row: int) -> None:
        self.row = row
        self.failed = False

    def refuse(self, fld: str, code: ErrorCode, value: object = None, detail: str | None = None) -> None:
        shown = None if value is None else clean_text(value)
        self.errors.append(RowError(self.sheet.name, self.row, self.sheet.column(fld), code, shown, detail))
        self.failed = True

    def text(self, values: RowValues, fld: str) -> str | None:
        text = clean_text(values.get(fld), fld in MULTILINE_FIELDS)
        limit = LENGTHS.get(fld)
        if limit is not None and len(text) > limit:
            self.refuse(fld, ErrorCode.too_long, text[:80] + "…", str(limit))
            return None
        return text or None

    def name(self, values: RowValues, fld: str) -> str | None:
        """A text repeated down the column (a cell's name): one string object for all its rows."""
        text = self.text(values, fld)
        return text if text is None else self._shared.setdefault(text, text)

    def card(self, values: RowValues) -> str | None:
        value = values.get("card_number")
        if isinstance(value, float) and 0 < value < 100 and round(value, 6) == value:
            # "07.023234" typed into a spreadsheet becomes the number 7.023234: the card is the number
            # written back the way cards are (two digits, a dot, six digits), not "7.023234".
            values = {**values, "card_number": f"{value:09.6f}"}
        elif isinstance(value, int) and not isinstance(value, bool):
            values = {**values, "card_number": str(value)}
        return self.text(values, "card_number")

    def date(self, values: RowValues, fld: str) -> date | None:
        value = values.get(fld)
        if value is None or value == "":
            return None
        try:
            d = parse_date(value if isinstance(value, (date, datetime)) else clean_text(value))
        except BadDate as exc:
            self.refuse(fld, ErrorCode.bad_date, value, exc.reason)
            return None
        return d

    def gender(self, values: RowValues) -> Gender | None:
        value = values.get("gender")
        if value is None or value == "":
            return None
        gender = GENDERS.get(fold(value))
        if gender is None:
            self.refuse("gender", ErrorCode.unknown_gender, value)
        return gender

    def phone(self, values: RowValues) -> str | None:
        value = values.get("phone")
        if value is None or value == "":
            return None
        try:
            return parse_phone(value if isinstance(value, (int, float)) else clean_text(value))
        except BadPhone as exc:
            self.refuse("phone", ErrorCode.bad_phone, value, exc.reason)
            return None

    def flag(self, values: RowValues, fld: str) -> bool | None:
        value = values.get(fld)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip() in CHECK_MARKS:
            return True
        folded = fold(clean_text(value))
        if folded in YES:
            return True
        if folded in NO:
            return False
        self.refuse(fld, ErrorCode.bad_flag, value)
        return None

    def discipline_form(self, values: RowValues) -> DisciplineForm | None:
        value = values.get("form")
        form = DISCIPLINE_FORMS.get(fold(clean_text(value)))
        if form is None:
            self.refuse("form", ErrorCode.unknown_discipline, value if value is not None else "")
        return form

    def date_order(self, birth: Day | None, joined: Day | None, official: Day | None) -> None:
        for fld, d in (("birth_date", birth), ("joined_on", joined), ("official_on", official)):
            if d is not None and d > self.today:
                self.refuse(fld, ErrorCode.date_order, format_date(d), "future")
        if birth and joined and joined <= birth:
            self.refuse("joined_on", ErrorCode.date_order, format_date(joined), "before_birth")
        if joined and official and official < joined:
            self.refuse("official_on", ErrorCode.date_order, format_date(official), "before_joined")
        elif birth and official and not joined and official <= birth:
            self.refuse("official_on", ErrorCode.date_order, format_date(official), "before_birth")


def check_member_row(check: RowChecker, row: int, values: RowValues) -> MemberRow | None:
    check.start(row)
    present = check.sheet.columns
    full_name = check.text(values, "full_name")
    if full_name is None and not check.failed:
        check.refuse("full_name", ErrorCode.missing_name, "")
    birth = check.date(values, "birth_date")
    joined = check.date(values, "joined_on")
    official = check.date(values, "official_on")
    check.date_order(birth, joined, official)
    member = MemberRow(
        row=row,
        full_name=full_name or "",
        birth_date=birth,
        gender=check.gender(values),
        phone=check.phone(values),
        card_number=check.card(values),
        joined_on=joined,
        official_on=official,
        position=check.name(values, "position"),
        address=check.text(values, "address"),
        exempt=check.flag(values, "exempt") if "exempt" in present else None,
        cell=check.name(values, "cell"),
        committee=check.name(values, "committee"),
    )
    return None if check.failed else member


# ---------------------------------------------------------------- units and the scope


@dataclass(slots=True)
class PlannedUnit:
    id: int  # negative until created
    name: str
    kind: UnitKind
    parent_id: int | None
    path: str  # "" until created


def committee_kind(name: str) -> UnitKind:
    """"Đảng bộ phường Phú Hội" is a ward, "Đảng bộ xã Hương Phong" a commune, anything else grassroots."""
    words = f" {name.casefold()} "
    if " phường " in words or " ward " in words:
        return UnitKind.ward
    if re.search(r"\sxã\s(?!hội\s)", words) or " commune " in words:
        return UnitKind.commune
    return UnitKind.grassroots


class UnitTree:
    """The units as loaded, plus those this import would create (negative ids)."""

    def __init__(self, units: Iterable[PlannedUnit]):
        self.by_id: dict[int, PlannedUnit] = {}
        self.by_key: dict[str, list[PlannedUnit]] = defaultdict(list)
        self.planned: list[PlannedUnit] = []
        for unit in units:
            self._add(unit)

    def _add(self, unit: PlannedUnit) -> None:
        self.by_id[unit.id] = unit
        self.by_key[name_key(unit.name)].append(unit)

    def plan(self, name: str, kind: UnitKind, parent: PlannedUnit | None) -> PlannedUnit:
        unit = PlannedUnit(-(len(self.planned) + 1), name, kind, parent.id if parent else None, "")
        self.planned.append(unit)
        self._add(unit)
        return unit

    def child(self, parent: PlannedUnit | None, name: str) -> PlannedUnit | None:
        parent_id = parent.id if parent else None
        return next((u for u in self.by_key.get(name_key(name), ()) if u.parent_id == parent_id), None)

    def is_under(self, unit: PlannedUnit, ancestor: PlannedUnit) -> bool:
        node: PlannedUnit | None = unit
        while node is not None:
            if node.id == ancestor.id:
                return True
            node = self.by_id.get(node.parent_id) if node.parent_id is not None else None
        return False

    def named(self, name: str, under: PlannedUnit | None, cells: bool) -> list[PlannedUnit]:
        cell_kinds = (UnitKind.cell, UnitKind.group)
        return [
            u for u in self.by_key.get(name_key(name), ())
            if (u.kind in cell_kinds) == cells and (under is None or self.is_under(u, under))
        ]


Placed = PlannedUnit | tuple[ErrorCode, str] | None


class Placement:
    """Where a row's "Đảng bộ" and "Chi bộ" put the member, within what the importer may touch."""

    def __init__(self, tree: UnitTree, within: PlannedUnit | None, root: PlannedUnit | None):
        self.tree = tree
        self.within = within
        self.root = root
        self._cache: dict[tuple[str, str], Placed] = {}

    def place(self, committee: str | None, cell: str | None) -> Placed:
        """The cell (None when the row names none), or (error code, field)."""
        key = (name_key(committee or ""), name_key(cell or ""))
        if key not in self._cache:
            self._cache[key] = self._place(committee, cell)
        return self._cache[key]

    def _place(self, committee: str | None, cell: str | None) -> Placed:
        within = self.within
        if within is None:
            return self._place_anywhere(committee, cell)
        if within.kind in (UnitKind.cell, UnitKind.group):
            return self._place_in_cell(within, committee, cell)
        parent = within
        if committee and name_key(committee) != name_key(within.name):
            found = [u for u in self.tree.named(committee, within, cells=False) if u.id > 0]
            if len(found) != 1:
                return ErrorCode.out_of_scope, "committee"
            parent = found[0]
        if not cell:
            return None
        return self.tree.child(parent, cell) or self.tree.plan(cell, UnitKind.cell, parent)

    def _place_in_cell(self, within: PlannedUnit, committee: str | None, cell: str | None) -> Placed:
        parent = self.tree.by_id.get(within.parent_id) if within.parent_id else None
        if committee and (parent is None or name_key(committee) != name_key(parent.name)):
            return ErrorCode.out_of_scope, "committee"
        if cell and name_key(cell) != name_key(within.name):
            return ErrorCode.out_of_scope, "cell"
        return within

    def _place_anywhere(self, committee: str | None, cell: str | None) -> Placed:
        if not cell:
            return None
        if not committee:
            found = self.tree.named(cell, self.root, cells=True)
            if len(found) > 1:
                return ErrorCode.ambiguous_unit, "cell"
            return found[0] if found else self.tree.plan(cell, UnitKind.cell, self.root)
        found = self.tree.named(committee, self.root, cells=False)
        if len(found) > 1:
            return ErrorCode.ambiguous_unit, "committee"
        parent = found[0] if found else self.tree.plan(committee, committee_kind(committee), self.root)
        return self.tree.child(parent, cell) or self.tree.plan(cell, UnitKind.cell, parent)


def in_scope(path: str, within: PlannedUnit | None) -> bool:
    return within is None or path.startswith(within.path)


# ---------------------------------------------------------------- sub-sheets


@dataclass(slots=True)
class EntryRow:
    sheet: Sheet
    row: int
    card_number: str
    entry: Entry


ENTRY_TABLES = {SheetKind.work_history: WORK, SheetKind.awards: AWARDS, SheetKind.discipline: DISCIPLINES}
ENTRY_COLUMNS = {
    SheetKind.work_history: ("period_from", "period_to", "description"),
    SheetKind.awards: ("awarded_on", "title", "decision"),
    SheetKind.discipline: ("decided_on", "form", "reason"),
}


def check_entry_row(check: RowChecker, row: int, values: RowValues) -> EntryRow | None:
    check.start(row)
    kind = check.sheet.kind
    card = check.card(values)
    if card is None and not check.failed:
        check.refuse("card_number", ErrorCode.missing_card, "")
    entry: Entry
    if kind is SheetKind.work_history:
        entry = (check.text(values, "period_from"), check.text(values, "period_to"), _required(check, values, "description"))
    elif kind is SheetKind.awards:
        entry = (check.date(values, "awarded_on"), _required(check, values, "title"), check.text(values, "decision"))
    else:
        entry = (check.date(values, "decided_on"), check.discipline_form(values), check.text(values, "reason"))
    return None if check.failed or card is None else EntryRow(check.sheet, row, card, entry)


def _required(check: RowChecker, values: RowValues, fld: str) -> str | None:
    text = check.text(values, fld)
    if text is None and not check.failed:
        check.refuse(fld, ErrorCode.missing_text, "")
    return text


# ---------------------------------------------------------------- the database side


def _chunks(items: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_EXISTING = select(
    MEMBERS.c.id, MEMBERS.c.cell_id, UNITS.c.path, *(MEMBERS.c[f] for f in MEMBER_FIELDS)
).join(UNITS, UNITS.c.id == MEMBERS.c.cell_id)


async def load_units(session: AsyncSession) -> UnitTree:
    rows = await session.execute(select(UNITS.c.id, UNITS.c.name, UNITS.c.kind, UNITS.c.parent_id, UNITS.c.path))
    return UnitTree(PlannedUnit(i, n, k, p, path) for i, n, k, p, path in rows)


async def members_by_card(session: AsyncSession, cards: Iterable[str]) -> dict[str, ExistingRow]:
    found: dict[str, ExistingRow] = {}
    for chunk in _chunks(sorted(set(cards))):
        for row in await session.execute(_EXISTING.where(MEMBERS.c.card_number.in_(chunk))):
            found[row.card_number] = row
    return found


async def members_in_cells(session: AsyncSession, cell_ids: Iterable[int]) -> list[ExistingRow]:
    found: list[ExistingRow] = []
    for chunk in _chunks(sorted(set(cell_ids))):
        found.extend(await session.execute(_EXISTING.where(MEMBERS.c.cell_id.in_(chunk)).order_by(MEMBERS.c.id)))
    return found


async def entries_of(session: AsyncSession, kind: SheetKind, member_ids: Iterable[int]) -> dict[int, list[Entry]]:
    table = ENTRY_TABLES[kind]
    cols = [table.c[c] for c in ENTRY_COLUMNS[kind]]
    found: dict[int, list[Entry]] = defaultdict(list)
    for chunk in _chunks(sorted(set(member_ids))):
        stmt = select(table.c.member_id, *cols).where(table.c.member_id.in_(chunk))
        for member_id, *values in await session.execute(stmt.order_by(table.c.member_id, table.c.position_no, table.c.id)):
            found[member_id].append(tuple(values))
    return found


# ---------------------------------------------------------------- the import


# (kind, member id or card of a new member) -> the entries that replace the old ones
PlannedEntries = dict[tuple[SheetKind, int | str], list[Entry]]


@dataclass
class ImportPlan:
    """Everything the import would write, worked out before the first write."""

    tree: UnitTree
    new: list[MemberRow] = field(default_factory=list)
    changed: list[tuple[MemberRow, Changes]] = field(default_factory=list)
    entries: PlannedEntries = field(default_factory=dict)


class Progress:
    """Reports rows done out of the total: checking is the first half of a row's work, writing the second."""

    def __init__(self, callback: Callable[[int, int], object] | None, total: int):
        self.callback = callback
        self.total = total
        self.before = 0

    def checked(self, count: int) -> None:
        if self.callback is not None and count % PROGRESS_EVERY == 0:
            self.total = max(self.total, count)
            self.callback(count // 2, self.total)

    def writing(self, rows: int, new_rows: int) -> None:
        # Rows that only update or change nothing are as good as written once checked.
        self.total, self.before = rows, rows - new_rows

    def written(self, count: int) -> None:
        if self.callback is not None:
            self.callback((self.total + self.before + count) // 2, self.total)

    def finish(self, count: int) -> None:
        if self.callback is not None:
            self.total = count
            self.callback(count, count)


async def import_members(
    session: AsyncSession,
    parsed: ParsedFile,
    *,
    within: Unit | None = None,
    root: Unit | None = None,
    extra_files: Iterable[ParsedFile] = (),
    progress: Callable[[int, int], object] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check the whole file, then create and update members; nothing is written when a row is wrong.

    `within` limits the import to a unit (None: an administrator, anywhere); `root` is where an
    administrator's new committees go. `progress(done, total)` hears every ~1,000 rows.
    The caller commits (or rolls back: a refused file has written nothing).
    """
    if parsed.members is None:
        raise ValueError("a member list is needed; work history, awards and discipline come as extra_files")
    sheets = list(parsed.extras)
    for extra in extra_files:
        if extra.members is not None:
            raise ValueError(f"{extra.filename} is a member list, not a work-history, awards or discipline list")
        sheets.extend(extra.extras)

    report = ImportReport(dry_run=dry_run)
    steps = Progress(progress, parsed.members.row_estimate)
    # Reading and checking every row is the long part, and touches no database: a worker thread does it.
    rows, file_cards, entries = await asyncio.to_thread(_check_file, parsed.members, sheets, report.errors, steps)

    tree = await load_units(session)
    scope = _unit_in(tree, within)
    origin = _unit_in(tree, root) if within is None else None
    existing = await members_by_card(session, [r.card_number for r in rows if r.card_number] + [e.card_number for e in entries])
    rows = _place_and_match(parsed.members, rows, existing, Placement(tree, scope, origin), report.errors)
    current = {m.id: m for m in existing.values()}
    current.update(await _match_without_card(session, parsed.members, rows, report.errors))
    owners = EntryOwners({r.card_number: r for r in rows if r.card_number}, file_cards, existing, scope)
    plan = ImportPlan(tree)
    await _plan_members(session, parsed.members, rows, current, entries, owners, plan, report)
    if report.errors:
        order = {sheet.name: n for n, sheet in enumerate([parsed.members, *sheets])}
        report.errors.sort(key=lambda e: (order.get(e.sheet, len(order)), e.row))
        report.created = report.updated = report.unchanged = 0
        return report
    report.units_created = len(tree.planned)
    report.warnings = await shared_phones(session, parsed.members.name, rows, scope.path if scope else None)
    if not dry_run:
        steps.writing(len(rows), len(plan.new))
        await _write(session, plan, steps)
        await _refresh_loaded(session, {row.member_id for row, _ in plan.changed if row.member_id is not None}, plan.entries)
    steps.finish(len(rows))
    return report


async def _refresh_loaded(session: AsyncSession, updated: set[int], entries: PlannedEntries) -> None:
    """Objects the caller already holds must not show what the import has just replaced."""
    touched = updated | {t for _, t in entries if isinstance(t, int)}
    for obj in list(session.identity_map.values()):
        state = inspect(obj)  # read loaded values only: touching an expired one would need IO
        if isinstance(obj, Member) and state.identity[0] in touched:
            await session.refresh(obj)
        elif isinstance(obj, (WorkHistory, Award, Discipline)):
            member_id = state.dict.get("member_id")  # None once expired: whose it is is unknown, let it go
            if member_id is None or member_id in touched:
                session.expunge(obj)


def _unit_in(tree: UnitTree, unit: Unit | None) -> PlannedUnit | None:
    if unit is None:
        return None
    found = tree.by_id.get(unit.id)
    if found is None:
        raise ValueError(f"unit {unit.id} is not in the database")
    return found


def _check_file(members: Sheet, sheets: list[Sheet], errors: list[RowError],
                steps: Progress) -> tuple[list[MemberRow], set[str], list[EntryRow]]:
    today = local_today()
    rows, file_cards = _check_members(members, errors, today, steps)
    entries = [e for sheet in sheets for e in _check_entries(sheet, errors, today)]
    return rows, file_cards, entries


def _check_members(sheet: Sheet, errors: list[RowError], today: date, steps: Progress) -> tuple[list[MemberRow], set[str]]:
    """The rows that passed, and every card number the list names (so sub-sheets can tell "refused" from "unknown")."""
    check = RowChecker(sheet, errors, today)
    rows: list[MemberRow] = []
    cards: set[str] = set()
    first_seen: dict[str, int] = {}
    for count, (number, values) in enumerate(sheet.rows(), start=1):
        row = check_member_row(check, number, values)
        card = row.card_number if row is not None else clean_text(values.get("card_number"))
        if card:
            cards.add(card)
            seen = first_seen.setdefault(card, number)
            if seen != number:
                check.refuse("card_number", ErrorCode.duplicate_card, card, str(seen))
                row = None
        if row is not None:
            rows.append(row)
        steps.checked(count)
    return rows, cards


def _check_entries(sheet: Sheet, errors: list[RowError], today: date) -> list[EntryRow]:
    check = RowChecker(sheet, errors, today)
    return [e for number, values in sheet.rows() if (e := check_entry_row(check, number, values)) is not None]


def _place_and_match(sheet: Sheet, rows: list[MemberRow], existing: dict[str, ExistingRow], placement: Placement,
                     errors: list[RowError]) -> list[MemberRow]:
    """Give every row its cell and, by card number, its existing member; refuse what is out of scope."""
    within = placement.within
    kept = []
    for row in rows:
        error = None
        found = existing.get(row.card_number) if row.card_number else None
        if found is not None:
            if not in_scope(found.path, within):
                error = ErrorCode.out_of_scope, "card_number", row.card_number
            row.member_id = found.id
        if error is None:
            placed = placement.place(row.committee, row.cell)
            if isinstance(placed, tuple):
                code, fld = placed
                error = code, fld, getattr(row, fld)
            elif placed is not None:
                row.cell_id = placed.id
            elif found is not None:
                row.cell_id = found.cell_id
            else:
                error = ErrorCode.missing_cell, "cell", ""
        if error is None:
            kept.append(row)
        else:
            code, fld, value = error
            errors.append(RowError(sheet.name, row.row, sheet.column(fld), code, value))
    return kept


async def _match_without_card(session: AsyncSession, sheet: Sheet, rows: list[MemberRow],
                              errors: list[RowError]) -> dict[int, ExistingRow]:
    """Rows not found by card are the same member when name, birth date and cell agree.

    Returns the members matched this way, by id.
    """
    unmatched = [r for r in rows if r.member_id is None]
    candidates: dict[_Identity, list[ExistingRow]] = defaultdict(list)
    # Every row kept by _place_and_match has its cell; negative: a cell this import creates.
    existing_cells = {r.cell_id for r in unmatched if r.cell_id is not None and r.cell_id > 0}
    for m in await members_in_cells(session, existing_cells) if existing_cells else ():
        candidates[(name_key(m.full_name), m.birth_date, m.cell_id)].append(m)
    claimed = {r.member_id for r in rows if r.member_id is not None}
    first_row: dict[_Identity, int] = {}
    matched: dict[int, ExistingRow] = {}
    for row in unmatched:
        key = (name_key(row.full_name), row.birth_date, row.cell_id)
        if not row.card_number:
            seen = first_row.setdefault(key, row.row)
            if seen != row.row:
                errors.append(RowError(sheet.name, row.row, sheet.column("full_name"), ErrorCode.duplicate_member,
                                       row.full_name, str(seen)))
                continue
        for m in candidates.get(key, ()):
            # A row with a card may only take over a member recorded without one.
            if m.id not in claimed and (not row.card_number or m.card_number is None):
                row.member_id = m.id
                claimed.add(m.id)
                matched[m.id] = m
                break
    return matched


async def _plan_members(session: AsyncSession, sheet: Sheet, rows: list[MemberRow], current: dict[int, ExistingRow],
                        entries: list[EntryRow], owners: EntryOwners, plan: ImportPlan, report: ImportReport) -> None:
    present = set(sheet.columns)
    changed: set[int] = set()
    for row in rows:
        if row.member_id is None:
            plan.new.append(row)
            continue
        changes = member_changes(row, current[row.member_id], present)
        if changes:
            plan.changed.append((row, changes))
            changed.add(row.member_id)
    owners.new_cards = {r.card_number for r in plan.new if r.card_number}
    changed |= await _plan_entries(session, entries, owners, plan, report.errors)
    in_file = {r.member_id for r in rows if r.member_id is not None}
    report.created = len(plan.new)
    report.updated = len(changed)
    report.unchanged = len(in_file - changed)


def member_changes(row: MemberRow, current: ExistingRow, present: set[str]) -> Changes:
    """The columns a row would change on the member it matched (absent columns are left alone)."""
    changes: Changes = {}
    for fld in MEMBER_FIELDS:
        if fld == "card_number":
            if row.card_number and row.card_number != current.card_number:
                changes[fld] = row.card_number
            continue
        if fld != "full_name" and fld not in present:
            continue
        value = getattr(row, fld)
        if fld == "exempt":
            value = bool(value)
        if value != getattr(current, fld):
            changes[fld] = value
    if row.cell_id != current.cell_id:
        changes["cell_id"] = row.cell_id
    return changes


@dataclass
class EntryOwners:
    """Who a sub-sheet card number belongs to."""

    file_rows: dict[str, MemberRow]  # card -> the checked member row of this file
    file_cards: set[str]  # every card the member list names, refused rows included
    existing: dict[str, ExistingRow]  # card -> the member in the database
    within: PlannedUnit | None
    new_cards: set[str] = field(default_factory=set)

    def owner(self, e: EntryRow) -> int | str | ErrorCode | None:
        """A member id, the card of a member this import creates, an error, or None (row refused already)."""
        if e.card_number in self.new_cards:
            return e.card_number
        row = self.file_rows.get(e.card_number)
        if row is not None:
            return row.member_id
        if e.card_number in self.file_cards:
            return None
        found = self.existing.get(e.card_number)
        if found is None:
            return ErrorCode.unknown_card
        if not in_scope(found.path, self.within):
            return ErrorCode.out_of_scope
        member_id: int = found.id
        return member_id


async def _plan_entries(session: AsyncSession, entry_rows: list[EntryRow], owners: EntryOwners, plan: ImportPlan,
                        errors: list[RowError]) -> set[int]:
    """Group sub-sheet rows per member; keep only the lists that differ from what is stored."""
    grouped: PlannedEntries = defaultdict(list)
    for e in entry_rows:
        owner = owners.owner(e)
        if isinstance(owner, ErrorCode):
            errors.append(RowError(e.sheet.name, e.row, e.sheet.column("card_number"), owner, e.card_number))
        elif owner is not None:
            grouped[(e.sheet.kind, owner)].append(e.entry)
    changed: set[int] = set()
    for kind in ENTRY_TABLES:
        ids = [t for k, t in grouped if k is kind and isinstance(t, int)]
        stored = await entries_of(session, kind, ids) if ids else {}
        for (k, target), entries in grouped.items():
            if k is not kind:
                continue
            if isinstance(target, int):
                if stored.get(target, []) == entries:
                    continue
                changed.add(target)
            plan.entries[(kind, target)] = entries
    return changed


# ---------------------------------------------------------------- writing


async def _write(session: AsyncSession, plan: ImportPlan, steps: Progress) -> None:
    unit_ids = await _create_units(session, plan.tree)
    wanted = {t for (_, t) in plan.entries if isinstance(t, str)}
    card_ids = await _insert_members(session, plan.new, unit_ids, steps, wanted)
    await _update_members(session, plan.changed, unit_ids)
    await _replace_entries(session, plan.entries, card_ids)


async def _create_units(session: AsyncSession, tree: UnitTree) -> dict[int, int]:
    """Planned id -> real id; parents were planned before their children."""
    real: dict[int, int] = {}
    for unit in tree.planned:
        parent_id = None if unit.parent_id is None else real.get(unit.parent_id, unit.parent_id)
        parent_path = tree.by_id[parent_id].path if parent_id is not None else "/"
        new_id = (await session.execute(
            insert(UNITS).values(name=unit.name, kind=unit.kind, parent_id=parent_id, path="").returning(UNITS.c.id)
        )).scalar_one()
        unit.path = f"{parent_path}{new_id}/"
        await session.execute(update(UNITS).where(UNITS.c.id == new_id).values(path=unit.path))
        real[unit.id] = new_id
        tree.by_id[new_id] = unit
    return real


async def _insert_members(session: AsyncSession, rows: list[MemberRow], unit_ids: dict[int, int],
                          steps: Progress, cards_wanted: set[str]) -> dict[str, int]:
    """Bulk inserts; returns card number -> new id for the cards sub-sheet rows name."""
    created_at = clock.now()
    stmt = insert(MEMBERS)
    done = 0
    for batch in _chunks(rows, WRITE_BATCH):
        await session.execute(stmt, [_member_values(r, unit_ids, created_at) for r in batch])
        done += len(batch)
        steps.written(done)
    # Looked up afterwards: executemany with RETURNING runs row by row on SQLite.
    return {card: m.id for card, m in (await members_by_card(session, cards_wanted)).items()}


def _member_values(row: MemberRow, unit_ids: dict[int, int], created_at: datetime) -> Changes:
    values: Changes = {f: getattr(row, f) for f in MEMBER_FIELDS}
    values["exempt"] = bool(row.exempt)
    values["cell_id"] = None if row.cell_id is None else unit_ids.get(row.cell_id, row.cell_id)
    values["created_at"] = created_at
    return values


async def _update_members(session: AsyncSession, changed: list[tuple[MemberRow, Changes]], unit_ids: dict[int, int]) -> None:
    # One statement shape per set of changed columns, each run as one executemany.
    by_columns: dict[tuple[str, ...], list[Changes]] = defaultdict(list)
    for row, changes in changed:
        if "cell_id" in changes:
            changes["cell_id"] = unit_ids.get(changes["cell_id"], changes["cell_id"])
        if "full_name" in changes:
            changes["sort_name"] = sort_key(clean_line(changes["full_name"]))
            changes["search_name"] = search_key(changes["full_name"])
        by_columns[tuple(sorted(changes))].append({"member_id": row.member_id, **{f"new_{k}": v for k, v in changes.items()}})
    for columns, params in by_columns.items():
        stmt = (
            update(MEMBERS)
            .where(MEMBERS.c.id == bindparam("member_id"))
            .values({c: bindparam(f"new_{c}") for c in columns})
        )
        for batch in _chunks(params, WRITE_BATCH):
            await session.execute(stmt, list(batch))


async def _replace_entries(session: AsyncSession, entries: PlannedEntries, card_ids: dict[str, int]) -> None:
    for kind, table in ENTRY_TABLES.items():
        owned = {(card_ids[t] if isinstance(t, str) else t): rows for (k, t), rows in entries.items() if k is kind}
        if not owned:
            continue
        for chunk in _chunks(sorted(owned)):
            await session.execute(delete(table).where(table.c.member_id.in_(chunk)))
        names = ENTRY_COLUMNS[kind]
        params = (
            {"member_id": member_id, "position_no": n, **dict(zip(names, values, strict=True))}
            for member_id, rows in owned.items()
            for n, values in enumerate(rows)
        )
        while batch := list(islice(params, WRITE_BATCH)):
            await session.execute(insert(table), batch)


__all__ = [
    "ErrorCode", "FileTooLarge", "ImportReport", "ParsedFile", "RowError", "Sheet", "SheetKind", "UnreadableFile",
    "fold", "clean_text", "committee_kind", "import_members", "load_member_file", "read_member_file",
]
