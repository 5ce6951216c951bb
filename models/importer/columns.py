"""The words of the columns: the headers a list may use for each field, the sub-sheets' names, the
values a cell may hold (genders, discipline forms, yes and no), and the tables the fields go to."""
from __future__ import annotations

import enum
import re
from datetime import date, datetime

from ..dates import format_date
from ..members import Award, Discipline, DisciplineForm, Gender, Member, WorkHistory
from ..text import clean_line
from ..text import clean_text as clean_multiline
from ..text import fold as search_fold
from ..units import Unit

MEMBERS = Member.__table__
UNITS = Unit.__table__
WORK = WorkHistory.__table__
AWARDS = Award.__table__
DISCIPLINES = Discipline.__table__
# A value of a sub-sheet entry as stored, and an entry: its values in the order of ENTRY_COLUMNS.
EntryValue = str | date | DisciplineForm | None
Entry = tuple[EntryValue, ...]


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



# ---------------------------------------------------------------- where the fields go


# The member columns an import compares and writes (cell_id is the placed cell).
MEMBER_FIELDS = ("full_name", "birth_date", "gender", "phone", "card_number", "joined_on", "official_on",
                 "position", "address", "exempt")
ENTRY_TABLES = {SheetKind.work_history: WORK, SheetKind.awards: AWARDS, SheetKind.discipline: DISCIPLINES}
ENTRY_COLUMNS = {
    SheetKind.work_history: ("period_from", "period_to", "description"),
    SheetKind.awards: ("awarded_on", "title", "decision"),
    SheetKind.discipline: ("decided_on", "form", "reason"),
}
