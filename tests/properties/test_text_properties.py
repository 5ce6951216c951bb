"""Properties of the free-text normaliser (models/text.py) over any text, hostile text weighted in."""
from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models.text import clean_line, clean_text, fold

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that make trouble, drawn often; the rest is any text at all.
HOSTILE = st.sampled_from(sorted(BIDI) + ["\x00", "\x1b", "\x7f", "\x85", "\x9b", "\r", "\n", "\t", "\v", "\u2028",
                                          "\u2029", "\ufeff", "\u200b", "\u200c", "\u200d", "\u0300", "\u0301",
                                          "\u0323", "\u09cd", "a", "A", "đ", "Đ", "\xa0", " ", "\u2000", "\u1100",
                                          "\u1161", "\u11a8"])
TEXT = st.one_of(st.text(), st.lists(st.one_of(HOSTILE, st.characters()), max_size=40).map("".join))
CLEANERS = [clean_line, clean_text, fold]


def controls(s: str) -> set[str]:
    return {ch for ch in s if unicodedata.category(ch) == "Cc" and ch not in "\n\t"}


@settings(max_examples=400)
@given(TEXT)
@example("\x00\x1b[31m\u202eHa\u0300\x85\u200d")
@example("a\u202e\u0300")  # removing the override lets the accent compose: NFC must come after
def test_normalisers_never_raise_and_are_idempotent(text):
    for clean in CLEANERS:
        once = clean(text)
        assert clean(once) == once


@settings(max_examples=400)
@given(TEXT)
def test_output_has_no_controls_but_newline_and_tab_no_bidi_and_is_nfc(text):
    for clean in CLEANERS:
        out = clean(text)
        assert not controls(out)
        assert not BIDI & set(out)
        assert "\ufeff" not in out and "\u2028" not in out and "\u2029" not in out
        assert unicodedata.is_normalized("NFC", out)
        assert out == out.strip()


@given(TEXT)
def test_one_line_fields_have_no_line_breaks_or_tabs(text):
    assert not {"\n", "\t"} & set(clean_line(text))
    assert "  " not in clean_line(text)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1),
       st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1))
def test_zwj_and_zwnj_are_kept(left, right):
    for joiner in ("\u200d", "\u200c"):
        text = f"x{left}{joiner}{right}x"
        assert clean_text(text).count(joiner) == text.count(joiner)
        assert clean_line(text).count(joiner) == text.count(joiner)


@given(TEXT)
def test_multi_line_text_keeps_its_lines(text):
    """Only the ends are trimmed: as many line breaks inside as there were (of every kind)."""
    out = clean_text(text)
    unified = text.replace("\r\n", "\n")
    breaks = sum(unified.count(ch) for ch in "\n\r\x85\u2028\u2029")
    assert out.count("\n") <= breaks


VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " \t"))
def test_fold_of_vietnamese_is_plain_lower_ascii_whatever_the_case_and_form(text):
    out = fold(text)
    assert out.isascii() and out == out.lower()
    assert fold(text.upper()) == fold(text.lower()) == fold(unicodedata.normalize("NFD", text)) == out
