"""BusyPoll: after a kick the event loop polls (zero-timeout selects) until the window ends,
then sleeps again; what is reported is the time it polled with nothing to do."""

from __future__ import annotations

import asyncio
import selectors
import time
from typing import Any

from hanami_rt.api.busy_poll import BusyPoll


class RecordingSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    """The loop's selector, noting the timeout of every select."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []

    def select(self, timeout: float | None = None) -> Any:
        self.timeouts.append(timeout)
        return super().select(timeout)


def run(coro_fn: Any) -> tuple[RecordingSelector, Any]:
    selector = RecordingSelector()
    loop = asyncio.SelectorEventLoop(selector)
    try:
        return selector, loop.run_until_complete(coro_fn(selector))
    finally:
        loop.close()


def test_the_loop_polls_through_the_window_and_sleeps_after_it() -> None:
    windows: list[float] = []
    poll = BusyPoll(0.05, windows.append)

    async def scenario(selector: RecordingSelector) -> tuple[list[float | None], bool]:
        poll.kick()
        assert poll.polling
        selector.timeouts.clear()
        await asyncio.sleep(0.02)  # inside the window: the loop must not block for it
        inside = list(selector.timeouts)
        await asyncio.sleep(0.06)
        return inside, poll.polling

    selector, (inside, still_polling) = run(scenario)
    assert len(inside) > 10 and all(t == 0 for t in inside)
    assert not still_polling
    assert any(t is None or t > 0 for t in selector.timeouts[len(inside) :])  # slept again
    assert 0.045 <= sum(windows) < 0.5  # polled with nothing to do for the whole window


def test_a_kick_inside_the_window_extends_it() -> None:
    windows: list[float] = []
    poll = BusyPoll(0.03, windows.append)

    async def scenario(selector: RecordingSelector) -> None:
        started = time.perf_counter()
        poll.kick()
        await asyncio.sleep(0.02)
        poll.kick()
        while poll.polling:
            await asyncio.sleep(0.005)
        assert time.perf_counter() - started >= 0.05

    run(scenario)
    assert sum(windows) >= 0.045


def test_time_spent_serving_between_kicks_is_not_counted_as_polling() -> None:
    """A loop busy with requests (1 ms of work, a reply, the next one) polls hardly at all."""
    windows: list[float] = []
    poll = BusyPoll(0.005, windows.append)

    async def scenario(selector: RecordingSelector) -> float:
        started = time.perf_counter()
        for _ in range(40):
            until = time.perf_counter() + 0.001
            while time.perf_counter() < until:  # a request served on the loop
                pass
            poll.kick()  # its reply went out
            await asyncio.sleep(0)  # the loop turns: one poll
        while poll.polling:
            await asyncio.sleep(0.001)
        return time.perf_counter() - started

    span = run(scenario)[1]
    assert span >= 0.045
    assert 0.004 <= sum(windows) <= 0.02  # the idle window after the last reply, not the work


def test_a_zero_window_never_polls() -> None:
    windows: list[float] = []
    poll = BusyPoll(0.0, windows.append)

    async def scenario(selector: RecordingSelector) -> list[float | None]:
        poll.kick()
        assert not poll.polling
        selector.timeouts.clear()
        await asyncio.sleep(0.02)
        return selector.timeouts

    _, timeouts = run(scenario)
    assert any(t is not None and t > 0 for t in timeouts)
    assert windows == []
