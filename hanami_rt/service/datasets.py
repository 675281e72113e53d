"""Datasets: turn finished uploads into validated float32 .npy columns, open them as samples.

Conversion runs in a thread (it parses and writes the whole file) and writes every column
atomically; only when all are on disk is the row inserted, so a failed import leaves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import BinaryIO

import numpy as np

from hanami_rt.datasets.csv_import import import_csv
from hanami_rt.datasets.idx_import import import_idx
from hanami_rt.datasets.samples import CSV, IDX, Samples, plan_for
from hanami_rt.errors import ValidationError
from hanami_rt.service.uploads import UploadService, upload_key
from hanami_rt.storage import BlobStore, utc_now
from hanami_rt.storage.datasets import DatasetRecord, DatasetRepository

PARTS = {IDX: ("images", "labels"), CSV: ("data",)}


def column_key(dataset_id: str, index: int) -> str:
    """Where column group `index` of a dataset lives in the blob store."""
    return f"datasets/{dataset_id}/{index}.npy"


class DatasetService:
    """Create datasets from uploads, delete them, and read them through a cluster's bricks."""

    def __init__(self, repo: DatasetRepository, uploads: UploadService, blobs: BlobStore) -> None:
        self.repo = repo
        self._uploads = uploads
        self._blobs = blobs

    async def create(
        self, project_id: str, owner_id: str, name: str, kind: str, parts: dict[str, str]
    ) -> DatasetRecord:
        """Validate and convert the uploads named in `parts`, then remove them."""
        wanted = PARTS[kind]
        if set(parts) != set(wanted):
            raise ValidationError(
                f"a {kind} dataset takes the uploads {', '.join(wanted)} (got "
                f"{', '.join(sorted(parts)) or 'none'})"
            )
        for upload_id in parts.values():
            await self._uploads.complete(upload_id, project_id, owner_id)
        paths = {part: self._blobs.local_path(upload_key(u)) for part, u in parts.items()}
        dataset_id = str(uuid.uuid4())

        def convert() -> tuple[int, list[tuple[str, int]]]:
            with contextlib.ExitStack() as stack:

                def output(index: int) -> BinaryIO:
                    return stack.enter_context(self._blobs.writer(column_key(dataset_id, index)))

                if kind == IDX:
                    rows, pixels, classes = import_idx(
                        paths["images"], paths["labels"], output(0), output(1)
                    )
                    return rows, [("images", pixels), ("labels", classes)]
                return import_csv(paths["data"], output)

        try:
            rows, columns = await asyncio.to_thread(convert)
            size = sum(
                self._blobs.size(column_key(dataset_id, i)) or 0 for i in range(len(columns))
            )
            record = DatasetRecord(
                dataset_id,
                project_id,
                owner_id,
                name,
                kind,
                rows,
                tuple(columns),
                size,
                utc_now(),
            )
            await self.repo.create(record)
        except BaseException:
            await asyncio.to_thread(self._delete_files, dataset_id, 2 if kind == IDX else 4096)
            raise
        for upload_id in parts.values():
            await self._uploads.delete(upload_id)
        return record

    def _delete_files(self, dataset_id: str, groups: int) -> None:
        for index in range(groups):
            if self._blobs.size(column_key(dataset_id, index)) is None:
                break
            self._blobs.delete(column_key(dataset_id, index))

    async def delete(self, record: DatasetRecord) -> None:
        """Remove the row, then the files (open memory maps keep working until closed)."""
        await self.repo.delete(record.id)
        await asyncio.to_thread(self._delete_files, record.id, len(record.columns))

    def samples(
        self,
        record: DatasetRecord,
        inputs: dict[str, int],
        outputs: dict[str, int],
        need_outputs: bool,
    ) -> Samples:
        """The dataset as samples for these bricks (memory-mapped); ValidationError when the
        columns do not fit them."""
        plan = plan_for(record.type, record.columns, record.rows, inputs, outputs, need_outputs)
        arrays = [
            np.load(self._blobs.local_path(column_key(record.id, i)), mmap_mode="r")
            for i in range(len(record.columns))
        ]
        return Samples(plan, arrays)
