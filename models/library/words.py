"""Text into search words, passages and excerpts: pure functions, no database.

Stored and asked text go through the same `words`: models.text.fold (lower case, no diacritics, đ as
d), then runs of letters and digits. "Nghị quyết 57-NQ/TW" is `nghi quyet 57 nq tw` both in the
index and in the question, so the number is found however it is typed ("57 nq tw", "57-NQ/TW"); the
index also holds a number written as one as one word (`57nqtw`, search_key), which a number typed
as one asks for ("57-NQ/TW", "57/NQ-TW": query_terms). Nothing a member types reaches the backend's
query language but those words (no quotes, *, NEAR, -, :, parentheses survive).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import clean_text, fold

_WORD = re.compile(r"[^\W_]+")
QUERY_CHARS = 500  # a question longer than this is cut: the words past it add nothing to a ranking
QUERY_WORDS = 16
# Words of a question that say nothing about its subject; dropped from an "any word" search unless all are.
_QUESTION_WORDS = frozenset(
    "gi la nao the bao nhieu co khong ve cua va cho toi minh duoc phai nhu nhung cac mot hay hoi o thi"
    " what is are the a an of how many which who when where do does to in on for".split()
)
PASSAGE_TARGET = 600
PASSAGE_MAX = 800
PASSAGE_MIN = 200  # a numbered section shorter than this stays with the text before it
SECTION_LABEL = 80
EXCERPT = 240
# Headings that always begin a passage, and numbered ones ("1.", "II.", "2.3.") that begin one when it has grown.
_STRONG = re.compile(r"^(?:chuong|muc|phan|dieu)\s+[0-9ivxlc]+\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?:[IVXLC]+|\d{1,2}(?:\.\d{1,2})*)\.\s+\S")
# A document's number: "57-NQ/TW", "01-HD/BTCTW", "123/QĐ-UBND" (digits, then letters after - or /).
_NUMBER = re.compile(r"(?<![\w/-])\d{1,5}(?:[-/][A-ZĐ][A-ZĐ0-9]*)+")
_DIGITS = re.compile(r"[^\s\d]*\d\S*")  # a run of text without spaces that holds a digit
_NUMBER_LINE = re.compile(r"^\s*Số\s*:?\s*(\S+)", re.MULTILINE | re.IGNORECASE)


def words(text: str | None) -> list[str]:
    return _WORD.findall(fold(text))


def glued(found: list[str]) -> str | None:
    """The words of a number written as one ("57-NQ/TW", "57/NQ-TW", "123/QĐ-UBND": digits and letters, no
    space) as the one word the index also holds for it ("57nqtw"); None for anything else (a date
    "15/12/2026" stays its words: glued, "1/5" would be "15")."""
    if len(found) < 2:
        return None
    word = "".join(found)
    return word if any(c.isdigit() for c in word) and any(c.isalpha() for c in word) else None


def search_key(*parts: str | None) -> str:
    """What the index holds for a passage: the words of its parts, one space apart, then each number
    written as one (glued) as one more word — a number asked as one word is found without walking the
    places of its common words ("nq", "tw") in every passage."""
    found: list[str] = []
    numbers: list[str] = []
    for part in parts:
        text = fold(part)
        found.extend(_WORD.findall(text))
        for chunk in _DIGITS.findall(text):
            if number := glued(_WORD.findall(chunk)):
                numbers.append(number)
    return " ".join(found + numbers)


def query_words(query: str | None, *, any_word: bool = False) -> list[str]:
    """The words of a member's query (nothing else of it), at most QUERY_WORDS, each once."""
    found = list(dict.fromkeys(words((query or "")[:QUERY_CHARS])))
    if any_word:
        found = [w for w in found if w not in _QUESTION_WORDS] or found
    return found[:QUERY_WORDS]


