"""Telegram's HTML parse mode: HTML → (plain text, MessageEntity list), and back.

The parser follows tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp): it walks the UTF-8
bytes, so error positions are byte offsets, and entity offsets/lengths are counted in UTF-16
code units, exactly as Telegram reports them. Error texts use Telegram's wording.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_left
from urllib.parse import urlsplit

SUPPORTED_TAGS = {
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
    "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
}
SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "u": "underline", "ins": "underline", "tg-spoiler": "spoiler",
}
NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACE = b" \t\r\n\f\v"
_USER_LINK = re.compile(r"tg://user\?id=(\d+)$", re.IGNORECASE)
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; str() is Telegram's reason."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(data: bytes, i: int) -> tuple[str, int] | None:
    """At data[i] == '&': the decoded character and the index after ';', or None if no entity."""
    end = data.find(b";", i + 1, i + 12)
    if end == -1:
        return None
    name = data[i + 1:end]
    if name in NAMED_ENTITIES:
        return NAMED_ENTITIES[name], end + 1
    try:
        if name[:2] in (b"#x", b"#X"):
            code = int(name[2:], 16)
        elif name[:1] == b"#" and name[1:].isdigit():
            code = int(name[1:])
        else:
            return None
    except ValueError:
        return None
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end + 1


def _normalize_url(url: str) -> str | None:
    """Telegram's check_link, roughly: http(s)/tg/ton links, a bare host gets http://; else None."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url if "://" in url else "http://" + url)
    scheme = parts.scheme.lower()
    if scheme in ("tg", "ton"):
        return url
    if scheme not in ("http", "https") or not parts.netloc or " " in url:
        return None
    return parts._replace(scheme=scheme, path=parts.path or "/").geturl()


def parse_html(source: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict]]:
    """Parses Telegram HTML; raises EntityParseError with Telegram's reason.

    tdlib keeps a bare '&' as text; with strict_ampersand (the default) it is an error instead,
    because the Bot API reference requires it escaped and our bot must escape every text.
    """
    data = source.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError here, as always
    n = len(data)
    out: list[str] = []  # pieces of the plain text
    utf16 = 0  # UTF-16 units of the text in out
    stack: list[dict] = []  # open tags: name, argument, utf16 offset, piece index
    entities: list[dict] = []

    # Only '&' and '<' need a look; the plain bytes between them are copied (and counted) a run
    # at a time. Every run starts and ends next to an ASCII byte, so it is whole UTF-8 characters.
    # The next '&' and the next '<' are found with bytes.find (memchr) and looked up again only
    # once passed; n stands for "none left".
    plain_start = 0  # start of a run of plain bytes not yet copied into out

    def flush(upto: int) -> None:
        """The plain run before `upto` into out, counted."""
        nonlocal utf16
        if upto > plain_start:
            piece = data[plain_start:upto].decode("utf-8")
            out.append(piece)
            utf16 += utf16_len(piece)

    i = 0
    next_amp = next_lt = -1
    while True:
        if next_amp < i:
            next_amp = data.find(b"&", i)
            if next_amp < 0:
                next_amp = n
        if next_lt < i:
            next_lt = data.find(b"<", i)
            if next_lt < 0:
                next_lt = n
        i = next_amp if next_amp < next_lt else next_lt
        if i >= n:
            break
        if i == next_amp:
            decoded = _decode_entity(data, i)
            if decoded is None:
                if strict_ampersand:
                    raise EntityParseError(f'Unescaped "&" at byte offset {i}; it must be written as "&amp;"')
                i += 1  # a bare '&' stays in the run as text
                continue
            flush(i)
            ch, i = decoded
            out.append(ch)
            utf16 += utf16_len(ch)
            plain_start = i
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


