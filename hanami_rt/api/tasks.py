"""/v1/clusters/{id}/tasks and /v1/tasks/{id}: train or request a dataset asynchronously.

States: queued -> running -> finished | failed | cancelled; `reason` says why a task failed.
Progress: samples_done of samples_total, samples_per_s and eta_seconds while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hanami_rt.api.clusters import live_cluster_for, visible_cluster
from hanami_rt.api.datasets import visible_dataset
from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import rule
from hanami_rt.api.scope import visible
from hanami_rt.service.tasks import Progress
from hanami_rt.storage.tasks import TaskRecord


@dataclass(frozen=True)
class CreateTask:
    """A task: learn the dataset (`train`, `epochs` passes) or answer it (`request`)."""

    type: str = field(metadata=rule("train or request", pattern=r"^(train|request)$"))
    dataset_id: str = field(metadata=rule("the dataset to learn or answer"))
    epochs: int = field(
        default=1, metadata=rule("passes over the dataset (train)", minimum=1, maximum=1000)
    )


@dataclass(frozen=True)
class TaskQuery:
    """Long polling: wait up to `wait_ms` for the task to end before answering."""

    wait_ms: int = field(
        default=0, metadata=rule("ms to wait for the end", minimum=0, maximum=60000)
    )


@dataclass(frozen=True)
class TaskOut:
    """A task and its progress."""

    id: str
    cluster_id: str
    dataset_id: str
    type: str
    epochs: int
    state: str = field(metadata=rule("queued, running, finished, failed or cancelled"))
    samples_done: int
    samples_total: int
    samples_per_s: float | None
    eta_seconds: float | None
    reason: str | None = field(metadata=rule("why it failed"))
    created: str
    started: str | None
    ended: str | None


@dataclass(frozen=True)
class TaskList:
    """A cluster's tasks, oldest first."""

    items: list[TaskOut]


def task_out(progress: Progress) -> TaskOut:
    """The reply shape of a task."""
    r = progress.record
    rate = None if progress.samples_per_s is None else round(progress.samples_per_s, 1)
    eta = None if progress.eta_seconds is None else round(progress.eta_seconds, 3)
    return TaskOut(
        r.id,
        r.cluster_id,
        r.dataset_id,
        r.type,
        r.epochs,
        progress.state,
        progress.samples_done,
        r.samples_total,
        rate,
        eta,
        r.reason,
        r.created,
        progress.started,
        r.ended,
    )


async def visible_task(call: Call, task_id: str) -> TaskRecord:
    """The task if the caller may see it; NotFound otherwise."""
    record = await call.runtime.batch.tasks.repo.get(task_id)
    missing = f"no task with id {task_id!r}; list a cluster's with GET /v1/clusters/{{id}}/tasks"
    return visible(call.caller, record, missing)


async def create_task(call: Call) -> TaskOut:
    """Queue a task; 400 when the dataset's columns do not fit the cluster's bricks."""
    body = call.body_as(CreateTask)
    await call.runtime.until_ready()
    record = await visible_cluster(call, call.path("cluster_id"))
    live = live_cluster_for(call.runtime, call.caller, record.id)
    dataset = await visible_dataset(call, body.dataset_id)
    tasks = call.runtime.batch.tasks
    task = await tasks.submit(
        live, dataset, body.type, body.epochs, record.project_id, call.caller.user_id
    )
    return task_out(tasks.progress(task))


async def list_tasks(call: Call) -> TaskList:
    """The cluster's tasks (those the caller may see)."""
    record = await visible_cluster(call, call.path("cluster_id"))
    tasks = call.runtime.batch.tasks
    caller = call.caller
    return TaskList(
        [
            task_out(tasks.progress(t))
            for t in await tasks.repo.list_for_cluster(record.id)
            if caller.sees_owned(t.project_id, t.owner_id)
        ]
    )


async def get_task(call: Call) -> TaskOut:
    """A task with live progress; with `wait_ms`, once it ended or that time passed."""
    record = await visible_task(call, call.path("task_id"))
    wait_ms = call.query_as(TaskQuery).wait_ms
    if wait_ms:
        await call.runtime.batch.tasks.wait(record.id, wait_ms / 1000)
        record = await visible_task(call, record.id)
    return task_out(call.runtime.batch.tasks.progress(record))


async def cancel_task(call: Call) -> TaskOut:
    """Cancel a queued or running task; answers once it stopped (409 when already ended)."""
    tasks = call.runtime.batch.tasks
    record = await visible_task(call, call.path("task_id"))
    await tasks.cancel(record.id)
    return task_out(tasks.progress(await visible_task(call, record.id)))


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/clusters/{cluster_id}/tasks",
        create_task,
        "Start a train or request task",
        "tasks",
        body=CreateTask,
        response=TaskOut,
        status=201,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        "/v1/clusters/{cluster_id}/tasks",
        list_tasks,
        "List a cluster's tasks",
        "tasks",
        response=TaskList,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        "/v1/tasks/{task_id}",
        get_task,
        "Get a task's progress",
        "tasks",
        query=TaskQuery,
        response=TaskOut,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        "/v1/tasks/{task_id}",
        cancel_task,
        "Cancel a task",
        "tasks",
        response=TaskOut,
        errors=(404, 409),
    ),
]
