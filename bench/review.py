"""Benchmark: the year-end review's documents for one ward (issue 16), drawn from data already read.

    python bench/review.py [--cells 50] [--members-per-cell 20] [--repeat 3]

A ward of `cells` cells of `members-per-cell` members, each with a sent self-review, the cell's proposal with
its vote and the committee's decision (ORM objects built in memory: the queries are the models' tests' and
bench/report.py's business). Measured: each cell's list (.docx, .xlsx) and Mẫu 01, the committee's summary (.xlsx and the chart pages) — the
ward's paperwork — next to a baseline measured in the same run: as many blank python-docx documents saved (the
library's own floor per file); and a member's form (.docx, one a tap), per form. Prints the median seconds and
the ratios to the baseline; no assertions. Target (issue 16): a ward's documents under 10 s.

    python bench/review.py --db [--wards 100] [--cells-per-ward 50] [--members-per-cell 20] [--database-url URL]

The same over a real database, through the models' queries: a city of `wards` wards of `cells-per-ward` cells
of `members-per-cell` members (by default 5,000 cells, 100,000 members) written with bulk inserts (Core
executemany, not the ORM one by one), the city's round opened by the models (open_round, timed), every
self-review sent and every level proposed and decided by bulk UPDATEs. The SQLite file is cached under
/tmp/handbook-bench-review/ (its name holds the sizes and a digest of the schema), so a rerun starts at
once; --database-url (PostgreSQL) is built every time — its public schema is dropped: the benchmark's to
spoil. Then, as the ward's officer, ONE ward's documents are read and drawn: each cell's list (.docx,
.xlsx) and Mẫu 01, the committee's summary with the chart, and every member's form (one a tap, and again as 📦 one .zip a cell) — timed by part
(queries and drawing), next to the same count of blank .docx saved in the same run.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document  # noqa: E402

from handlers.review.docx import form_docx, forms_zip, list_docx, report_docx  # noqa: E402
from handlers.review.files import list_xlsx, summary_chart, summary_xlsx  # noqa: E402
from models.review import Form, Level, ReviewEntry, ReviewRound, Sheet, line_of  # noqa: E402
from models.review.appraisal import Appraisal  # noqa: E402
from models.review.documents import CellDoc, CellProgress, FormDoc, Summary  # noqa: E402

TARGET_S = 10.0
LEVELS = (Level.excellent, Level.good, Level.good, Level.good, Level.done)


def ward(cells: int, per_cell: int) -> tuple[list[FormDoc], list[CellDoc], Summary]:
    rnd = ReviewRound(id=1, unit_id=1, year=2026, rules_id="review_2025", rules_version=1)
    forms, docs, progress = [], [], []
    sent = datetime(2026, 12, 10, 3, tzinfo=UTC)
    for c in range(cells):
        cell_name = f"Chi bộ Tổ dân phố {c + 1}"
        lines = []
        for m in range(per_cell):
            level = LEVELS[(c + m) % len(LEVELS)]
            e = ReviewEntry(id=c * per_cell + m, round_id=1, member_id=c * per_cell + m, cell_id=c, form=Form.c,
                            points={"politics": 9, "ethics": 8, "discipline": 8, "residence": 60}, conditions=[],
                            strengths="Gương mẫu, nhiệt tình với công việc của tổ dân phố.\n" * 3,
                            shortcomings="Đôi lúc chưa tham gia đầy đủ sinh hoạt.", remedies="Khắc phục trong năm tới.",
                            self_level=Level.good, submitted_at=sent, by_proxy=False, cell_comment="Đồng ý.",
                            proposal_counts={"excellent": 2, "good": 12, "done": 0, "failed": 0, "base": 18,
                                             "cast": 14}, proposed_level=level, decided_level=level)
            name = f"Nguyễn Văn Đảng Viên {c + 1}-{m + 1}"
            forms.append(FormDoc(Sheet(e, rnd, name, cell_name, proxy=False), "Đảng bộ phường Phú Hội"))
            lines.append(line_of(rnd, e, name))
        docs.append(CellDoc(Appraisal(rnd, c, cell_name, lines), "Đảng bộ phường Phú Hội",
                            [("Tôn Nữ Thị Lài", "excused")]))
        levels: dict[Level, int] = {}
        for x in lines:
            if x.decided is not None:
                levels[x.decided] = levels.get(x.decided, 0) + 1
        progress.append(CellProgress(c, cell_name, per_cell, per_cell, per_cell, per_cell, levels))
    return forms, docs, Summary(2026, "Đảng bộ phường Phú Hội", progress)


def ward_files(docs: list[CellDoc], summary: Summary) -> int:
    """The ward's paperwork: each cell's list (.docx, .xlsx) and Mẫu 01, the summary (.xlsx, chart pages)."""
    made = []
    for d in docs:
        made += [list_docx(d, "vi"), list_xlsx(d, "vi"), report_docx(d, "vi")]
    made += [summary_xlsx(summary, "vi"), *summary_chart(summary, "vi")]
    return len(made)


def member_forms(forms: list[FormDoc]) -> int:
    return len([form_docx(f, "vi") for f in forms])


def baseline(count: int) -> int:
    for _ in range(count):
        Document().save(io.BytesIO())
    return count


def timed(fn, *args) -> tuple[float, int]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


# --- over a real database ------------------------------------------------------------------------------------
CACHE_DIR = Path("/tmp/handbook-bench-review")
TODAY = date(2026, 12, 4)
BATCH = 5000


def schema_digest() -> str:
    """The tables, columns and indexes the models declare: a cached file built by another schema is not reused."""
    import models

    base = models.load_all()
    shape = sorted((t.name, c.name, str(c.type)) for t in base.metadata.tables.values() for c in t.columns)
    shape += sorted((t.name, i.name or "", "index") for t in base.metadata.tables.values() for i in t.indexes)
    return hashlib.sha256(repr(shape).encode()).hexdigest()[:10]


async def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        await conn.execute(table.insert(), rows[start:start + BATCH])


async def build(url: str, wards: int, cells: int, per_cell: int) -> dict[str, float]:
    """The city, its members, the round opened and filled in. Returns the seconds of each part."""
    import models
    from models.collation import name_key
    from models.db import make_engine, make_sessionmaker
    from models.members import Member, search_key
    from models.permissions import member_actor
    from models.review import open_round
    from models.roles import Role, RoleKind
    from models.units import Unit, UnitKind

    base = models.load_all()
    engine = make_engine(url)
    took: dict[str, float] = {}
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.run_sync(base.metadata.create_all)
        units = [{"id": 1, "name": "Đảng bộ thành phố Huế", "kind": UnitKind.city, "parent_id": None, "path": "/1/",
                  "exempt_counted": True}]
        cell_ids: list[tuple[int, int]] = []  # (ward, cell)
        next_id = 2 + wards
        for w in range(wards):
            wid = 2 + w
            units.append({"id": wid, "name": f"Đảng bộ phường {w + 1}", "kind": UnitKind.ward, "parent_id": 1,
                          "path": f"/1/{wid}/", "exempt_counted": True})
            for c in range(cells):
                units.append({"id": next_id, "name": f"Chi bộ Tổ dân phố {c + 1}", "kind": UnitKind.cell,
                              "parent_id": wid, "path": f"/1/{wid}/{next_id}/", "exempt_counted": True})
                cell_ids.append((wid, next_id))
                next_id += 1
        await _insert(conn, Unit.__table__, units)
        members, mid = [], 0
        for n, (_wid, cid) in enumerate(cell_ids):
            for m in range(per_cell):
                mid += 1
                name = f"Nguyễn Văn Đảng Viên {n + 1}-{m + 1}"
                members.append({"id": mid, "full_name": name, "sort_name": name_key(name), "search_name": search_key(name),
                                "cell_id": cid, "joined_on": date(1980 + m % 40, 1 + m % 12, 1),
                                "official_on": date(1981 + m % 40, 1 + m % 12, 1), "position": "Cán bộ hưu trí",
                                "exempt": m == per_cell - 1 and n % 10 == 0})
        await _insert(conn, Member.__table__, members)
        officer_city, officer_ward = 1, 1 + per_cell  # the first cell's first member; the ward's second cell's
        await _insert(conn, Role.__table__, [{"member_id": officer_city, "unit_id": 1, "kind": RoleKind.committee},
                                             {"member_id": officer_ward, "unit_id": 2, "kind": RoleKind.committee}])
    took["units and members (bulk inserts)"] = time.perf_counter() - started
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    async with sessions() as session:
        actor = await member_actor(session, officer_city)
        opened = await open_round(session, actor, 1, 2026, date(2026, 12, 20), date(2026, 12, 28), today=TODAY)
        await session.commit()
    took[f"the city's round opened (models.review.open_round: {opened.reviewed:,} reviewed)"] = time.perf_counter() - started
    started = time.perf_counter()
    await fill(engine, opened.round.id)
    took["every self-review sent, proposed, decided (bulk UPDATEs)"] = time.perf_counter() - started
    await engine.dispose()
    return took


async def fill(engine, round_id: int) -> None:
    from sqlalchemy import update

    from models.review import ReviewEntry

    e = ReviewEntry
    sent = datetime(2026, 12, 10, 3, tzinfo=UTC)
    async with engine.begin() as conn:
        for k, level in enumerate(LEVELS):
            await conn.execute(update(e).where(e.round_id == round_id, e.exempt_reason.is_(None), e.id % len(LEVELS) == k)
                               .values(points={"politics": 9, "ethics": 8, "discipline": 8, "residence": 60},
                                       strengths="Gương mẫu, nhiệt tình với công việc của tổ dân phố.\n" * 3,
                                       shortcomings="Đôi lúc chưa tham gia đầy đủ sinh hoạt.",
                                       remedies="Khắc phục trong năm tới.", self_level=Level.good, submitted_at=sent,
                                       cell_comment="Đồng ý.", proposed_level=level, decided_level=level,
                                       proposal_counts={"excellent": 2, "good": 12, "done": 0, "failed": 0, "base": 18,
                                                        "cast": 14}))


async def ward_documents(url: str) -> dict[str, Any]:
    """ONE ward's documents as its officer gets them: the queries (models/review/documents.py) and the drawing."""
    from sqlalchemy import select

    from models.db import make_engine, make_sessionmaker
    from models.permissions import member_actor
    from models.review import ReviewEntry, ReviewRound
    from models.review import documents as docs
    from models.roles import Role
    from models.units import Unit

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    out: dict[str, Any] = {"query": 0.0, "draw": 0.0, "forms_query": 0.0, "forms_draw": 0.0, "zip_query": 0.0,
                           "zip_draw": 0.0}
    async with sessions() as session:
        ward_id, officer = (await session.execute(select(Role.unit_id, Role.member_id).where(Role.unit_id == 2))).one()
        actor = await member_actor(session, officer)
        round_id = await session.scalar(select(ReviewRound.id))
        cells = list((await session.scalars(select(Unit.id).where(Unit.parent_id == ward_id).order_by(Unit.path))).all())
        files = 0
        for cell_id in cells:
            t0 = time.perf_counter()
            d = await docs.cell_doc(session, actor, round_id, cell_id)
            t1 = time.perf_counter()
            list_docx(d, "vi"), list_xlsx(d, "vi"), report_docx(d, "vi")
            out["query"] += t1 - t0
            out["draw"] += time.perf_counter() - t1
            files += 3
        t0 = time.perf_counter()
        s = await docs.summary(session, actor, round_id)
        t1 = time.perf_counter()
        files += 1 + len(summary_chart(s, "vi"))
        summary_xlsx(s, "vi")
        out["query"] += t1 - t0
        out["draw"] += time.perf_counter() - t1
        entries = list((await session.scalars(
            select(ReviewEntry.id).where(ReviewEntry.round_id == round_id, ReviewEntry.cell_id.in_(cells),
                                         ReviewEntry.exempt_reason.is_(None)).order_by(ReviewEntry.id))).all())
        for entry_id in entries:
            t0 = time.perf_counter()
            f = await docs.form_doc(session, actor, entry_id)
            t1 = time.perf_counter()
            form_docx(f, "vi")
            out["forms_query"] += t1 - t0
            out["forms_draw"] += time.perf_counter() - t1
        for cell_id in cells:  # 📦 the same forms, a .zip a cell (models.review.documents.cell_forms: one query)
            t0 = time.perf_counter()
            fs = await docs.cell_forms(session, actor, round_id, cell_id)
            t1 = time.perf_counter()
            forms_zip(fs, "vi")
            out["zip_query"] += t1 - t0
            out["zip_draw"] += time.perf_counter() - t1
        out |= {"cells": len(cells), "files": files, "forms": len(entries), "summary_cells": len(s.cells)}
    await engine.dispose()
    return out


