"""Repository of the `datasets` table (the description; the arrays are .npy blobs)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hanami_rt.storage.database import Database, Row, clash_is_conflict
from hanami_rt.storage.scoped import ProjectScopedTable


@dataclass(frozen=True)
class DatasetRecord:
    """A stored dataset: `columns` are (name, width) groups, one .npy file each, in order."""

    id: str
    project_id: str
    owner_id: str
    name: str
    type: str
    rows: int
    columns: tuple[tuple[str, int], ...]
    bytes: int
    created: str


def _dataset(row: Row) -> DatasetRecord:
    columns = tuple((str(name), int(width)) for name, width in json.loads(row["columns"]))
    return DatasetRecord(**{**row, "columns": columns})


class DatasetRepository(ProjectScopedTable[DatasetRecord]):
    """Create, find, list, count and delete dataset descriptions."""

    table = "datasets"

    def __init__(self, db: Database) -> None:
        super().__init__(db, _dataset)

    async def create(self, record: DatasetRecord) -> None:
        """Insert a dataset; Conflict when its name is taken in the project or the project
        is gone."""
        with clash_is_conflict(
            f"project {record.project_id!r} already has a dataset named {record.name!r}; "
            "pick another name or delete that dataset"
        ):
            await self._insert({**record.__dict__, "columns": json.dumps(record.columns)})
