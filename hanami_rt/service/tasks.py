"""Dataset tasks: train (learn_many) and request (infer_many) a dataset on a cluster.

A cluster's tasks run one after another, different clusters' in parallel. A running task
works in chunks, each under the cluster's lock (exclusive to train, shared to request) on a
worker thread, and lets go between chunks so websocket requests queued on the same FIFO lock
get in. The chunk size follows the measured cost per sample so a chunk takes about
`task_chunk_ms`: short enough for cancel (checked between chunks) to act within ~100 ms and
for realtime requests to wait little, long enough that the hand-offs cost ~1 %. A task queued
or running when the server stops is failed with the reason on the next start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from hanami_rt.core import CoreError, Network
from hanami_rt.datasets.npy import NpyWriter
from hanami_rt.datasets.samples import Samples
from hanami_rt.errors import Conflict, HanamiError, NotFound
from hanami_rt.service.datasets import DatasetService
from hanami_rt.service.registry import LiveCluster, Registry
from hanami_rt.storage import BlobStore, utc_now
from hanami_rt.storage.datasets import DatasetRecord
from hanami_rt.storage.tasks import TaskRecord, TaskRepository

log = logging.getLogger(__name__)
TRAIN, REQUEST = "train", "request"
_FIRST_CHUNK = 8
_MAX_CHUNK = 1 << 16
_SAVE_EVERY_S = 1.0
RESTARTED = "the server stopped before this task ended; create it again"


def _seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def result_key(task_id: str) -> str:
    """Where a request task's outputs (.npy) live in the blob store."""
    return f"results/{task_id}.npy"


class TaskMeter(Protocol):
    """Where task metrics go (telemetry's Instruments)."""

    def task_state_changed(self, previous: str | None, current: str | None) -> None: ...

    def task_samples_processed(self, task_type: str, samples: int) -> None: ...


@dataclass(eq=False)
class Job:
    """A queued or running task, in memory: live progress and the cancel flag."""

    record: TaskRecord
    state: str = "queued"
    samples_done: int = 0
    started: str | None = None
    started_at: float = 0.0
    cancel: bool = False
    ended: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Progress:
    """A task's state and progress, live while it runs."""

    record: TaskRecord
    state: str
    samples_done: int
    started: str | None
    samples_per_s: float | None
    eta_seconds: float | None


