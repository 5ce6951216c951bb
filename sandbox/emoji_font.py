"""The web page's colour emoji, bundled: Noto Color Emoji cut down to the emoji the bot and the page use.

A trainer's laptop without a colour-emoji font draws 🆕 as the word "NEW" and some buttons as empty
boxes; sandbox/static/emoji.ttf (SIL OFL 1.1, see emoji-font-OFL.txt) is served with the page instead.
After adding an emoji to a catalog or a button, rebuild it (tests/sandbox/test_emoji_font.py says when):

    python -m sandbox.emoji_font [/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf]
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "sandbox" / "static" / "emoji.ttf"
SOURCE = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
SCANNED = [("locales", "*.po"), ("handlers", "*.py"), ("models", "*.py"), ("bot", "*.py"),
           ("sandbox/static", "*.js"), ("sandbox/static", "*.html"), ("sandbox", "exercises.toml")]
JOINERS = {0x200D, 0x20E3, 0xFE0F}  # ZWJ, keycap, emoji presentation: parts of sequences


def used_codepoints(root: Path = ROOT) -> set[int]:
    """Every character outside the ordinary scripts that the bot's texts or the page could show."""
    found: set[int] = set()
    for folder, pattern in SCANNED:
        for path in sorted((root / folder).rglob(pattern)):
            found.update(ord(ch) for ch in path.read_text(encoding="utf-8") if ord(ch) >= 0x2000)
    return found


def emoji_codepoints(cmap: Iterable[int], used: set[int]) -> set[int]:
    """The used characters the emoji font draws (arrows, dashes and quotes stay with the text font)."""
    return {cp for cp in cmap if cp in used and (cp >= 0x2190 or cp in JOINERS)} | JOINERS


def build(source: Path = SOURCE, target: Path = FONT) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(source)).getBestCmap()
    keep = emoji_codepoints(cmap, used_codepoints())
    options = subset.Options()
    options.layout_features = ["*"]  # flags, skin tones and keycaps are ligatures
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(keep))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)
    return len(keep)


if __name__ == "__main__":
    count = build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
    print(f"{FONT.relative_to(ROOT)}: {count} characters, {FONT.stat().st_size // 1024} KB")