def query_terms(query: str | None, *, any_word: bool = False, glue: bool = True) -> list[str]:
    """What the index is asked for: the words of query_words, a number written as one ("57-NQ/TW",
    "57/NQ-TW", "123/QĐ-UBND": digits and more, no space) as the one word search_key holds for it
    ("57nqtw": not "Điều 57" of a document numbered NQ/TW) — or with `glue` False, and for digits
    alone ("15/12/2026"), as one phrase of its words ("57 nq tw": those words, in that order) — the
    other words one by one."""
    allowed = set(query_words(query, any_word=any_word))
    terms: list[str] = []
    for chunk in (query or "")[:QUERY_CHARS].split():
        found = words(chunk)
        if len(found) > 1 and any(c.isdigit() for c in chunk) and allowed.issuperset(found):
            terms.append((glue and glued(found)) or " ".join(found))
        else:
            terms.extend(w for w in found if w in allowed)
    return list(dict.fromkeys(terms))


def document_number(title: str, text: str) -> str | None:
    """The number the document states ("Số: 57-NQ/TW" at its head), else one its title names."""
    for match in _NUMBER_LINE.finditer(text[:2000]):
        if number := _NUMBER.fullmatch(match.group(1).rstrip(".,;")):
            return number.group(0)[:60]
    number = _NUMBER.search(title)
    return number.group(0)[:60] if number else None


# --- passages ---------------------------------------------------------------------------------------------
@dataclass
class Passage:
    section: str | None
    text: str


def passages(text: str) -> list[Passage]:
    """The text cut into passages of about PASSAGE_TARGET characters: each article, chapter or section
    (Điều, Chương, Mục, Phần; numbered sections once the passage has grown) starts one and labels it;
    without headings, paragraphs are gathered; a paragraph too long is cut at sentences, then words."""
    out: list[Passage] = []
    label: str | None = None
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            out.append(Passage(label, body))
        lines.clear()

    for raw in clean_text(text).split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        size = sum(len(x) + 1 for x in lines)
        heading = fold(line)
        if _STRONG.match(heading) or (_NUMBERED.match(line) and size >= PASSAGE_MIN):
            flush()
            label = _label(line)
        for piece in _pieces(line):
            size = sum(len(x) + 1 for x in lines)
            if size >= PASSAGE_MIN and size + len(piece) > PASSAGE_MAX:
                flush()
            lines.append(piece)
    flush()
    return out


def _label(line: str) -> str:
    head = re.split(r"(?<=[.:])\s", line, maxsplit=2)
    label = " ".join(head[:2]) if len(head[0]) < 12 and len(head) > 1 else head[0]
    return label if len(label) <= SECTION_LABEL else label[:SECTION_LABEL - 1].rstrip() + "…"


def _pieces(line: str) -> list[str]:
    """A line no longer than PASSAGE_MAX: itself; else cut at sentences, and those at words."""
    if len(line) <= PASSAGE_MAX:
        return [line]
    pieces: list[str] = []
    current = ""
    units = [u for sentence in re.split(r"(?<=[.;!?])\s+", line)
             for u in ([sentence] if len(sentence) <= PASSAGE_MAX else sentence.split())]
    for unit in units:
        while len(unit) > PASSAGE_MAX:  # a "word" of 800 characters: cut anyway
            pieces.append(unit[:PASSAGE_MAX])
            unit = unit[PASSAGE_MAX:]
        if current and len(current) + 1 + len(unit) > PASSAGE_TARGET:
            pieces.append(current)
            current = unit
        else:
            current = f"{current} {unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


# --- excerpts ---------------------------------------------------------------------------------------------
Excerpt = list[tuple[str, bool]]  # pieces of the passage's own text; True: a word the query matched


def excerpt(text: str, asked: list[str], size: int = EXCERPT) -> Excerpt:
    """About `size` characters of the passage around where the query's words are densest, each matched
    word marked. Plain text: the caller escapes every piece for its parse mode."""
    wanted = set(asked)
    hits = [(m.start(), m.end()) for m in _WORD.finditer(text) if fold(m.group(0)) in wanted]
    start = 0
    if hits and len(text) > size:
        best = max(hits, key=lambda h: len({fold(text[a:b]) for a, b in hits if h[0] <= a < h[0] + size}))
        start = max(0, best[0] - size // 5)
        if start:
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    pieces: Excerpt = [("…", False)] if start else []
    at = start
    for a, b in hits:
        if a < start or b > end:
            continue
        if a > at:
            pieces.append((text[at:a], False))
        pieces.append((text[a:b], True))
        at = b
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return [(re.sub(r"\s+", " ", p), marked) for p, marked in pieces]
