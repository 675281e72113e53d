"""/v1/results/{task_id}: what a finished request task answered, and how good it was.

Outputs are float32 rows (all output bricks side by side, in brick order); with one output
brick of several neurons (one-hot classes) the predicted class of a row is its largest output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from starlette.responses import FileResponse

from hanami_rt.api.datasets import visible_dataset
from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import rule
from hanami_rt.api.tasks import visible_task
from hanami_rt.errors import Conflict, ValidationError
from hanami_rt.service.tasks import REQUEST
from hanami_rt.storage.tasks import TaskRecord


@dataclass(frozen=True)
class ResultPage:
    """Rows [offset, offset + len) of a result: `classes` for one-hot outputs, else `values`."""

    task_id: str
    rows: int
    outputs: dict[str, int]
    offset: int
    classes: list[int] | None
    values: list[list[float]] | None
    next_offset: int | None


@dataclass(frozen=True)
class ResultQuery:
    """Which rows to return."""

    offset: int = field(default=0, metadata=rule("first row", minimum=0))
    limit: int = field(default=1000, metadata=rule("rows per page", minimum=1, maximum=100000))


@dataclass(frozen=True)
class CheckResult:
    """A dataset with the expected outputs."""

    dataset_id: str = field(metadata=rule("the dataset whose expected outputs to compare with"))


@dataclass(frozen=True)
class CheckOut:
    """How the result compares: `accuracy` for classes, `mse` (mean squared error) for values."""

    task_id: str
    dataset_id: str
    rows: int
    metric: str = field(metadata=rule("accuracy or mse"))
    value: float
    correct: int | None


def _is_classes(record: TaskRecord) -> bool:
    outputs = record.layout["outputs"]
    return len(outputs) == 1 and next(iter(outputs.values())) > 1


async def _answered(call: Call) -> TaskRecord:
    """The path's task when it is a finished request task (one with results); else
    NotFound or Conflict."""
    record = await visible_task(call, call.path("task_id"))
    if record.type != REQUEST:
        raise Conflict(f"task {record.id} is a train task; only request tasks have results")
    if record.state != "finished":
        raise Conflict(f"task {record.id} is {record.state}; results exist once it finished")
    return record


async def _result(call: Call) -> tuple[TaskRecord, np.ndarray]:
    record = await _answered(call)
    path = call.runtime.batch.tasks.result_path(record.id)
    return record, np.load(path, mmap_mode="r")


async def get_result(call: Call) -> ResultPage:
    """A page of predicted classes (or output values)."""
    query = call.query_as(ResultQuery)
    record, outputs = await _result(call)
    stop = min(outputs.shape[0], query.offset + query.limit)
    block = np.asarray(outputs[query.offset : stop])
    classes = values = None
    if _is_classes(record):
        classes = [int(c) for c in block.argmax(axis=1)] if block.size else []
    else:
        values = block.tolist()
    following = stop if stop < outputs.shape[0] else None
    return ResultPage(
        record.id,
        int(outputs.shape[0]),
        record.layout["outputs"],
        query.offset,
        classes,
        values,
        following,
    )


async def download_outputs(call: Call) -> FileResponse:
    """Every output row as a float32 .npy file."""
    record = await _answered(call)
    path = call.runtime.batch.tasks.result_path(record.id)
    return FileResponse(path, media_type="application/octet-stream", filename=f"{record.id}.npy")


async def check_result(call: Call) -> CheckOut:
    """Compare with a dataset's expected outputs: accuracy for classes, else mse."""
    body = call.body_as(CheckResult)
    record, outputs = await _result(call)
    dataset = await visible_dataset(call, body.dataset_id)
    layout = record.layout
    samples = call.runtime.batch.datasets.samples(
        dataset, layout["inputs"], layout["outputs"], need_outputs=True
    )
    if samples.rows != outputs.shape[0]:
        raise ValidationError(
            f"the result has {outputs.shape[0]} rows but dataset {dataset.id} gives "
            f"{samples.rows} samples; check against the dataset the task answered"
        )
    expected_parts = samples.expected(0, samples.rows)
    expected = np.concatenate([expected_parts[n] for n in layout["outputs"]], axis=1)
    got = np.asarray(outputs)
    if _is_classes(record):
        correct = int((got.argmax(axis=1) == expected.argmax(axis=1)).sum())
        value = correct / max(1, got.shape[0])
        return CheckOut(record.id, dataset.id, int(got.shape[0]), "accuracy", value, correct)
    mse = float(np.mean((got.astype(np.float64) - expected) ** 2))
    return CheckOut(record.id, dataset.id, int(got.shape[0]), "mse", mse, None)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/v1/results/{task_id}",
        get_result,
        "A page of a request task's results",
        "results",
        query=ResultQuery,
        response=ResultPage,
        errors=(404, 409),
    ),
    Endpoint(
        "GET",
        "/v1/results/{task_id}/outputs",
        download_outputs,
        "Download a request task's outputs (.npy, float32)",
        "results",
        errors=(404, 409),
        content_type="application/octet-stream",
    ),
    Endpoint(
        "POST",
        "/v1/results/{task_id}/check",
        check_result,
        "Compare a result with a dataset (accuracy or mse)",
        "results",
        body=CheckResult,
        response=CheckOut,
        errors=(404, 409),
    ),
]
