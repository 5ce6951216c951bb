"""What the caller of an import gets back: the report, the refused values, and progress as it goes."""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..shared_phones import SharedPhone

PROGRESS_EVERY = 1_000


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
