"""/v1/datasets: datasets made from finished uploads (IDX pairs or CSV), list, get, delete.

IDX: `{"name", "type": "idx", "uploads": {"images": id, "labels": id}}`; CSV:
`{"name", "type": "csv", "uploads": {"data": id}}`. Files may be gzip-compressed. The reply
comes once the data is validated and stored as float32 columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import UNIQUE_NAME_RULE, rule
from hanami_rt.api.scope import acting_project, list_filter, visible
from hanami_rt.errors import Conflict
from hanami_rt.storage.datasets import DatasetRecord


@dataclass(frozen=True)
class CreateDataset:
    """A dataset from uploads: IDX takes `images` and `labels`, CSV takes `data`."""

    name: str = field(metadata=UNIQUE_NAME_RULE)
    type: str = field(metadata=rule("idx or csv", pattern=r"^(idx|csv)$"))
    uploads: dict[str, str] = field(
        metadata=rule('upload ids: {"images", "labels"} (idx) or {"data"} (csv)')
    )


@dataclass(frozen=True)
class DatasetOut:
    """A dataset; `columns` are its column groups (name -> width), matched to brick names
    (IDX: images feed the one input brick, one-hot labels the one output brick)."""

    id: str
    name: str
    type: str
    rows: int
    inputs: int = field(
        metadata=rule("values per sample fed to inputs (CSV: all but the last group)")
    )
    outputs: int = field(metadata=rule("values per sample expected (CSV: the last group)"))
    columns: dict[str, int]
    bytes: int
    created: str
    project_id: str
    owner_id: str


@dataclass(frozen=True)
class DatasetList:
    """The datasets visible to the caller."""

    items: list[DatasetOut]


def dataset_out(record: DatasetRecord) -> DatasetOut:
    """The reply shape of a dataset."""
    widths = [w for _, w in record.columns]
    outputs = widths[-1] if len(widths) > 1 else 0
    return DatasetOut(
        record.id,
        record.name,
        record.type,
        record.rows,
        sum(widths) - outputs,
        outputs,
        dict(record.columns),
        record.bytes,
        record.created,
        record.project_id,
        record.owner_id,
    )


async def visible_dataset(call: Call, dataset_id: str) -> DatasetRecord:
    """The dataset if the caller may see it; NotFound otherwise (no existence leak)."""
    record = await call.runtime.batch.datasets.repo.get(dataset_id)
    missing = f"no dataset with id {dataset_id!r}; list yours with GET /v1/datasets"
    return visible(call.caller, record, missing)


async def create_dataset(call: Call) -> DatasetOut:
    """Validate and store the uploads as a dataset; 400 names the line or the count at fault."""
    body = call.body_as(CreateDataset)
    project_id = acting_project(call)
    batch = call.runtime.batch
    if any(d.name == body.name for d in await batch.datasets.repo.list(project_id=project_id)):
        raise Conflict(f"project {project_id!r} already has a dataset named {body.name!r}")
    record = await batch.datasets.create(
        project_id, call.caller.user_id, body.name, body.type, body.uploads
    )
    return dataset_out(record)


async def list_datasets(call: Call) -> DatasetList:
    """The caller's visible datasets."""
    scope = list_filter(call)
    if scope is None:
        return DatasetList([])
    records = await call.runtime.batch.datasets.repo.list(*scope)
    return DatasetList([dataset_out(r) for r in records])


async def get_dataset(call: Call) -> DatasetOut:
    """One dataset."""
    return dataset_out(await visible_dataset(call, call.path("dataset_id")))


async def delete_dataset(call: Call) -> None:
    """Delete a dataset (409 while a queued or running task reads it)."""
    record = await visible_dataset(call, call.path("dataset_id"))
    if call.runtime.batch.tasks.uses_dataset(record.id):
        raise Conflict(f"dataset {record.id} is used by a queued or running task; cancel it first")
    await call.runtime.batch.datasets.delete(record)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/datasets",
        create_dataset,
        "Create a dataset from uploads",
        "datasets",
        body=CreateDataset,
        response=DatasetOut,
        status=201,
        errors=(404, 409),
    ),
    Endpoint(
        "GET", "/v1/datasets", list_datasets, "List datasets", "datasets", response=DatasetList
    ),
    Endpoint(
        "GET",
        "/v1/datasets/{dataset_id}",
        get_dataset,
        "Get a dataset",
        "datasets",
        response=DatasetOut,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        "/v1/datasets/{dataset_id}",
        delete_dataset,
        "Delete a dataset",
        "datasets",
        status=204,
        errors=(404, 409),
    ),
]
