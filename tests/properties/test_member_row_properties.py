"""Property-based tests of what a member list's cells become: phone numbers, card numbers, dates of
birth and admission, flags. Any cell a spreadsheet can hold (ints, floats, None, datetimes, text,
formulas) is a value or a row error, never an exception; phone numbers normalise idempotently."""
from __future__ import annotations

from datetime import date

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from models import importer
from models.importer import ErrorCode, RowChecker, Sheet, SheetKind
from models.phones import BadPhone, normalise_phone, parse_phone

FAST = settings(max_examples=200, deadline=None)
TODAY = date(2026, 3, 1)
TEXT = st.text(max_size=40)
CELL = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.datetimes(), st.dates(), st.times(), TEXT,
    TEXT.map(lambda s: "=" + s),  # a formula, as a CSV or an unevaluated cell holds it
    st.sampled_from(["", " ", "x", "✓", "07.023234", "7.023234", "0905 111 222", "05/12/1950", "31/02/1950",
                     "29/02/2025", "nam", "Nữ", "=HYPERLINK(\"x\")", "\u202eevil", "\x00", "nan", "inf"]),
    st.floats(min_value=1e8, max_value=1e12).map(float),  # a phone number stored as a number
)
MEMBER_FIELDS = tuple(importer.HEADERS[SheetKind.members])


def _sheet() -> Sheet:
    return Sheet(name="Danh sách", kind=SheetKind.members, header_row=1,
                 columns={fld: (i,) for i, fld in enumerate(MEMBER_FIELDS)}, headers={}, english=False,
                 row_estimate=1, open_rows=lambda: iter(()))


@FAST
@given(st.fixed_dictionaries({}, optional={fld: CELL for fld in MEMBER_FIELDS}))
def test_any_member_row_is_a_member_or_row_errors(values):
    errors: list = []
    check = RowChecker(_sheet(), errors, TODAY)
    row = importer.check_member_row(check, 2, values)
    assert (row is None) == bool(errors)
    assert all(e.row == 2 and isinstance(e.code, ErrorCode) for e in errors)
    if row is not None:
        assert row.full_name and row.full_name == importer.clean_text(row.full_name)
        assert row.phone is None or normalise_phone(row.phone) == row.phone
        for d in (row.birth_date, row.joined_on, row.official_on):
            assert d is None or (isinstance(d, date) and d <= TODAY)


@FAST
@given(CELL, CELL, CELL)
def test_dates_of_birth_and_admission_are_dates_in_order_or_refused(birth, joined, official):
    errors: list = []
    check = RowChecker(_sheet(), errors, TODAY)
    row = importer.check_member_row(check, 2, {"full_name": "Lê Thị Thu", "birth_date": birth, "joined_on": joined,
                                               "official_on": official})
    if row is not None:
        if row.birth_date and row.joined_on:
            assert row.birth_date < row.joined_on
        if row.joined_on and row.official_on:
            assert row.joined_on <= row.official_on


@FAST
@given(CELL)
@example("")
@example(float("nan"))
@example(True)
def test_any_phone_cell_is_e164_or_refused(value):
    try:
        phone = parse_phone(value)
    except BadPhone as exc:
        assert exc.reason in {"empty", "unparsable", "invalid"}
        assert normalise_phone(value) is None
    else:
        assert phone.startswith("+") and phone[1:].isdigit()
        assert normalise_phone(value) == phone


@FAST
@given(TEXT | st.integers() | st.text(st.sampled_from("0123456789 +.-()"), max_size=20))
def test_phone_normalisation_is_idempotent(value):
    once = normalise_phone(value)
    assert once is None or normalise_phone(once) == once


MOBILE_PREFIXES = ["90", "91", "93", "94", "96", "97", "98", "32", "33", "35", "36", "37", "38", "39", "70", "76",
                   "77", "78", "79", "81", "82", "83", "84", "85", "86", "88", "89"]


@FAST
@given(st.sampled_from(MOBILE_PREFIXES), st.integers(0, 9_999_999), st.sampled_from([" ", ".", "-", ""]))
def test_a_vietnamese_mobile_is_one_number_however_written(prefix, rest, sep):
    national = f"{prefix}{rest:07d}"
    expected = normalise_phone(f"0{national}")
    assume(expected is not None)  # not every range is allocated
    assert expected == f"+84{national}"
    written = [f"0{national}", f"+84{national}", f"0{national[:3]}{sep}{national[3:6]}{sep}{national[6:]}",
               f"84{national}", int(national), float(national)]
    assert {normalise_phone(w) for w in written} == {expected}


@FAST
@given(CELL)
def test_a_card_number_cell_is_text_or_refused(value):
    errors: list = []
    check = RowChecker(_sheet(), errors, TODAY)
    check.start(2)
    card = check.card({"card_number": value})
    assert card is None or (isinstance(card, str) and card == importer.clean_text(card) and card)
    assert all(e.code is ErrorCode.too_long for e in errors)
