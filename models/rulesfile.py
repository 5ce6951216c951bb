"""The versioned rules files (models/rules/*.toml): figures a committee may replace, each file naming itself.

Every file has `version` and `name`, and most a `short_name` shown beside a result a ⚠ figure decided; each
feature reads the rest of its file itself."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Heading:
    """What a rules file says of itself, the first fields of a feature's Rules (made with `heading`)."""

    version: int
    name: str
    short_name: str  # shown beside a figure these rules decided: "theo HD 42"


def read(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def heading(data: dict[str, Any], *, short_name: bool = True) -> dict[str, Any]:
    """The file's version and name (and short name), as the fields of a feature's Rules."""
    head: dict[str, Any] = {"version": int(data["version"]), "name": str(data["name"])}
    if short_name:
        head["short_name"] = str(data["short_name"])
    return head
