"""Charts a phone can read: every chart is a portrait page 1,080 px wide (at most 2,560 px tall, what Telegram
keeps of a photo) and no text on it is smaller than 28 px at that width — measured on the figures as saved.
The cell's monthly bulletin too, in every language, drawn as written."""
from __future__ import annotations

import io
import logging
import struct
import warnings

import pytest

from handlers import charts
from handlers.i18n import LANGUAGES, t
from handlers.month_card import month_card_png
from models.month_card import MonthFigures, VoteLine

HOSTILE = "Giá 5$ hay 10$? $\\frac{1}{$ 50% {x} a^b_c"
LONG = ("Ý kiến khác: đề nghị chi bộ xem xét lại việc đóng góp quỹ khuyến học của năm 2027 cho các cháu "
        "học sinh nghèo vượt khó ở tổ dân phố")


@pytest.fixture
def saved(monkeypatch):
    """Every Figure saved while the test runs, with the PNG it gave."""
    from matplotlib.figure import Figure

    out: list = []
    save = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        save(self, fname, *args, **kwargs)
        out.append((self, fname.getvalue()))

    monkeypatch.setattr(Figure, "savefig", savefig)
    return out


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def smallest_text_px(fig, png: bytes) -> float:
    """The smallest text on the figure, in px at 1,080 px width: fontsize (pt) × dpi / 72, scaled."""
    from matplotlib.text import Text

    width, _ = png_size(png)
    sizes = [a.get_fontsize() * fig.dpi / 72 * 1080 / width
             for a in fig.findobj(Text) if a.get_visible() and a.get_text().strip()]
    assert sizes, "no text drawn"
    return min(sizes)


def assert_phone_pages(saved, pages: list[bytes]) -> None:
    assert [png for _, png in saved] == pages
    for fig, png in saved:
        width, height = png_size(png)
        assert width == charts.WIDTH_PX and width < height <= charts.MAX_HEIGHT_PX, (width, height)
        assert smallest_text_px(fig, png) >= charts.MIN_TEXT_PX - 1e-9
        assert height >= charts.PAGE_PX


def texts(saved) -> list[str]:
    from matplotlib.text import Text

    return [" ".join(a.get_text().split()) for fig, _ in saved for a in fig.findobj(Text) if a.get_text()]


def no_missing_glyphs(draw, caplog):
    caplog.clear()
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        out = draw()
    said = [str(w.message) for w in seen] + [r.getMessage() for r in caplog.records]
    assert [s for s in said if "missing from" in s.lower()] == []
    return out


def vote_args(lang: str, labels: list[str]) -> dict:
    counts = [5, 3, 1, 0, 2, 0, 1, 0][: len(labels)]
    return dict(question=HOSTILE + " " + LONG, labels=labels, counts=counts, shares=[str(c * 10) for c in counts],
                base=8, axis=t(lang, "vote.chart.axis", cast=sum(counts), base=8, base_name="x"),
                half=t(lang, "vote.chart.half", base=8), verdict=t(lang, "vote.chart.passed"), passed=True)


def test_pt_turns_pixels_at_the_page_width_into_points():
    assert charts.pt(charts.MIN_TEXT_PX) * charts.DPI / 72 == pytest.approx(28)
    assert charts.WIDTH_PX / charts.DPI * charts.DPI == 1080


# --- a vote's result ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", sorted(LANGUAGES))
@pytest.mark.parametrize("labels", [["Đồng ý", "Không đồng ý", "Ý kiến khác"],
                                    [LONG, "$_$", "a", "b", "c", "d", "e", "f"]], ids=["three", "eight-long"])
def test_vote_chart_is_a_portrait_page_with_text_a_phone_can_read(lang, labels, saved, caplog):
    png = no_missing_glyphs(lambda: charts.vote_chart(**vote_args(lang, labels)), caplog)
    assert_phone_pages(saved, [png])
    drawn = texts(saved)
    assert " ".join((HOSTILE + " " + LONG).split()) in drawn  # the whole question, wrapped, drawn as written
    # A long label wraps (two lines or three, ending "…"); it is never drawn smaller.
    [label] = [a for fig, _ in saved for a in fig.findobj(lambda o: hasattr(o, "get_text")) if
               a.get_text().startswith("Ý kiến khác:")] or [None]
    if label is not None:
        assert "\n" in label.get_text() and label.get_fontsize() == pytest.approx(charts.pt(charts.TEXT_PX))


