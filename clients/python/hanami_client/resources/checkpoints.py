"""Checkpoints: save, restore, move networks between servers."""

from __future__ import annotations

from pathlib import Path

from hanami_client.models import Checkpoint, build
from hanami_client.transport import Api


class AsyncCheckpoints:
    """Saved networks of the project."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def save(self, cluster_id: str, name: str) -> Checkpoint:
        """A consistent snapshot of the cluster, on disk when this returns."""
        data = await self._api.call(
            "POST", f"/v1/clusters/{cluster_id}/checkpoints", json={"name": name}
        )
        return build(Checkpoint, data)

    async def restore(self, cluster_id: str, checkpoint_id: str) -> None:
        """Replace the cluster's network with the checkpoint's."""
        body = {"checkpoint_id": checkpoint_id}
        await self._api.call("POST", f"/v1/clusters/{cluster_id}/restore", json=body)

    async def get(self, id: str) -> Checkpoint:
        """One checkpoint."""
        return build(Checkpoint, await self._api.call("GET", f"/v1/checkpoints/{id}"))

    async def list(self) -> list[Checkpoint]:
        """The checkpoints the caller sees."""
        data = await self._api.call("GET", "/v1/checkpoints")
        return [build(Checkpoint, c) for c in data["items"]]

    async def delete(self, id: str) -> None:
        """Delete a checkpoint."""
        await self._api.call("DELETE", f"/v1/checkpoints/{id}")

    async def download(self, id: str, path: str | Path) -> Path:
        """Write the checkpoint's file to `path`."""
        target = Path(path)
        reply = await self._api.send("GET", f"/v1/checkpoints/{id}/download")
        target.write_bytes(reply.content)
        return target

    async def upload(self, path: str | Path, name: str) -> Checkpoint:
        """Upload a checkpoint file (from `download`, maybe of another server)."""
        content = Path(path).read_bytes()
        data = await self._api.call(
            "POST",
            "/v1/checkpoints",
            params={"name": name},
            content=content,
            headers={"Content-Type": "application/octet-stream"},
        )
        return build(Checkpoint, data)
