"""Started: a coroutine runs at once up to its first real wait; awaiting it finishes it."""

from __future__ import annotations

import asyncio

import pytest

from hanami_rt.service.eager import Started


def test_a_coroutine_that_never_waits_finishes_at_once() -> None:
    async def scenario() -> None:
        ran: list[str] = []

        async def quick() -> int:
            ran.append("ran")
            return 7

        started = Started(quick())
        assert ran == ["ran"] and started.done  # before any turn of the loop
        assert await started == 7

    asyncio.run(scenario())


def test_a_waiting_coroutine_runs_up_to_its_wait_and_finishes_when_awaited() -> None:
    async def scenario() -> None:
        gate = asyncio.Event()
        steps: list[str] = []

        async def slow() -> str:
            steps.append("before")
            await gate.wait()
            steps.append("after")
            await asyncio.sleep(0)  # a bare yield too
            return "done"

        started = Started(slow())
        assert steps == ["before"] and not started.done
        waiter = asyncio.ensure_future(started)
        await asyncio.sleep(0)
        assert steps == ["before"]
        gate.set()
        assert await waiter == "done"
        assert steps == ["before", "after"] and started.done

    asyncio.run(scenario())


def test_errors_surface_where_a_direct_await_would_raise_them() -> None:
    async def scenario() -> None:
        async def fails_at_once() -> None:
            raise KeyError("early")

        with pytest.raises(KeyError, match="early"):
            Started(fails_at_once())

        failing: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def fails_later() -> None:
            await failing

        started = Started(fails_later())
        failing.set_exception(ValueError("late"))
        with pytest.raises(ValueError, match="late"):
            await started

    asyncio.run(scenario())


def test_cancelling_the_awaiter_cancels_the_coroutine_where_it_waits() -> None:
    async def scenario() -> None:
        cleaned: list[str] = []

        async def forever() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                cleaned.append("finally")

        started = Started(forever())
        waiter = asyncio.ensure_future(started)
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert cleaned == ["finally"]

    asyncio.run(scenario())
