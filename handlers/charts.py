"""What every chart the bot draws shares: fonts that write Vietnamese and Bengali, text drawn as
written, and one lock (a chart that cannot be drawn never holds its text back: handlers.render.picture).

DejaVu Sans (matplotlib's own) has every Vietnamese letter with its diacritics but no Bengali;
Noto Sans Bengali (Debian's fonts-noto-core, which ./run.sh installs) is the fallback, so a
chart for a member who reads Bengali has no empty boxes. Matplotlib's rc settings are
process-wide: charts are drawn one at a time under CHART_LOCK (each takes milliseconds).

Every text in a chart comes from people (a question, a choice, a cell's name): matplotlib would
read "$…$" in it as TeX math (one "$\\frac{1}{$" raised ValueError and nobody got a vote's
result). So every figure is made by figure() below, whose rc settings draw every text literally;
a chart built any other way would not be.
"""
from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHART_LOCK = threading.Lock()
FALLBACK_FONTS = ("/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",)
# "$", "\", "{", "_", "^", "%" are characters like any other: no mathtext, no LaTeX.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


@functools.lru_cache(maxsize=1)
def chart_fonts() -> tuple[str, ...]:
    from matplotlib import font_manager

    names = ["DejaVu Sans"]
    for path in FALLBACK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            names.append(font_manager.FontProperties(fname=path).get_name())
    return tuple(names)


@contextmanager
def chart_style(**rc) -> Iterator[None]:
    """Draw inside this: the fonts above, text drawn literally (whatever else `rc` says), one chart at a time."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rc_context

    with CHART_LOCK, rc_context({"font.family": list(chart_fonts()), **rc, **LITERAL_TEXT}):
        yield


@contextmanager
def figure(figsize: tuple[float, float], *, dpi: int = 100, **rc) -> Iterator[Figure]:
    """The one way a chart begins: a Figure on an Agg canvas (never pyplot's global state), drawn
    inside chart_style — texts added to it, tick labels included, are drawn as written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with chart_style(**rc):
        fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(fig)
        yield fig


def png(fig: Figure, **savefig: Any) -> bytes:
    """The figure as PNG bytes (call it inside figure(): the text settings hold while it draws)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **savefig)
    return buffer.getvalue()
