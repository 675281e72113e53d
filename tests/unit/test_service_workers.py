"""Workers: results and errors reach the awaiting coroutine, cancelled jobs are skipped,
running jobs finish, and shutdown cancels what never started."""

from __future__ import annotations

import asyncio
import threading

import pytest

from hanami_rt.service.lock import ClusterLock
from hanami_rt.service.workers import Workers


class Held:
    """A job that says when it runs and returns its name only once released."""

    def __init__(self, name: str, ran: list[str]) -> None:
        self.name, self.ran = name, ran
        self.inside, self.release = threading.Event(), threading.Event()

    def __call__(self) -> str:
        self.inside.set()
        self.release.wait(10)
        self.ran.append(self.name)
        return self.name

    async def running(self) -> None:
        """Wait (on the loop) until a worker is inside the job."""
        while not self.inside.is_set():
            await asyncio.sleep(0.001)


def test_results_errors_and_arguments_reach_their_caller() -> None:
    workers = Workers(2)

    def fail() -> None:
        raise ValueError("bad sample")

    def stop() -> None:
        raise StopIteration

    async def scenario() -> None:
        assert await workers.run(pow, 2, 10) == 1024
        assert await workers.run(int, "ff", base=16) == 255
        with pytest.raises(ValueError, match="bad sample"):
            await workers.run(fail)
        with pytest.raises(RuntimeError, match="StopIteration"):
            await workers.run(stop)  # an asyncio future cannot carry StopIteration itself
        # many at once: every result goes back to its own caller, batched or not
        results = await asyncio.gather(*(workers.run(lambda i=i: i * i) for i in range(500)))
        assert results == [i * i for i in range(500)]

    asyncio.run(scenario())
    asyncio.run(scenario())  # a second event loop gets its own results too
    workers.shutdown()


def test_a_job_cancelled_before_it_started_never_runs() -> None:
    workers = Workers(1)
    release = threading.Event()
    ran: list[str] = []

    async def scenario() -> None:
        first = asyncio.ensure_future(workers.run(release.wait, 10))
        second = asyncio.ensure_future(workers.run(ran.append, "second"))
        await asyncio.sleep(0.05)  # the only thread is inside the first job
        second.cancel()
        release.set()
        assert await first is True
        with pytest.raises(asyncio.CancelledError):
            await second
        assert await workers.run(ran.append, "third") is None

    asyncio.run(scenario())
    workers.shutdown()
    assert ran == ["third"]


def test_a_running_job_finishes_although_its_caller_gave_up() -> None:
    """The cancelled caller waits for the job, then sees the cancellation: whatever it holds
    (a cluster lock) is held until the thread has returned."""
    workers = Workers(1)
    done: list[str] = []
    job = Held("job", done)

    async def scenario() -> None:
        lock = ClusterLock()

        async def caller() -> str:
            async with lock.exclusive():
                return await workers.run(job)

        task = asyncio.ensure_future(caller())
        await job.running()
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done() and lock.writer  # still waiting for the thread, lock held
        job.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert done == ["job"] and not lock.writer
        assert await workers.run(pow, 2, 3) == 8  # and plainly, the result

    asyncio.run(scenario())
    workers.shutdown()
    assert done == ["job"]


def test_shutdown_waits_for_running_work_and_cancels_the_rest() -> None:
    workers = Workers(1)
    ran: list[str] = []
    slow = Held("slow", ran)

    async def scenario() -> None:
        running = asyncio.ensure_future(workers.run(slow))
        queued = asyncio.ensure_future(workers.run(ran.append, "queued"))
        await slow.running()
        threading.Timer(0.05, slow.release.set).start()
        workers.shutdown()  # blocks this loop until `slow` returned
        assert ran == ["slow"]
        assert await running == "slow"
        with pytest.raises(asyncio.CancelledError):
            await queued
        with pytest.raises(RuntimeError, match="shut down"):
            await workers.run(ran.append, "late")

    asyncio.run(scenario())
    assert ran == ["slow"]
