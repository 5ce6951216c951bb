"""Property-based tests of callback data parsing: the client sends back up to 64 bytes that it may have
forged. Any such string is a list of usable ids or None (the handlers' refusal), never an exception;
the data our buttons carry parses back to the ids they were built from."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.callback_data import ID_MAX, parse_ints

FAST = settings(max_examples=300, deadline=None)
# Every prefix the handlers parse, with how many numbers follow it.
PREFIXES = {"bh": 1, "bl": 1, "bn": 1, "bp": 1, "bq": 1, "bu": 1, "bx": 1, "cra": 1, "crf": 1, "crj": 1,
            "crl": 1, "cro": 1, "crs": 1, "fbc": 1, "fbd": 2, "fbg": 1, "fbl": 3, "fbm": 1, "fbo": 1, "fbr": 1,
            "fbu": 1, "fbx": 1, "gD": 1, "gW": 1, "ga": 1, "gc": 1, "gn": 1, "go": 1, "gp": 1, "gz": 2, "iv": 1,
            "ml": 2, "mp": 1, "nd": 1, "ni": 1, "nm": 1, "no": 1, "nq": 1, "nr": 1, "ns": 1, "nt": 1, "nx": 1,
            "v": 2, "vc": 1, "vo": 1, "vr": 1, "vs": 1, "vv": 1, "vx": 1, "vy": 1}
PREFIX = st.sampled_from(sorted(PREFIXES))


def _fits(text: str) -> bool:
    return len(text.encode()) <= 64


# Forged data for a prefix: arbitrary text, and text built like ours with anything where the numbers go
# (digits of every script, signs, spaces, numbers of any size), one part too few or too many now and then.
DIGITISH = st.characters(categories=["Nd", "No", "Nl"]) | st.sampled_from("0123456789-+ _")


def forged(prefix: str) -> st.SearchStrategy[str]:
    count = PREFIXES[prefix]
    sizes = st.integers(max(0, count - 1), count + 1)
    return st.one_of(
        st.text(max_size=64),
        sizes.flatmap(lambda n: st.lists(st.text(DIGITISH, max_size=13), min_size=n, max_size=n)),
        sizes.flatmap(lambda n: st.lists(st.integers().map(str), min_size=n, max_size=n)),
    ).map(lambda parts: parts if isinstance(parts, str) else f"{prefix}:" + ":".join(parts)).filter(_fits)


@FAST
@given(PREFIX, st.data())
def test_any_callback_data_is_usable_ids_or_none(prefix, data):
    check_forged(data.draw(forged(prefix)), prefix)


@pytest.mark.parametrize("data, prefix", [("mp:²", "mp"), ("mp:99999999999", "mp"), ("ml:1:", "ml"),
                                          ("ml::1", "ml"), ("mp:-1", "mp"), ("mp:٣", "mp")])
def test_known_forgeries_are_refused(data, prefix):
    check_forged(data, prefix)
    assert parse_ints(data, prefix, PREFIXES[prefix]) is None


def check_forged(data: str, prefix: str) -> None:
    count = PREFIXES[prefix]
    ids = parse_ints(data, prefix, count)
    if ids is not None:
        assert len(ids) == count
        assert all(type(i) is int and 0 <= i <= ID_MAX for i in ids)  # a key an Integer column can hold
        head, *parts = data.split(":")
        assert head == prefix and all(p.isascii() and p.isdigit() for p in parts)  # ours: ASCII digits only
        assert [int(p) for p in parts] == ids


@FAST
@given(PREFIX, st.data())
def test_the_data_of_our_buttons_parses_back(prefix, data):
    count = PREFIXES[prefix]
    ids = data.draw(st.lists(st.integers(0, ID_MAX), min_size=count, max_size=count))
    built = f"{prefix}:" + ":".join(str(i) for i in ids)
    assert _fits(built)
    assert parse_ints(built, prefix, count) == ids


@FAST
@given(PREFIX, PREFIX, st.lists(st.integers(0, ID_MAX), min_size=1, max_size=3))
def test_data_of_another_button_or_another_shape_is_refused(prefix, other, ids):
    built = f"{other}:" + ":".join(str(i) for i in ids)
    parsed = parse_ints(built, prefix, PREFIXES[prefix])
    assert parsed is None or (other == prefix and len(ids) == PREFIXES[prefix])