def _open_tag(data: bytes, begin: int, stack: list[dict], out: list[str], utf16: int) -> int:
    n = len(data)
    i = begin + 1
    name_start = i
    while i < n and data[i] not in _SPACE and data[i] != ord(">"):
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
    name = data[name_start:i].decode("utf-8", "replace").lower()
    if name not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')

    argument = ""
    while True:
        while i < n and data[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
        if data[i] == ord(">"):
            break
        attr_start = i
        while i < n and data[i] not in _SPACE and data[i] not in b"=>":
            i += 1
        attr = data[attr_start:i].decode("utf-8", "replace").lower()
        if not attr:
            raise EntityParseError(f'Empty attribute name in the tag "{name}" at byte offset {begin}')
        while i < n and data[i] in _SPACE:
            i += 1
        if i >= n or data[i] != ord("="):
            if name == "blockquote" and attr == "expandable":
                argument = "1"
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" at byte offset {begin}')
        i += 1
        while i < n and data[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
        if data[i] in b"'\"":
            quote = data[i]
            i += 1
            end = data.find(bytes([quote]), i)
            if end == -1:
                raise EntityParseError(f"Unclosed end of attribute value at byte offset {i}")
            value = html.unescape(data[i:end].decode("utf-8"))
            i = end + 1
        else:
            token_start = i
            while i < n and (chr(data[i]).isalnum() and data[i] < 128 or data[i] in b".-"):
                i += 1
            value = data[token_start:i].decode("ascii").lower()
            if i < n and data[i] not in _SPACE and data[i] != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_start}")
        if name == "a" and attr == "href":
            argument = value
        elif name == "code" and attr == "class" and value.startswith("language-"):
            argument = value[len("language-"):]
        elif name == "span" and attr == "class" and value.startswith("tg-"):
            argument = value[len("tg-"):]
        elif name == "tg-emoji" and attr == "emoji-id":
            argument = value
        elif name == "blockquote" and attr == "expandable":
            argument = "1"

    if name == "span" and argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    stack.append({"name": name, "argument": argument, "offset": utf16, "piece": len(out)})
    return i + 1


def _close_tag(data: bytes, begin: int, stack: list[dict], entities: list[dict], out: list[str], utf16: int) -> int:
    n = len(data)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
    i = begin + 2
    while i < n and data[i] not in _SPACE and data[i] != ord(">"):
        i += 1
    end_name = data[begin + 2:i].decode("utf-8", "replace").lower()
    while i < n and data[i] in _SPACE:
        i += 1
    if i >= n or data[i] != ord(">"):
        raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
    tag = stack.pop()
    name = tag["name"]
    if end_name and end_name != name:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {begin}, expected "</{name}>", found "</{end_name}>"')

    offset = tag["offset"]
    length = utf16 - offset
    if length > 0:
        entity = _make_entity(tag, offset, length, entities, "".join(out[tag["piece"]:]))
        if entity is not None:
            entities.append(entity)
    return i + 1


def _make_entity(tag: dict, offset: int, length: int, entities: list[dict], inner_text: str) -> dict | None:
    name, argument = tag["name"], tag["argument"]
    if name in SIMPLE_TAGS:
        return {"type": SIMPLE_TAGS[name], "offset": offset, "length": length}
    if name == "span":
        return {"type": "spoiler", "offset": offset, "length": length}
    if name == "a":
        url = argument or inner_text
        user = _USER_LINK.match(url.strip())
        if user:
            # Telegram turns tg://user?id= links into text_mention with the full User; we only know the id.
            return {"type": "text_mention", "offset": offset, "length": length,
                    "user": {"id": int(user.group(1)), "is_bot": False, "first_name": inner_text}}
        url = _normalize_url(url)
        return None if url is None else {"type": "text_link", "offset": offset, "length": length, "url": url}
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if name == "pre":
        if same_span and last["type"] == "code":
            last["type"] = "pre"  # <pre><code class="language-x">…</code></pre> is one pre entity
            return None
        return {"type": "pre", "offset": offset, "length": length}
    if name == "code":
        if same_span and last["type"] == "pre" and argument:
            last["language"] = argument  # <code class=…><pre>…</pre></code>
            return None
        entity = {"type": "code", "offset": offset, "length": length}
        if argument:
            entity["language"] = argument
        return entity
    if name == "tg-emoji":
        if not argument.isdigit():
            return None
        return {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": argument}
    if name == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        return {"type": kind, "offset": offset, "length": length}
    return None


def finalize_code_entities(entities: list[dict]) -> list[dict]:
    """A code entity keeps its language only inside pre; Telegram drops it elsewhere."""
    for e in entities:
        if e["type"] == "code":
            e.pop("language", None)
    return entities


def strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of a message and clips entities to what is left."""
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    end = utf16_len(result)
    kept = []
    for e in entities:
        start, stop = max(e["offset"] - shift, 0), min(e["offset"] + e["length"] - shift, end)
        if stop > start:
            kept.append({**e, "offset": start, "length": stop - start})
    return result, kept


# -- rendering back to HTML ----------------------------------------------------------------
_RENDER = {
    "bold": ("<b>", "</b>"), "italic": ("<i>", "</i>"), "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"), "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "code": ("<code>", "</code>"), "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
}


def _tags_for(entity: dict) -> tuple[str, str]:
    kind = entity["type"]
    if kind in _RENDER:
        return _RENDER[kind]
    if kind == "pre":
        lang = entity.get("language")
        if lang:
            return f'<pre><code class="language-{html.escape(lang)}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind == "text_link":
        return f'<a href="{html.escape(entity["url"])}">', "</a>"
    if kind == "text_mention":
        return f'<a href="tg://user?id={int(entity["user"]["id"])}">', "</a>"
    if kind == "custom_emoji":
        return f'<tg-emoji emoji-id="{html.escape(entity["custom_emoji_id"])}">', "</tg-emoji>"
    return "", ""  # mention, url, bot_command...: plain text in HTML


def to_html(text: str | None, entities: list[dict] | None) -> str:
    """Re-renders text + entities as safe Telegram HTML (all text escaped).

    Tags open where an entity's UTF-16 offset falls on a character boundary (one inside a surrogate
    pair never opens) and close at the first boundary at or after its end; an overlapping outer entity
    is closed and reopened around the inner one's end. Only those positions are visited: the text
    between them is escaped as a whole.
    """
    if not text:
        return ""
    if not entities:
        return html.escape(text, quote=False)
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    n = len(text)
    # Characters beyond the BMP take two UTF-16 units; without them UTF-16 positions are character indices.
    astral = [] if text.isascii() or len(text.encode("utf-16-le")) == 2 * n else [
        m.start() for m in _ASTRAL.finditer(text)]
    pair_starts = [index + k for k, index in enumerate(astral)]  # the UTF-16 position of each pair

    def at_or_after(position: int) -> tuple[int, bool]:
        """The first character index at a UTF-16 position >= position, and whether it is exactly there."""
        pairs_before = bisect_left(pair_starts, position)
        if pairs_before and pair_starts[pairs_before - 1] + 1 == position:
            return astral[pairs_before - 1] + 1, False  # inside a surrogate pair
        return position - pairs_before, True

    opens: dict[int, list[dict]] = {}
    events = {n}
    for e in ordered:
        offset = e["offset"]
        opens.setdefault(offset, []).append(e)
        index, exact = at_or_after(offset)
        if exact and 0 <= index <= n:
            events.add(index)
        index = max(at_or_after(offset + e["length"])[0], 0)
        if index <= n:
            events.add(index)  # an end beyond the text never closes the entity
    stack: list[dict] = []
    out: list[str] = []
    done = 0  # characters escaped into out so far
    for index in sorted(events):
        if index > done:
            out.append(html.escape(text[done:index], quote=False))
            done = index
        pos = index + bisect_left(astral, index) if astral else index
        closing = [e for e in stack if e["offset"] + e["length"] <= pos]
        while closing:
            # Close innermost first; an overlapping outer entity is closed and reopened around it.
            top = stack.pop()
            out.append(_tags_for(top)[1])
            if top in closing:
                closing.remove(top)
            else:
                opens.setdefault(pos, []).insert(0, top)
        if index == n:
            break
        for e in opens.pop(pos, []):
            if e["offset"] + e["length"] > pos:
                out.append(_tags_for(e)[0])
                stack.append(e)
    return "".join(out)


# Telegram links "/name" standing alone in a message the bot sends (not inside code, a pre block or a link):
# tapping it sends the command. The page renders these entities as links, as the apps do.
_BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_NO_COMMANDS_IN = {"code", "pre", "text_link", "url", "email", "bot_command"}


def with_bot_commands(text: str, entities: list[dict]) -> list[dict]:
    """`entities` and a bot_command entity for every command Telegram would detect in `text`, by offset."""
    covered = [(e["offset"], e["offset"] + e["length"]) for e in entities if e.get("type") in _NO_COMMANDS_IN]
    found = []
    for m in _BOT_COMMAND.finditer(text):
        start = utf16_len(text[:m.start()])
        length = utf16_len(m.group(0))
        if not any(a < start + length and start < b for a, b in covered):
            found.append({"type": "bot_command", "offset": start, "length": length})
    return sorted([*entities, *found], key=lambda e: e["offset"]) if found else entities
