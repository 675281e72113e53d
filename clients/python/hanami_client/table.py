"""How the command line prints results: an aligned table, or JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

COLUMNS: dict[str, tuple[str, ...]] = {
    "Project": ("id", "name", "clusters", "created"),
    "User": ("id", "name", "is_admin", "projects", "created"),
    "Membership": ("project_id", "role", "is_project_admin", "created"),
    "Cluster": ("id", "name", "project_id", "owner_id", "inputs", "outputs", "created"),
    "Dataset": ("id", "name", "type", "rows", "bytes", "created"),
    "Task": ("id", "type", "state", "samples_done", "samples_total", "reason"),
    "Checkpoint": ("id", "name", "cluster_id", "bytes", "created"),
    "Token": ("user", "project_id", "role", "expires_at"),
    "Check": ("id", "dataset_id", "rows", "metric", "value"),
}


def plain(value: Any) -> Any:
    """JSON-ready: dataclasses as dicts, tuples and arrays as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _cell(value: Any) -> str:
    """A table cell; a nested model (a token's user, a user's memberships) shows as its id."""
    if value is None:
        return "-"
    if hasattr(value, "id"):  # every model has one
        return str(value.id)
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ",".join(_cell(v) for v in value)
    return str(value)


def render(result: Any, as_json: bool) -> str:
    """The text to print for a result (a model, a list of models, or None)."""
    if as_json:
        return json.dumps(plain(result), indent=2)
    if result is None:
        return ""
    rows: Sequence[Any] = result if isinstance(result, list) else [result]
    if not rows:
        return "(none)"
    kind = type(rows[0]).__name__
    columns = COLUMNS.get(kind) or tuple(f.name for f in dataclasses.fields(rows[0]))
    cells = [[_cell(getattr(r, c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
