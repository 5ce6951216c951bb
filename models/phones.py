"""Phone numbers in one format (E.164), so "0905 111 222" and "+84905111222" are one number."""
from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "VN"


class BadPhone(ValueError):
    """The text is not a valid phone number; `reason` is "empty", "unparsable" or "invalid"."""

    def __init__(self, reason: str, text: str = ""):
        super().__init__(f"{reason}: {text!r}")
        self.reason = reason
        self.text = text


def parse_phone(text: str | int | float | None, region: str = DEFAULT_REGION) -> str:
    """The number as E.164 ("+84905111222"); raises BadPhone when it cannot be a real number."""
    raw = _as_text(text)
    if not raw:
        raise BadPhone("empty", raw)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise BadPhone("unparsable", raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("invalid", raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(text: str | int | None, region: str = DEFAULT_REGION) -> str | None:
    """The number as E.164, or None when it is empty or not a valid number."""
    try:
        return parse_phone(text, region)
    except BadPhone:
        return None


def _as_text(value: str | int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        # A spreadsheet cell formatted as a number: 905111222.0 has lost its leading zero only.
        value = int(value)
    return str(value).strip()
