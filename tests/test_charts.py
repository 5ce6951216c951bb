"""Charts write every language the bot speaks: no glyph is missing from the fonts (no empty boxes)."""
from __future__ import annotations

import logging
import warnings

import pytest

from handlers.i18n import LANGUAGES
from handlers.reports.files import chart_png as report_chart
from handlers.votes.render import chart_png as vote_chart
from models.reports import CellMonth, MonthReport


def missing_glyphs(draw, caplog) -> list[str]:
    caplog.clear()
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        pngs = draw()
    pngs = pngs if isinstance(pngs, list) else [pngs]  # a report's chart may take several pages
    assert pngs and all(png.startswith(b"\x89PNG") for png in pngs)
    said = [str(w.message) for w in seen] + [r.getMessage() for r in caplog.records]
    return [s for s in said if "missing from" in s.lower()]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_report_chart_in_every_language(lang, caplog):
    report = MonthReport(2026, 11, "Đảng bộ phường Phú Hội", "/1/2/", [
        CellMonth(3, "Chi bộ Tổ dân phố Ưng Bình", "/1/2/3/", True, 1, 0, 8, 10, 10),
        CellMonth(4, "Chi bộ Khu vực Đông Ba", "/1/2/4/", True, 0, 1, 0, 0, 0),
    ])
    assert missing_glyphs(lambda: report_chart(report, lang), caplog) == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_vote_chart_in_every_language(lang, caplog):
    from handlers.i18n import t

    args = dict(question="Thông qua nghị quyết về việc chỉnh trang kiệt 5?", labels=["Đồng ý", "Không đồng ý"],
                counts=[5, 3], shares=["62,5", "37,5"], base=8, axis=t(lang, "vote.chart.axis", base=8),
                half=t(lang, "vote.chart.half", base=8), verdict=t(lang, "vote.chart.passed"), passed=True)
    assert missing_glyphs(lambda: vote_chart(**args), caplog) == []


def test_the_check_sees_a_missing_glyph(caplog):
    """Without the fallback font, Bengali text is reported missing: the tests above can fail."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    def draw():
        with rc_context({"font.family": ["DejaVu Sans"]}):
            fig = Figure()
            fig.text(0.1, 0.5, "ভোট")
            import io
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
            return buffer.getvalue()

    assert missing_glyphs(draw, caplog)


# --- text is drawn as it was written ------------------------------------------------------------------------------
# Names, questions and choices come from people: a "$" must not start matplotlib's mathtext (one
# "$\frac{1}{$" raised ValueError and no member got a vote's result), nor "%", braces, "^" or "_"
# mean anything.
HOSTILE = ["Giá 5$ hay 10$?", "$_$", r"$\frac{1}{$", "50%", "{x}", "a^b_c", r"\n", "Chi bộ $_$"]


@pytest.fixture
def drawn(monkeypatch):
    """Every Figure saved while the test runs, as it was when saved (whatever helper drew it)."""
    from matplotlib.figure import Figure

    figures: list[Figure] = []
    save = Figure.savefig

    def savefig(self, *args, **kwargs):
        figures.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return figures


def texts_of(figures) -> list:
    from matplotlib.text import Text

    assert figures, "no figure was saved"
    return [t for fig in figures for t in fig.findobj(Text) if t.get_text()]


def assert_literal(figures, expected: list[str]) -> None:
    texts = texts_of(figures)
    shown = {" ".join(t.get_text().split()) for t in texts}
    for text in expected:
        assert " ".join(text.split()) in shown, f"{text!r} not drawn; drawn: {sorted(shown)}"
    for t in texts:
        assert not t.get_usetex() and not t.get_parse_math(), f"{t.get_text()!r} would be read as markup"


def test_vote_chart_draws_text_literally(drawn):
    question = "Giá 5$ hay 10$? | $_$ | $\\frac{1}{$"
    png = vote_chart(question=question, labels=HOSTILE, counts=[1, 0, 0, 2, 0, 0, 1, 0],
                     shares=["25", "0", "0", "50", "0", "0", "25", "0"], base=4, axis="$x$ 50%",
                     half="{half} $", verdict="a^b_c 100%", passed=True)
    assert png.startswith(b"\x89PNG")
    assert_literal(drawn, [question, *HOSTILE, "$x$ 50%", "{half} $", "a^b_c 100%"])


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_report_chart_draws_text_literally(lang, drawn):
    report = MonthReport(2026, 11, "Đảng bộ $\\frac{1}{$ 50%", "/1/2/", [
        CellMonth(3 + i, name, f"/1/2/{3 + i}/", True, 1, 0, 8, 10, 10) for i, name in enumerate(HOSTILE)
    ])
    pages = report_chart(report, lang)
    assert pages and all(page.startswith(b"\x89PNG") for page in pages)
    assert_literal(drawn, HOSTILE)
    drawn_text = " ".join(" ".join(t.get_text().split()) for t in texts_of(drawn))  # a long title wraps
    assert "Đảng bộ $\\frac{1}{$ 50%" in drawn_text
