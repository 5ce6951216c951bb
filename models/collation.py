"""Vietnamese order of names, as a key both databases sort alike.

A roster in Vietnam is read in the order of the given name (tên, the last word), then the family
and middle names, letter by letter in the Vietnamese alphabet — a ă â b c d đ e ê g h i k l m n o
ô ơ p q r s t u ư v x y — with the tones deciding only between names spelt alike: ngang, huyền,
hỏi, ngã, sắc, nặng (the dictionary order). Byte order instead puts "Đào" after "Yến" and "Ánh"
after "Anh Zũng".

The given name is compared whole (letters, then tones) before the other words are looked at.
`name_key` turns a name into a string of digits whose plain byte order is that order; SQLite
(BINARY) and PostgreSQL (any collation: digits sort alike everywhere) agree on it, so lists are
ordered and paged in SQL by the members.sort_name column it fills.
"""
from __future__ import annotations

import re
import unicodedata

# Base letters with their vowel modifier (breve, circumflex, horn), in the Vietnamese alphabet;
# f, j, w and z (foreign names) where the Latin alphabet puts them.
ALPHABET = ["a", "a\u0306", "a\u0302", "b", "c", "d", "đ", "e", "e\u0302", "f", "g", "h", "i", "j", "k", "l", "m",
            "n", "o", "o\u0302", "o\u031b", "p", "q", "r", "s", "t", "u", "u\u031b", "v", "w", "x", "y", "z"]
LETTER_CODE = {letter: f"{i + 10:02d}" for i, letter in enumerate(ALPHABET)}
OTHER_CODE = "90"  # digits, other scripts: after every letter
SEPARATOR = "00"  # between words kept apart (given name | the rest | the tones): before every letter
MODIFIERS = {"\u0306", "\u0302", "\u031b"}
TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}  # none is "0"
KEY_LENGTH = 700  # the column's size: a 200-character name needs at most 2 × 200 + 200 + 6


def _letters(word: str) -> tuple[str, str]:
    """(letter codes, tone digits) of one word."""
    codes: list[str] = []
    tones: list[str] = []
    for char in word:
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        letter = base + "".join(m for m in marks if m in MODIFIERS)
        code = LETTER_CODE.get(letter) or LETTER_CODE.get(base)
        if code is None:
            if not char.isalnum():
                continue  # hyphens, dots, apostrophes do not count
            code = OTHER_CODE
        codes.append(code)
        tones.append(next((TONES[m] for m in marks if m in TONES), "0"))
    return "".join(codes), "".join(tones)


def name_key(full_name: str | None) -> str:
    """The sort key of a name: given name first, Vietnamese letters, tones last."""
    words = [w for w in unicodedata.normalize("NFC", (full_name or "").casefold()).split() if w]
    if not words:
        return ""
    given_letters, given_tones = _letters(words[-1])
    rest = [_letters(w) for w in words[:-1]]
    # The given name decides first, its tones included; then the family and middle names.
    key = (given_letters + SEPARATOR + given_tones + SEPARATOR
           + SEPARATOR.join(letters for letters, _ in rest) + SEPARATOR + "".join(tones for _, tones in rest))
    return key[:KEY_LENGTH]


_NUMBER = re.compile(r"(\d+)")


def title_key(title: str | None) -> tuple[tuple[int, int | str], ...]:
    """The sort key of a unit's name: words in their order, Vietnamese letters, numbers by value
    ("Chi bộ Tổ dân phố 2" before "Chi bộ Tổ dân phố 10"), tones last."""
    text = unicodedata.normalize("NFC", (title or "").casefold())
    parts: list[tuple[int, int | str]] = []
    tones: list[str] = []
    for i, chunk in enumerate(_NUMBER.split(text)):
        if i % 2:  # a run of digits
            parts.append((0, int(chunk)))
            continue
        words = [_letters(w) for w in chunk.split()]
        if words:
            parts.append((1, SEPARATOR.join(letters for letters, _ in words)))
            tones.append("".join(t for _, t in words))
    return (*parts, (2, "".join(tones)))
