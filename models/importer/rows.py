"""Checking the rows: every cell turned into a typed value, or a RowError saying why it was refused."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column

from ..dates import BadDate, format_date, parse_date
from ..members import DisciplineForm, Gender
from ..phones import BadPhone, parse_phone
from .columns import (
    AWARDS,
    CHECK_MARKS,
    DISCIPLINE_FORMS,
    GENDERS,
    MEMBERS,
    MULTILINE_FIELDS,
    NO,
    UNITS,
    WORK,
    YES,
    Entry,
    SheetKind,
    clean_text,
    fold,
)
from .reading import Sheet
from .report import ErrorCode, RowError

# A data row of a sheet, by field name, as the file had it (text, number, date, bool or empty).
RowValues = dict[str, object]
Day = date  # "date" is also a RowChecker method, which hides the type inside the class


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



# ---------------------------------------------------------------- sub-sheets


@dataclass(slots=True)
class EntryRow:
    sheet: Sheet
    row: int
    card_number: str
    entry: Entry



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
