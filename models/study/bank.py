"""A quiz's question bank, read from an XLSX an officer uploads: one question a row, under a header row naming
the columns — the question, the options (2–10), the right one, an explanation.

    Câu hỏi | Phương án A | Phương án B | Phương án C | Đáp án đúng | Giải thích

The right one is given as the option's letter (A–J), its number (1–10) or its text. The file is read within the
limits of filelimits.py (its bytes, what the zip inflates to) and only so many rows; formulas are never evaluated
(a cell holding one is refused, its row named), and a bad row refuses the whole bank with every bad row's number,
so nothing half-read is kept. Blocking: `load_bank` runs it in a worker thread.
"""
from __future__ import annotations

__all__ = [
    "BANK_MAX_BYTES", "BankError", "Columns", "Question", "RowProblem", "load_bank", "question_of_row", "read_bank",
]

import asyncio
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .. import filelimits
from ..filelimits import FileTooLarge, UnreadableFile
from ..text import clean_line, fold
from .tables import EXPLANATION_MAX, OPTION_MAX, OPTIONS_MAX, OPTIONS_MIN, QUESTION_MAX, QUESTIONS_MAX

BANK_MAX_BYTES = 5 * filelimits.MB
HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 30
# Blank rows read past the last question before the sheet is taken as ended (a sheet may claim a million rows).
BLANK_ROWS_TOLERATED = 200
PROBLEMS_KEPT = 20

_QUESTION = ("cau hoi", "noi dung cau hoi", "question")
_ANSWER = ("dap an dung", "dap an", "phuong an dung", "correct", "correct answer", "right answer", "answer")
_EXPLANATION = ("giai thich", "explanation")
_OPTION = re.compile(r"^(?:phuong an|lua chon|option|choice)?\s*([a-j]|10|[1-9])$")
_LETTERS = "abcdefghij"


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...]
    correct: int  # 0-based
    explanation: str | None = None


@dataclass(frozen=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it
    reason: str  # question_missing, question_long, options_few, option_long, option_gap, options_same,
    # answer_missing, answer_unknown, explanation_long, formula


@dataclass
class BankError(ValueError):
    """The bank is refused. `code`: not_xlsx, old_excel, empty, too_large, too_inflated, no_header, no_questions,
    too_many (`limit` questions) or rows (`problems`, the first PROBLEMS_KEPT of them; `count`, all of them)."""

    code: str
    limit: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    count: int = 0

    def __str__(self) -> str:
        return self.code


@dataclass
class Columns:
    """Where the header row put each column (positions in the row)."""

    question: int
    answer: int
    options: list[int]
    explanation: int | None


def _header(cells: Sequence[object]) -> Columns | None:
    names = [fold(str(c)) if isinstance(c, str) else "" for c in cells]
    question = next((i for i, n in enumerate(names) if n in _QUESTION), None)
    answer = next((i for i, n in enumerate(names) if n in _ANSWER), None)
    if question is None or answer is None:
        return None
    explanation = next((i for i, n in enumerate(names) if n in _EXPLANATION), None)
    options = [i for i, n in enumerate(names) if i not in (question, answer, explanation) and _OPTION.match(n)]
    return Columns(question, answer, options, explanation)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Đúng" if value else "Sai"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return clean_line(str(value))


def _answer_index(raw: str, options: list[str]) -> int | None:
    key = fold(raw)
    for prefix in ("phuong an ", "dap an ", "option "):
        key = key.removeprefix(prefix)
    if len(key) == 1 and key in _LETTERS:
        index = _LETTERS.index(key)
    elif key.isdigit():
        index = int(key) - 1
    else:
        index = next((i for i, o in enumerate(options) if fold(o) == fold(raw)), -1)
    return index if 0 <= index < len(options) else None


def question_of_row(number: int, cells: Sequence[object], columns: Columns) -> Question | list[RowProblem]:
    """One row of the sheet: its question, or every problem it has (none of them raised)."""
    def cell(i: int | None) -> object:
        return cells[i] if i is not None and i < len(cells) else None

    problems: list[str] = []
    text = _text(cell(columns.question))
    if not text:
        problems.append("question_missing")
    elif len(text) > QUESTION_MAX:
        problems.append("question_long")
    raw_options = [_text(cell(i)) for i in columns.options]
    while raw_options and not raw_options[-1]:
        raw_options.pop()
    if "" in raw_options:
        problems.append("option_gap")
    options = [o for o in raw_options if o]
    if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        problems.append("options_few" if len(options) < OPTIONS_MIN else "options_many")
    if any(len(o) > OPTION_MAX for o in options):
        problems.append("option_long")
    if len({fold(o) for o in options}) != len(options):
        problems.append("options_same")
    raw_answer = _text(cell(columns.answer))
    correct = _answer_index(raw_answer, options) if raw_answer else None
    if not raw_answer:
        problems.append("answer_missing")
    elif correct is None:
        problems.append("answer_unknown")
    explanation = _text(cell(columns.explanation)) or None
    if explanation and len(explanation) > EXPLANATION_MAX:
        problems.append("explanation_long")
    if problems or correct is None:
        return [RowProblem(number, p) for p in problems]
    return Question(text, tuple(options), correct, explanation)


def read_bank(data: bytes) -> list[Question]:
    """The questions of an XLSX question bank, in order; raises BankError."""
    if not data.strip():
        raise BankError("empty")
    if len(data) > BANK_MAX_BYTES:
        raise BankError("too_large", BANK_MAX_BYTES // filelimits.MB)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BankError("old_excel")  # Excel 97-2003 .xls: "Save as .xlsx"
    if not data.startswith(b"PK\x03\x04"):
        raise BankError("not_xlsx")
    try:
        filelimits.check_zip(data)
    except FileTooLarge as exc:
        raise BankError(exc.code, exc.limit) from None
    except UnreadableFile:
        raise BankError("not_xlsx") from None
    import openpyxl  # only when a workbook comes: it is slow to import

    try:
        # data_only=False: a formula stays a formula (refused below), never a value Excel computed or we compute.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # a zip that is not a workbook (a .docx, a broken file)
        raise BankError("not_xlsx") from None
    try:
        return _read_sheet(book.worksheets[0]) if book.worksheets else []
    finally:
        book.close()


def _read_sheet(sheet: Any) -> list[Question]:  # openpyxl's read-only worksheet
    columns: Columns | None = None
    questions: list[Question] = []
    problems: list[RowProblem] = []
    blank = 0
    for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), 1):
        if columns is None:
            columns = _header([c.value for c in row])
            if columns is None and number >= HEADER_SEARCH_ROWS:
                raise BankError("no_header")
            continue
        values = [c.value for c in row]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            blank += 1
            if blank > BLANK_ROWS_TOLERATED:
                break
            continue
        blank = 0
        if len(questions) + len({p.row for p in problems}) >= QUESTIONS_MAX:
            raise BankError("too_many", QUESTIONS_MAX)
        if any(getattr(c, "data_type", None) == "f" for c in row):
            problems.append(RowProblem(number, "formula"))
            continue
        found = question_of_row(number, values, columns)
        if isinstance(found, Question):
            questions.append(found)
        else:
            problems.extend(found)
    if columns is None:
        raise BankError("no_header")
    if problems:
        raise BankError("rows", problems=problems[:PROBLEMS_KEPT], count=len(problems))
    if not questions:
        raise BankError("no_questions")
    return questions


async def load_bank(data: bytes) -> list[Question]:
    """read_bank in a worker thread: opening a workbook takes time nobody else waits for."""
    return await asyncio.to_thread(read_bank, data)
