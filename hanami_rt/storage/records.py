"""The rows the repositories return: frozen dataclasses, never database cursors or dicts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """A person or program that can log in; `password_hash` never leaves the server."""

    id: str
    name: str
    password_hash: str
    is_admin: bool
    created: str


@dataclass(frozen=True)
class Standing:
    """A user as a token is checked against: the user, whether the project the token acts in
    still exists, and the user's membership there (None when there is none)."""

    user: User
    project_exists: bool
    is_project_admin: bool | None


@dataclass(frozen=True)
class Project:
    """A tenant: clusters and (later) datasets belong to exactly one project."""

    id: str
    name: str
    created: str


@dataclass(frozen=True)
class Membership:
    """A user's place in a project; `is_project_admin` grants every resource of the project."""

    user_id: str
    project_id: str
    role: str
    is_project_admin: bool
    created: str


@dataclass(frozen=True)
class ClusterRecord:
    """A cluster's durable description; its live network sits in the service registry."""

    id: str
    project_id: str
    owner_id: str
    name: str
    template: str
    seed: int
    created: str
    saved: str | None


@dataclass(frozen=True)
class AuditEntry:
    """One mutating request: who did what, and what it answered."""

    seq: int
    time: str
    user_id: str | None
    project_id: str | None
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class ErrorEntry:
    """One unexpected exception, with the traceback the client never sees."""

    seq: int
    id: str
    time: str
    user_id: str | None
    method: str
    path: str
    error_type: str
    message: str
    traceback: str