async def database_run(args) -> None:
    from bench.common import reset_postgres
    from models.db import is_sqlite

    total_cells = args.wards * args.cells_per_ward
    members = total_cells * args.members_per_cell
    os.environ["HANDBOOK_CONFIG"] = str(CACHE_DIR / "absent.toml")
    url = args.database_url
    if url is None:
        CACHE_DIR.mkdir(exist_ok=True)
        path = CACHE_DIR / f"city-{args.wards}x{args.cells_per_ward}x{args.members_per_cell}-{schema_digest()}.db"
        url = f"sqlite+aiosqlite:///{path}"
        if path.exists():
            print(f"{path}: cached ({path.stat().st_size / 1e6:.0f} MB), not rebuilt")
        else:
            building = path.with_suffix(".building")
            building.unlink(missing_ok=True)
            took = await build(f"sqlite+aiosqlite:///{building}", args.wards, args.cells_per_ward, args.members_per_cell)
            building.rename(path)
            _print_build(took, total_cells, members)
    elif not is_sqlite(url):
        await reset_postgres(url)
        _print_build(await build(url, args.wards, args.cells_per_ward, args.members_per_cell), total_cells, members)
    backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
    runs = [await ward_documents(url) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["query"] + r["draw"] + r["forms_query"] + r["forms_draw"])
    files = best["files"]
    base = statistics.median(timed(baseline, files)[0] for _ in range(args.repeat))
    forms_base = statistics.median(timed(baseline, best["forms"])[0] for _ in range(args.repeat))
    ward = best["query"] + best["draw"]
    forms = best["forms_query"] + best["forms_draw"]
    print(f"{backend}: a city of {total_cells:,} cells, {members:,} members; ONE ward of {best['cells']} cells "
          f"(the summary covers {best['summary_cells']} cells), best of {args.repeat}")
    print(f"  the ward's documents ({files} files: lists .docx/.xlsx, Mẫu 01, summary .xlsx + chart): {ward:.2f} s "
          f"(queries {best['query']:.2f} s, drawing {best['draw']:.2f} s); baseline {files} blank .docx {base:.2f} s; "
          f"ratio {ward / base:.2f}")
    print(f"  every member's form ({best['forms']} .docx): {forms:.2f} s (queries {best['forms_query']:.2f} s, "
          f"drawing {best['forms_draw']:.2f} s); baseline {best['forms']} blank .docx {forms_base:.2f} s; "
          f"ratio {forms / forms_base:.2f}")
    zipped = best["zip_query"] + best["zip_draw"]
    print(f"  the same forms as 📦 one .zip a cell ({best['cells']} .zip): {zipped:.2f} s (queries "
          f"{best['zip_query']:.2f} s, drawing {best['zip_draw']:.2f} s)")
    print(f"  all of the ward's documents: {ward + forms:.2f} s (target under {TARGET_S:.0f} s: "
          f"{'met' if ward + forms < TARGET_S else 'not met'}; without the members' forms, which go one a tap: "
          f"{'met' if ward < TARGET_S else 'not met'})")