class TaskService:
    """Queues, runs, cancels and reports tasks; one runner coroutine per busy cluster."""

    def __init__(
        self,
        registry: Registry,
        repo: TaskRepository,
        datasets: DatasetService,
        blobs: BlobStore,
        chunk_s: float,
        meter: TaskMeter | None = None,
    ) -> None:
        self._registry = registry
        self._meter = meter
        self.repo = repo
        self._datasets = datasets
        self._blobs = blobs
        self._chunk_s = chunk_s
        self._jobs: dict[str, Job] = {}
        self._queues: dict[str, deque[Job]] = {}
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    async def recover(self) -> int:
        """Fail the tasks a previous process left queued or running; returns how many."""
        return await self.repo.fail_active(RESTARTED, utc_now())

    def result_path(self, task_id: str) -> Path:
        """The local .npy file of a request task's outputs (memory-map it to read)."""
        return self._blobs.local_path(result_key(task_id))

    def uses_dataset(self, dataset_id: str) -> bool:
        """True while a queued or running task reads the dataset."""
        return any(job.record.dataset_id == dataset_id for job in self._jobs.values())

    def active_in_project(self, project_id: str) -> int:
        """How many of the project's tasks are queued or running."""
        return sum(job.record.project_id == project_id for job in self._jobs.values())

    async def delete_in_project(self, project_id: str) -> int:
        """Remove the project's tasks: the rows, then the request tasks' result files;
        returns how many. For ended tasks only: the caller refuses while
        `active_in_project` is not 0. Rows go first so no finished task ever names a
        missing result (reading it would fail); a crash in between leaves at worst files
        no row names."""
        removed = await self.repo.delete_in_project(project_id)
        await asyncio.to_thread(self._blobs.delete_all, [result_key(i) for i in removed])
        return len(removed)

    async def submit(
        self,
        live: LiveCluster,
        dataset: DatasetRecord,
        kind: str,
        epochs: int,
        project_id: str,
        owner_id: str,
    ) -> TaskRecord:
        """Queue a task; ValidationError when the dataset's columns do not fit the bricks."""
        inputs, outputs = dict(live.network.input_bricks), dict(live.network.output_bricks)
        epochs = epochs if kind == TRAIN else 1  # a request answers each sample once
        samples = self._datasets.samples(dataset, inputs, outputs, kind == TRAIN)
        record = TaskRecord(
            id=str(uuid.uuid4()),
            project_id=project_id,
            owner_id=owner_id,
            cluster_id=live.id,
            dataset_id=dataset.id,
            type=kind,
            epochs=epochs,
            state="queued",
            samples_done=0,
            samples_total=samples.rows * epochs,
            layout={"inputs": inputs, "outputs": outputs},
            reason=None,
            created=utc_now(),
            started=None,
            ended=None,
        )
        await self.repo.create(record)
        job = Job(record)
        self._jobs[record.id] = job
        self._moved(None, "queued")
        self._queues.setdefault(live.id, deque()).append(job)
        if live.id not in self._runners:
            runner = asyncio.get_running_loop().create_task(self._run_cluster(live.id))
            self._runners[live.id] = runner
        return record

    def progress(self, record: TaskRecord) -> Progress:
        """The record merged with the live progress when the task is still active."""
        job = self._jobs.get(record.id)
        if job is None:
            rate = None
            if record.started and record.ended and record.samples_done:
                took = _seconds(record.ended) - _seconds(record.started)
                rate = record.samples_done / max(took, 1e-9)
            return Progress(record, record.state, record.samples_done, record.started, rate, None)
        rate = eta = None
        if job.state == "running" and job.samples_done:
            rate = job.samples_done / max(time.monotonic() - job.started_at, 1e-9)
            eta = (record.samples_total - job.samples_done) / rate
        return Progress(record, job.state, job.samples_done, job.started, rate, eta)

    async def cancel(self, task_id: str) -> None:
        """Cancel a queued task at once, a running one after its current chunk (~10 ms)."""
        job = self._jobs.get(task_id)
        if job is None:
            raise Conflict(f"task {task_id} has already ended; only queued or running tasks cancel")
        job.cancel = True
        if job.state == "queued":
            queue = self._queues.get(job.record.cluster_id)
            if queue is not None and job in queue:
                queue.remove(job)
                await self._end(job, "cancelled", None)
                return
        await job.ended.wait()

    async def stop(self) -> None:
        """Server shutdown: running tasks stop after their chunk (never mid-chunk, so the last
        save sees a network between samples); they and the queued ones are failed."""
        self._stopping = True
        for job in self._jobs.values():
            job.cancel = True
        await asyncio.gather(*self._runners.values(), return_exceptions=True)
        for job in list(self._jobs.values()):
            await self._end(job, "failed", f"{RESTARTED} (it was {job.state})")

    async def _run_cluster(self, cluster_id: str) -> None:
        queue = self._queues[cluster_id]
        try:
            while queue and not self._stopping:
                await self._run(queue.popleft())
        finally:
            self._queues.pop(cluster_id, None)
            self._runners.pop(cluster_id, None)

    def _moved(self, previous: str | None, current: str) -> None:
        if self._meter is not None:
            self._meter.task_state_changed(previous, current)

    async def wait(self, task_id: str, timeout_s: float) -> None:
        """Return when the task has ended or after `timeout_s` (long polling)."""
        job = self._jobs.get(task_id)
        if job is not None and timeout_s > 0:
            try:
                await asyncio.wait_for(job.ended.wait(), timeout_s)
            except TimeoutError:
                pass

    async def _end(self, job: Job, state: str, reason: str | None) -> None:
        self._moved(job.state, state)
        job.state = state
        self._jobs.pop(job.record.id, None)
        await self.repo.update(
            job.record.id,
            state=state,
            samples_done=job.samples_done,
            reason=reason,
            ended=utc_now(),
        )
        job.ended.set()

    async def _run(self, job: Job) -> None:
        record = job.record
        self._moved(job.state, "running")
        job.state, job.started, job.started_at = "running", utc_now(), time.monotonic()
        await self.repo.update(record.id, state="running", started=job.started)
        state, reason = "finished", None
        try:
            dataset = await self._datasets.repo.get(record.dataset_id)
            if dataset is None:
                raise NotFound(f"dataset {record.dataset_id} was deleted")
            layout = record.layout
            samples = self._datasets.samples(
                dataset, layout["inputs"], layout["outputs"], record.type == TRAIN
            )
            if record.type == TRAIN:
                await self._train(job, samples)
            else:
                await self._request(job, samples)
            if job.cancel and self._stopping:
                state, reason = "failed", f"{RESTARTED} (it was running)"
            elif job.cancel:
                state = "cancelled"
        except NotFound as exc:
            state, reason = "failed", f"{exc.message.split(';')[0]} while the task ran"
        except (HanamiError, CoreError) as exc:
            state, reason = "failed", str(exc)
        except Exception as exc:
            log.exception("task %s failed", record.id)
            state, reason = "failed", f"unexpected error ({type(exc).__name__}: {exc})"
        await self._end(job, state, reason)

    async def _chunks(
        self,
        job: Job,
        rows: int,
        run: Callable[[int, int], Awaitable[float]],
    ) -> None:
        """Walk [0, rows) once in chunks sized to ~chunk_s; stop early on cancel."""
        size, start, saved = _FIRST_CHUNK, 0, time.monotonic()
        per_sample: float | None = None
        while start < rows and not job.cancel:
            stop = min(rows, start + size)
            took = await run(start, stop)
            job.samples_done += stop - start
            if self._meter is not None:
                self._meter.task_samples_processed(job.record.type, stop - start)
            cost = took / (stop - start)
            per_sample = cost if per_sample is None else 0.7 * per_sample + 0.3 * cost
            size = int(min(_MAX_CHUNK, max(1, self._chunk_s / max(per_sample, 1e-9))))
            start = stop
            if time.monotonic() - saved > _SAVE_EVERY_S:
                saved = time.monotonic()
                await self.repo.update(job.record.id, samples_done=job.samples_done)

    async def _train(self, job: Job, samples: Samples) -> None:
        cluster_id = job.record.cluster_id

        async def run(start: int, stop: int) -> float:
            def work(net: Network) -> float:
                began = time.perf_counter()
                net.learn_many(samples.inputs(start, stop), samples.expected(start, stop))
                return time.perf_counter() - began

            return await self._registry.exclusive(
                cluster_id, work, op="learn", samples=stop - start
            )

        for _ in range(job.record.epochs):
            await self._chunks(job, samples.rows, run)

    async def _request(self, job: Job, samples: Samples) -> None:
        cluster_id = job.record.cluster_id
        names = list(job.record.layout["outputs"])
        width = sum(job.record.layout["outputs"].values())
        key = result_key(job.record.id)
        with self._blobs.writer(key) as handle:
            writer = NpyWriter(handle, width)

            async def run(start: int, stop: int) -> float:
                def work(net: Network) -> float:
                    began = time.perf_counter()
                    out = net.infer_many(samples.inputs(start, stop))
                    writer.append(np.concatenate([out[name] for name in names], axis=1))
                    return time.perf_counter() - began

                return await self._registry.shared(
                    cluster_id, work, op="infer", samples=stop - start
                )

            for _ in range(job.record.epochs):
                await self._chunks(job, samples.rows, run)
                if job.cancel:
                    break
            await asyncio.to_thread(writer.finish)
        if job.cancel:
            await asyncio.to_thread(self._blobs.delete, key)
