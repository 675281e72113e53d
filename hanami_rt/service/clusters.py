"""Cluster lifecycle: create from a template, delete, and restore everything on startup."""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid

from hanami_rt.core import CheckpointError, CoreError, Network, Template
from hanami_rt.service.persistence import Persister, blob_key
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.service.workers import Workers
from hanami_rt.storage import BlobStore, ClusterRecord, ClusterRepository, ErrorLogRepository

log = logging.getLogger(__name__)


class ClusterService:
    """Keeps the cluster rows, their persisted bytes and the live registry in step."""

    def __init__(
        self,
        registry: Registry,
        workers: Workers,
        repo: ClusterRepository,
        blobs: BlobStore,
        persister: Persister,
        error_log: ErrorLogRepository,
    ) -> None:
        self.registry = registry
        self._workers = workers
        self._repo = repo
        self._blobs = blobs
        self._persister = persister
        self._error_log = error_log

    async def create(
        self,
        project_id: str,
        owner_id: str,
        name: str,
        template: str,
        seed: int,
        network: Network | None = None,
    ) -> ClusterRecord:
        """Build the network (TemplateError on a bad template), or take `network` (from a
        checkpoint; its template and seed are recorded), store it, make it live."""

        def build() -> Network:
            return Network.from_template(Template.parse(template), seed=seed)

        if network is None:
            network = await self._workers.run(build)
        else:
            template, seed = network.template.to_json(), network.seed
        record = await self._repo.create(
            str(uuid.uuid4()), project_id, owner_id, name, template, seed
        )
        live = LiveCluster(record.id, project_id, owner_id, network, generation=1)
        self.registry.add(live)
        try:
            await self._persister.save(live)
        except BaseException:
            await self.registry.remove(record.id)
            await self._repo.delete(record.id)
            raise
        return await self._repo.get(record.id) or record

    async def delete(self, cluster_id: str) -> None:
        """Drain work on the cluster, then remove it everywhere."""
        await self.registry.remove(cluster_id)
        await self._repo.delete(cluster_id)
        await asyncio.to_thread(self._blobs.delete, blob_key(cluster_id))

    async def restore_all(self) -> int:
        """Load every stored cluster into the registry; returns how many were restored.

        A cluster whose bytes are missing is rebuilt from its template and seed (deterministic);
        one whose bytes are corrupt is rebuilt too, and the problem goes to the error log; one
        that cannot be rebuilt either is left out (logged) so the others still serve.
        """
        restored = 0
        for record in await self._repo.list():
            try:
                network = await self._load(record)
            except CoreError as exc:  # cannot even rebuild: skip it, keep serving the rest
                log.error("cluster %s cannot be restored: %s", record.id, exc)
                await self._log_startup_error(record, exc, "not restored")
                continue
            self.registry.add(LiveCluster(record.id, record.project_id, record.owner_id, network))
            restored += 1
        return restored

    async def _log_startup_error(self, record: ClusterRecord, exc: Exception, what: str) -> None:
        await self._error_log.append(
            str(uuid.uuid4()),
            None,
            "STARTUP",
            f"/v1/clusters/{record.id}",
            type(exc).__name__,
            f"cluster {record.id} ({record.name!r}): {what}: {exc}",
            "".join(traceback.format_exception(exc)),
        )

    async def _load(self, record: ClusterRecord) -> Network:
        data = await asyncio.to_thread(self._blobs.get, blob_key(record.id))
        if data is not None:
            try:
                return await self._workers.run(Network.from_bytes, data)
            except CheckpointError as exc:
                log.error("cluster %s: stored network unreadable (%s); rebuilt", record.id, exc)
                await self._log_startup_error(record, exc, "stored network unreadable, rebuilt")
        return await self._workers.run(
            lambda: Network.from_template(Template.parse(record.template), seed=record.seed)
        )
