"""Benchmark: the library's full-text search at the issue's size (10,000 documents, ~200 MB of text),
scoped as a member's search is, against a LIKE scan of the same documents in the same run.

--documents documents of about --kb kilobytes of Vietnamese-like text each (articles "Điều N." of
sentences drawn from a Zipf vocabulary: a few words in nearly every passage, most of them rare; numbers
like "57-NQ/TW" cited here and there) are sent to the units of a city (its committee, 10 wards, 10
cells each) and indexed with models.library.index_notice. A member of one cell sees the city's, her
ward's and her cell's documents (about 15 % of them).

On SQLite the indexed database is built once and kept under /tmp (the file's name says its size and
the generator's version) so a rerun only queries; --rebuild builds it again. PostgreSQL is built on
each run (its public schema is dropped first: the database is the benchmark's to spoil), or with
--reuse once, its figures kept under /tmp, and queried on later runs with --reuse.

Then --queries searches (the same list every run) of a realistic mix, as a member types them without
diacritics — common words, rare words, document numbers, an elderly member's questions (the /ask
path: any word), words found nowhere — go to models.library.search, and --baseline-queries of them to
models.notices.documents (every word a `LIKE '%word%'` over each document's folded text: what
/documents words did before the library). Printed: indexing throughput, p50/p95/p99 latency per kind
of query and overall, the ratio LIKE/library, and peak RSS (of the build, and of this run). It asserts
no speed.

    python bench/search.py [--documents 10000] [--kb 20] [--queries 500] [--baseline-queries 20] [--rebuild]
                           [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench [--reuse]]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import bench_database, percentile_ms  # noqa: E402

VERSION = 3  # of the generated corpus and its index (3: numbers as one word): another version is built again
WARDS, CELLS = 10, 10

SYLLABLES = ("đảng viên chi bộ nghị quyết học tập quán triệt phát triển khoa học công nghệ đổi mới sáng tạo chuyển "
             "đổi số quốc gia kinh tế xã hội văn hóa giáo dục y tế an ninh quốc phòng đảng phí sinh hoạt kết nạp "
             "dự bị chính thức kiểm tra giám sát kỷ luật khen thưởng thi đua tổ dân phố phường xã thành phố Huế "
             "nhiệm vụ giải pháp mục tiêu chỉ tiêu kế hoạch báo cáo tổng kết đánh giá hằng tháng năm quý").split()
ONSETS = "b c ch d đ g gi h k kh l m n ng nh p ph qu r s t th tr v x".split()
VOWELS = "a ă â e ê i o ô ơ u ư y oa uy ươ iê uô".split()
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # the six tones, as combining marks
CODAS = ("", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "o", "u")
KINDS = ("NQ/TW", "NQ/TU", "CT/TW", "KL/TW", "HD/BTCTW", "QĐ/TW", "NQ/ĐU")
# Questions of an elderly member, the blanks filled with the vocabulary's words.
QUESTIONS = ("Đảng viên {0} thì {1} như thế nào?", "Cho tôi hỏi về {0} {1} của chi bộ",
             "{0} {1} {2} là gì vậy", "Nghị quyết nói gì về {0} và {1}?", "Chi bộ phải làm gì khi {0} {1}?")


class Corpus:
    """Words weighted as in text (Zipf: rank r is used in proportion to 1/(r+1))."""

    def __init__(self, rng: random.Random, size: int = 20_000) -> None:
        made = {unicodedata.normalize("NFC", f"{rng.choice(ONSETS)}{rng.choice(VOWELS)}{rng.choice(TONES)}"
                                             f"{rng.choice(CODAS)}") for _ in range(size)}
        self.words = SYLLABLES + sorted(made - set(SYLLABLES))
        rng.shuffle(self.words)
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.rng = rng

    def number(self) -> str:
        return f"{self.rng.randint(1, 80)}-{self.rng.choice(KINDS)}"

    def sentence(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=self.rng.randint(8, 20))
        if self.rng.random() < 0.05:
            words.insert(self.rng.randrange(len(words)), f"Nghị quyết số {self.number()}")
        return " ".join(words).capitalize() + "."

    def document(self, size: int) -> str:
        parts, length, article = [f"Số: {self.number()}"], 0, 1
        while length < size:
            paragraph = f"Điều {article}. " + " ".join(self.sentence() for _ in range(self.rng.randint(3, 8)))
            parts.append(paragraph)
            length += len(paragraph) + 1
            article += 1
        return "\n".join(parts)


def query_mix(corpus: Corpus, count: int) -> list[tuple[str, str]]:
    """(kind, query) — the same list for the same corpus. Common words are each in a good share of the
    passages; rare ones in a few; a question goes the /ask way (any word)."""
    rng, words = random.Random(1818), corpus.words
    kinds = {
        "common": lambda: " ".join(rng.sample(words[:30], rng.choice((1, 2)))),
        "middle": lambda: " ".join(rng.sample(words[30:2000], rng.choice((1, 2)))),
        "rare": lambda: " ".join(rng.sample(words[2000:], rng.choice((1, 2)))),
        "number": lambda: rng.choice(("nghị quyết {}", "{}", "số {}")).format(corpus.number()),
        "question": lambda: rng.choice(QUESTIONS).format(*rng.sample(words[:3000], 3)),
        "no hit": lambda: rng.choice(("chương trình máy tính lượng tử", "blockchain", "zyx {}")).format(
            rng.choice(words)),
    }
    names = list(kinds)
    return [(names[i % len(names)], kinds[names[i % len(names)]]()) for i in range(count)]


async def build(sessions, args, corpus: Corpus) -> dict:
    """The units, the member, the documents indexed; what it took."""
    from models import clock, library
    from models.members import Member
    from models.notices import Notice, NoticeAudience, NoticeKind
    from models.text import fold
    from models.units import UnitKind, add_unit

    rng = corpus.rng
    async with sessions() as s:
        city = await add_unit(s, "Đảng bộ thành phố Huế", UnitKind.city)
        units: list[tuple[int, list[int]]] = []  # (ward, its cells)
        for w in range(WARDS):
            ward = await add_unit(s, f"Đảng bộ phường {w + 1}", UnitKind.ward, city)
            cells = [(await add_unit(s, f"Chi bộ Tổ dân phố {c + 1}", UnitKind.cell, ward)).id for c in range(CELLS)]
            units.append((ward.id, cells))
        member = Member(full_name="Lê Văn Bảy", cell_id=units[0][1][0])
        s.add(member)
        await s.commit()
        member_id, city_id, sent = member.id, city.id, clock.now()
    chars = passages = 0
    indexing = 0.0
    for start in range(0, args.documents, 100):
        batch = []
        for i in range(start, min(start + 100, args.documents)):
            text = corpus.document(int(args.kb * 1024 * rng.uniform(0.5, 1.5)))
            ward, cells = units[i % WARDS]
            # A tenth from the city, half from the wards, the rest from cells.
            unit = city_id if i % 10 == 0 else ward if i % 10 < 6 else rng.choice(cells)
            title = f"Nghị quyết {i + 1}-NQ/ĐU về {' '.join(rng.choices(SYLLABLES, k=4))}"
            batch.append((title, text, unit))
            chars += len(text)
        began = time.perf_counter()
        async with sessions() as s:
            for title, text, unit in batch:
                notice = Notice(kind=NoticeKind.resolution, unit_id=unit, title=title, body=text,
                                search_text=fold(f"{title}\n{text}"), send_at=sent, dispatched_at=sent)
                s.add(notice)
                await s.flush()
                s.add(NoticeAudience(notice_id=notice.id, unit_id=unit))
                passages += await library.index_notice(s, notice.id, attachment="none")
            await s.commit()
        indexing += time.perf_counter() - began
    return {"version": VERSION, "member_id": member_id, "documents": args.documents, "characters": chars,
            "passages": passages, "indexing_s": indexing, "build_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, backend: str, args, stats_file: Path | None = None) -> None:
    import models
    from models import library, notices
    from models.db import make_engine, make_sessionmaker

    corpus = Corpus(random.Random(18))
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    if backend == "SQLite":
        stats_file = Path(f"{url.split('///', 1)[-1]}.json")
    if stats_file is not None and stats_file.exists():
        stats, built = json.loads(stats_file.read_text()), False
    else:
        async with engine.begin() as conn:
            await conn.run_sync(models.load_all().metadata.create_all)
        stats, built = await build(sessions, args, corpus), True
        if backend == "PostgreSQL":  # what autovacuum does after such a load: the search reads ANALYZE's word counts
            async with engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
        if stats_file is not None:
            stats_file.write_text(json.dumps(stats))
    member_id = stats["member_id"]
    queries = query_mix(corpus, args.queries)
    timings: dict[str, list[float]] = {}
    found: dict[str, int] = {}
    for kind, query in queries[:20]:  # warm the caches: a bot that has run a while has its pages in memory
        async with sessions() as s:
            await library.search(s, member_id, query, limit=5, any_word=kind == "question")
    for kind, query in queries:
        async with sessions() as s:
            began = time.perf_counter()
            hits = await library.search(s, member_id, query, limit=5, any_word=kind == "question")
            elapsed = time.perf_counter() - began
        for key in (kind, "library"):
            timings.setdefault(key, []).append(elapsed)
        found[kind] = found.get(kind, 0) + bool(hits)
    slowest = sorted(zip(timings["library"], queries, strict=True), reverse=True)[:5]
    for _kind, query in queries[:args.baseline_queries]:
        async with sessions() as s:
            began = time.perf_counter()
            await notices.documents(s, member_id, query, 0, 5)
            timings.setdefault("LIKE scan", []).append(time.perf_counter() - began)
    await engine.dispose()

    mb = stats["characters"] / 1e6
    print(f"{backend}: {stats['documents']} documents, {mb:.1f} M characters, {stats['passages']} passages"
          + ("" if built else " (built earlier, kept in " + url.split("/")[-1] + ")"))
    print(f"indexing: {stats['indexing_s']:.1f} s — {stats['documents'] / stats['indexing_s']:.0f} documents/s, "
          f"{stats['passages'] / stats['indexing_s']:.0f} passages/s, {mb / stats['indexing_s']:.2f} M characters/s; "
          f"peak RSS while building {stats['build_rss_mb']:.0f} MB")
    print(f"{'queries':12} {'n':>4} {'found':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, spent in timings.items():
        hit = f"{found[kind]:5}" if kind in found else f"{sum(found.values()):5}" if kind == "library" else "    -"
        print(f"{kind:12} {len(spent):4} {hit} {percentile_ms(spent, 50):8.2f} {percentile_ms(spent, 95):8.2f} "
              f"{percentile_ms(spent, 99):8.2f}")
    like = timings.get("LIKE scan")
    if like:
        ratio = percentile_ms(like, 50) / percentile_ms(timings["library"][:len(like)], 50)
        print(f"p50 LIKE scan / library over the same {len(like)} queries: {ratio:.0f}×")
    print("slowest: " + "; ".join(f"{kind} {query!r} {t * 1000:.0f} ms" for t, (kind, query) in slowest))
    print(f"peak RSS of this run: {peak_rss_mb():.0f} MB")


async def main(args) -> None:
    if args.database_url and args.reuse:  # the database a run with --reuse built: its stats kept beside the SQLite files
        os.environ["HANDBOOK_CONFIG"] = str(Path(tempfile.gettempdir()) / "bench-search-absent.toml")
        name = args.database_url.rsplit("/", 1)[-1]
        kept = Path(tempfile.gettempdir()) / f"handbook-bench-search-v{VERSION}-{args.documents}x{args.kb}kb-pg-{name}.json"
        if not kept.exists():
            from bench.common import reset_postgres
            await reset_postgres(args.database_url)
        await measure(args.database_url, "PostgreSQL", args, kept)
        return
    if args.database_url:
        async with bench_database("bench-search-", args.database_url) as (url, backend):
            await measure(url, backend, args)
        return
    os.environ["HANDBOOK_CONFIG"] = str(Path(tempfile.gettempdir()) / "bench-search-absent.toml")
    path = Path(tempfile.gettempdir()) / f"handbook-bench-search-v{VERSION}-{args.documents}x{args.kb}kb.db"
    if args.rebuild or not Path(f"{path}.json").exists():
        for stale in (path, Path(f"{path}.json"), Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
    await measure(f"sqlite+aiosqlite:///{path}", "SQLite", args)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--documents", type=int, default=10_000)
    p.add_argument("--kb", type=int, default=20, help="average size of a document's text")
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--baseline-queries", type=int, default=20, help="of the same list, also as a LIKE scan")
    p.add_argument("--rebuild", action="store_true", help="SQLite: build the kept database again")
    p.add_argument("--reuse", action="store_true",
                   help="PostgreSQL: build once and keep it (the database is the benchmark's), query it on later runs")
    common.add_database_url(p)
    asyncio.run(main(p.parse_args()))
