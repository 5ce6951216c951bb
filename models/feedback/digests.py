"""The digest before a meeting: what members raised under a unit, grouped by what it is about, with
the words and phrases that recur."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from ..dates import VIETNAM
from ..units import Unit
from .about import ABOUT_KINDS, About, about_title
from .tables import GENERAL, FeedbackItem, FeedbackReply, FeedbackStatus

# --- the digest before a meeting ------------------------------------------------------------------

# Function words and forms of address that say nothing about what members raise.
STOP_WORDS = frozenset(
    """
    à ạ ai anh bà bác bạn bao bên bị bởi cả các cái cần càng cháu chị chiếc cho chú chúng chưa chứ có cô
    còn của cùng cũng đã đang đây đấy để đến đều điều do đó đồng em gì hay hãy hoặc họ hơn khi không là
    lại lên lúc mà mình mỗi một nà nào này nay nên nếu nhé nhiều như nhưng những nữa ở ơi ông phải qua ra
    rằng rất rồi sao sau sẽ tại tôi thì theo thế thêm trên trong trước từ và vào vẫn về vì với vậy xin ấy
    đâu được chỉ cứ luôn kia nọ nhỉ nha thôi vừa hết ít
    """.split()
)
# Phrases of courtesy and of the genre itself, dropped before counting.
STOP_PHRASES = (
    ("đồng", "chí"), ("đề", "nghị"), ("kiến", "nghị"), ("góp", "ý"), ("ý", "kiến"), ("cảm", "ơn"),
    ("chúng", "tôi"), ("chúng", "ta"), ("bà", "con"), ("chi", "bộ"), ("bí", "thư"),
)
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"'«»“”\n\r\t/–—-]+")
_SYLLABLE = re.compile(r"[^\W\d_]+")


def _clauses(text: str) -> list[list[str]]:
    """Runs of meaningful syllables: clauses split at punctuation, then at stop words and phrases."""
    runs: list[list[str]] = []
    for clause in _CLAUSE.split(unicodedata.normalize("NFC", text).lower()):
        words = _SYLLABLE.findall(clause)
        stop = [w in STOP_WORDS for w in words]
        for i in range(len(words) - 1):
            if (words[i], words[i + 1]) in STOP_PHRASES:
                stop[i] = stop[i + 1] = True
        run: list[str] = []
        for w, s in zip(words, stop, strict=True):
            if s:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(w)
        if run:
            runs.append(run)
    return runs


def recurring_terms(texts: list[str], top: int = 10, max_words: int = 4) -> list[tuple[str, int]]:
    """The words and phrases raised in the most items (each item counts once), longest phrase kept.

    Vietnamese words are mostly two syllables ("đường điện", "vệ sinh", "môi trường"), so phrases
    of two to four syllables are counted; a shorter one is dropped when it never occurs outside a
    longer one that recurs as often, and a single syllable only when it is part of no phrase.
    """
    df: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        grams: set[tuple[str, ...]] = set()
        for run in _clauses(text or ""):
            for n in range(1, max_words + 1):
                for i in range(len(run) - n + 1):
                    grams.add(tuple(run[i:i + n]))
        df.update(grams)
    candidates = {g: n for g, n in df.items() if n >= 2}
    phrases = [g for g in candidates if len(g) > 1]

    def inside(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
        return len(short) < len(long) and any(long[i:i + len(short)] == short for i in range(len(long) - len(short) + 1))

    kept = []
    for g, n in candidates.items():
        if len(g) == 1 and any(inside(g, p) for p in phrases):
            continue
        if any(inside(g, p) and candidates[p] == n for p in phrases):
            continue
        kept.append((g, n))
    kept.sort(key=lambda gn: (-gn[1], -len(gn[0]), " ".join(gn[0])))
    return [(" ".join(g), n) for g, n in kept[:top]]


@dataclass
class DigestGroup:
    about: About
    items: list[FeedbackItem]


@dataclass
class Digest:
    total: int
    answered: int
    groups: list[DigestGroup]
    terms: list[tuple[str, int]]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """A calendar month in Huế, as UTC instants."""
    start = datetime(year, month, 1, tzinfo=VIETNAM)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=VIETNAM)
    return start, end


async def digest(
    session: AsyncSession,
    unit_path: str,
    *,
    month: tuple[int, int] | None = None,
    about: tuple[str, int] | None = None,
) -> Digest:
    """What members raised under a unit in a month, or about one meeting, notice or vote."""
    stmt = (
        select(FeedbackItem)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True))
        .order_by(FeedbackItem.created_at, FeedbackItem.id)
    )
    if month is not None:
        start, end = month_bounds(*month)
        stmt = stmt.where(FeedbackItem.created_at >= start, FeedbackItem.created_at < end)
    if about is not None:
        stmt = stmt.where(FeedbackItem.about_kind == about[0], FeedbackItem.about_id == about[1])
    items = list((await session.scalars(stmt)).all())
    answered_ids = set(
        (
            await session.scalars(
                select(FeedbackReply.item_id).where(FeedbackReply.item_id.in_([i.id for i in items])).distinct()
            )
        ).all()
    ) if items else set()
    groups: dict[tuple[str, int | None], DigestGroup] = {}
    for item in items:
        ref = (item.about_kind, item.about_id)
        if ref not in groups:
            title = await about_title(session, item.about_kind, item.about_id)
            groups[ref] = DigestGroup(About(item.about_kind, item.about_id, title), [])
        groups[ref].items.append(item)
    order = {GENERAL: 0, **{k: i + 1 for i, k in enumerate(ABOUT_KINDS)}}
    ordered = sorted(groups.values(), key=lambda g: (order.get(g.about.kind, 9), -(g.about.id or 0)))
    answered = sum(1 for i in items if i.id in answered_ids or i.status is FeedbackStatus.answered)
    return Digest(len(items), answered, ordered, recurring_terms([i.body or "" for i in items]))


async def about_refs(session: AsyncSession, unit_path: str, since: datetime) -> list[tuple[str, int]]:
    """The meetings, notices and votes written about under a unit since a time (for digest buttons)."""
    rows = await session.execute(
        select(FeedbackItem.about_kind, FeedbackItem.about_id)
        .join(Unit, Unit.id == FeedbackItem.cell_id)
        .where(
            Unit.path.startswith(unit_path, autoescape=True),
            FeedbackItem.about_kind != GENERAL,
            FeedbackItem.about_id.is_not(None),
            FeedbackItem.created_at >= since,
        )
        .distinct()
    )
    return sorted(((k, i) for k, i in rows.all() if i is not None), key=lambda r: (r[0], -r[1]))


def local_month(at: datetime | date | None = None) -> tuple[int, int]:
    at = at or clock.now()
    if isinstance(at, datetime):
        at = at.astimezone(VIETNAM)
    return at.year, at.month
