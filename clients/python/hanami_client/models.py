"""Small frozen dataclasses for what the REST API returns; each has an `id`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def build(cls: type[T], data: Mapping[str, Any], **overrides: Any) -> T:
    """An instance of dataclass `cls` from a JSON object: known fields only (a newer server's
    extra fields are ignored), missing ones take their defaults."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in overrides:
            values[f.name] = overrides[f.name]
        elif f.name in data:
            values[f.name] = data[f.name]
    return cls(**values)


@dataclass(frozen=True)
class Project:
    """A tenant."""

    id: str
    name: str
    created: str = ""
    clusters: int = 0


@dataclass(frozen=True)
class Membership:
    """A user's place in a project."""

    project_id: str
    role: str = "member"
    is_project_admin: bool = False
    created: str = ""

    @property
    def id(self) -> str:
        """The project's id."""
        return self.project_id


@dataclass(frozen=True)
class User:
    """A user and its projects (never a password)."""

    id: str
    name: str
    is_admin: bool = False
    created: str = ""
    projects: tuple[Membership, ...] = ()


def user(data: Mapping[str, Any]) -> User:
    """A User from the API's JSON."""
    memberships = tuple(build(Membership, m) for m in data.get("projects", []))
    return build(User, data, projects=memberships)


@dataclass(frozen=True)
class Token:
    """A bearer token from POST/PUT /v1/token; `id` is the token text."""

    id: str
    expires_at: str
    project_id: str | None
    role: str
    user: User


def token(data: Mapping[str, Any]) -> Token:
    """A Token from the API's JSON."""
    return Token(
        id=str(data["token"]),
        expires_at=str(data.get("expires_at", "")),
        project_id=data.get("project_id"),
        role=str(data.get("role", "")),
        user=user(data.get("user", {"id": "", "name": ""})),
    )


@dataclass(frozen=True)
class Cluster:
    """A cluster; `stats` (sizes, samples learned) only from `clusters.get`."""

    id: str
    name: str
    project_id: str = ""
    owner_id: str = ""
    created: str = ""
    saved: str | None = None
    seed: int = 0
    inputs: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    stats: dict[str, Any] | None = None


@dataclass(frozen=True)
class Dataset:
    """An uploaded dataset: `inputs`/`outputs` are values per sample, `columns` its groups."""

    id: str
    name: str
    type: str = ""
    rows: int = 0
    inputs: int = 0
    outputs: int = 0
    columns: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    created: str = ""
    project_id: str = ""
    owner_id: str = ""


@dataclass(frozen=True)
class Task:
    """A train or request task and its progress; `reason` says why it failed."""

    id: str
    type: str = ""
    state: str = ""
    cluster_id: str = ""
    dataset_id: str = ""
    epochs: int = 1
    samples_done: int = 0
    samples_total: int = 0
    samples_per_s: float | None = None
    eta_seconds: float | None = None
    reason: str | None = None
    created: str = ""
    started: str | None = None
    ended: str | None = None

    @property
    def done(self) -> bool:
        """True once the task has finished, failed or been cancelled."""
        return self.state in ("finished", "failed", "cancelled")


@dataclass(frozen=True)
class Result:
    """A request task's answers (`id` is the task's): `classes` for one-hot outputs, else
    `values` (one row per sample)."""

    id: str
    rows: int = 0
    outputs: dict[str, int] = field(default_factory=dict)
    classes: tuple[int, ...] | None = None
    values: tuple[tuple[float, ...], ...] | None = None


@dataclass(frozen=True)
class Check:
    """A result compared with a dataset: `accuracy` (0..1) for classes, `mse` for values."""

    id: str
    dataset_id: str = ""
    rows: int = 0
    metric: str = ""
    value: float = 0.0
    correct: int | None = None

    @property
    def accuracy(self) -> float | None:
        """The fraction of rows whose class was right (None for value outputs)."""
        return self.value if self.metric == "accuracy" else None

    @property
    def mse(self) -> float | None:
        """The mean squared error (None for class outputs)."""
        return self.value if self.metric == "mse" else None


@dataclass(frozen=True)
class Checkpoint:
    """A saved network; `cluster_id` is where it was taken (None when uploaded)."""

    id: str
    name: str
    cluster_id: str | None = None
    bytes: int = 0
    created: str = ""
    project_id: str = ""
    owner_id: str = ""


@dataclass(frozen=True)
class Series:
    """A measurement over time, oldest first: 60 seconds, 60 minutes, 24 hours, 365 days."""

    id: str
    seconds: tuple[float | None, ...] = ()
    minutes: tuple[float | None, ...] = ()
    hours: tuple[float | None, ...] = ()
    days: tuple[float | None, ...] = ()


def series(name: str, data: Mapping[str, Any]) -> Series:
    """A Series from the API's JSON."""
    parts = {k: tuple(data.get(k) or ()) for k in ("seconds", "minutes", "hours", "days")}
    return Series(id=name, **parts)


@dataclass(frozen=True)
class System:
    """The host and the software serving it; `id` is the host name."""

    id: str
    kernel: str = ""
    cpu: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    numba_threading_layer: str | None = None
    numba_threads: int = 0


def system(data: Mapping[str, Any]) -> System:
    """A System from the API's JSON."""
    return build(System, data, id=str(data.get("hostname", "")))
