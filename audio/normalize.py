"""Text normalisation before speech: numbers, dates, times and abbreviations said as words.

Everything a language needs is in one `Reading` table (its words for numbers, dates and times
in audio/spoken.py); `normalize` runs the same steps for every language, so a new abbreviation
or a new language is a table entry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from audio.packing import pack
from audio.spoken import (
    bn_cardinal,
    bn_date,
    bn_digits,
    bn_time,
    en_cardinal,
    en_date,
    en_digits,
    en_ordinal,
    en_time,
    vi_cardinal,
    vi_date,
    vi_digits,
    vi_fraction,
    vi_ordinal,
    vi_time,
)

__all__ = [
    "AudioError",
    "NothingToSay",
    "UnsupportedLanguage",
    "SUPPORTED_LANGUAGES",
    "Reading",
    "READINGS",
    "normalize",
    "split_into_parts",
    "roman_to_int",
]


class AudioError(Exception):
    """Anything the audio package refuses or fails to do."""


class NothingToSay(AudioError, ValueError):
    """The text is empty or holds only symbols: there is nothing to speak."""


class UnsupportedLanguage(AudioError, ValueError):
    """The handbook speaks vi, en and bn only."""

    def __init__(self, lang: object):
        super().__init__(f"unsupported language: {lang!r} (expected one of {', '.join(SUPPORTED_LANGUAGES)})")
        self.lang = lang


# ---------------------------------------------------------------- the tables

_BN_TO_ASCII = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")

VI_ABBREVIATIONS: Mapping[str, str] = {
    "TW": "Trung ương",
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "MTTQ": "Mặt trận Tổ quốc",
    "BCH": "Ban Chấp hành",
    "BTV": "Ban Thường vụ",
    "BCT": "Bộ Chính trị",
    "UBKT": "Ủy ban Kiểm tra",
    "BTC": "Ban Tổ chức",
    "BTG": "Ban Tuyên giáo",
    "ĐU": "Đảng ủy",
    "CB": "chi bộ",
    "ĐV": "đảng viên",
    "Đ/c": "đồng chí",
    "đ/c": "đồng chí",
    "QĐ": "quyết định",
    "NQ": "nghị quyết",
    "CT": "chỉ thị",
    "KH": "kế hoạch",
    "TB": "thông báo",
    "BC": "báo cáo",
    "HD": "hướng dẫn",
    "KL": "kết luận",
    "CV": "công văn",
    "NĐ": "nghị định",
    "CP": "Chính phủ",
    "TTg": "Thủ tướng",
    "QH": "Quốc hội",
    "ĐCSVN": "Đảng Cộng sản Việt Nam",
    "CNXH": "chủ nghĩa xã hội",
    "VN": "Việt Nam",
    "TP.HCM": "Thành phố Hồ Chí Minh",
    "TP. HCM": "Thành phố Hồ Chí Minh",
    "HCM": "Hồ Chí Minh",
    "TP": "thành phố",
    "KP": "khu phố",
}

EN_ABBREVIATIONS: Mapping[str, str] = {
    "CPV": "Communist Party of Vietnam",
    "e.g.": "for example",
    "i.e.": "that is",
}

# Uppercase Roman numerals after these words are numbers (the pronoun "I" never follows them).
VI_ROMAN_CONTEXTS = ("đại hội", "khóa", "khoá", "lần thứ", "thứ", "lần", "hội nghị", "kỳ họp", "quốc hội",
                     "phần", "chương", "mục", "thế kỷ", "hạng")
EN_ROMAN_CONTEXTS = ("part", "chapter", "section", "volume", "war", "congress", "plenum", "session",
                     "article", "book", "phase", "stage", "class", "grade", "term")


@dataclass(frozen=True)
class Reading:
    """How one language reads numbers, dates, times and abbreviations aloud."""

    cardinal: Callable[[int], str]
    ordinal: Callable[[int], str]
    digits: Callable[[str], str]
    fraction: Callable[[str], str]
    date: Callable[[int | None, int, int | None], str]
    time: Callable[[int, int], str]
    decimal_word: str
    percent_word: str
    range_word: str
    thousands: str  # regex of an integer written with thousands separators
    decimal_sep: str
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    roman_contexts: tuple[str, ...] = ()
    ordinal_markers: tuple[str, ...] = ()  # words before a number that make it an ordinal
    ordinal_suffix: str | None = None  # regex of a suffix after digits that makes an ordinal
    time_marker: str = ":"  # regex between hour and minutes
    date_leads: tuple[str, ...] = ()  # words that already introduce a date, not said twice
    month_leads: tuple[str, ...] = ()  # the same for a month and year
    symbols: Mapping[str, str] = field(default_factory=dict)


# List bullets are read as a pause in every language.
BULLETS = {"•": ",", "●": ",", "▪": ","}

READINGS: dict[str, Reading] = {
    "vi": Reading(
        cardinal=vi_cardinal, ordinal=vi_ordinal, digits=vi_digits, fraction=vi_fraction,
        date=vi_date, time=vi_time,
        decimal_word="phẩy", percent_word="phần trăm", range_word="đến",
        thousands=r"\d{1,3}(?:\.\d{3})+(?!\d)", decimal_sep=",",
        abbreviations=VI_ABBREVIATIONS, roman_contexts=VI_ROMAN_CONTEXTS, ordinal_markers=("thứ",),
        time_marker=r"(?::|h|H|g)", date_leads=("ngày", "mùng", "mồng"), month_leads=("tháng",),
        symbols={"&": " và ", "…": ".", **BULLETS},
    ),
    "en": Reading(
        cardinal=en_cardinal, ordinal=en_ordinal, digits=en_digits, fraction=en_digits,
        date=en_date, time=en_time,
        decimal_word="point", percent_word="percent", range_word="to",
        thousands=r"\d{1,3}(?:,\d{3})+(?!\d)", decimal_sep=".",
        abbreviations=EN_ABBREVIATIONS, roman_contexts=EN_ROMAN_CONTEXTS,
        ordinal_suffix=r"(?:st|nd|rd|th)",
        symbols={"&": " and ", "…": ".", **BULLETS},
    ),
    "bn": Reading(
        cardinal=bn_cardinal, ordinal=bn_cardinal, digits=bn_digits, fraction=bn_digits,
        date=bn_date, time=bn_time,
        decimal_word="দশমিক", percent_word="শতাংশ", range_word="থেকে",
        thousands=r"\d{1,3}(?:,\d{2,3})+(?!\d)", decimal_sep=".",
        symbols={"&": " এবং ", "…": "।", **BULLETS},
    ),
}

SUPPORTED_LANGUAGES = tuple(READINGS)


# ---------------------------------------------------------------- the steps

_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(numeral: str) -> int | None:
    """The value of a well-formed uppercase Roman numeral, else None."""
    if not numeral or not _ROMAN.fullmatch(numeral):
        return None
    total = 0
    for this, after in zip(numeral, numeral[1:] + " ", strict=True):
        value = _ROMAN_VALUES[this]
        total += -value if value < _ROMAN_VALUES.get(after, 0) else value
    return total


def _integer(reading: Reading, raw: str) -> str:
    plain = re.sub(r"\D", "", raw)
    # Phone and card numbers ("0905111222") and very long runs are read digit by digit.
    if (plain.startswith("0") and len(plain) > 2) or len(plain) > 15:
        return reading.digits(plain)
    return reading.cardinal(int(plain))


def _words(text: str) -> str:
    return f" {text} "


def read_document_numbers(text: str, reading: Reading) -> str:
    """"số 57-NQ/TW" → "số năm mươi bảy nghị quyết Trung ương"."""
    pattern = r"(?<![\w/.-])\d+(?:[/-](?:\d+|[A-ZĐ][A-Za-zĐđ]*))+(?![\w/])"

    def say(match: re.Match[str]) -> str:
        segments = re.split(r"[/-]", match.group())
        if not any(s[0].isalpha() for s in segments):
            return match.group()  # a date or a range: later steps read it
        spoken = [_integer(reading, s) if s.isdigit() else reading.abbreviations.get(s, s) for s in segments]
        return _words(" ".join(spoken))

    return re.sub(pattern, say, text)


def _leads(words: tuple[str, ...]) -> str:
    if not words:
        return ""
    return rf"(?:(?P<lead>\b(?i:{'|'.join(words)}))\s+)?"


def _say_date(reading: Reading, match: re.Match[str], day: int | None, month: int, year: int | None) -> str:
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return match.group()
    words = reading.date(day, month, year)
    lead = match.groupdict().get("lead")
    if lead:
        words = lead + " " + words.split(" ", 1)[1]  # "mùng 5/12" keeps "mùng" instead of "ngày"
    return _words(words)


def read_dates(text: str, reading: Reading) -> str:
    """dd/mm/yyyy, mm/yyyy and dd/mm, day first as in Vietnam."""
    day_leads, month_leads = _leads(reading.date_leads), _leads(reading.month_leads)
    edge, end = r"(?<![\w/.,-])", r"(?![\w/-]|[.,]\d)"
    full = rf"{edge}{day_leads}(?P<d>\d{{1,2}})(?P<sep>[/.-])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}){end}"
    month_year = rf"{edge}{month_leads}(?P<m>\d{{1,2}})/(?P<y>\d{{4}}){end}"
    short = rf"{edge}{day_leads}(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}}){end}"
    text = re.sub(full, lambda m: _say_date(reading, m, int(m["d"]), int(m["m"]), int(m["y"])), text)
    text = re.sub(month_year, lambda m: _say_date(reading, m, None, int(m["m"]), int(m["y"])), text)
    return re.sub(short, lambda m: _say_date(reading, m, int(m["d"]), int(m["m"]), None), text)


def read_times(text: str, reading: Reading) -> str:
    """19:30, 19h30 and 19h as hours and minutes."""
    edge = r"(?<![\w:.,])"
    hour = r"(?P<h>[01]?\d|2[0-3])"
    with_minutes = rf"{edge}{hour}{reading.time_marker}(?P<m>[0-5]\d)(?![\w:])"
    text = re.sub(with_minutes, lambda m: _words(reading.time(int(m["h"]), int(m["m"]))), text)
    if reading.time_marker != ":":
        text = re.sub(rf"{edge}{hour}[hH](?!\w)", lambda m: _words(reading.time(int(m["h"]), 0)), text)
    return text


def read_percentages(text: str, reading: Reading) -> str:
    return re.sub(r"(?<=\d)\s?%", f" {reading.percent_word} ", text)


def read_roman_numerals(text: str, reading: Reading) -> str:
    """Roman numerals only where they are clearly numbers: after a context word, or heading a line."""

    def say(match: re.Match[str], ordinal: bool = False) -> str:
        value = roman_to_int(match["roman"])
        if value is None:
            return match.group()
        number = reading.ordinal(value) if ordinal else reading.cardinal(value)
        return f"{match['lead']}{number}{match.groupdict().get('tail') or ''}"

    if reading.roman_contexts:
        contexts = "|".join(re.escape(c) for c in sorted(reading.roman_contexts, key=len, reverse=True))
        pattern = rf"(?P<lead>\b(?i:(?P<context>{contexts}))\s+)(?P<roman>[IVXLCDM]+)\b(?![\w'’])"
        markers = {m.casefold() for m in reading.ordinal_markers}
        text = re.sub(pattern, lambda m: say(m, m["context"].casefold().split()[-1] in markers), text)
    # Headings use small numerals; "C." and "D." in a lettered list must stay letters.
    heading = r"(?m)^(?P<lead>[ \t]*)(?P<roman>[IVX]+)(?P<tail>[.)]\s)"
    return re.sub(heading, say, text)


def read_ordinals(text: str, reading: Reading) -> str:
    """"lần thứ 3" → "lần thứ ba"; "3rd" → "third"."""
    if reading.ordinal_markers:
        markers = "|".join(reading.ordinal_markers)
        text = re.sub(rf"(?P<lead>\b(?i:{markers})\s+)(?P<n>\d+)(?![\d.,]\d|\w)",
                      lambda m: m["lead"] + reading.ordinal(int(m["n"])), text)
    if reading.ordinal_suffix:
        text = re.sub(rf"(?<!\d)(?P<n>\d+){reading.ordinal_suffix}\b",
                      lambda m: reading.ordinal(int(m["n"])), text)
    return text


def read_abbreviations(text: str, reading: Reading) -> str:
    if not reading.abbreviations:
        return text
    keys = sorted(reading.abbreviations, key=len, reverse=True)
    pattern = r"(?<![\w])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w])"
    return re.sub(pattern, lambda m: reading.abbreviations[m.group()], text)


def read_ranges(text: str, reading: Reading) -> str:
    """"2020-2025" → "2020 đến 2025"; not chains like phone numbers 0905-111-222."""
    return re.sub(r"(?<![\w.,/-])(\d+)\s?[-–]\s?(\d+)(?![\w/-]|[.,]\d)",
                  rf"\1 {reading.range_word} \2", text)


def read_numbers(text: str, reading: Reading) -> str:
    sep = re.escape(reading.decimal_sep)
    pattern = rf"(?P<int>{reading.thousands}|\d+)(?:{sep}(?P<frac>\d+))?"

    def say(match: re.Match[str]) -> str:
        words = _integer(reading, match["int"])
        if match["frac"]:
            words += f" {reading.decimal_word} {reading.fraction(match['frac'])}"
        return _words(words)

    return re.sub(pattern, say, text)


def read_symbols(text: str, reading: Reading) -> str:
    for symbol, words in reading.symbols.items():
        text = text.replace(symbol, words)
    return re.sub(r"(?<=[^\W\d_])/(?=[^\W\d_])", " ", text)  # "nghị quyết/Trung ương" has no slash to say


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    text = re.sub(r" +([,.;:!?।])", r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


STEPS: tuple[Callable[[str, Reading], str], ...] = (
    read_document_numbers,
    read_dates,
    read_times,
    read_percentages,
    read_roman_numerals,
    read_ordinals,
    read_abbreviations,
    read_ranges,
    read_numbers,
    read_symbols,
)


def reading_for(lang: str) -> Reading:
    try:
        return READINGS[lang]
    except (KeyError, TypeError):
        raise UnsupportedLanguage(lang) from None


def normalize(text: str, lang: str) -> str:
    """The text as it should be spoken: numbers, dates, times and abbreviations in words.

    Raises UnsupportedLanguage for a language other than vi, en, bn and NothingToSay when
    nothing speakable is left.
    """
    reading = reading_for(lang)
    if not isinstance(text, str) or not text.strip():
        raise NothingToSay("the text is empty")
    # NFC first: text pasted from Word is often decomposed, and the tables are composed.
    text = unicodedata.normalize("NFC", text).translate(_BN_TO_ASCII)
    for step in STEPS:
        text = step(text, reading)
    text = _tidy(text)
    if not any(ch.isalnum() for ch in text):
        raise NothingToSay("the text holds no words or numbers")
    return text


# ---------------------------------------------------------------- splitting long texts

_SENTENCE_END = re.compile(r"(?<=[.!?…;:।])\s+")
_CLAUSE_END = re.compile(r"(?<=,)\s+")


def _pieces(sentence: str, max_chars: int) -> list[str]:
    """A sentence cut at commas, then at spaces, then anywhere, into pieces of at most max_chars."""
    if len(sentence) <= max_chars:
        return [sentence]
    for splitter in (_CLAUSE_END, re.compile(r"\s+")):
        parts = splitter.split(sentence)
        if len(parts) > 1:
            return _pack([(p, " ") for piece in parts for p in _pieces(piece, max_chars)], max_chars)
    return [sentence[i:i + max_chars] for i in range(0, len(sentence), max_chars)]


def _pack(units: list[tuple[str, str]], max_chars: int) -> list[str]:
    """Greedily joins (unit, separator-before-it) pairs into parts of at most max_chars."""
    return pack(units, lambda part: len(part) <= max_chars)


def split_into_parts(text: str, max_chars: int) -> list[str]:
    """The text in parts of at most max_chars, cut at paragraph, then sentence, then clause ends."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    units: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        sep = "\n\n"
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            for piece in _pieces(sentence.strip(), max_chars):
                if piece:
                    units.append((piece, sep))
                    sep = " "
    return _pack(units, max_chars)
