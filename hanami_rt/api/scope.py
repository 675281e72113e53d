"""Which project a caller acts in, which rows it may list, and which one row it may see."""

from __future__ import annotations

from typing import Protocol, TypeVar

from hanami_rt.api.endpoint import Call
from hanami_rt.auth import PROJECT_ADMIN, Principal
from hanami_rt.errors import NotFound, ValidationError


class Owned(Protocol):
    """Anything a user owns inside a project: clusters, datasets, uploads, tasks, ..."""

    @property
    def project_id(self) -> str: ...

    @property
    def owner_id(self) -> str: ...


R = TypeVar("R", bound=Owned)


def visible(caller: Principal, record: R | None, missing: str) -> R:
    """`record` when `caller` may see it; else NotFound(`missing`), the very answer a record
    that does not exist gets, so nobody learns what exists in another project."""
    if record is None or not caller.sees_owned(record.project_id, record.owner_id):
        raise NotFound(missing)
    return record


def acting_project(call: Call) -> str:
    """The project new resources go into; ValidationError when no project is selected."""
    project_id = call.caller.project_id
    if project_id is None:
        raise ValidationError(
            'no project selected; pick one with PUT /v1/token {"project_id": ...} first'
        )
    return project_id


def list_filter(call: Call) -> tuple[str | None, str | None] | None:
    """(project_id, owner_id) filters for listing what the caller sees; None = nothing."""
    caller = call.caller
    if caller.is_admin and caller.project_id is None:
        return None, None
    if caller.project_id is None:
        return None
    if caller.is_admin or caller.role == PROJECT_ADMIN:
        return caller.project_id, None
    return caller.project_id, caller.user_id
