"""Which project/owner a caller acts as and which rows it may list (shared by batch routes)."""

from __future__ import annotations

from hanami_rt.api.endpoint import Call
from hanami_rt.auth import PROJECT_ADMIN
from hanami_rt.errors import ValidationError


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
