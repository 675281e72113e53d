"""Dataset tasks (train, request) and their results."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hanami_client.errors import ServerError
from hanami_client.models import Check, Result, Task, build
from hanami_client.progress import progress_bar
from hanami_client.transport import Api

PAGE = 10000


class AsyncTasks:
    """Train and request tasks: start, watch, cancel."""

    def __init__(self, api: Api, poll_interval: float) -> None:
        self._api = api
        self.poll_interval = poll_interval

    async def _start(
        self, cluster_id: str, body: dict[str, Any], wait: bool, progress: bool
    ) -> Task:
        data = await self._api.call("POST", f"/v1/clusters/{cluster_id}/tasks", json=body)
        started = build(Task, data)
        return await self._wait(started, progress) if wait else started

    async def train(
        self,
        cluster_id: str,
        dataset_id: str,
        epochs: int = 1,
        wait: bool = True,
        progress: bool = True,
    ) -> Task:
        """Let the cluster learn the dataset; with `wait`, returns once the task has finished."""
        body = {"type": "train", "dataset_id": dataset_id, "epochs": epochs}
        return await self._start(cluster_id, body, wait, progress)

    async def request(
        self, cluster_id: str, dataset_id: str, wait: bool = True, progress: bool = True
    ) -> Task:
        """Run the dataset's inputs through the cluster; the outputs go to `results`."""
        body = {"type": "request", "dataset_id": dataset_id}
        return await self._start(cluster_id, body, wait, progress)

    async def get(self, task_id: str) -> Task:
        """One task with its progress."""
        return build(Task, await self._api.call("GET", f"/v1/tasks/{task_id}"))

    async def list(self, cluster_id: str) -> list[Task]:
        """A cluster's tasks."""
        data = await self._api.call("GET", f"/v1/clusters/{cluster_id}/tasks")
        return [build(Task, t) for t in data["items"]]

    async def cancel(self, task_id: str) -> Task:
        """Cancel a queued or running task (ConflictError once it has ended)."""
        return build(Task, await self._api.call("DELETE", f"/v1/tasks/{task_id}"))

    async def wait(self, task_id: str, *, progress: bool = True) -> Task:
        """Long-poll until the task ends; ServerError when it failed or was cancelled."""
        return await self._wait(await self.get(task_id), progress)

    async def _wait(self, current: Task, progress: bool) -> Task:
        """`wait`, from a state already read (a start's reply needs no second GET)."""
        bar = progress_bar(progress, current.samples_total or None, f"{current.type} task")
        window_ms = int(1000 * max(0.0, min(self.poll_interval, self._api.timeout - 1)))
        params = {"wait_ms": window_ms} if window_ms else None
        shown = 0
        try:
            while not current.done:
                data = await self._api.call("GET", f"/v1/tasks/{current.id}", params=params)
                current = build(Task, data)
                bar.update(current.samples_done - shown)
                shown = current.samples_done
        finally:
            bar.close()
        if current.state != "finished":
            reason = current.reason or "no reason given"
            message = f"task {current.id} {current.state}: {reason}"
            raise ServerError(f"task_{current.state}", message)
        return current


class AsyncResults:
    """What request tasks produced."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def get(self, task_id: str) -> Result:
        """Every row of a finished request task's result (all pages)."""
        classes: list[int] = []
        values: list[tuple[float, ...]] = []
        offset: int | None = 0
        data: dict[str, Any] = {}
        while offset is not None:
            params = {"offset": offset, "limit": PAGE}
            data = await self._api.call("GET", f"/v1/results/{task_id}", params=params)
            classes.extend(int(c) for c in data.get("classes") or ())
            values.extend(tuple(float(v) for v in row) for row in data.get("values") or ())
            offset = data.get("next_offset")
        one_hot = data.get("classes") is not None
        return Result(
            id=task_id,
            rows=int(data.get("rows", 0)),
            outputs=dict(data.get("outputs") or {}),
            classes=tuple(classes) if one_hot else None,
            values=None if one_hot else tuple(values),
        )

    async def outputs(self, task_id: str) -> NDArray[np.float32]:
        """Every sample's outputs, one row per sample (from the .npy download)."""
        reply = await self._api.send("GET", f"/v1/results/{task_id}/outputs")
        array = np.load(io.BytesIO(reply.content), allow_pickle=False)
        return np.asarray(array, dtype=np.float32)

    async def check(self, task_id: str, dataset_id: str) -> Check:
        """Compare the outputs with the dataset's: `accuracy` (0..1) or `mse`."""
        body = {"dataset_id": dataset_id}
        data = await self._api.call("POST", f"/v1/results/{task_id}/check", json=body)
        return build(Check, data, id=task_id)
