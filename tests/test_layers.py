"""Handlers stay thin (issue 13): no SQL statement is built in handlers/, and no handler commits.

Queries live in models/ (named for what they answer); the turn (handlers/turn.py) owns the
transaction, and work outside a turn uses models.db.transaction. An AST scan, naming offenders.
"""
from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
STATEMENTS = {"select", "update", "delete", "insert"}
TRANSACTION_OWNER = "turn.py"  # the turn commits at its end (and Turn.commit_early, said why)


def offenders(source: str, name: str) -> list[str]:
    """Where `source` imports an SQLAlchemy statement constructor, calls one, or calls .commit()."""
    found, constructors = [], set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in STATEMENTS:
                    constructors.add(alias.asname or alias.name)
                    found.append(f"{name}:{node.lineno} imports sqlalchemy.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy":
                    constructors.add(f"{alias.asname or 'sqlalchemy'}.")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in constructors:
            found.append(f"{name}:{node.lineno} calls {func.id}()")
        elif isinstance(func, ast.Attribute):
            if func.attr in ("commit", "rollback") and name != TRANSACTION_OWNER:
                found.append(f"{name}:{node.lineno} calls .{func.attr}()")
            elif (func.attr in STATEMENTS and isinstance(func.value, ast.Name)
                  and f"{func.value.id}." in constructors):
                found.append(f"{name}:{node.lineno} calls {func.value.id}.{func.attr}()")
    return found


def test_the_scan_finds_statements_and_commits():
    source = ("from sqlalchemy import select as s, update\nimport sqlalchemy as sa\n"
              "async def f(session):\n    await session.execute(s(1))\n    sa.delete(2)\n    await session.commit()\n")
    assert sorted(offenders(source, "x.py")) == sorted([
        "x.py:1 imports sqlalchemy.select", "x.py:1 imports sqlalchemy.update",
        "x.py:4 calls s()", "x.py:5 calls sa.delete()", "x.py:6 calls .commit()"])
    # A dict's update or a set's is not SQL.
    assert offenders("d = {}\nd.update(a=1)\n", "x.py") == []


def test_handlers_build_no_sql_and_commit_nothing():
    found = [o for path in sorted(HANDLERS.rglob("*.py"))
             for o in offenders(path.read_text(), str(path.relative_to(HANDLERS)))]
    assert found == [], "queries belong in models/, the commit to the turn:\n" + "\n".join(found)


BOT = HANDLERS.parent / "bot"


def feature_imports(source: str, name: str, features: set[str]) -> list[str]:
    """Where `source` imports a feature's module (handlers.<feature> or below) by name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        for module in modules:
            parts = module.split(".")
            if len(parts) >= 2 and parts[0] == "handlers" and parts[1] in features:
                found.append(f"{name}:{node.lineno} imports {module}")
    return found


def test_the_feature_scan_finds_imports():
    features = {"notices", "votes"}
    source = "from handlers import notices, turn\nimport handlers.votes.buttons\nfrom handlers.turn import Turn\n"
    assert feature_imports(source, "x.py", features) == [
        "x.py:1 imports handlers.notices", "x.py:2 imports handlers.votes.buttons"]


def test_bot_names_no_feature():
    """bot/ composes handlers/features.py's list: adding a feature touches no file of bot/."""
    from handlers.features import FEATURES

    found = [o for path in sorted(BOT.rglob("*.py"))
             for o in feature_imports(path.read_text(), f"bot/{path.relative_to(BOT)}", set(FEATURES))]
    assert found == [], "bot/ names features:\n" + "\n".join(found)
