"""Callback data as the client sends it back: parsed into ids, or refused with None."""
from __future__ import annotations

import pytest

from models.callback_data import parse_ints
from models.members import Member
from models.units import Unit


def test_our_buttons_data_parses():
    assert parse_ints("ml:12:3", "ml", 2) == [12, 3]
    assert parse_ints("mp:7", "mp", 1) == [7]
    for forged in ("ml:12", "ml:12:3:4", "mp:7", "ml:a:1", "ml:-1:0", "ml:1:", "ml", ""):
        assert parse_ints(forged, "ml", 2) is None, forged


@pytest.mark.parametrize("data", ["mp:²", "mp:①", "mp:٣", "mp:߁"])
def test_digits_other_than_ascii_are_refused(data):
    """Regression: "mp:²" passed str.isdigit() and int("²") raised ValueError in the handler."""
    assert parse_ints(data, "mp", 1) is None


@pytest.mark.parametrize("data", ["mp:2147483648", "mp:99999999999"])
def test_ids_past_the_integer_columns_are_refused(data):
    """Regression: "mp:99999999999" parsed, and PostgreSQL refused the lookup (value out of int32 range)."""
    assert parse_ints(data, "mp", 1) is None


async def test_the_largest_id_parsed_can_be_looked_up(session):
    [largest] = parse_ints("mp:2147483647", "mp", 1)
    assert await session.get(Unit, largest) is None
    assert await session.get(Member, largest) is None
