"""Cluster templates: parse the original text form (or its JSON twin), validate, find targets.

A template lists bricks on the hexagon grid in processing order; a brick may only send to
bricks later in that order, which keeps the network acyclic. Errors name the line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from hanami_rt.core.errors import TemplateError
from hanami_rt.core.grid import Position, forward_distances, neighbours

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MAX_NEURONS = 1_000_000  # per brick
_MAX_TOTAL_NEURONS = 4_000_000  # per template: bounds what one request can make us allocate
_MAX_BRICKS = 4096
_MAX_COORDINATE = 10_000


@dataclass(frozen=True)
class NetworkSettings:
    """The `settings:` block; the defaults make every cycle independent of the one before."""

    neuron_cooldown: float = 1e9
    refractory_time: int = 1
    max_connection_distance: int = 1
    enable_reduction: bool = False

    def validated(self, line: int | None = None) -> NetworkSettings:
        """Return self, or raise TemplateError naming the first value out of range."""
        if not (math.isfinite(self.neuron_cooldown) and 1.0 <= self.neuron_cooldown <= 1e30):
            raise TemplateError("neuron_cooldown must be a finite number in [1, 1e30]", line)
        if not 1 <= self.refractory_time <= 1000:
            raise TemplateError("refractory_time must be an integer in [1, 1000]", line)
        if not 1 <= self.max_connection_distance <= 16:
            raise TemplateError("max_connection_distance must be an integer in [1, 16]", line)
        return self


@dataclass(frozen=True)
class Brick:
    """One cell of the grid: its neurons and, optionally, the name of its input or output."""

    position: Position
    number_of_neurons: int
    input: str | None = None
    output: str | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        """'input', 'output' or 'hidden'."""
        return "input" if self.input else "output" if self.output else "hidden"

    def where(self) -> str:
        """How error messages point at this brick."""
        return "brick {},{},{}".format(*self.position)


@dataclass(frozen=True)
class Template:
    """A validated template; `targets[i]` lists (brick index, probability) for brick i."""

    settings: NetworkSettings
    bricks: tuple[Brick, ...]
    targets: tuple[tuple[tuple[int, float], ...], ...]

    @property
    def source_neurons(self) -> int:
        """Neurons that may own sections (all but output neurons); a learned sample grows at
        most one section for each."""
        return sum(b.number_of_neurons for b in self.bricks if not b.output)

    @classmethod
    def parse(cls, text: str) -> Template:
        """Parse the original text form, or the JSON form when the text starts with '{'."""
        if text.lstrip().startswith("{"):
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise TemplateError(f"invalid JSON: {exc.msg}", exc.lineno) from None
            except RecursionError:
                raise TemplateError("invalid JSON: nested too deeply") from None
            return cls.from_dict(document)
        settings, bricks, bricks_line = _parse_text(text)
        return cls.build(settings, bricks, bricks_line)

    @classmethod
    def from_dict(cls, document: Any) -> Template:
        """Build from the JSON form: {version, settings?, bricks: [{position, ...}]}."""
        if not isinstance(document, dict):
            raise TemplateError("a JSON template must be an object")
        _check_keys(document, {"version", "settings", "bricks"}, "template", None)
        _check_version(document.get("version"), None)
        raw_settings = document.get("settings", {})
        if not isinstance(raw_settings, dict):
            raise TemplateError("settings must be an object")
        settings = NetworkSettings()
        for key, value in raw_settings.items():
            settings = _with_setting(settings, key, value, None)
        raw_bricks = document.get("bricks")
        if not isinstance(raw_bricks, list):
            raise TemplateError("bricks must be a list of objects")
        bricks = [_brick_from_dict(item, index) for index, item in enumerate(raw_bricks)]
        return cls.build(settings, bricks)

    @classmethod
    def build(
        cls, settings: NetworkSettings, bricks: list[Brick], bricks_line: int | None = None
    ) -> Template:
        """Validate bricks and settings together and compute every brick's target list.

        `bricks_line` (the `bricks:` header) is where errors about the whole list point.
        """
        settings.validated()
        _check_bricks(bricks, bricks_line)
        targets = tuple(_targets(bricks, index, settings) for index in range(len(bricks)))
        template = cls(settings, tuple(bricks), targets)
        _check_graph(template)
        return template

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; `Template.from_dict(t.to_dict())` gives an equal template."""
        settings = {f.name: getattr(self.settings, f.name) for f in fields(NetworkSettings)}
        bricks: list[dict[str, Any]] = []
        for brick in self.bricks:
            item: dict[str, Any] = {
                "position": list(brick.position),
                "number_of_neurons": brick.number_of_neurons,
            }
            if brick.input:
                item["input"] = brick.input
            if brick.output:
                item["output"] = brick.output
            bricks.append(item)
        return {"version": 1, "settings": settings, "bricks": bricks}

    def to_json(self) -> str:
        """`to_dict` as compact JSON text."""
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)


