"""Datasets: resumable uploads of MNIST IDX pairs and CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hanami_client.errors import ConflictError, ConnectionLost
from hanami_client.models import Dataset, build
from hanami_client.progress import Bar, progress_bar
from hanami_client.transport import Api

CHUNK = 1 << 20
RETRIES = 5


class AsyncDatasets:
    """Datasets of the project."""

    def __init__(self, api: Api, chunk_bytes: int = CHUNK) -> None:
        self._api = api
        self.chunk_bytes = chunk_bytes

    async def upload_mnist(
        self, name: str, images_path: str | Path, labels_path: str | Path, progress: bool = True
    ) -> Dataset:
        """Upload an IDX images + labels pair (plain or .gz) as one dataset."""
        files = {"images": Path(images_path), "labels": Path(labels_path)}
        return await self._create(name, "idx", files, progress)

    async def upload_csv(self, name: str, path: str | Path, progress: bool = True) -> Dataset:
        """Upload a CSV file as a dataset."""
        return await self._create(name, "csv", {"data": Path(path)}, progress)

    async def get(self, id: str) -> Dataset:
        """One dataset."""
        return build(Dataset, await self._api.call("GET", f"/v1/datasets/{id}"))

    async def list(self) -> list[Dataset]:
        """The datasets the caller sees."""
        data = await self._api.call("GET", "/v1/datasets")
        return [build(Dataset, d) for d in data["items"]]

    async def delete(self, id: str) -> None:
        """Delete a dataset."""
        await self._api.call("DELETE", f"/v1/datasets/{id}")

    async def _create(
        self, name: str, kind: str, files: dict[str, Path], progress: bool
    ) -> Dataset:
        total = sum(p.stat().st_size for p in files.values())
        bar = progress_bar(progress, total, f"upload {name}", unit="B")
        try:
            parts = {part: await self.upload_file(path, bar) for part, path in files.items()}
        finally:
            bar.close()
        body: dict[str, Any] = {"name": name, "type": kind, "uploads": parts}
        return build(Dataset, await self._api.call("POST", "/v1/datasets", json=body))

    async def upload_file(
        self,
        path: str | Path,
        bar: Bar | None = None,
        upload_id: str | None = None,
        *,
        stop_at: int | None = None,
    ) -> str:
        """Send a file as a resumable upload; returns the upload id. A dropped connection
        resumes from the last byte the server has; `upload_id` resumes an earlier upload;
        `stop_at` sends only that many bytes (the rest later)."""
        path = Path(path)
        size = path.stat().st_size
        end_at = size if stop_at is None else min(stop_at, size)
        if upload_id is None:
            created = await self._api.call("POST", "/v1/uploads", json={"size": size})
            upload_id, have = str(created["id"]), int(created.get("received", 0))
        else:
            have = await self.received(upload_id)
        if bar is not None:
            bar.update(have)
        failures = 0
        with path.open("rb") as source:
            while have < end_at:
                source.seek(have)
                chunk = source.read(min(self.chunk_bytes, end_at - have))
                end = have + len(chunk)
                try:
                    await self._api.send(
                        "PUT",
                        f"/v1/uploads/{upload_id}",
                        content=chunk,
                        headers={
                            "Content-Range": f"bytes {have}-{end - 1}/{size}",
                            "Content-Type": "application/octet-stream",
                        },
                    )
                    now = end
                except (ConnectionLost, ConflictError):  # resume from what the server has
                    failures += 1
                    if failures > RETRIES:
                        raise
                    now = await self.received(upload_id)
                if bar is not None:
                    bar.update(now - have)
                have = now
        return upload_id

    async def received(self, upload_id: str) -> int:
        """How many bytes of an upload the server has."""
        data = await self._api.call("GET", f"/v1/uploads/{upload_id}")
        return int(data.get("received", 0))
