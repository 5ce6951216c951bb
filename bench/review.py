"""Benchmark: the year-end review's documents for one ward (issue 16), drawn from data already read.

    python bench/review.py [--cells 50] [--members-per-cell 20] [--repeat 3]

A ward of `cells` cells of `members-per-cell` members, each with a sent self-review, the cell's proposal with
its vote and the committee's decision (ORM objects built in memory: the queries are the models' tests' and
bench/report.py's business). Measured: each cell's list (.docx, .xlsx) and Mẫu 01, the committee's summary (.xlsx and the chart pages) — the
ward's paperwork — next to a baseline measured in the same run: as many blank python-docx documents saved (the
library's own floor per file); and a member's form (.docx, one a tap), per form. Prints the median seconds and
the ratios to the baseline; no assertions. Target (issue 16): a ward's documents under 10 s.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document  # noqa: E402

from handlers.review.docx import form_docx, list_docx, report_docx  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--members-per-cell", type=int, default=20)
    parser.add_argument("--forms", type=int, default=40, help="members' forms timed (each sent on its own tap)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