# ---- the text form ----------------------------------------------------------------------


def _parse_text(text: str) -> tuple[NetworkSettings, list[Brick], int | None]:
    """Read `version`, `settings:` and `bricks:` blocks, keyed by indentation."""
    settings = NetworkSettings()
    bricks: list[Brick] = []
    section: str | None = None
    seen_version = False
    bricks_line: int | None = None
    current: dict[str, Any] | None = None
    current_indent = 0

    def close_brick() -> None:
        if current is not None:
            bricks.append(_brick_from_fields(current))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise TemplateError("indent with spaces, not tabs", number)
        indent = len(line) - len(line.lstrip())
        content = line.strip()
        if indent == 0:
            key, value = _split_key(content, number)
            if key == "version":
                _check_version(_scalar(value, number), number)
                seen_version = True
            elif key in ("settings", "bricks"):
                if value:
                    raise TemplateError(f"'{key}:' takes an indented block, not a value", number)
                close_brick()
                current = None
                section = key
                if key == "bricks":
                    bricks_line = number
            else:
                raise TemplateError(
                    f"unknown key {key!r} (expected version, settings or bricks)", number
                )
        elif section == "settings":
            key, value = _split_key(content, number)
            settings = _with_setting(settings, key, _scalar(value, number), number)
        elif section == "bricks":
            if current is None or indent <= current_indent:
                close_brick()
                current = {"position": _position(content, number), "line": number}
                current_indent = indent
            else:
                key, value = _split_key(content, number)
                if key not in ("input", "output", "number_of_neurons"):
                    raise TemplateError(
                        f"unknown brick key {key!r} (expected input, output or number_of_neurons)",
                        number,
                    )
                if key in current:
                    raise TemplateError(f"{key} given twice for this brick", number)
                parsed = value if key in ("input", "output") else _scalar(value, number)
                current[key] = (parsed, number)
        else:
            raise TemplateError("indented line outside of a settings or bricks block", number)
    close_brick()
    if not seen_version:
        raise TemplateError("missing 'version: 1'", 1)
    return settings, bricks, bricks_line


def _split_key(content: str, line: int) -> tuple[str, str]:
    key, colon, value = content.partition(":")
    if not colon or not key.strip():
        raise TemplateError(f"expected 'key: value', got {content!r}", line)
    return key.strip(), value.strip()


def _scalar(value: str, line: int) -> Any:
    """A value of the text form: bool, int, float or a bare name."""
    if value in ("true", "false"):
        return value == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    if not value:
        raise TemplateError("missing value", line)
    return value


def _position(content: str, line: int) -> Position:
    parts = content.split(",")
    try:
        if len(parts) != 3:
            raise ValueError
        x, y, z = (int(part) for part in parts)
    except ValueError:
        raise TemplateError(f"expected a brick position 'x,y,z', got {content!r}", line) from None
    return _checked_position([x, y, z], line)


def _brick_from_fields(found: dict[str, Any]) -> Brick:
    line = found["line"]
    if "number_of_neurons" not in found:
        raise TemplateError("brick has no number_of_neurons", line)
    given = {key: pair for key, pair in found.items() if key not in ("position", "line")}
    values = {key: value for key, (value, _) in given.items()}
    lines = {key: at for key, (_, at) in given.items()}
    return _brick(found["position"], values, line, lines)


# ---- shared checks ----------------------------------------------------------------------


def _check_version(value: Any, line: int | None) -> None:
    if value != 1 or not isinstance(value, int) or isinstance(value, bool):
        raise TemplateError(f"unsupported version {value!r} (this server reads version 1)", line)


def _check_keys(item: dict[str, Any], allowed: set[str], what: str, line: int | None) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise TemplateError(
            f"unknown key {unknown[0]!r} in {what} (expected {', '.join(sorted(allowed))})", line
        )


