"""Benchmark: the committee's monthly report over a city of 100,000 members, 5,000 cells and a year
of meetings (60,000 meetings, 1.2 million attendance rows), generated straight into SQLite.

Prints, for the report's query (models/reports.month_report over the whole city and over one
ward), the same with the bar chart and the spreadsheet (handlers/reports/files.py), and a day's report:
median and worst elapsed time and the Python memory they allocate (tracemalloc peak), next to a
baseline measured in the same run on the same database — a bare COUNT(*) over the attendance table.
The measuring runs in a fresh process, so its peak RSS is its own. No assertions: figures only.
Targets: under 300 ms for the query, under 2 s with the chart.

    python bench/report.py [--cells 5000] [--members-per-cell 20] [--months 12] [--repeat 5]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_QUERY_MS = 300
TARGET_CHART_MS = 2000
HUE = timezone(timedelta(hours=7))
YEAR = 2026


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- generating the city ------------------------------------------------------------------------------
def generate(db: Path, cells: int, per_cell: int, months: int, wards: int, seed: int = 1930) -> dict:
    from sqlalchemy import create_engine

    import models  # noqa: F401  (every table)
    from models.base import Base

    engine = create_engine(f"sqlite:///{db}")
    Base.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    started = time.perf_counter()
    units = [(1, "Đảng bộ thành phố Huế", "city", None, "/1/", 1)]
    ward_ids = list(range(2, 2 + wards))
    units += [(w, f"Đảng bộ phường Số {w - 1}", "ward", 1, f"/1/{w}/", 1) for w in ward_ids]
    cell_ids = list(range(2 + wards, 2 + wards + cells))
    cell_ward = {c: ward_ids[i % wards] for i, c in enumerate(cell_ids)}
    units += [(c, f"Chi bộ Tổ dân phố {i // wards + 1}", "cell", cell_ward[c], f"/1/{cell_ward[c]}/{c}/",
               0 if i % 7 == 0 else 1) for i, c in enumerate(cell_ids)]
    con.executemany("INSERT INTO units (id, name, kind, parent_id, path, exempt_counted) VALUES (?,?,?,?,?,?)", units)
    members, member_cell = [], {}
    member_id = 0
    for c in cell_ids:
        for _ in range(per_cell):
            member_id += 1
            member_cell[member_id] = c
            members.append((member_id, f"Đảng viên {member_id}", c, 1 if rng.random() < 0.05 else 0, "2026-01-01"))
    con.executemany("INSERT INTO members (id, full_name, cell_id, exempt, created_at) VALUES (?,?,?,?,?)", members)
    by_cell: dict[int, list[tuple[int, int]]] = {}
    for mid, _, c, exempt, _ in members:
        by_cell.setdefault(c, []).append((mid, exempt))
    meeting_id = 0
    meetings, attendance = [], []
    statuses = ("present",) * 16 + ("excused", "excused", "unexcused")
    for month in range(1, months + 1):
        for c in cell_ids:
            meeting_id += 1
            day = 1 + (c * 11 + month) % 28
            starts = datetime(YEAR, month, day, 19, 30, tzinfo=HUE).astimezone(UTC).replace(tzinfo=None)
            counts = {"present": 0, "excused": 0, "unexcused": 0, "exempt": 0}
            for mid, exempt in by_cell[c]:
                status = "exempt" if exempt and rng.random() < 0.7 else rng.choice(statuses)
                counts[status] += 1
                attendance.append((meeting_id, mid, status))
            meetings.append((meeting_id, c, "regular", f"Sinh hoạt thường kỳ tháng {month}", starts.isoformat(" "),
                             "Nhà văn hóa", "", "closed", starts.isoformat(" "), starts.isoformat(" "),
                             starts.isoformat(" "), "Đã quán triệt nghị quyết.", len(by_cell[c]), counts["present"],
                             counts["excused"], counts["unexcused"], counts["exempt"]))
        con.executemany(
            "INSERT INTO meetings (id, cell_id, kind, title, starts_at, place, agenda, state, created_at, updated_at,"
            " roll_call_at, content, member_count, present_count, excused_count, unexcused_count, exempt_count)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", meetings)
        con.executemany("INSERT INTO attendance (meeting_id, member_id, status) VALUES (?,?,?)", attendance)
        meetings, attendance = [], []
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return {"units": len(units), "members": member_id, "meetings": meeting_id,
            "attendance_rows": meeting_id * per_cell, "generate_s": round(time.perf_counter() - started, 1)}


# --- measuring (in its own process) -----------------------------------------------------------------------
async def measure(db: Path, repeat: int) -> dict:
    from sqlalchemy import func, select, text

    from handlers.reports.files import chart_png, month_xlsx
    from models import reports
    from models.db import make_engine, make_sessionmaker
    from models.meetings import Attendance
    from models.units import Unit

    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    sessions = make_sessionmaker(engine)
    now = datetime(YEAR, 12, 31, tzinfo=UTC)
    out: dict = {}

    async def timed(name: str, fn) -> None:
        runs = []
        result = None
        for _ in range(repeat):
            started = time.perf_counter()
            result = await fn()
            runs.append((time.perf_counter() - started) * 1000)
        # Memory in a run of its own: tracemalloc slows Python down several times.
        tracemalloc.start()
        await fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[name] = {"median_ms": round(statistics.median(runs), 1), "worst_ms": round(max(runs), 1),
                     "first_ms": round(runs[0], 1), "py_peak_mb": round(peak / 2**20, 1)}
        return result

    async with sessions() as s:
        city = await s.get(Unit, 1)
        ward = await s.scalar(select(Unit).where(Unit.kind == "ward").order_by(Unit.id).limit(1))
        await s.execute(text("SELECT 1"))

    async def baseline():
        async with sessions() as s:
            return await s.scalar(select(func.count()).select_from(Attendance))

    async def month_city():
        async with sessions() as s:
            return await reports.month_report(s, city, YEAR, 6, HUE, now)

    async def month_ward():
        async with sessions() as s:
            return await reports.month_report(s, ward, YEAR, 6, HUE, now)

    async def month_city_with_files():
        async with sessions() as s:
            report = await reports.month_report(s, city, YEAR, 6, HUE, now)
            groups = await reports.group_by_child(s, report)
        png = await asyncio.to_thread(chart_png, report, "vi", groups)
        xlsx = await asyncio.to_thread(month_xlsx, report, "vi")
        return len(png), len(xlsx)

    async def month_ward_with_chart():
        async with sessions() as s:
            report = await reports.month_report(s, ward, YEAR, 6, HUE, now)
        return len(await asyncio.to_thread(chart_png, report, "vi", None))

    async def day_city():
        async with sessions() as s:
            return await reports.day_report(s, city.path, date(YEAR, 6, 10), HUE)

    rows = await timed("baseline: COUNT(*) over attendance", baseline)
    out["baseline: COUNT(*) over attendance"]["rows"] = rows
    report = await timed("month report query, city (all cells)", month_city)
    out["month report query, city (all cells)"].update(cells=len(report.cells), held=report.held,
                                                        percent=report.percent)
    report = await timed("month report query, one ward", month_ward)
    out["month report query, one ward"].update(cells=len(report.cells))
    sizes = await timed("month report + chart (wards) + XLSX, city", month_city_with_files)
    out["month report + chart (wards) + XLSX, city"].update(png_bytes=sizes[0], xlsx_bytes=sizes[1])
    await timed("month report + chart (cells), one ward", month_ward_with_chart)
    day = await timed("day report, city (one evening)", day_city)
    out["day report, city (one evening)"]["cells_met"] = len(day)
    await engine.dispose()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--members-per-cell", type=int, default=20)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--wards", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.repeat)), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "report.db"
        made = generate(db, args.cells, args.members_per_cell, args.months, args.wards)
        print(f"generated: {made['members']:,} members, {args.cells:,} cells in {args.wards} wards, "
              f"{made['meetings']:,} meetings, {made['attendance_rows']:,} attendance rows "
              f"({made['generate_s']} s, {db.stat().st_size / 2**20:.0f} MB on disk)")
        result = subprocess.run([sys.executable, __file__, "--measure", str(db), "--repeat", str(args.repeat)],
                                capture_output=True, text=True, check=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    base = figures["baseline: COUNT(*) over attendance"]["median_ms"]
    print(f"{'what':<46}{'median ms':>10}{'worst ms':>10}{'first ms':>10}{'× base':>8}{'py MB':>7}")
    for name, f in figures.items():
        if not isinstance(f, dict):
            continue
        ratio = f["median_ms"] / base if base else float("nan")
        extra = {k: v for k, v in f.items() if k not in ("median_ms", "worst_ms", "first_ms", "py_peak_mb")}
        print(f"{name:<46}{f['median_ms']:>10}{f['worst_ms']:>10}{f['first_ms']:>10}{ratio:>8.2f}"
              f"{f['py_peak_mb']:>7}  {extra if extra else ''}")
    print(f"peak RSS of the measuring process: {figures['peak_rss_mb']} MB")
    query = figures["month report query, city (all cells)"]["median_ms"]
    chart = figures["month report + chart (wards) + XLSX, city"]["median_ms"]
    print(f"targets: query {query} ms (target < {TARGET_QUERY_MS} ms), "
          f"with chart and spreadsheet {chart} ms (target < {TARGET_CHART_MS} ms)")


if __name__ == "__main__":
    main()
