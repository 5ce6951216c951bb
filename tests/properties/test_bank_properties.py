"""Property-based tests of the quiz's question bank (models/study/bank.py): any row a spreadsheet can hold is a
question Telegram's quiz polls take, or the row's problems — never an exception; any bytes are a bank or BankError."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models import study
from models.study import BankError, Columns, Question
from models.text import fold

FAST = settings(max_examples=200, deadline=None)
TEXT = st.text(max_size=120)
CELL = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.datetimes(), st.dates(), TEXT,
    st.sampled_from(["", " ", "A", "b", "C", "j", "K", "1", "10", "11", "0", "Đúng", "Sai", "phương án B",
                     "\u202eevil", "\x00", "x" * 101, "y" * 301]),
)
COLUMNS = Columns(question=0, answer=5, options=[1, 2, 3, 4], explanation=6)


@FAST
@given(st.lists(CELL, max_size=8))
@example(["Câu hỏi?", "Có", "Không", None, None, "B", None])
@example(["Câu hỏi?", "Có", None, "Không", None, "A", None])
def test_any_row_is_a_question_polls_take_or_its_problems(cells):
    found = study.question_of_row(7, cells, COLUMNS)
    if isinstance(found, Question):
        assert 1 <= len(found.text) <= study.QUESTION_MAX
        assert study.OPTIONS_MIN <= len(found.options) <= study.OPTIONS_MAX
        assert all(1 <= len(o) <= study.OPTION_MAX for o in found.options)
        assert len({fold(o) for o in found.options}) == len(found.options)
        assert 0 <= found.correct < len(found.options)
        assert found.explanation is None or 1 <= len(found.explanation) <= study.EXPLANATION_MAX
    else:
        assert found and all(p.row == 7 and p.reason for p in found)


@FAST
@given(st.binary(max_size=300), st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0"]))
def test_any_bytes_are_a_bank_or_refused(data, head):
    try:
        questions = study.read_bank(head + data)
    except BankError as exc:
        assert exc.code in {"not_xlsx", "old_excel", "empty", "too_large", "too_inflated", "no_header",
                            "no_questions", "too_many", "rows"}
    else:
        assert questions and all(isinstance(q, Question) for q in questions)
