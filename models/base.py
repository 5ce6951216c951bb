"""Declarative base shared by every table of the handbook."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}

    if TYPE_CHECKING:
        # Every model here maps a plain Table (SQLAlchemy declares a FromClause, which has no insert()/delete()).
        __table__: ClassVar[Table]


# What the database holds beside the mapped tables (a search index, a column only one backend has — made
# with their table): Alembic's comparison of the schema with the models skips these names, and every name
# that begins with one (SQLite's FTS5 keeps its shadow tables as library_fts_data, library_fts_idx…).
UNMAPPED_NAMES: set[str] = set()


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: False for what UNMAPPED_NAMES names."""
    return not (name and any(name == n or name.startswith(f"{n}_") for n in UNMAPPED_NAMES))
