"""The batch side assembled: uploads, datasets, tasks, results and checkpoints of one server."""

from __future__ import annotations

from dataclasses import dataclass

from hanami_rt.service.checkpoints import CheckpointService
from hanami_rt.service.datasets import DatasetService
from hanami_rt.service.persistence import Persister
from hanami_rt.service.registry import Registry
from hanami_rt.service.tasks import TaskMeter, TaskService
from hanami_rt.service.uploads import UploadService
from hanami_rt.service.workers import Workers
from hanami_rt.settings import Settings
from hanami_rt.storage import BlobStore, Database
from hanami_rt.storage.checkpoints import CheckpointRepository
from hanami_rt.storage.datasets import DatasetRepository
from hanami_rt.storage.tasks import TaskRepository
from hanami_rt.storage.uploads import UploadRepository


@dataclass
class Batch:
    """Everything dataset tasks need; `start` after clusters are restored, `stop` first."""

    uploads: UploadService
    datasets: DatasetService
    tasks: TaskService
    checkpoints: CheckpointService

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        registry: Registry,
        workers: Workers,
        blobs: BlobStore,
        persister: Persister,
        meter: TaskMeter | None = None,
    ) -> Batch:
        """Wire the services to their repositories and the blob store."""
        uploads = UploadService(
            UploadRepository(db), blobs, settings.max_upload_bytes, settings.upload_expiry_s
        )
        datasets = DatasetService(DatasetRepository(db), uploads, blobs)
        tasks = TaskService(
            registry, TaskRepository(db), datasets, blobs, settings.task_chunk_ms / 1000, meter
        )
        checkpoints = CheckpointService(
            registry, CheckpointRepository(db), blobs, workers, persister
        )
        return cls(uploads, datasets, tasks, checkpoints)

    async def delete_project_data(self, project_id: str) -> None:
        """Remove what a project being deleted leaves behind: its ended tasks with their
        results, its checkpoints and its uploads (each: rows, then files)."""
        await self.tasks.delete_in_project(project_id)
        await self.checkpoints.delete_in_project(project_id)
        await self.uploads.delete_in_project(project_id)

    async def start(self) -> None:
        """Fail tasks a previous process left behind; start sweeping expired uploads."""
        await self.tasks.recover()
        await self.uploads.sweep()
        self.uploads.start()

    async def stop(self) -> None:
        """Stop running tasks (recorded as failed) and the sweep."""
        await self.tasks.stop()
        await self.uploads.stop()
