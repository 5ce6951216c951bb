"""The official Bot API reference (``botapi/api.min.json``) as a request validator.

Requests reach the emulator as form data, where every value is a string and objects/arrays
are JSON-encoded, or as JSON. :meth:`BotApiSpec.coerce` turns the values into the types the
reference names; :meth:`BotApiSpec.check` then reports every way the request departs from
the reference: an unknown method, a missing required field, a field the method (or a nested
object) does not have, or a value of the wrong type.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parent / "botapi" / "api.min.json"

PRIMITIVES = {"Integer", "Float", "Boolean", "String", "InputFile"}
# Field names that tell the subtypes of a union type apart (BotCommandScope.type, ChatMember.status...).
DISCRIMINATORS = ("type", "status", "source")
_DISCRIMINATOR_VALUE = re.compile(r"(?:must be|always)\s+[\"“]?([A-Za-z_]+)[\"”]?\s*$")


@dataclass(frozen=True)
class FilePart:
    """A file uploaded in a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Violation:
    """One departure from the reference.

    kind is ``unknown_method``, ``missing``, ``unknown_field``, ``type`` or ``json``.
    """

    kind: str
    method: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.method}: {self.message}"


class BotApiSpec:
    def __init__(self, data: dict[str, Any]):
        self.version: str = data.get("version", "")
        self.methods: dict[str, dict] = data["methods"]
        self.types: dict[str, dict] = data["types"]
        # Telegram matches method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}
        # The reference does not change: each method's and type's fields are indexed once, when first needed
        # (a message the bot sends is checked field by field, its keyboard button by button).
        self._method_fields: dict[str, dict[str, dict]] = {}
        self._type_fields: dict[str, dict[str, dict] | None] = {}
        self._fixed: dict[str, list[tuple[str, str]]] = {}
        self._discriminated = {
            name: self._discriminator_table(t["subtypes"])
            for name, t in self.types.items()
            if t.get("subtypes")
        }

    # -- lookups -------------------------------------------------------------------------
    def canonical_method(self, name: str) -> str | None:
        return self._by_lower.get(name.lower())

    def fields(self, method: str) -> dict[str, dict]:
        """The method's fields by name (shared: not to be changed by the caller)."""
        found = self._method_fields.get(method)
        if found is None:
            found = self._method_fields[method] = {f["name"]: f for f in self.methods[method].get("fields", [])}
        return found

    def type_fields(self, type_name: str) -> dict[str, dict] | None:
        """The type's fields by name, None for a type without (shared: not to be changed by the caller)."""
        if type_name not in self._type_fields:
            t = self.types.get(type_name)
            self._type_fields[type_name] = (None if t is None or "fields" not in t
                                            else {f["name"]: f for f in t["fields"]})
        return self._type_fields[type_name]

    def _fixed_values(self, type_name: str, fields: dict[str, dict]) -> list[tuple[str, str]]:
        """The discriminators whose value the type's reference fixes ("always “chat”"): (field, value)."""
        found = self._fixed.get(type_name)
        if found is None:
            found = self._fixed[type_name] = [
                (key, match.group(1)) for key in DISCRIMINATORS if key in fields
                if (match := _DISCRIMINATOR_VALUE.search(fields[key].get("description", "")))]
        return found

    def _discriminator_table(self, subtypes: list[str]) -> tuple[str, dict[str, str]] | None:
        """Maps e.g. ("type", {"chat": "BotCommandScopeChat", ...}) when every subtype says its value."""
        for key in DISCRIMINATORS:
            table = {}
            for sub in subtypes:
                field = (self.type_fields(sub) or {}).get(key)
                match = field and _DISCRIMINATOR_VALUE.search(field.get("description", ""))
                if not match:
                    break
                table[match.group(1)] = sub
            else:
                return key, table
        return None

    # -- coercion ------------------------------------------------------------------------
    def coerce(self, method: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
        """Converts form strings to the field's type; undecodable JSON is reported, the raw value kept."""
        fields = self.fields(method)
        out: dict[str, Any] = {}
        problems: list[Violation] = []
        for name, value in params.items():
            field = fields.get(name)
            if field is None or not isinstance(value, str):
                out[name] = value
                continue
            try:
                out[name] = coerce_value(value, field["types"])
            except ValueError:
                out[name] = value
                problems.append(Violation("json", method, name, f"can't parse {name} as {' or '.join(field['types'])}"))
        return out, problems

    # -- checking ------------------------------------------------------------------------
    def check(self, method_name: str, params: dict[str, Any]) -> tuple[str | None, dict[str, Any], list[Violation]]:
        """Returns (canonical method name or None, coerced params, violations)."""
        method = self.canonical_method(method_name)
        if method is None:
            return None, params, [Violation("unknown_method", method_name, "", f"unknown method {method_name!r}")]
        params, violations = self.coerce(method, params)
        fields = self.fields(method)
        for name, field in fields.items():
            if field["required"] and params.get(name) in (None, ""):
                violations.append(Violation("missing", method, name, f"missing required field {name!r}"))
        for name, value in params.items():
            field = fields.get(name)
            if field is None:
                violations.append(Violation("unknown_field", method, name, f"unknown field {name!r}"))
            elif value is not None and not any(v.path == name for v in violations):
                violations.extend(self.check_value(method, name, value, field["types"]))
        return method, params, violations

    def check_value(self, method: str, path: str, value: Any, types: list[str]) -> list[Violation]:
        """Violations of value against any of types; the alternative with the fewest problems wins."""
        best: list[Violation] | None = None
        for type_name in types:
            found = self._check_one(method, path, value, type_name)
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        return best or []

    def check_object(self, type_name: str, obj: Any, path: str = "") -> list[Violation]:
        """Checks a whole object (e.g. a Message the emulator returns) against the types table."""
        return self._check_one(type_name, path or type_name, obj, type_name)

    def _check_one(self, method: str, path: str, value: Any, type_name: str) -> list[Violation]:
        def wrong(expected: str) -> list[Violation]:
            return [Violation("type", method, path, f"{path}: expected {expected}, got {type(value).__name__}")]

        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return wrong(type_name)
            inner = type_name[len("Array of "):]
            out: list[Violation] = []
            for i, item in enumerate(value):
                out.extend(self._check_one(method, f"{path}[{i}]", item, inner))
            return out
        if type_name == "Integer":
            return [] if isinstance(value, int) and not isinstance(value, bool) else wrong("Integer")
        if type_name == "Float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            return [] if ok else wrong("Float")
        if type_name == "Boolean":
            return [] if isinstance(value, bool) else wrong("Boolean")
        if type_name == "String":
            return [] if isinstance(value, str) else wrong("String")
        if type_name == "InputFile":
            return [] if isinstance(value, FilePart) else wrong("InputFile")
        spec_type = self.types.get(type_name)
        if spec_type is None:
            return []  # a type the reference does not describe further; nothing to check
        if spec_type.get("subtypes"):
            return self._check_union(method, path, value, type_name, spec_type["subtypes"])
        if not isinstance(value, dict):
            return wrong(type_name)
        fields = self.type_fields(type_name) or {}
        out = []
        for name, field in fields.items():
            if field["required"] and name not in value:
                out.append(Violation("missing", method, f"{path}.{name}",
                                     f"{path}: {type_name} is missing required field {name!r}"))
        for name, item in value.items():
            field = fields.get(name)
            if field is None:
                out.append(Violation("unknown_field", method, f"{path}.{name}",
                                     f"{path}: {type_name} has no field {name!r}"))
            elif item is not None:
                out.extend(self.check_value(method, f"{path}.{name}", item, field["types"]))
        for key, fixed in self._fixed_values(type_name, fields):
            if key in value and value[key] != fixed:
                out.append(Violation("type", method, f"{path}.{key}",
                                     f"{path}: {type_name}.{key} must be {fixed!r}, not {value[key]!r}"))
        return out

    def _check_union(self, method: str, path: str, value: Any, type_name: str, subtypes: list[str]) -> list[Violation]:
        table = self._discriminated.get(type_name)
        if table and isinstance(value, dict):
            key, by_value = table
            sub = by_value.get(value.get(key))
            if sub is None:
                return [Violation("type", method, path, f"{path}: {type_name} with unknown {key} {value.get(key)!r}")]
            return self._check_one(method, path, value, sub)
        return self.check_value(method, path, value, subtypes)


def coerce_value(value: str, types: list[str]) -> Any:
    """One form-data string as the first of types it can be; raises ValueError for broken JSON."""
    for type_name in types:
        if type_name == "Integer" and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        if type_name == "Float":
            try:
                return float(value)
            except ValueError:
                continue
        if type_name == "Boolean" and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        if type_name in ("String", "InputFile"):
            return value
        if type_name.startswith("Array of ") or type_name not in PRIMITIVES:
            stripped = value.strip()
            if stripped[:1] in ("[", "{"):
                return json.loads(stripped)  # json.JSONDecodeError is a ValueError
            if len(types) == 1:
                raise ValueError(value)
    return value


@lru_cache(maxsize=1)
def default_spec() -> BotApiSpec:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return BotApiSpec(json.load(f))


def validate(method_name: str, params: dict[str, Any]) -> list[str]:
    """Every violation of the reference by a request, as readable strings (empty when valid)."""
    _, _, violations = default_spec().check(method_name, params)
    return [str(v) for v in violations]
