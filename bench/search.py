"""Benchmark: the library's full-text search against a LIKE scan of the same documents, in the same run.

--documents documents of --kb kilobytes of Vietnamese-like text each (articles "Điều N." of generated
sentences) are sent to one ward and indexed with models.library.index_notice (the work the follow-up
does after a notice is sent, the attachment's reading aside). Then --queries searches of two or three
words each, as a member of a cell types them without diacritics, go to models.library.search (FTS5 or
PostgreSQL's GIN index, ranked) and, as the baseline, to models.notices.documents (every word a
`LIKE '%word%'` over each document's folded text: what /documents words did before the library).

Printed: indexing throughput (documents, passages and MB of text per second), p50/p95 latency of each
query path and the ratio baseline/library, and the process's peak RSS. It asserts no speed.

    python bench/search.py [--documents 2000] [--kb 20] [--queries 200]
                           [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import bench_database, percentile_ms  # noqa: E402

SYLLABLES = ("đảng viên chi bộ nghị quyết học tập quán triệt phát triển khoa học công nghệ đổi mới sáng tạo chuyển "
             "đổi số quốc gia kinh tế xã hội văn hóa giáo dục y tế an ninh quốc phòng đảng phí sinh hoạt kết nạp "
             "dự bị chính thức kiểm tra giám sát kỷ luật khen thưởng thi đua tổ dân phố phường xã thành phố Huế "
             "nhiệm vụ giải pháp mục tiêu chỉ tiêu kế hoạch báo cáo tổng kết đánh giá hằng tháng năm quý").split()


ONSETS = "b c ch d đ g gi h k kh l m n ng nh p ph qu r s t th tr v x".split()
RIMES = "a à á ả ã ạ ai an ang anh ao ăn âm ân ơi ê ên i im in inh o oa oai ong ô ôi ơn u uân ung uy ư ươc ương".split()


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    """Party words and generated syllables, weighted as words are in text (Zipf: a few common, most rare)."""
    made = {f"{rng.choice(ONSETS)}{rng.choice(RIMES)}" for _ in range(size)}
    words = SYLLABLES + sorted(made)
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


def sentence(rng: random.Random, vocab: tuple[list[str], list[float]]) -> str:
    words = rng.choices(vocab[0], weights=vocab[1], k=rng.randint(8, 20))
    return " ".join(words).capitalize() + "."


def document_text(rng: random.Random, vocab: tuple[list[str], list[float]], size: int) -> str:
    parts, length, article = [], 0, 1
    while length < size:
        paragraph = f"Điều {article}. " + " ".join(sentence(rng, vocab) for _ in range(rng.randint(3, 8)))
        parts.append(paragraph)
        length += len(paragraph) + 1
        article += 1
    return "\n".join(parts)


async def main(args) -> None:
    import models
    from models import library, notices
    from models.db import make_engine, make_sessionmaker
    from models.members import Member
    from models.notices import Notice, NoticeAudience, NoticeKind
    from models.text import fold
    from models.units import UnitKind, add_unit

    rng = random.Random(18)
    async with bench_database("bench-search-", args.database_url) as (url, backend):
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(models.load_all().metadata.create_all)
        sessions = make_sessionmaker(engine)
        async with sessions() as s:
            city = await add_unit(s, "Đảng bộ thành phố Huế", UnitKind.city)
            ward = await add_unit(s, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
            cell = await add_unit(s, "Chi bộ Tổ dân phố 1", UnitKind.cell, ward)
            member = Member(full_name="Lê Văn Bảy", cell_id=cell.id)
            s.add(member)
            await s.commit()
            member_id, ward_id, sent = member.id, ward.id, common_now()
        vocab = vocabulary(rng)
        texts = [document_text(rng, vocab, args.kb * 1024) for _ in range(args.documents)]
        total_chars = sum(len(t) for t in texts)
        started, passages = time.perf_counter(), 0
        for start in range(0, len(texts), 100):
            async with sessions() as s:
                for i, text in enumerate(texts[start:start + 100], start):
                    title = f"Nghị quyết {i + 1}-NQ/ĐU về {' '.join(rng.choices(SYLLABLES, k=4))}"
                    notice = Notice(kind=NoticeKind.resolution, unit_id=ward_id, title=title, body=text,
                                    search_text=fold(f"{title}\n{text}"), send_at=sent, dispatched_at=sent)
                    s.add(notice)
                    await s.flush()
                    s.add(NoticeAudience(notice_id=notice.id, unit_id=ward_id))
                    passages += await library.index_notice(s, notice.id, attachment="none")
                await s.commit()
        indexing = time.perf_counter() - started
        # Words a member would look for: neither the commonest (they are in every passage) nor unseen ones.
        findable = vocab[0][20:2000]
        queries = [" ".join(fold(w) for w in rng.sample(findable, rng.choice((1, 2)))) for _ in range(args.queries)]
        timings: dict[str, list[float]] = {"library": [], "like": []}
        for query in queries:
            for name in ("library", "like"):
                async with sessions() as s:
                    began = time.perf_counter()
                    if name == "library":
                        await library.search(s, member_id, query, limit=5)
                    else:
                        await notices.documents(s, member_id, query, 0, 5)
                    timings[name].append(time.perf_counter() - began)
        await engine.dispose()
    mb = total_chars / 1e6
    print(f"{backend}: {args.documents} documents, {mb:.1f} M characters, {passages} passages")
    print(f"indexing: {indexing:.1f} s — {args.documents / indexing:.0f} documents/s, "
          f"{passages / indexing:.0f} passages/s, {mb / indexing:.2f} M characters/s")
    for name in ("library", "like"):
        print(f"{name:8} p50 {percentile_ms(timings[name], 50):8.2f} ms   p95 {percentile_ms(timings[name], 95):8.2f} ms")
    ratio = percentile_ms(timings["like"], 95) / percentile_ms(timings["library"], 95)
    print(f"p95 LIKE scan / library: {ratio:.1f}×")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def common_now():
    from models import clock

    return clock.now()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--documents", type=int, default=2000)
    p.add_argument("--kb", type=int, default=20)
    p.add_argument("--queries", type=int, default=200)
    common.add_database_url(p)
    asyncio.run(main(p.parse_args()))
