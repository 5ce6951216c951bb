"""What every chart the bot draws shares: fonts that write Vietnamese and Bengali, text drawn as
written, one lock, and a page a phone can read (a chart that cannot be drawn never holds its text
back: handlers.render.picture).

DejaVu Sans (matplotlib's own) has every Vietnamese letter with its diacritics but no Bengali;
Noto Sans Bengali (Debian's fonts-noto-core, which ./run.sh installs) is the fallback, so a
chart for a member who reads Bengali has no empty boxes. Matplotlib's rc settings are
process-wide: charts are drawn one at a time under CHART_LOCK (each takes milliseconds).

Every text in a chart comes from people (a question, a choice, a cell's name): matplotlib would
read "$…$" in it as TeX math (one "$\\frac{1}{$" raised ValueError and nobody got a vote's
result). So every figure is made by figure() (or pages()) below, whose rc settings draw every text
literally; a chart built any other way would not be.

A phone shows a photo as wide as its screen: every chart is a portrait page WIDTH_PX wide, at most
MAX_HEIGHT_PX tall (Telegram scales a photo down to 2,560 px on its longest side; a taller page would
shrink its text), and no text on it is smaller than MIN_TEXT_PX. Sizes are said in pixels at that
width and turned into points by pt(). Long labels wrap; they never shrink.
"""
from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

CHART_LOCK = threading.Lock()
FALLBACK_FONTS = ("/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",
                  "/usr/share/fonts/truetype/noto/NotoSansBengali-Bold.ttf")
# "$", "\", "{", "_", "^", "%" are characters like any other: no mathtext, no LaTeX.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}

# --- a page a phone can read ------------------------------------------------------------------------------------
WIDTH_PX = 1080
DPI = 100  # WIDTH_PX / DPI inches wide; a size in px is px * 72 / DPI points
MIN_TEXT_PX = 28  # the smallest text on any chart, at WIDTH_PX
TEXT_PX = 34  # labels, values
TITLE_PX = 44
BIG_PX = 96  # a month card's headline figures
MARGIN_PX = 64
PAGE_PX = 1350  # 4:5, the tallest a chat shows whole; a page is at least this tall …
MAX_HEIGHT_PX = 2560  # … and at most this: Telegram keeps a photo's longest side to 2,560 px
GREY, RED, GREEN, AMBER = "#616161", "#b71c1c", "#2e7d32", "#f9a825"
_WIDTHS: dict[tuple[str, float, bool], float] = {}  # (text, px, bold) → px wide, under CHART_LOCK
PALETTE = ("#2e7d32", "#c62828", "#f9a825", "#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e")


def pt(px: float) -> float:
    """A text size in pixels at WIDTH_PX, in points (what matplotlib asks for)."""
    return px * 72 / DPI


@functools.lru_cache(maxsize=1)
def chart_fonts() -> tuple[str, ...]:
    from matplotlib import font_manager

    names = ["DejaVu Sans"]
    for path in FALLBACK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
            if name not in names:
                names.append(name)
    return tuple(names)


