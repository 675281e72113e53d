"""Who is calling: the verified claims of a token, with the role the policy checks."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
PROJECT_ADMIN = "project_admin"
MEMBER = "member"
ANYONE = "anyone"
ROLES = frozenset({ADMIN, PROJECT_ADMIN, MEMBER, ANYONE})


def role_for(is_admin: bool, project_id: str | None, is_project_admin: bool | None) -> str | None:
    """The role a user has now when acting in `project_id` (None: no project selected), given
    the membership found for it (`is_project_admin`, None when there is none); None when a
    non-admin is not a member of that project."""
    if is_admin:
        return ADMIN
    if project_id is None:
        return MEMBER
    if is_project_admin is None:
        return None
    return PROJECT_ADMIN if is_project_admin else MEMBER


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; `project_id` is the project selected at login (or None)."""

    user_id: str
    project_id: str | None
    role: str
    is_admin: bool
    token_id: str
    expires_at: int

    def sees_project(self, project_id: str) -> bool:
        """True when resources of `project_id` are visible to this caller at all."""
        return self.is_admin or self.project_id == project_id

    def sees_owned(self, project_id: str, owner_id: str) -> bool:
        """True when a resource of that project and owner is visible: admins and project
        admins see all of their project, members only their own."""
        if self.is_admin:
            return True
        if self.project_id != project_id:
            return False
        return self.role == PROJECT_ADMIN or owner_id == self.user_id
