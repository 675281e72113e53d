"""Request and response shapes as frozen dataclasses: one source for validation and OpenAPI.

A body class declares its fields with types (str, int, float, bool, dict[str, Any], unions with
None) and optional `rule(...)` constraints; `schema_of` turns it into JSON Schema for the OpenAPI
document and `parse` validates a decoded JSON value into an instance with the same rules.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, TypeVar

from hanami_rt.errors import ValidationError

T = TypeVar("T")

_JSON_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}


def rule(
    doc: str,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> dict[str, Any]:
    """Field metadata: a description plus constraints, for `dataclasses.field(metadata=...)`."""
    found = {
        "description": doc,
        "minLength": min_length,
        "maxLength": max_length,
        "pattern": pattern,
        "minimum": minimum,
        "maximum": maximum,
    }
    return {"schema": {k: v for k, v in found.items() if v is not None}}


def _kinds(hint: Any) -> tuple[type, ...]:
    """The plain Python types a hint allows (`str | None` -> (str, NoneType))."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return tuple(k for arg in typing.get_args(hint) for k in _kinds(arg))
    if origin is not None:
        return (origin,)
    if hint is Any:
        return (object,)
    return (hint,)


_HINTS: dict[Any, dict[str, Any]] = {}


def _hints(cls: Any) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def hint_schema(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a type hint; nested dataclasses are added to `defs` and referenced."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [hint_schema(arg, defs) for arg in args]
        if all(set(p) == {"type"} and isinstance(p["type"], str) for p in parts):
            return {"type": [p["type"] for p in parts]}
        return {"anyOf": parts}
    if origin is list:
        return {"type": "array", "items": hint_schema(args[0], defs)}
    if origin is dict:
        values = hint_schema(args[1], defs)
        return {"type": "object", "additionalProperties": values} if values else {"type": "object"}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if hint.__name__ not in defs:
            defs[hint.__name__] = {}  # placeholder against recursion
            defs[hint.__name__] = schema_of(hint, defs)
        return {"$ref": f"#/components/schemas/{hint.__name__}"}
    if hint is Any:
        return {}
    return {"type": _JSON_NAMES[hint]}


def _field_schema(cls: type, f: dataclasses.Field[Any], defs: dict[str, Any]) -> dict[str, Any]:
    schema = hint_schema(_hints(cls)[f.name], defs)
    schema.update(f.metadata.get("schema", {}))
    if f.default is not dataclasses.MISSING:
        schema["default"] = f.default
    return schema


def schema_of(cls: type, defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12, as OpenAPI 3.1 uses) of a body or response class; nested
    dataclasses go into `defs` (the OpenAPI components) and are referenced from here."""
    defs = {} if defs is None else defs
    fields = dataclasses.fields(cls)
    required = [
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    schema: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or "").strip(),
        "properties": {f.name: _field_schema(cls, f, defs) for f in fields},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _type_ok(value: Any, kinds: tuple[type, ...]) -> bool:
    if object in kinds:
        return True
    for kind in kinds:
        if kind is bool and isinstance(value, bool):
            return True
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if kind not in (bool, int, float) and isinstance(value, kind):
            return True
    return False


def _describe(kinds: tuple[type, ...]) -> str:
    return " or ".join(_JSON_NAMES.get(k, k.__name__) for k in kinds)


def _check_rules(name: str, value: Any, schema: dict[str, Any]) -> None:
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ValidationError(f"field {name!r} needs at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ValidationError(f"field {name!r} allows at most {schema['maxLength']} characters")
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            raise ValidationError(f"field {name!r} must match the pattern {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise ValidationError(f"field {name!r} must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise ValidationError(f"field {name!r} must be at most {schema['maximum']}")


def parse(cls: type[T], data: Any, what: str = "the request body") -> T:
    """Validate decoded JSON against `cls` and build it; ValidationError names the problem."""
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be a JSON object, got {_describe((type(data),))}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValidationError(
            f"{what} has unknown field(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(fields)}"
        )
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValidationError(f"{what} is missing the required field {name!r}")
            continue
        value = data[name]
        kinds = _kinds(_hints(cls)[name])
        if not _type_ok(value, kinds):
            raise ValidationError(
                f"field {name!r} must be {_describe(kinds)}, got {_describe((type(value),))}"
            )
        if isinstance(value, float) and value != value:
            raise ValidationError(f"field {name!r} must be a number, got NaN")
        _check_rules(name, value, f.metadata.get("schema", {}))
        values[name] = float(value) if kinds == (float,) else value
    return cls(**values)


def parse_query(cls: type[T], params: typing.Mapping[str, str]) -> T:
    """Validate query-string parameters (all strings) against `cls`, converting integers."""
    converted: dict[str, Any] = {}
    hints = _hints(cls)
    for name, raw in params.items():
        if name in hints and int in _kinds(hints[name]):
            try:
                converted[name] = int(raw)
            except ValueError:
                raise ValidationError(
                    f"query parameter {name!r} must be an integer, got {raw!r}"
                ) from None
        else:
            converted[name] = raw
    return parse(cls, converted, "the query string")


def query_parameters(cls: type) -> list[dict[str, Any]]:
    """OpenAPI `parameters` entries for a query class."""
    return [
        {
            "name": f.name,
            "in": "query",
            "required": f.default is dataclasses.MISSING,
            "schema": _field_schema(cls, f, {}),
        }
        for f in dataclasses.fields(cls)
    ]


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
NAME_RULE = rule("a display name", min_length=1, max_length=200)
ID_RULE = rule("an id of letters, digits and _.@- (1-64 characters)", pattern=ID_PATTERN)
UNIQUE_NAME_RULE = rule("unique in the project", pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$")
"""The name of a cluster, dataset or checkpoint: unique among its kind in the project."""


@dataclasses.dataclass(frozen=True)
class PageQuery:
    """Paging through an append-only log: entries with seq > `after`, at most `limit`."""

    after: int = dataclasses.field(default=0, metadata=rule("last seq already seen", minimum=0))
    limit: int = dataclasses.field(default=100, metadata=rule("page size", minimum=1, maximum=1000))
