"""How each language says a number, a date and a time: the words normalize's tables (audio/normalize.py) use."""

from __future__ import annotations

from babel.dates import get_month_names
from num2words import num2words as _num2words

# ---------------------------------------------------------------- numbers per language

_VI_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BN_DIGITS = ("শূন্য", "এক", "দুই", "তিন", "চার", "পাঁচ", "ছয়", "সাত", "আট", "নয়")


def _num_words(number: int, lang: str, to: str = "cardinal") -> str:
    """num2words with a type: the package has no annotations."""
    return str(_num2words(number, lang=lang, to=to))


def _vi_group(n: int, inner: bool) -> str:
    """0 < n < 1000; an inner group keeps its zero hundreds ("không trăm lẻ năm")."""
    if not inner or n >= 100:
        return _num_words(n, lang="vi")
    if n < 10:
        return f"không trăm lẻ {_VI_DIGITS[n]}"
    return f"không trăm {_num_words(n, lang='vi')}"


def _vi_below_billion(n: int, inner: bool) -> str:
    words = []
    for scale, name in ((10**6, "triệu"), (10**3, "nghìn"), (1, "")):
        group, n = divmod(n, scale)
        if group:
            words.append(_vi_group(group, inner) + (f" {name}" if name else ""))
            inner = True
    return " ".join(words)


def vi_cardinal(n: int) -> str:
    # Own grouping above 999 because num2words' vi drops "không trăm" (2026 → "hai nghìn lẻ hai mươi sáu").
    if n < 0:
        return "âm " + vi_cardinal(-n)
    if n < 1000:
        return _num_words(n, lang="vi")
    billions, rest = divmod(n, 10**9)
    if not billions:
        return _vi_below_billion(rest, inner=False)
    head = vi_cardinal(billions) + " tỷ"
    return f"{head} {_vi_below_billion(rest, inner=True)}" if rest else head


def vi_ordinal(n: int) -> str:
    return {1: "nhất", 4: "tư"}.get(n) or vi_cardinal(n)


def vi_fraction(digits: str) -> str:
    # "2,05" is read "hai phẩy không năm": leading zeros aloud, the rest as a number.
    if len(digits) > 3:
        return " ".join(_VI_DIGITS[int(d)] for d in digits)
    zeros = len(digits) - len(digits.lstrip("0"))
    rest = digits[zeros:]
    return " ".join([_VI_DIGITS[0]] * zeros + ([vi_cardinal(int(rest))] if rest else []))


def en_cardinal(n: int) -> str:
    return _num_words(n, lang="en").replace(",", "")  # "one thousand, five hundred" would pause mid-number


def en_ordinal(n: int) -> str:
    return _num_words(n, lang="en", to="ordinal")


def en_year(n: int) -> str:
    return _num_words(n, lang="en", to="year")


def en_digits(digits: str) -> str:
    return " ".join(_num_words(int(d), lang="en") for d in digits)


def bn_digits(digits: str) -> str:
    return " ".join(_BN_DIGITS[int(d)] for d in digits)


def bn_cardinal(n: int) -> str:
    try:
        return _num_words(n, lang="bn")
    except (NotImplementedError, OverflowError):  # older num2words had no "bn"
        return bn_digits(str(n))


def vi_digits(digits: str) -> str:
    return " ".join(_VI_DIGITS[int(d)] for d in digits)


# ---------------------------------------------------------------- dates and times per language

_VI_MONTHS = ("một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai")


def _months(locale: str) -> tuple[str, ...]:
    names = get_month_names("wide", locale=locale)
    return tuple(names[m] for m in range(1, 13))


def vi_date(day: int | None, month: int, year: int | None) -> str:
    words = [f"ngày {vi_cardinal(day)}"] if day else []
    words.append(f"tháng {_VI_MONTHS[month - 1]}")
    if year is not None:
        words.append(f"năm {vi_cardinal(year)}")
    return " ".join(words)


def vi_time(hour: int, minute: int) -> str:
    return f"{vi_cardinal(hour)} giờ" + (f" {vi_cardinal(minute)}" if minute else "")


_EN_MONTHS = _months("en")


def en_date(day: int | None, month: int, year: int | None) -> str:
    name = _EN_MONTHS[month - 1]
    if day is None:
        return name if year is None else f"{name} {en_year(year)}"
    words = f"the {en_ordinal(day)} of {name}"
    return words if year is None else f"{words}, {en_year(year)}"


def en_time(hour: int, minute: int) -> str:
    if not minute:
        return f"{en_cardinal(hour)} o'clock"
    return f"{en_cardinal(hour)} {'oh ' if minute < 10 else ''}{en_cardinal(minute)}"


_BN_MONTHS = _months("bn")


def bn_date(day: int | None, month: int, year: int | None) -> str:
    words = ([bn_cardinal(day)] if day else []) + [_BN_MONTHS[month - 1]]
    return " ".join(words + ([bn_cardinal(year)] if year is not None else []))


def bn_time(hour: int, minute: int) -> str:
    return f"{bn_cardinal(hour)}টা" + (f" {bn_cardinal(minute)} মিনিট" if minute else "")
