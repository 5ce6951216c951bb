"""The page's bundled colour emoji (sandbox/static/emoji.ttf) draws every emoji the bot and the page use."""
from __future__ import annotations

from fontTools.ttLib import TTFont

from sandbox.emoji_font import FONT, used_codepoints


def test_the_bundled_font_draws_every_emoji_in_use():
    drawn = set(TTFont(str(FONT)).getBestCmap())
    # Pictographs and flags (U+1F000 on) are emoji by any reading; older symbols may stay text.
    missing = sorted(chr(cp) for cp in used_codepoints() if cp >= 0x1F000 and cp not in drawn)
    assert not missing, f"rebuild with `python -m sandbox.emoji_font`: {''.join(missing)}"
    assert 0x1F195 in drawn  # 🆕, drawn as the word "NEW" by laptops without a colour font


def test_the_font_stays_small():
    assert FONT.stat().st_size < 400_000  # a cut of the 10 MB font: only what the bot uses
