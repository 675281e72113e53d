"""/v1/projects and /v1/users (admin only)."""

from __future__ import annotations

from hanami_client.models import Membership, Project, User, build, user
from hanami_client.transport import Api


class AsyncProjects:
    """Projects: the tenants."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def create(self, id: str, name: str) -> Project:
        """Create a project (ConflictError when the id exists)."""
        data = await self._api.call("POST", "/v1/projects", json={"id": id, "name": name})
        return build(Project, data)

    async def get(self, id: str) -> Project:
        """One project."""
        return build(Project, await self._api.call("GET", f"/v1/projects/{id}"))

    async def list(self) -> list[Project]:
        """Every project."""
        data = await self._api.call("GET", "/v1/projects")
        return [build(Project, p) for p in data["items"]]

    async def delete(self, id: str) -> None:
        """Delete an empty project (ConflictError while it holds clusters)."""
        await self._api.call("DELETE", f"/v1/projects/{id}")


class AsyncUsers:
    """Users and their project memberships."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def create(self, id: str, name: str, password: str, is_admin: bool = False) -> User:
        """Create a user (ConflictError when the id exists)."""
        body = {"id": id, "name": name, "password": password, "is_admin": is_admin}
        return user(await self._api.call("POST", "/v1/users", json=body))

    async def get(self, id: str) -> User:
        """One user with its projects."""
        return user(await self._api.call("GET", f"/v1/users/{id}"))

    async def list(self) -> list[User]:
        """Every user."""
        data = await self._api.call("GET", "/v1/users")
        return [user(u) for u in data["items"]]

    async def delete(self, id: str) -> None:
        """Delete a user (not yourself)."""
        await self._api.call("DELETE", f"/v1/users/{id}")

    async def add_project(
        self,
        user_id: str,
        project_id: str,
        role: str = "member",
        is_project_admin: bool = False,
    ) -> Membership:
        """Put a user into a project."""
        body = {"project_id": project_id, "role": role, "is_project_admin": is_project_admin}
        data = await self._api.call("POST", f"/v1/users/{user_id}/projects", json=body)
        return build(Membership, data)

    async def remove_project(self, user_id: str, project_id: str) -> None:
        """Take a user out of a project."""
        await self._api.call("DELETE", f"/v1/users/{user_id}/projects/{project_id}")
