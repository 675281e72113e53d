"""/v1/clusters: networks built from templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hanami_client.models import Cluster, build
from hanami_client.transport import Api


def template_text(template: str | Path) -> str:
    """The template's text: a Path is read, a string is the template itself."""
    return template.read_text() if isinstance(template, Path) else template


class AsyncClusters:
    """Clusters of the project the token acts in."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def create(
        self,
        name: str,
        template: str | Path | None = None,
        seed: int | None = None,
        *,
        checkpoint_id: str | None = None,
    ) -> Cluster:
        """Build a cluster from a template (text or a Path), or from a checkpoint."""
        body: dict[str, Any] = {"name": name}
        if template is not None:
            body["template"] = template_text(template)
        if checkpoint_id is not None:
            body["checkpoint_id"] = checkpoint_id
        if seed is not None:
            body["seed"] = seed
        return build(Cluster, await self._api.call("POST", "/v1/clusters", json=body))

    async def get(self, id: str) -> Cluster:
        """One cluster with its live stats."""
        return build(Cluster, await self._api.call("GET", f"/v1/clusters/{id}"))

    async def list(self) -> list[Cluster]:
        """The clusters the caller sees."""
        data = await self._api.call("GET", "/v1/clusters")
        return [build(Cluster, c) for c in data["items"]]

    async def delete(self, id: str) -> None:
        """Delete a cluster once the work running on it has finished."""
        await self._api.call("DELETE", f"/v1/clusters/{id}")