# --- a report's rows --------------------------------------------------------------------------------------------
def report_bars(n: int) -> list[charts.Bar]:
    return [charts.Bar(f"Chi bộ Tổ dân phố {i} — {LONG}" if i % 4 == 0 else f"Chi bộ {i} $_$",
                       "—" if i % 7 == 0 else f"{i % 101}% ({i % 11}/10)", (i % 101) / 100,
                       charts.GREEN if i % 101 >= 80 else charts.AMBER) for i in range(n)]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
@pytest.mark.parametrize("n", [1, 12, 60])
def test_report_chart_pages_are_portrait_with_text_a_phone_can_read(lang, n, saved, caplog):
    title = t(lang, "report.chart.title", unit="Đảng bộ phường Phú Hội", month="11", year=2026)
    pages = no_missing_glyphs(lambda: charts.percent_bars(
        title=title, axis=t(lang, "report.chart.axis"), bars=report_bars(n), target=80,
        note=t(lang, "report.rule.not_counted") + " " + t(lang, "report.chart.more", count=3)), caplog)
    assert_phone_pages(saved, pages)
    assert (len(pages) > 1) == (n == 60)
    drawn = texts(saved)
    for bar in report_bars(n):  # every row on some page, its label whole (wrapped at most into three lines)
        assert any(" ".join(bar.label.split()).startswith(x.rstrip("…")) for x in drawn if x.startswith("Chi bộ"))
    if len(pages) > 1:
        assert [x for x in drawn if x.startswith(" ".join(title.split()))][-1].endswith(f"({len(pages)}/{len(pages)})")


# --- the cell's monthly bulletin ----------------------------------------------------------------------------------
FULL = MonthFigures(
    "Chi bộ Tổ dân phố Ưng Bình $_$, phường Phú Hội", 2026, 11, meetings=2, present=23, attendance_base=25,
    notices=5, read=34, read_base=40, study_notices=1, studied=7, study_base=10,
    votes=(VoteLine(HOSTILE, True), VoteLine(LONG, False), VoteLine("Kết nạp đảng viên", True),
           VoteLine("Thêm một cuộc nữa", False)),
    feedback=5, answered=4)
EMPTY = MonthFigures("Chi bộ 3", 2026, 2)


def not_blank(png: bytes) -> bool:
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")
    return float(pixels.std()) > 0.05


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
@pytest.mark.parametrize("figures", [FULL, EMPTY], ids=["full", "empty"])
def test_month_card_is_one_portrait_image_a_phone_can_read(lang, figures, saved, caplog):
    png = no_missing_glyphs(lambda: month_card_png(figures, lang), caplog)
    assert_phone_pages(saved, [png])
    assert not_blank(png)
    drawn = texts(saved)
    assert " ".join(figures.cell_name.split()) in drawn
    assert t(lang, "month_card.title") in drawn and t(lang, "month_card.footer") in drawn


def test_month_card_draws_its_figures_and_questions_as_written(saved):
    month_card_png(FULL, "vi")
    drawn = texts(saved)
    assert {"92%", "85%", "4", "5"} <= set(drawn)
    assert t("vi", "month_card.vote_passed", question=HOSTILE) in drawn  # "$", braces, "^" as typed
    assert "… và 1 cuộc biểu quyết khác" in drawn
    assert "Học tập nghị quyết: 7/10 lượt (70%)" in drawn
    from matplotlib.text import Text

    for fig, _ in saved:
        for a in fig.findobj(Text):
            assert not a.get_usetex() and not a.get_parse_math()


# --- what members and committees are sent: the features' own chart functions ---------------------------------------
def test_the_vote_result_members_get_is_a_phone_page(saved):
    from handlers.votes.render import chart_png

    png = chart_png(**vote_args("vi", ["Đồng ý", "Không đồng ý", LONG]))
    assert_phone_pages(saved, [png])


def test_the_report_a_committee_gets_is_phone_pages(saved):
    from handlers.reports.files import chart_png
    from models.reports import CellMonth, MonthReport

    report = MonthReport(2026, 11, "Đảng bộ phường Phú Hội", "/1/2/", [
        CellMonth(3 + i, f"Chi bộ Tổ dân phố số {i + 1}", f"/1/2/{3 + i}/", True, 1, 0, 8 - i % 3, 10, 10)
        for i in range(30)])
    pages = chart_png(report, "vi")
    assert len(pages) >= 2  # thirty cells do not fit one page at a readable size
    assert_phone_pages(saved, pages)
