"""The message catalogs: complete in every language, and no sentence hard-coded in a handler."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from handlers.i18n import LANGUAGES, LOCALES, catalog, read_messages

HANDLERS = Path(__file__).resolve().parents[1] / "handlers"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_message():
    keys = {lang: set(catalog(lang)) for lang in LANGUAGES}
    union = set().union(*keys.values())
    for lang in LANGUAGES:
        assert union - keys[lang] == set(), f"{lang} lacks {sorted(union - keys[lang])}"


@pytest.mark.parametrize("path", sorted(LOCALES.glob("*/LC_MESSAGES/*.po")), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalogs_read_as_babel_reads_them(path):
    """i18n reads the .po files itself (a CLI command does not import babel): the same messages as babel's read_po."""
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        expected = [(m.id, m.string) for m in read_po(fh, locale=path.parts[-3], abort_invalid=True) if m.id and m.string]
    assert read_messages(path) == expected


def test_every_feature_file_exists_in_every_language():
    files = {lang: {p.name for p in (LOCALES / lang / "LC_MESSAGES").glob("*.po")} for lang in LANGUAGES}
    assert files["vi"] == files["en"] == files["bn"]


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "vi"])
def test_placeholders_match_vietnamese(lang):
    vi = catalog("vi")
    for key, text in catalog(lang).items():
        assert placeholders(text) == placeholders(vi[key]), key


def test_vietnamese_is_written_with_diacritics():
    vi = catalog("vi")
    sentences = [v for v in vi.values() if len(v.split()) >= 4]
    marked = [v for v in sentences if re.search(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", v, re.I)]
    assert len(marked) == len(sentences), [v for v in sentences if v not in marked]


def test_markup_in_catalogs_is_balanced():
    for lang in LANGUAGES:
        for key, text in catalog(lang).items():
            for tag in ("b", "i", "code"):
                assert text.count(f"<{tag}>") == text.count(f"</{tag}>"), (lang, key)


def _sentences_in(path: Path) -> list[tuple[int, str]]:
    """String literals that read like a sentence to a user (words with spaces), outside docstrings and logs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ignored: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ignored.add(id(first.value))
        if isinstance(node, ast.Raise):  # exceptions are for developers and logs, not users
            ignored.update(id(a) for a in ast.walk(node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"debug", "info", "warning", "error", "exception", "critical"}:
                ignored.update(id(a) for a in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in ignored:
            words = re.findall(r"[^\W\d_]{2,}", node.value)
            if len(words) >= 3 and " " in node.value:
                found.append((node.lineno, node.value))
    return found


def test_handlers_hold_no_user_facing_sentence():
    offenders = {str(p.relative_to(HANDLERS)): _sentences_in(p) for p in HANDLERS.rglob("*.py")}
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_the_literal_check_catches_a_sentence(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('def h(turn):\n    turn.reply("Đồng chí đã kết nối thành công")\n', encoding="utf-8")
    assert _sentences_in(bad)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_is_at_most_six_short_lines(lang):
    for key in ("help.member", "help.officer", "help.stranger"):
        lines = catalog(lang)[key].splitlines()
        assert len(lines) <= 6, (lang, key)
        assert all(len(re.sub(r"<[^>]+>", "", line)) <= 80 for line in lines), (lang, key)