@contextmanager
def chart_style(**rc) -> Iterator[None]:
    """Draw inside this: the fonts above, text drawn literally (whatever else `rc` says), one chart at a time."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rc_context

    with CHART_LOCK, rc_context({"font.family": list(chart_fonts()), **rc, **LITERAL_TEXT}):
        yield


def _blank(figsize: tuple[float, float], dpi: int) -> Figure:
    """A Figure on its own Agg canvas (never pyplot's global state); call it inside chart_style."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


@contextmanager
def figure(figsize: tuple[float, float], *, dpi: int = 100, **rc) -> Iterator[Figure]:
    """The one way a chart begins: a Figure on an Agg canvas (never pyplot's global state), drawn
    inside chart_style — texts added to it, tick labels included, are drawn as written."""
    with chart_style(**rc):
        yield _blank(figsize, dpi)


def png(fig: Figure, **savefig: Any) -> bytes:
    """The figure as PNG bytes (call it inside figure(): the text settings hold while it draws)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **savefig)
    return buffer.getvalue()


class Page:
    """A portrait page laid out from the top down, in pixels at WIDTH_PX: `y` is how far down the next
    thing goes. Its height is settled by finish(): whatever was placed keeps its place from the top."""

    def __init__(self, fig: Figure, *, background: str = "white"):
        from matplotlib.transforms import Affine2D, ScaledTranslation

        self.fig = fig
        self.y = float(MARGIN_PX)
        self.width = WIDTH_PX - 2 * MARGIN_PX
        self._shift = Affine2D().scale(1, -1)
        # (x, y from the top) in px → the figure's pixels, whatever height the page ends up.
        self.at = self._shift + ScaledTranslation(0, 1, fig.transFigure)
        self.renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        fig.patch.set_facecolor(background)

    def measure(self, text: str, px: float, bold: bool = False) -> float:
        """How wide `text` is drawn, in px (remembered: shaping a text is the slow part of a chart)."""
        key = (text, px, bold)
        if key not in _WIDTHS:
            from matplotlib.font_manager import FontProperties

            if len(_WIDTHS) > 20000:
                _WIDTHS.clear()
            prop = FontProperties(size=pt(px), weight="bold" if bold else "normal")
            _WIDTHS[key] = float(self.renderer.get_text_width_height_descent(text, prop, ismath=False)[0])
        return _WIDTHS[key]

    def wrap(self, text: str, px: float, width: float, *, bold: bool = False, max_lines: int | None = None) -> str:
        """`text` in lines no wider than `width` px, broken between words (inside a word too long for a line);
        past `max_lines`, the last line ends in "…". A line's width is its words' and spaces' widths added up."""
        space = self.measure(" ", px, bold)
        lines: list[str] = []
        for paragraph in (text or "").split("\n"):
            line, used = "", 0.0
            for word in paragraph.split() or [""]:
                size = self.measure(word, px, bold)
                while size > width and len(word) > 1:  # a word longer than a line: cut it
                    if line:
                        lines.append(line)
                        line, used = "", 0.0
                    cut = len(word) - 1
                    while cut > 1 and self.measure(word[:cut], px, bold) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                    size = self.measure(word, px, bold)
                if line and used + space + size > width:
                    lines.append(line)
                    line, used = "", 0.0
                line, used = (f"{line} {word}", used + space + size) if line else (word, size)
            lines.append(line)
        if max_lines is not None and len(lines) > max_lines:
            last = lines[max_lines - 1]
            while last and self.measure(last + "…", px, bold) > width:
                last = last[:-1]
            lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
        return "\n".join(lines)

    def text(self, text: str, px: float, *, x: float = MARGIN_PX, y: float | None = None, bold: bool = False,
             colour: str = "#212121", ha: str = "left", advance: bool = True) -> Text:
        """`text` (already wrapped) with its top at `y` (default: the page's `y`); the page moves below it."""
        top = self.y if y is None else y
        artist = self.fig.text(x, top, text, transform=self.at, va="top", ha=ha, fontsize=pt(px),
                               fontweight="bold" if bold else "normal", color=colour, linespacing=1.25)
        if advance:
            self.y = top + self.height_of(artist)
        return artist

    def paragraph(self, text: str, px: float, *, width: float | None = None, max_lines: int | None = None,
                  **style: Any) -> Text:
        """A text wrapped to the page's width (or `width`), placed at the page's `y`."""
        wrapped = self.wrap(text, px, width or self.width, bold=style.get("bold", False), max_lines=max_lines)
        return self.text(wrapped, px, **style)

    def height_of(self, artist: Text) -> float:
        return float(artist.get_window_extent(self.renderer).height)

    def box(self, x: float, y: float, width: float, height: float, colour: str, **style: Any) -> None:
        from matplotlib.patches import Rectangle

        self.fig.add_artist(Rectangle((x, y), width, height, transform=self.at, facecolor=colour,
                                      edgecolor=style.pop("edgecolor", "none"), **style))

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str, **style: Any) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D(list(xs), list(ys), transform=self.at, color=colour, **style))

    def gap(self, px: float) -> None:
        self.y += px

    def finish(self, min_height: float = PAGE_PX, *, centre: bool = False) -> bytes:
        """The page as PNG: WIDTH_PX wide, as tall as what was placed (at least `min_height`, the spare
        room above and below when `centre`)."""
        height = max(min_height, self.y + MARGIN_PX)
        if centre:
            self._shift.translate(0, -(height - self.y - MARGIN_PX) / 2)
        self.fig.set_size_inches(WIDTH_PX / DPI, height / DPI)
        return png(self.fig, dpi=DPI)


@contextmanager
def pages(**rc: Any) -> Iterator[Any]:
    """Inside chart_style: new_page() makes a fresh Page each time it is called (a chart of several pages)."""
    with chart_style(**rc):
        yield lambda **kw: Page(_blank((WIDTH_PX / DPI, PAGE_PX / DPI), DPI), **kw)


# --- rows of bars -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    """One row: its label (wrapped), the value drawn at its right, and a bar `share` (0–1) of the full width."""

    label: str
    value: str
    share: float
    colour: str


BAR_PX = 40
ROW_GAP_PX = 26


