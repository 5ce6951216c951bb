"""parse_html gives exactly what the former per-byte parser gave: the same text and entities, or the same error."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.entities import (
    EntityParseError,
    _close_tag,
    _decode_entity,
    _open_tag,
    finalize_code_entities,
    parse_html,
    utf16_len,
)


def _reference_utf16_units_of_lead_byte(byte: int) -> int:
    if byte & 0xC0 == 0x80:
        return 0  # a continuation byte belongs to the character already counted
    return 2 if byte >= 0xF0 else 1


# The former per-byte parser of sandbox.entities.parse_html, kept verbatim as the oracle.
def _reference_parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict]]:
    """Parses Telegram HTML; raises EntityParseError with Telegram's reason.

    tdlib keeps a bare '&' as text; with strict_ampersand (the default) it is an error instead,
    because the Bot API reference requires it escaped and our bot must escape every text.
    """
    data = source.encode("utf-8")
    n = len(data)
    out: list[str] = []  # pieces of the plain text
    utf16 = 0
    stack: list[dict] = []  # open tags: name, argument, utf16 offset, piece index
    entities: list[dict] = []

    i = 0
    plain_start = 0  # start of a run of plain bytes not yet copied into out

    def flush(upto: int) -> None:
        if upto > plain_start:
            out.append(data[plain_start:upto].decode("utf-8"))

    while i < n:
        c = data[i]
        if c == ord("&"):
            decoded = _decode_entity(data, i)
            if decoded is not None:
                flush(i)
                ch, i = decoded
                out.append(ch)
                utf16 += utf16_len(ch)
                plain_start = i
                continue
            if strict_ampersand:
                raise EntityParseError(f'Unescaped "&" at byte offset {i}; it must be written as "&amp;"')
        if c != ord("<"):
            utf16 += _reference_utf16_units_of_lead_byte(c)
            i += 1
            continue

        flush(i)
        begin = i
        i += 1
        if i < n and data[i] == ord("/"):
            i = _close_tag(data, begin, stack, entities, out, utf16)
        else:
            i = _open_tag(data, begin, stack, out, utf16)
        plain_start = i

    flush(n)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["name"]}"')
    text = "".join(out)
    finalize_code_entities(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, entities


def _outcome(parse, source: str, strict: bool) -> tuple:
    try:
        text, entities = parse(source, strict_ampersand=strict)
    except EntityParseError as error:
        return "error", str(error)
    except UnicodeError as error:
        return "unicode", type(error).__name__
    return "ok", text, entities


_PLAIN = [
    "a", "abc XYZ 019", " ", "\n", "\t", "/", ">", '"', "'", "=", ";", "#", "x", "1F600",
    "Đồng chí Nguyễn Văn A", "Ngày sinh: 01/02/1950", "ởđẽỹ ưu tú", "Hồ Chí Minh", "Chi bộ 3",
    "👤", "𝐀", "😀", "👍🏽", "🇻🇳", "\u200b", "\U0010FFFF",
]
_MARKUP = [
    "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>", "<strong>", "</strong>", "<em>", "</em>",
    "<ins>", "</ins>", "<del>", "</del>", "<strike>", "</strike>", "<B>", "</B >", "</>", "</ b>",
    "<code>", "</code>", "<pre>", "</pre>", '<pre><code class="language-python">', "</code></pre>",
    '<code class="language-c++">', "<code class=language-x>", "<code class=x_y>",
    '<a href="https://x.y/?a=1&amp;b=2">', "</a>", '<a href="tg://user?id=5">', "<a href='x.org'>", "<a>",
    '<a href="javascript:alert(1)">', '<a href="">', "<a href=tg://x>", '<a title="q" href="https://e.org">',
    "<tg-spoiler>", "</tg-spoiler>", '<span class="tg-spoiler">', "</span>", "<span>", '<span class="x">',
    "<blockquote>", "</blockquote>", "<blockquote expandable>", "<blockquote expandable=1>",
    '<tg-emoji emoji-id="1">', '<tg-emoji emoji-id="x">', "</tg-emoji>",
    "&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "&#x1F600;", "&#X41;", "&#65;", "&#1114111;",
    "&foo;", "&#0;", "&#xD800;", "&#x110000;", "&#;", "&#x;", "&#-1;", "&lt", "&amp", "&", "&&",
    "&lt<b>;", "&verylongentityname;",
    "<", "< b>", "<b", "<b ", "<b x>", "<b =1>", "<b x=>", "<b x='1>", '<b x="1">', "<b x=1>", "<b x=1/>",
    "<b x y>", "<b\nx='a>b'>", "<unknown>", "</unknown>", "<p>", "<br/>", "<1>", "<>", "<Đ>", "<👤>",
]
_PAIRS = [
    ("<b>", "</b>"), ("<i>", "</i>"), ("<u>", "</u>"), ("<s>", "</s>"), ("<strong>", "</strong>"),
    ("<em>", "</em>"), ("<ins>", "</ins>"), ("<del>", "</del>"), ("<code>", "</code>"), ("<pre>", "</pre>"),
    ('<pre><code class="language-python">', "</code></pre>"), ('<code class="language-go"><pre>', "</pre></code>"),
    ('<a href="https://x.y/?a=1&amp;b=2">', "</a>"), ('<a href="tg://user?id=5">', "</a>"), ("<a>", "</a>"),
    ("<a href='x.org'>", "</a >"), ("<tg-spoiler>", "</tg-spoiler>"), ('<span class="tg-spoiler">', "</span>"),
    ("<blockquote>", "</blockquote>"), ("<blockquote expandable>", "</blockquote>"),
    ('<tg-emoji emoji-id="1">', "</tg-emoji>"), ('<tg-emoji emoji-id="x">', "</>"), ("<B>", "</b>"),
]
_ENTITIES = ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "&#x1F600;", "&#65;", "&#x10FFFF;"]
# Well-formed HTML (nested tags around text and entities), sometimes with one wrong piece spliced in.
_well_formed = st.recursive(
    st.lists(st.sampled_from(_PLAIN + _ENTITIES), max_size=6).map("".join),
    lambda inner: st.tuples(st.sampled_from(_PAIRS), st.lists(inner, max_size=4)).map(
        lambda pair_children: pair_children[0][0] + "".join(pair_children[1]) + pair_children[0][1]),
    max_leaves=20,
)


@st.composite
def _spliced(draw) -> str:
    source = draw(_well_formed)
    at = draw(st.integers(0, len(source)))
    return source[:at] + draw(st.sampled_from(_MARKUP + ["&"])) + source[at:]


_sources = st.one_of(
    _well_formed,
    _well_formed,
    _spliced(),
    st.lists(st.sampled_from(_PLAIN + _MARKUP), max_size=30).map("".join),
    st.text(alphabet=st.sampled_from(list("ab <>&;#x/=\"'Đ👤\n")), max_size=40),
    st.text(max_size=30),
)


@settings(max_examples=500, deadline=None)
@given(_sources, st.booleans())
def test_parse_html_agrees_with_the_per_byte_reference(source, strict):
    assert _outcome(parse_html, source, strict) == _outcome(_reference_parse_html, source, strict)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("source", [
    "",
    "plain",
    "👤 <b>Đồng chí Nguyễn Văn A</b>\n<i>Ngày sinh:</i> 01/02/1950 𝐀 <u>x</u>",
    '<pre><code class="language-python">print("hi")</code></pre>',
    '<a href="https://x.y/?a=1&amp;b=2">lien ket 😀</a> &lt;tag&gt; &#x1F600;&#39;',
    '<a href="tg://user?id=5">Nguyễn</a><tg-spoiler>bí mật</tg-spoiler><span class="tg-spoiler">s</span>',
    "<blockquote expandable>trích dẫn 𝐀</blockquote><tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
    "Đồng & Nguyễn",
    "𝐀𝐀 &foo; <b>x</b>",
    "ab <b>unclosed",
    "<b>mismatched</i>",
    "<unknown>x</unknown>",
    "x < y",
    "</b>",
    "👤\ud83d",  # a lone surrogate: the encode fails in both
])
def test_hand_written_cases_agree(source, strict):
    assert _outcome(parse_html, source, strict) == _outcome(_reference_parse_html, source, strict)


def test_byte_offsets_and_utf16_offsets_after_multibyte_text():
    with pytest.raises(EntityParseError, match=r'Unescaped "&" at byte offset 13;'):
        parse_html("Đồng 👤 & x")
    with pytest.raises(EntityParseError, match=r'Unsupported start tag "p" at byte offset 12'):
        parse_html("𝐀 Đồng<p>")
    text, entities = parse_html("👤 Đồng & <b>Nguyễn</b> 𝐀<i>x</i>", strict_ampersand=False)
    assert text == "👤 Đồng & Nguyễn 𝐀x"
    assert entities == [{"type": "bold", "offset": 10, "length": 6}, {"type": "italic", "offset": 19, "length": 1}]
