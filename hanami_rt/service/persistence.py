"""Saving changed clusters: every `persist_interval_s` seconds, and once more on shutdown."""

from __future__ import annotations

import asyncio

from hanami_rt.service.periodic import Periodic
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers
from hanami_rt.storage import BlobStore, ClusterRepository


def blob_key(cluster_id: str) -> str:
    """Where a cluster's network bytes live in the blob store."""
    return f"clusters/{cluster_id}.hnet"


class Persister:
    """Writes the bytes of every dirty cluster to the blob store; runs a periodic loop."""

    def __init__(
        self,
        registry: Registry,
        workers: Workers,
        blobs: BlobStore,
        clusters: ClusterRepository,
        interval_s: float,
    ) -> None:
        self._registry = registry
        self._workers = workers
        self._blobs = blobs
        self._clusters = clusters
        self._periodic = Periodic(interval_s, self.save_dirty, "periodic persistence")

    async def save(self, cluster: LiveCluster) -> None:
        """Snapshot one cluster between samples (shared lock) and write it atomically."""
        async with cluster.lock.shared():
            generation = cluster.generation
            data = await self._workers.run(cluster.network.to_bytes)
        await asyncio.to_thread(self._blobs.put, blob_key(cluster.id), data)
        if self._registry.find(cluster.id) is not cluster:
            # deleted while we were writing: do not leave its bytes behind
            await asyncio.to_thread(self._blobs.delete, blob_key(cluster.id))
            return
        cluster.saved_generation = max(cluster.saved_generation, generation)
        await self._clusters.mark_saved(cluster.id)

    async def save_dirty(self) -> int:
        """Save every cluster changed since its last save; returns how many were saved."""
        saved = 0
        for cluster in self._registry.all():
            if cluster.dirty and self._registry.find(cluster.id) is cluster:
                await self.save(cluster)
                saved += 1
        return saved

    def start(self) -> None:
        """Start the periodic loop on the running event loop."""
        self._periodic.start()

    async def stop(self) -> None:
        """Stop the loop, then save whatever changed since its last round."""
        await self._periodic.stop()
        await self.save_dirty()
