"""What every chart the bot draws shares: fonts that write Vietnamese and Bengali, and one lock.

DejaVu Sans (matplotlib's own) has every Vietnamese letter with its diacritics but no Bengali;
Noto Sans Bengali (Debian's fonts-noto-core, which ./run.sh installs) is the fallback, so a
chart for a member who reads Bengali has no empty boxes. Matplotlib's rc settings are
process-wide: charts are drawn one at a time under CHART_LOCK (each takes milliseconds).
"""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHART_LOCK = threading.Lock()
FALLBACK_FONTS = ("/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",)


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
    """Draw inside this: the fonts above (and any other rc settings given), one chart at a time."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rc_context

    with CHART_LOCK, rc_context({"font.family": list(chart_fonts()), **rc}):
        yield
