"""ClusterLock: infers share, learns are exclusive, and waiters are served in arrival order."""

from __future__ import annotations

import asyncio

from hanami_rt.service.lock import ClusterLock


async def _scenario() -> list[str]:
    lock = ClusterLock()
    events: list[str] = []
    gates = {name: asyncio.Event() for name in ("r1", "r2", "w", "r3")}

    async def hold(name: str, exclusive: bool) -> None:
        await lock.acquire(exclusive)
        events.append(f"+{name}")
        await gates[name].wait()
        events.append(f"-{name}")
        lock.release(exclusive)

    tasks = [asyncio.create_task(hold("r1", False)), asyncio.create_task(hold("r2", False))]
    await asyncio.sleep(0)
    assert lock.readers == 2
    tasks.append(asyncio.create_task(hold("w", True)))
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(hold("r3", False)))  # arrives after the writer: waits
    await asyncio.sleep(0)
    assert lock.readers == 2 and not lock.writer
    gates["r1"].set()
    gates["r2"].set()
    await asyncio.sleep(0.01)
    assert lock.writer and lock.readers == 0
    gates["w"].set()
    await asyncio.sleep(0.01)
    gates["r3"].set()
    await asyncio.gather(*tasks)
    return events


def test_fifo_shared_exclusive() -> None:
    events = asyncio.run(_scenario())
    assert events.index("+w") > events.index("-r1")
    assert events.index("+w") > events.index("-r2")
    assert events.index("+r3") > events.index("-w")


async def _cancelled_waiter() -> bool:
    lock = ClusterLock()
    await lock.acquire(True)
    waiter = asyncio.create_task(lock.acquire(True))
    follower = asyncio.create_task(lock.acquire(False))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    lock.release(True)
    await asyncio.wait_for(follower, 1)
    return lock.readers == 1 and not lock.writer


def test_a_cancelled_waiter_does_not_block_the_queue() -> None:
    assert asyncio.run(_cancelled_waiter())


def test_try_acquire_takes_only_what_acquire_would_grant_at_once() -> None:
    async def scenario() -> None:
        lock = ClusterLock()
        assert lock.try_acquire(False) and lock.try_acquire(False)  # readers share
        assert not lock.try_acquire(True)  # a writer must wait for the readers
        waiter = asyncio.create_task(lock.acquire(True))
        await asyncio.sleep(0)
        assert not lock.try_acquire(False)  # nobody overtakes a queued writer
        lock.release(False)
        lock.release(False)
        await waiter
        assert lock.writer and not lock.try_acquire(False) and not lock.try_acquire(True)
        lock.release(True)
        assert lock.try_acquire(True)

    asyncio.run(scenario())
