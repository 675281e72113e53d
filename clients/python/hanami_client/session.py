"""AsyncSession: learn and infer over one websocket, pipelined, reconnecting when it drops.

Every request gets an id from a counter and a future; one reader task resolves futures by id.
When the connection drops, every request in flight fails with ConnectionLost (a learn's says it
may or may not have been applied: it is never re-sent), and the next request reconnects with a
fresh token.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from hanami_client.errors import (
    AuthError,
    ConnectionLost,
    HanamiError,
    ValidationError,
    error_for,
)
from hanami_client.transport import Api
from hanami_client.wire import (
    CLOSE_UNAUTHORIZED,
    MAX_ID,
    PATH,
    AuthRequest,
    Bricks,
    ErrorReply,
    InferRequest,
    LearnRequest,
    OutputsReply,
    PingRequest,
    ProtocolError,
    Reply,
    Request,
    Values,
    decode_reply,
    encode_request,
)

Prediction: TypeAlias = Values | dict[str, Values]
BrickInput: TypeAlias = ArrayLike | Mapping[str, ArrayLike]


def ws_url(http_url: str) -> str:
    """The websocket URL of a server's base URL."""
    scheme, _, rest = http_url.partition("://")
    return ("wss" if scheme == "https" else "ws") + "://" + rest.rstrip("/") + PATH


def _as_bricks(value: BrickInput, names: Mapping[str, int], what: str) -> Bricks:
    """A mapping brick -> float32 values; a bare array goes to the only brick."""
    if isinstance(value, Mapping):
        return {str(k): np.asarray(v, dtype=np.float32).reshape(-1) for k, v in value.items()}
    if len(names) != 1:
        listed = ", ".join(names) or "none"
        raise ValidationError(
            "invalid_input",
            f"the cluster has {len(names)} {what} bricks ({listed}): pass a dict brick -> values",
        )
    (name,) = names
    return {name: np.asarray(value, dtype=np.float32).reshape(-1)}


