"""Session: the blocking face of AsyncSession, run on the client's portal thread."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator
from types import TracebackType

from hanami_client.portal import Portal
from hanami_client.session import AsyncSession, BrickInput, Prediction, consume
from hanami_client.wire import InferRequest, LearnRequest, Reply


class Session:
    """One websocket for one cluster: `with client.session(id) as s: s.learn(x, y)`."""

    def __init__(self, portal: Portal, inner: AsyncSession) -> None:
        self._portal = portal
        self._inner = inner

    @property
    def inputs(self) -> dict[str, int]:
        """Input brick -> number of values."""
        return self._inner.inputs

    @property
    def outputs(self) -> dict[str, int]:
        """Output brick -> number of values."""
        return self._inner.outputs

    @property
    def reconnects(self) -> int:
        """How many times the websocket was opened again after a drop."""
        return self._inner.reconnects

    def __enter__(self) -> Session:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        """Look up the cluster's bricks and connect."""
        self._portal.run(self._inner.open())

    def close(self) -> None:
        """Close the websocket."""
        self._portal.run(self._inner.close())

    def learn(self, inputs: BrickInput, expected: BrickInput) -> Prediction:
        """Teach one sample; returns the prediction made before learning."""
        return self._portal.run(self._inner.learn(inputs, expected))

    def infer(self, inputs: BrickInput) -> Prediction:
        """The outputs for `inputs` (a bare array when the cluster has one output brick)."""
        return self._portal.run(self._inner.infer(inputs))

    def ping(self) -> float:
        """One round trip; its duration in seconds."""
        return self._portal.run(self._inner.ping())

    def learn_stream(self, pairs: Iterable[tuple[BrickInput, BrickInput]]) -> Iterator[Prediction]:
        """Pipelined learns (up to `window` in flight); predictions in order."""
        inner = self._inner
        return self._stream(inner._learn_request(x, y) for x, y in pairs)

    def infer_stream(self, rows: Iterable[BrickInput]) -> Iterator[Prediction]:
        """Pipelined infers (up to `window` in flight); outputs in order."""
        inner = self._inner
        return self._stream(inner._infer_request(x) for x in rows)

    def _stream(self, requests: Iterator[LearnRequest | InferRequest]) -> Iterator[Prediction]:
        """Your iterable is read in your thread; only sending and receiving cross to the portal."""
        inner, run = self._inner, self._portal.run
        queue: deque[asyncio.Future[Reply]] = deque()
        try:
            for request in requests:
                queue.append(run(inner._start(request)))
                while len(queue) >= inner.window or (queue and queue[0].done()):
                    yield inner._shape(run(inner._finish(queue.popleft())))
            while queue:
                yield inner._shape(run(inner._finish(queue.popleft())))
        finally:
            for future in queue:  # abandoned: still answered, results dropped
                self._portal.call_soon(future.add_done_callback, consume)