def _with_setting(
    settings: NetworkSettings, key: str, value: Any, line: int | None
) -> NetworkSettings:
    """Settings with one more key applied, type-checked, range-checked."""
    if key == "neuron_cooldown":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TemplateError("neuron_cooldown must be a number", line)
        try:
            cooldown = float(value)
        except OverflowError:
            cooldown = math.inf  # refused by the range check below
        updated = replace(settings, neuron_cooldown=cooldown)
    elif key in ("refractory_time", "max_connection_distance"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TemplateError(f"{key} must be an integer", line)
        if key == "refractory_time":
            updated = replace(settings, refractory_time=value)
        else:
            updated = replace(settings, max_connection_distance=value)
    elif key == "enable_reduction":
        if not isinstance(value, bool):
            raise TemplateError("enable_reduction must be true or false", line)
        updated = replace(settings, enable_reduction=value)
    else:
        allowed = ", ".join(f.name for f in fields(NetworkSettings))
        raise TemplateError(f"unknown setting {key!r} (expected one of {allowed})", line)
    return updated.validated(line)


def _checked_position(values: Any, line: int | None) -> Position:
    if (
        not isinstance(values, list)
        or len(values) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    ):
        raise TemplateError("position must be three integers x,y,z", line)
    if not all(abs(v) <= _MAX_COORDINATE for v in values):
        raise TemplateError(
            f"position coordinates must lie in [-{_MAX_COORDINATE}, {_MAX_COORDINATE}]", line
        )
    return (values[0], values[1], values[2])


def _brick_from_dict(item: Any, index: int) -> Brick:
    where = f"bricks[{index}]"
    if not isinstance(item, dict):
        raise TemplateError(f"{where} must be an object")
    try:
        _check_keys(item, {"position", "number_of_neurons", "input", "output"}, where, None)
        if "number_of_neurons" not in item:
            raise TemplateError(f"{where} has no number_of_neurons")
        position = _checked_position(item.get("position"), None)
        values = {k: v for k, v in item.items() if k != "position"}
        return _brick(position, values, None, {})
    except TemplateError as exc:
        reason = exc.reason if exc.reason.startswith(where) else f"{where}: {exc.reason}"
        raise TemplateError(reason) from None


def _brick(
    position: Position, values: dict[str, Any], line: int | None, lines: dict[str, int]
) -> Brick:
    count = values["number_of_neurons"]
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= _MAX_NEURONS:
        raise TemplateError(
            f"number_of_neurons must be an integer in [1, {_MAX_NEURONS}], got {count!r}",
            lines.get("number_of_neurons", line),
        )
    names = {key: values.get(key) for key in ("input", "output")}
    for key, name in names.items():
        if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
            raise TemplateError(
                f"{key} name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}",
                lines.get(key, line),
            )
    if names["input"] and names["output"]:
        raise TemplateError(
            "a brick may be an input or an output, not both", lines.get("output", line)
        )
    return Brick(position, count, names["input"], names["output"], line)


def _check_bricks(bricks: list[Brick], line: int | None) -> None:
    if not bricks:
        raise TemplateError("the template has no bricks", line)
    if len(bricks) > _MAX_BRICKS:
        raise TemplateError(
            f"a template has at most {_MAX_BRICKS} bricks", bricks[_MAX_BRICKS].line
        )
    total = 0
    for brick in bricks:
        total += brick.number_of_neurons
        if total > _MAX_TOTAL_NEURONS:
            raise TemplateError(
                f"the bricks hold more than {_MAX_TOTAL_NEURONS:,} neurons in all", brick.line
            )
    seen: dict[Position, Brick] = {}
    names: set[str] = set()
    for brick in bricks:
        if brick.position in seen:
            raise TemplateError(
                f"duplicate position {brick.where()[6:]} (first used on line "
                f"{seen[brick.position].line})"
                if brick.line
                else f"duplicate position {brick.where()[6:]}",
                brick.line,
            )
        seen[brick.position] = brick
        name = brick.input or brick.output
        if name:
            if name in names:
                raise TemplateError(f"the name {name!r} is used by two bricks", brick.line)
            names.add(name)
    for brick in bricks:
        if len(bricks) > 1 and not any(side in seen for side in neighbours(brick.position)):
            raise TemplateError(f"{brick.where()} is not adjacent to any other brick", brick.line)
    if not any(b.input for b in bricks):
        raise TemplateError("the template has no input brick", line)
    if not any(b.output for b in bricks):
        raise TemplateError("the template has no output brick", line)


def _targets(
    bricks: list[Brick], index: int, settings: NetworkSettings
) -> tuple[tuple[int, float], ...]:
    """Later, non-input bricks within the forward walk; weight halves with each extra step."""
    brick = bricks[index]
    if brick.output:
        return ()
    reach = forward_distances(brick.position, settings.max_connection_distance)
    found = [
        (later, 0.5 ** (reach[bricks[later].position] - 1))
        for later in range(index + 1, len(bricks))
        if not bricks[later].input and bricks[later].position in reach
    ]
    total = sum(weight for _, weight in found)
    return tuple((later, weight / total) for later, weight in found)


def _check_graph(template: Template) -> None:
    """Every non-output brick has a target; every output is reachable from an input."""
    bricks = template.bricks
    for brick, targets in zip(bricks, template.targets, strict=True):
        if not brick.output and not targets:
            raise TemplateError(
                f"{brick.where()} is a dead end: no later non-input brick lies within "
                f"max_connection_distance={template.settings.max_connection_distance} "
                "forward steps (+x, the +x diagonals, or the layers above and below)",
                brick.line,
            )
    reached = {i for i, brick in enumerate(bricks) if brick.input}
    for i in range(len(bricks)):
        if i in reached:
            reached.update(target for target, _ in template.targets[i])
    for i, brick in enumerate(bricks):
        if brick.output and i not in reached:
            raise TemplateError(
                f"output {brick.output!r} is not reachable from any input", brick.line
            )