def _print_build(took: dict[str, float], cells: int, members: int) -> None:
    print(f"built: {cells:,} cells, {members:,} members")
    for what, seconds in took.items():
        print(f"  {what}: {seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="store_true", help="over a real database (see above)")
    parser.add_argument("--wards", type=int, default=100)
    parser.add_argument("--cells-per-ward", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (its public schema dropped); default: "
                                                             "a SQLite file cached under /tmp")
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--members-per-cell", type=int, default=20)
    parser.add_argument("--forms", type=int, default=40, help="members' forms timed (each sent on its own tap)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.db:
        asyncio.run(database_run(args))
        return
    forms, docs, summary = ward(args.cells, args.members_per_cell)
    sample = forms[:args.forms]
    ours, mine, base = [], [], []
    files = 0
    for _ in range(args.repeat):
        seconds, files = timed(ward_files, docs, summary)
        ours.append(seconds)
        mine.append(timed(member_forms, sample)[0])
        base.append(timed(baseline, files)[0])
    o, f, b = statistics.median(ours), statistics.median(mine), statistics.median(base)
    print(f"one ward: {args.cells} cells, {len(forms)} members")
    print(f"the ward's documents ({files} files: lists, Mẫu 01, summary, chart): median {o:.2f} s "
          f"(worst {max(ours):.2f} s; target under {TARGET_S:.0f} s)")
    print(f"baseline ({files} blank .docx saved): median {b:.2f} s; ratio ward / baseline: {o / b:.2f}")
    per_form = f / max(1, len(sample))
    print(f"a member's form: median {per_form * 1000:.0f} ms ({per_form * len(forms):.1f} s for all {len(forms)}); "
          f"ratio to a blank .docx: {per_form / (b / files):.2f}")

if __name__ == "__main__":
    main()
