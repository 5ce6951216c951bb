"""Benchmark: import 100,000 members from CSV into a fresh SQLite database.

Prints elapsed seconds and peak memory (ru_maxrss) of the import, and of a baseline measured
in the same run: the csv module reading the file into a list plus one raw executemany into a
bare table. Each side runs in its own process so that neither inherits the other's peak.
Targets: under 60 s and under 300 MB.

    python bench/import_members.py [--members 100000] [--committees 20] [--cells 250]
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60
TARGET_MB = 300

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Tôn Thất", "Nguyễn Phúc"]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thanh", "Đình", "Ngọc"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Diệu", "Bích", "Hồng", "Phương"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn", "Tâm", "Thắng", "Trung", "Tuấn", "Việt", "Vinh"]
GIVEN_FEMALE = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung", "Oanh", "Phương", "Thảo", "Trang", "Yến"]
STREETS = ["Lê Lợi", "Hùng Vương", "Bến Nghé", "Đội Cung", "Nguyễn Huệ", "Trần Hưng Đạo", "Phan Đình Phùng", "Hà Nội", "Nguyễn Công Trứ", "Chu Văn An"]
POSITIONS = ["", "", "", "Đảng viên", "Tổ trưởng tổ dân phố", "Hưu trí", "Cán bộ hưu trí", "Giáo viên"]
HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số điện thoại", "Số thẻ đảng", "Ngày vào Đảng",
          "Ngày chính thức", "Chi bộ", "Đảng bộ", "Chức vụ", "Địa chỉ", "Miễn sinh hoạt"]


def generate(path: Path, members: int, committees: int, cells: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    units = []
    for c in range(cells):
        k = c % committees
        kind = "phường" if k % 3 else "xã"
        units.append((f"Chi bộ Tổ dân phố {c // committees + 1}", f"Đảng bộ {kind} Số {k + 1}"))
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(HEADER)
        for i in range(members):
            male = rng.random() < 0.55
            name = " ".join((rng.choice(SURNAMES), rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE),
                             rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)))
            born = rng.randint(1935, 2000)
            joined = born + rng.randint(18, 24)
            probationary = rng.random() < 0.03 and joined >= 2000
            joined = 2026 if probationary else joined
            cell, committee = units[i % cells]
            out.writerow([
                name,
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{born}",
                "Nam" if male else "Nữ",
                f"090 {i // 10_000:03d} {i % 10_000:04d}" if i % 2 else f"+8491{i:07d}",
                f"{i % 100:02d}.{i:06d}",
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 6):02d}/{joined}",
                "" if probationary else f"{rng.randint(1, 28):02d}/{rng.randint(7, 12):02d}/{joined}",
                cell,
                committee,
                rng.choice(POSITIONS),
                f"{rng.randint(1, 200)} {rng.choice(STREETS)}, Huế",
                "x" if born < 1950 and rng.random() < 0.3 else "",
            ])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_baseline(csv_path: Path, db_path: Path) -> dict:
    start = time.perf_counter()
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    conn = sqlite3.connect(db_path)
    conn.execute(f"CREATE TABLE bare (id INTEGER PRIMARY KEY, {', '.join(f'c{i} TEXT' for i in range(len(HEADER)))})")
    conn.executemany(f"INSERT INTO bare ({', '.join(f'c{i}' for i in range(len(HEADER)))}) VALUES ({', '.join('?' * len(HEADER))})", rows)
    conn.commit()
    conn.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb(), "rows": len(rows)}


async def run_import(csv_path: Path, db_path: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    import models
    from models.db import make_engine, make_sessionmaker
    from models.importer import import_members, read_member_file
    from models.members import Member

    Base = models.load_all()  # every table
    engine = make_engine(f"sqlite+aiosqlite:///{db_path}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    ready_mb = peak_mb()
    start = time.perf_counter()
    calls = []
    async with make_sessionmaker(engine)() as session:
        parsed = read_member_file(csv_path)
        report = await import_members(session, parsed, progress=lambda done, total: calls.append(done))
        await session.commit()
        seconds = time.perf_counter() - start
        count = await session.scalar(select(func.count()).select_from(Member))
    await engine.dispose()
    return {
        "seconds": seconds, "peak_mb": peak_mb(), "ready_mb": ready_mb, "rows": count,
        "created": report.created, "units_created": report.units_created, "errors": len(report.errors),
        "progress_calls": len(calls),
    }


def child(side: str, csv_path: Path, db_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, str(csv_path), str(db_path)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--committees", type=int, default=20)
    parser.add_argument("--cells", type=int, default=250)
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "CSV", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, csv_path, db_path = args.child
        result = run_baseline(Path(csv_path), Path(db_path)) if side == "baseline" else asyncio.run(run_import(Path(csv_path), Path(db_path)))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "members.csv"
        start = time.perf_counter()
        generate(csv_path, args.members, args.committees, args.cells)
        print(f"generated {args.members:,} members ({csv_path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
        base = child("baseline", csv_path, Path(tmp) / "baseline.db")
        imp = child("import", csv_path, Path(tmp) / "handbook.db")
    print(f"baseline (csv into a list + one executemany): {base['seconds']:6.2f} s  {base['peak_mb']:6.1f} MB peak")
    print(f"import_members (check + write + commit):      {imp['seconds']:6.2f} s  {imp['peak_mb']:6.1f} MB peak"
          f"  ({imp['ready_mb']:.1f} MB before the import)")
    print(f"ratio import / baseline:                       {imp['seconds'] / base['seconds']:6.1f} ×     {imp['peak_mb'] / base['peak_mb']:6.1f} ×")
    print(f"members in the database: {imp['rows']:,}; units created: {imp['units_created']}; "
          f"errors: {imp['errors']}; progress calls: {imp['progress_calls']}")
    ok = imp["seconds"] < TARGET_SECONDS and imp["peak_mb"] < TARGET_MB and imp["rows"] == args.members
    print(f"targets (< {TARGET_SECONDS} s, < {TARGET_MB} MB): {'met' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