def bar_row(page: Page, bar: Bar, *, label_lines: int = 3) -> tuple[float, float]:
    """Label left, value right on one line (the label wraps before the value), the bar below it.
    Returns the bar's (top, bottom)."""
    value_width = page.measure(bar.value, TEXT_PX, bold=True) + 24
    top = page.y
    page.text(bar.value, TEXT_PX, x=MARGIN_PX + page.width, y=top, bold=True, ha="right", advance=False)
    page.paragraph(bar.label or "—", TEXT_PX, width=page.width - value_width, max_lines=label_lines)
    page.gap(8)
    bar_top = page.y
    page.box(MARGIN_PX, bar_top, page.width, BAR_PX, "#eeeeee")
    if bar.share > 0:
        page.box(MARGIN_PX, bar_top, page.width * min(1.0, bar.share), BAR_PX, bar.colour)
    page.y = bar_top + BAR_PX + ROW_GAP_PX
    return bar_top, bar_top + BAR_PX


def guide(page: Page, share: float, spans: Sequence[tuple[float, float]], colour: str = RED) -> None:
    """A dashed mark across each bar at `share` of their width (a vote's half, a report's target); it
    never crosses a label."""
    x = MARGIN_PX + page.width * share
    for top, bottom in spans:
        page.line([x, x], [top - 8, bottom + 8], colour, linestyle=(0, (3, 2)), linewidth=3)


def legend(page: Page, text: str, colour: str = RED) -> None:
    """A short dashed stroke and what the guide line means."""
    page.line([MARGIN_PX, MARGIN_PX + 56], [page.y + MIN_TEXT_PX * 0.6] * 2, colour, linestyle=(0, (3, 2)), linewidth=3)
    page.paragraph(text, MIN_TEXT_PX, x=MARGIN_PX + 72, width=page.width - 72, colour=GREY)


# --- a vote's result ----------------------------------------------------------------------------------------------
def vote_chart(*, question: str, labels: list[str], counts: list[int], shares: list[str], base: int, axis: str,
               half: str, verdict: str, passed: bool, mark: float = 1 / 2) -> bytes:
    """A bar a choice with its count and share, the "more than half" line (at `mark` of the base: 2/3 for a
    two-thirds vote), the verdict: one portrait PNG. The arguments are handlers.votes' chart_args()."""
    top = max([base, *counts, 1])
    with pages() as new_page:
        page = new_page()
        page.paragraph(question, TITLE_PX, bold=True)
        page.gap(12)
        page.paragraph(axis, MIN_TEXT_PX, colour=GREY)
        page.gap(36)
        colours = PALETTE if len(labels) <= len(PALETTE) else ("#1565c0",) * len(labels)
        spans = [bar_row(page, Bar(label, f"{count}  ({share}%)", count / top, colour))
                 for label, count, share, colour in zip(labels, counts, shares, colours, strict=False)]
        if base:
            guide(page, base * mark / top, spans)
            legend(page, half)
        page.gap(24)
        page.paragraph(verdict, TITLE_PX, bold=True, colour=GREEN if passed else RED)
        return page.finish(centre=True)


# --- a report's rows of percentages -------------------------------------------------------------------------------
def percent_bars(*, title: str, axis: str, bars: Sequence[Bar], note: str, target: float | None = None,
                 target_text: str | None = None) -> list[bytes]:
    """Rows of percentages (a bar's `share` is its percent / 100) under a title, as many portrait pages as
    they need (each at most MAX_HEIGHT_PX tall; from the second on, the title says "(2/3)"); `note` at the
    foot of each. A dashed line at `target` percent, explained by `target_text` when given."""
    with pages() as new_page:
        drawn: list[list[Bar]] = [[]]
        # Lay the rows out once to know where pages break, then draw each page with its number.
        probe = new_page()
        reserve = _header(probe, title, axis, "(9/9)") + _footer_height(probe, note, target_text)
        y = reserve
        for bar in bars:
            start = probe.y
            bar_row(probe, bar)
            height = probe.y - start
            if drawn[-1] and y + height > MAX_HEIGHT_PX:
                drawn.append([])
                y = reserve
            drawn[-1].append(bar)
            y += height
        out = []
        for number, rows in enumerate(drawn, 1):
            page = new_page()
            _header(page, title, axis, f"({number}/{len(drawn)})" if len(drawn) > 1 else "")
            spans = [bar_row(page, bar) for bar in rows]
            if target is not None:
                guide(page, target / 100, spans, GREY)
            page.gap(8)
            if target_text:
                legend(page, target_text, GREY)
            page.paragraph(note, MIN_TEXT_PX, colour=GREY)
            out.append(page.finish())
        return out


def _header(page: Page, title: str, axis: str, number: str) -> float:
    page.paragraph(f"{title} {number}".strip(), TITLE_PX, bold=True)
    page.gap(12)
    page.paragraph(axis, MIN_TEXT_PX, colour=GREY)
    page.gap(36)
    return page.y


def _footer_height(page: Page, note: str, target_text: str | None) -> float:
    start = page.y
    page.gap(8)
    if target_text:
        legend(page, target_text, GREY)
    page.paragraph(note, MIN_TEXT_PX, colour=GREY)
    height = page.y - start + MARGIN_PX
    page.y = start
    return height
