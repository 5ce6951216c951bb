"""Property-based tests of what a member writes to correct their profile: any text for any field is the
new value in canonical form or a BadValue naming why; a work-history entry ("1990 - nay: …") and a date
shown back as written parse to the same value again."""
from __future__ import annotations

from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models import corrections
from models.corrections import BadValue, CorrectionField, display_value, parse_work_entry, validate
from models.dates import format_date
from models.members import Member

FAST = settings(max_examples=200, deadline=None)
TEXT = st.text(max_size=80) | st.text(st.sampled_from("0123456789 -–:.,/nayowđếntừ+"), max_size=30)
DESCRIPTION = st.text(min_size=2, max_size=60).filter(lambda s: len(" ".join(s.split())) >= 2)


def _member() -> Member:
    return Member(full_name="Lê Thị Thu", cell_id=1, birth_date=date(1950, 5, 12), joined_on=date(1975, 3, 26),
                  official_on=date(1976, 3, 26), phone="+84905111222", card_number="07.023234")


@FAST
@given(st.sampled_from(list(CorrectionField)), TEXT | st.just("x" * 10_000))
@example(CorrectionField.birth_date, "31/02/1950")
@example(CorrectionField.joined_on, "29/02/1975")
@example(CorrectionField.work_history, "1995 - 1990: Giáo viên")
@example(CorrectionField.work_history, "1990 - nay")
@example(CorrectionField.phone, "²")
def test_any_correction_is_a_canonical_value_or_refused(fld, text):
    try:
        value = validate(_member(), fld, text)
    except BadValue as exc:
        assert exc.reason
    else:
        assert value and "\x00" not in value
        assert display_value(fld, value) is not None


@FAST
@given(st.integers(1900, 2100), st.integers(0, 60) | st.none(), DESCRIPTION, st.sampled_from([" - ", "–", " đến "]))
def test_a_work_entry_splits_into_its_period_and_description(start, length, what, dash):
    end = "nay" if length is None else str(start + length)
    if length is not None and start + length > 9999:
        return
    entry = parse_work_entry(f"{start}{dash}{end}: {what}")
    assert entry == {"from": str(start), "to": end, "description": " ".join(what.split())}
    shown = display_value(CorrectionField.work_history, corrections.json.dumps(entry))
    assert parse_work_entry(shown) == entry


@FAST
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(1950, 5, 11)))
def test_a_birth_date_shown_back_parses_to_itself(d):
    value = validate(_member(), CorrectionField.birth_date, format_date(d))
    assert value == d.isoformat()
    assert validate(_member(), CorrectionField.birth_date, display_value(CorrectionField.birth_date, value)) == value
