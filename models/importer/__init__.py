"""Import the member list a secretary or an administrator already keeps (CSV or XLSX).

Two steps. `read_member_file` recognises the file (format, header row, columns, sub-sheets)
without touching the database. `import_members` checks every row against the rules and the
database first, and writes only when the whole file is right; the caller commits.

The parts, by concern: report.py (what the caller gets back), columns.py (the words of the columns
and where the fields go), reading.py (a file read within the limits), rows.py (checking a row),
units.py (placing a row in its cell, within the scope), store.py (what the database holds already),
diff.py (matching rows to members, what would change), write.py (writing it), apply.py (the import).
"""
from ..filelimits import FileTooLarge, UnreadableFile
from ..units import UnitKind
from .apply import import_members
from .columns import (
    ENTRY_COLUMNS,
    ENTRY_TABLES,
    HEADERS,
    MEMBER_FIELDS,
    SHEET_NAMES,
    SheetKind,
    canonical_header,
    clean_text,
    fold,
    name_key,
)
from .diff import member_changes
from .reading import ParsedFile, Sheet, load_member_file, read_member_file
from .report import ErrorCode, ImportReport, RowError
from .rows import LENGTHS, EntryRow, MemberRow, RowChecker, check_entry_row, check_member_row
from .units import PlannedUnit, committee_kind, in_scope

__all__ = [
    "ENTRY_COLUMNS", "ENTRY_TABLES", "HEADERS", "LENGTHS", "MEMBER_FIELDS", "SHEET_NAMES",
    "EntryRow", "ErrorCode", "FileTooLarge", "ImportReport", "MemberRow", "ParsedFile", "PlannedUnit", "RowChecker",
    "RowError", "Sheet", "SheetKind", "UnitKind", "UnreadableFile",
    "canonical_header", "check_entry_row", "check_member_row", "clean_text", "committee_kind", "fold", "in_scope",
    "import_members", "load_member_file", "member_changes", "name_key", "read_member_file",
]
