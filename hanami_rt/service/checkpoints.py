"""Checkpoints: consistent snapshots of a live network, kept as blobs, restored or uploaded.

A snapshot is taken under the cluster's shared lock, so it falls between samples (never inside
a learn or a task's chunk). Bytes are parsed whole by `Network.from_bytes`, which refuses
anything truncated or corrupted, before anything is swapped in or stored.
"""

from __future__ import annotations

import asyncio
import uuid

from hanami_rt.core import Network
from hanami_rt.errors import NotFound
from hanami_rt.service.persistence import Persister
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers
from hanami_rt.storage import BlobStore, utc_now
from hanami_rt.storage.checkpoints import CheckpointRecord, CheckpointRepository


def checkpoint_key(checkpoint_id: str) -> str:
    """Where a checkpoint's bytes live in the blob store."""
    return f"checkpoints/{checkpoint_id}.hnet"


class CheckpointService:
    """Take, store, read, restore and delete checkpoints."""

    def __init__(
        self,
        registry: Registry,
        repo: CheckpointRepository,
        blobs: BlobStore,
        workers: Workers,
        persister: Persister,
    ) -> None:
        self._registry = registry
        self.repo = repo
        self._blobs = blobs
        self._workers = workers
        self._persister = persister

    async def _store(
        self, project_id: str, owner_id: str, name: str, cluster_id: str | None, data: bytes
    ) -> CheckpointRecord:
        record = CheckpointRecord(
            str(uuid.uuid4()), project_id, owner_id, name, cluster_id, len(data), utc_now()
        )
        await asyncio.to_thread(self._blobs.put, checkpoint_key(record.id), data)
        try:
            await self.repo.create(record)
        except BaseException:
            await asyncio.to_thread(self._blobs.delete, checkpoint_key(record.id))
            raise
        return record

    async def take(
        self, live: LiveCluster, project_id: str, owner_id: str, name: str
    ) -> CheckpointRecord:
        """Snapshot the cluster between samples; returns once the bytes are on disk."""
        data = await self._registry.shared(live.id, lambda net: net.to_bytes(), op=None)
        return await self._store(project_id, owner_id, name, live.id, data)

    async def upload(
        self, project_id: str, owner_id: str, name: str, data: bytes
    ) -> CheckpointRecord:
        """Store uploaded bytes after checking they are a whole, intact network."""
        await self._workers.run(Network.from_bytes, data)  # CheckpointError when not intact
        return await self._store(project_id, owner_id, name, None, data)

    async def read(self, record: CheckpointRecord) -> bytes:
        """The checkpoint's bytes."""
        data = await asyncio.to_thread(self._blobs.get, checkpoint_key(record.id))
        if data is None:
            raise NotFound(f"checkpoint {record.id} has no stored bytes any more")
        return data

    async def network(self, record: CheckpointRecord) -> Network:
        """The checkpoint as a network; CheckpointError when its bytes are damaged."""
        return await self._workers.run(Network.from_bytes, await self.read(record))

    async def restore(self, live: LiveCluster, record: CheckpointRecord) -> None:
        """Swap the checkpoint's network into the cluster (after running work) and save it."""
        network = await self.network(record)
        await self._registry.replace(live.id, network)
        await self._persister.save(live)

    async def delete(self, record: CheckpointRecord) -> None:
        """Remove the row, then the bytes."""
        await self.repo.delete(record.id)
        await asyncio.to_thread(self._blobs.delete, checkpoint_key(record.id))

    async def delete_in_project(self, project_id: str) -> int:
        """Remove every checkpoint of the project: the rows, then the bytes; returns how
        many. Rows go first so no row ever names missing bytes (a download would fail);
        a crash in between leaves at worst files no row names."""
        removed = await self.repo.delete_in_project(project_id)
        await asyncio.to_thread(self._blobs.delete_all, [checkpoint_key(i) for i in removed])
        return len(removed)
