"""The handbook itself: tables and the domain operations on them. No Telegram here.

Each module registers its tables on Base.metadata when it is imported; the package imports none of
them by itself, so `handbook invite` loads the few it uses. What needs the whole schema (Alembic's
env, create_all in tests and benchmarks, the sandbox's reset) calls load_all() first. A flush needs
the tables a row's foreign keys name: a process that uses audit, roles or votes alone loads members
(and units, meetings) too; the bot loads every feature, and tests/test_cli.py runs the commands alone.
"""
from importlib import import_module

from .base import Base

# Every module that declares tables (tests/models/test_schema.py checks that none is missing).
TABLE_MODULES = (
    "accounts",
    "anniversaries",
    "audit",
    "badge_awards",
    "bulletins",
    "conversion",
    "conversations",
    "corrections",
    "deliveries",
    "feedback",
    "library",
    "meetings",
    "members",
    "notices",
    "probation_file",
    "relinking",
    "review",
    "roles",
    "send_budget",
    "study",
    "todo",
    "transfers",
    "units",
    "votes",
)


def load_all() -> type[Base]:
    """Import every module that declares tables: Base.metadata then holds the whole schema."""
    for name in TABLE_MODULES:
        import_module(f"{__name__}.{name}")
    return Base


__all__ = ["TABLE_MODULES", "Base", "load_all"]