class AsyncSession:
    """One websocket to the server for one cluster; use as `async with client.session(id)`."""

    def __init__(
        self,
        api: Api,
        cluster_id: str,
        *,
        window: int = 32,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self._api = api
        self.cluster_id = cluster_id
        self.inputs: dict[str, int] = {}
        self.outputs: dict[str, int] = {}
        self.window = window
        self.refresh_margin_s = refresh_margin_s
        self.reconnects = 0
        self._url = ws_url(api.url)
        self._ids = itertools.count(1)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, tuple[str, asyncio.Future[Reply]]] = {}
        self._lock = asyncio.Lock()
        self._expires: float | None = None
        self._closed = False
        self._refused = False  # the server closed with 4401: log in again before reconnecting

    async def __aenter__(self) -> AsyncSession:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Look up the cluster's bricks, then connect."""
        data = await self._api.call("GET", f"/v1/clusters/{self.cluster_id}")
        self.inputs = dict(data.get("inputs") or {})
        self.outputs = dict(data.get("outputs") or {})
        await self._connection()

    async def close(self) -> None:
        """Close the websocket; requests still in flight fail with ConnectionLost."""
        self._closed = True
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    # ---- the public requests ---------------------------------------------------------------

    async def learn(self, inputs: BrickInput, expected: BrickInput) -> Prediction:
        """Teach one sample; returns the prediction made before learning."""
        return self._shape(await self._submit(self._learn_request(inputs, expected)))

    async def infer(self, inputs: BrickInput) -> Prediction:
        """The network's outputs for `inputs` (bare when the cluster has one output brick)."""
        return self._shape(await self._submit(self._infer_request(inputs)))

    async def ping(self) -> float:
        """One round trip; returns its duration in seconds."""
        start = time.perf_counter()
        await self._submit(PingRequest(self._next_id()))
        return time.perf_counter() - start

    async def learn_stream(
        self, pairs: Iterable[tuple[BrickInput, BrickInput]] | AsyncIterable[Any]
    ) -> AsyncIterator[Prediction]:
        """Pipeline learns (up to `window` in flight) and yield their predictions in order."""
        requests = (self._learn_request(x, y) async for x, y in _aiter(pairs))
        async for prediction in self._stream(requests):
            yield prediction

    async def infer_stream(
        self, rows: Iterable[BrickInput] | AsyncIterable[Any]
    ) -> AsyncIterator[Prediction]:
        """Pipeline infers (up to `window` in flight) and yield their outputs in order."""
        requests = (self._infer_request(x) async for x in _aiter(rows))
        async for prediction in self._stream(requests):
            yield prediction

    # ---- machinery -------------------------------------------------------------------------

    async def _stream(
        self, requests: AsyncIterator[LearnRequest | InferRequest]
    ) -> AsyncIterator[Prediction]:
        queue: deque[asyncio.Future[Reply]] = deque()
        try:
            async for request in requests:
                queue.append(await self._start(request))
                while len(queue) >= self.window or (queue and queue[0].done()):
                    yield self._shape(await self._finish(queue.popleft()))
            while queue:
                yield self._shape(await self._finish(queue.popleft()))
        finally:
            for future in queue:  # abandoned: still answered, results dropped
                future.add_done_callback(consume)

    def _learn_request(self, inputs: BrickInput, expected: BrickInput) -> LearnRequest:
        return LearnRequest(
            self._next_id(),
            self.cluster_id,
            _as_bricks(inputs, self.inputs, "input"),
            _as_bricks(expected, self.outputs, "output"),
        )

    def _infer_request(self, inputs: BrickInput) -> InferRequest:
        inputs_ = _as_bricks(inputs, self.inputs, "input")
        return InferRequest(self._next_id(), self.cluster_id, inputs_)

    def _next_id(self) -> int:
        return next(self._ids) % MAX_ID

    def _shape(self, reply: Reply) -> Prediction:
        assert isinstance(reply, OutputsReply)
        if len(reply.outputs) == 1:
            return next(iter(reply.outputs.values()))
        return reply.outputs

    async def _submit(self, request: LearnRequest | InferRequest | PingRequest) -> Reply:
        """Send one request and wait for its reply."""
        return await self._finish(await self._start(request))

    async def _start(
        self, request: LearnRequest | InferRequest | PingRequest
    ) -> asyncio.Future[Reply]:
        """Send one request (connecting first if needed); the future of its reply."""
        return await self._send(await self._connection(), request)

    async def _send(self, ws: ClientConnection, request: Request) -> asyncio.Future[Reply]:
        """Send on `ws`, whose reader is still running; the future of the reply."""
        assert request.id is not None  # every frame this client sends carries an id
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[request.id] = (request.op, future)
        try:
            await ws.send(encode_request(request))
        except ConnectionClosed:
            pass  # the reader fails the future with the right message
        return future

    async def _finish(self, future: asyncio.Future[Reply]) -> Reply:
        """The reply; an error reply becomes the tree's exception."""
        reply = await future
        if isinstance(reply, ErrorReply):
            raise error_for(reply.code, reply.message, retry_after=reply.retry_after)
        return reply

    async def _connection(self) -> ClientConnection:
        """The open websocket: (re)connected with a fresh token, or refreshed in place."""
        async with self._lock:
            if self._closed:
                raise ConnectionLost("the session is closed; open a new one")
            due = self._expires is not None and self._expires - time.time() <= self.refresh_margin_s
            if self._ws is not None and due:
                await self._refresh(self._ws)
            # read again: the socket may have dropped while the token was renewed
            return self._ws if self._ws is not None else await self._connect()

    async def _connect(self) -> ClientConnection:
        if self._reader is not None:  # a dropped connection: this is a reconnect
            await asyncio.gather(self._reader, return_exceptions=True)
            self.reconnects += 1
        if self._refused:
            if not await self._api.relogin():
                raise AuthError(
                    "unauthorized",
                    "the server refused this token (websocket closed with 4401); log in again",
                )
            self._refused = False
        token = await self._api.fresh_token(self.refresh_margin_s)
        try:
            ws = await connect(
                self._url,
                additional_headers={"Authorization": f"Bearer {token}"},
                compression=None,
                max_size=None,
                open_timeout=self._api.timeout,
            )
        except InvalidStatus as exc:
            code = exc.response.status_code
            message = f"the websocket upgrade was refused ({code})"
            raise error_for(f"http_{code}", message, status=code) from exc
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise ConnectionLost(f"could not open {self._url}: {exc}") from exc
        self._ws = ws
        self._expires = self._api.expires_at
        self._reader = asyncio.create_task(self._read(ws))
        return ws

    async def _refresh(self, ws: ClientConnection) -> None:
        """Renew the token over REST and hand it to the open connection (auth frame)."""
        token = await self._api.fresh_token(self.refresh_margin_s + 1)
        if self._ws is not ws:  # it dropped meanwhile: the caller reconnects
            return
        future = await self._send(ws, AuthRequest(token, self._next_id()))
        reply = await future
        if isinstance(reply, ErrorReply):
            if reply.code == "unauthorized":  # the server closes with 4401 next
                self._refused = True
                if self._reader is not None:
                    await asyncio.wait({self._reader}, timeout=self._api.timeout)
            raise error_for(reply.code, reply.message)
        self._expires = self._api.expires_at

    async def _read(self, ws: ClientConnection) -> None:
        """Resolve futures by id until the connection ends, then fail what is left."""
        try:
            async for frame in ws:
                if isinstance(frame, str):
                    continue
                try:
                    reply = decode_reply(frame)
                except ProtocolError:
                    continue
                entry = self._pending.pop(reply.id, None) if reply.id is not None else None
                if entry is not None and not entry[1].done():
                    entry[1].set_result(reply)
        except ConnectionClosed:
            pass
        finally:
            if self._ws is ws:
                self._ws = None
            self._fail_pending(ws.close_code)

    def _fail_pending(self, close_code: int | None) -> None:
        pending, self._pending = self._pending, {}
        why = "the session was closed" if self._closed else "the websocket dropped"
        if close_code == CLOSE_UNAUTHORIZED:
            self._refused = True
            why = "the server closed the websocket (4401: token invalid or expired)"
        for op, future in pending.values():
            if future.done():
                continue
            error: HanamiError
            if op == "learn":
                error = ConnectionLost(
                    f"{why} before the learn's reply: it may or may not have been applied, "
                    "and it was not re-sent",
                    may_have_been_applied=True,
                )
            elif close_code == CLOSE_UNAUTHORIZED:
                error = AuthError("unauthorized", f"{why}; the next request logs in again")
            else:
                error = ConnectionLost(
                    f"{why} before the {op}'s reply; it changed nothing, send it again"
                )
            future.set_exception(error)


async def _aiter(items: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


def consume(future: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned future's exception, so asyncio does not log it as never retrieved."""
    if not future.cancelled():
        future.exception()
