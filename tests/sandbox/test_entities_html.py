"""to_html renders text + entities exactly as the former per-character renderer did."""
from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.entities import _tags_for, parse_html, to_html, utf16_len


def _reference_to_html(text: str | None, entities: list[dict] | None) -> str:
    # The former per-character renderer of sandbox.entities.to_html, kept verbatim as the oracle.
    if not text:
        return ""
    ordered = sorted(entities or [], key=lambda e: (e["offset"], -e["length"]))
    opens: dict[int, list[dict]] = {}
    for e in ordered:
        opens.setdefault(e["offset"], []).append(e)
    stack: list[dict] = []
    out: list[str] = []
    pos = 0
    chars = list(text)
    for index in range(len(chars) + 1):
        closing = [e for e in stack if e["offset"] + e["length"] <= pos]
        while closing:
            # Close innermost first; an overlapping outer entity is closed and reopened around it.
            top = stack.pop()
            out.append(_tags_for(top)[1])
            if top in closing:
                closing.remove(top)
            else:
                opens.setdefault(pos, []).insert(0, top)
        if index == len(chars):
            break
        for e in opens.pop(pos, []):
            if e["offset"] + e["length"] > pos:
                out.append(_tags_for(e)[0])
                stack.append(e)
        out.append(html.escape(chars[index], quote=False))
        pos += utf16_len(chars[index])
    return "".join(out)


_ALPHABET = list("abc XYZ019") + list("Đảng viên ưu tú Nguyễn Thị Hồng Ngọc ởđẽỹ") + [
    "👤", "𝐀", "😀", "👍", "<", ">", "&", '"', "'", "\n", "\t", "/",
]
_texts = st.one_of(st.none(), st.text(alphabet=st.sampled_from(_ALPHABET), max_size=40))
_PLAIN_KINDS = ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "blockquote",
                "expandable_blockquote", "mention", "url", "bot_command", "pre"]


@st.composite
def _entity(draw, limit: int) -> dict:
    entity: dict = {
        "type": draw(st.sampled_from([*_PLAIN_KINDS, "pre_lang", "text_link", "text_mention", "custom_emoji"])),
        "offset": draw(st.integers(0, limit)),
        "length": draw(st.integers(0, limit)),
    }
    if entity["type"] == "pre_lang":
        entity.update(type="pre", language=draw(st.sampled_from(["python", "c++", 'x"<y>'])))
    elif entity["type"] == "text_link":
        entity["url"] = draw(st.sampled_from(["https://example.org/a?b=1&c=2", 'https://x.org/"q"<>\'']))
    elif entity["type"] == "text_mention":
        entity["user"] = {"id": draw(st.integers(1, 10**10)), "is_bot": False, "first_name": "A"}
    elif entity["type"] == "custom_emoji":
        entity["custom_emoji_id"] = draw(st.sampled_from(["5368324170671202286", "1<2"]))
    return entity


@st.composite
def _messages(draw) -> tuple[str | None, list[dict] | None]:
    text = draw(_texts)
    limit = utf16_len(text or "") + 3
    entities = draw(st.one_of(st.none(), st.lists(_entity(limit), max_size=8)))
    if entities and draw(st.booleans()):
        entities.append(dict(draw(st.sampled_from(entities))))  # an equal duplicate
    return text, entities


@settings(max_examples=500, deadline=None)
@given(_messages())
def test_to_html_renders_like_the_per_character_reference(message):
    text, entities = message
    copies = [dict(e) for e in entities] if entities is not None else None
    assert to_html(text, entities) == _reference_to_html(text, copies)


def test_nested_overlapping_and_after_an_emoji():
    cases = [
        ("ab cd ef", [{"type": "italic", "offset": 0, "length": 8}, {"type": "bold", "offset": 3, "length": 2}],
         "<i>ab <b>cd</b> ef</i>"),
        ("abcdef", [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 2, "length": 4}],
         "<b>ab<i>cd</i></b><i>ef</i>"),
        ("👤 Họ tên: <A&B>", [{"type": "bold", "offset": 3, "length": 7}],
         "👤 <b>Họ tên:</b> &lt;A&amp;B&gt;"),
        ("👤x", [{"type": "bold", "offset": 1, "length": 2}], "👤x"),  # inside the surrogate pair: never opened
        ("ab", [{"type": "bold", "offset": 1, "length": 5}], "a<b>b"),  # beyond the text: never closed
        ("ab", [], "ab"),
        ("", [{"type": "bold", "offset": 0, "length": 1}], ""),
    ]
    for text, entities, expected in cases:
        assert to_html(text, entities) == expected == _reference_to_html(text, entities)


def test_a_profile_like_message_round_trips():
    source = "👤 <b>Họ và tên:</b> Nguyễn Văn An\n<b>Chi bộ:</b> <i>Chi bộ 3 &amp; 4</i>\n𝐀 <u>x</u>"
    text, entities = parse_html(source)
    assert to_html(text, entities) == source == _reference_to_html(text, entities)
