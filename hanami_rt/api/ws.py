"""GET /v1/ws: the realtime websocket of protocol/PROTOCOL.md (auth, learn, infer, ping).

One `Session` per connection. Its reader receives frames one by one, decodes them with the wire
codec and starts each request at once, so requests to one cluster take the cluster's FIFO lock
in arrival order. Replies leave in request order: a reply waits in `_queue` until every earlier
one has been sent (the writer task). A request arriving with nothing in flight skips the queue
and, when cheap, the worker hop too (service/dispatcher.py says why, with numbers). At
`ws_pipeline_depth` requests in flight the reader stops receiving; uvicorn then stops reading
the socket and TCP pushes back on the client: nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send

from hanami_rt.api.clusters import live_cluster_for
from hanami_rt.api.ws_meter import WsMeter
from hanami_rt.auth import Principal
from hanami_rt.core.network import Outputs
from hanami_rt.errors import Unauthorized, Unavailable, kind_of
from hanami_rt.service.eager import Started
from hanami_rt.service.registry import LiveCluster
from hanami_rt.wire import (
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHORIZED,
    AuthRequest,
    ErrorCode,
    InferRequest,
    LearnRequest,
    PingRequest,
    Request,
    WireError,
    decode_request,
    encode_auth_ok,
    encode_error,
    encode_outputs,
    encode_pong,
)

if TYPE_CHECKING:
    from hanami_rt.api.runtime import Runtime
    from hanami_rt.settings import Settings

log = logging.getLogger(__name__)

PATH = "/v1/ws"
CLOSE_INTERNAL = 1011
_WIRE_CODES = {code.value: code for code in ErrorCode}
_RENEW = "get a new token with POST /v1/token"
Reply = tuple[bytes, str]  # the frame, and "ok" or its error code (for metrics)


def error_reply(id: int | None, exc: BaseException) -> Reply:
    """The error frame for any exception, through the one table in `hanami_rt.errors`."""
    if isinstance(exc, WireError):
        return encode_error(id, exc.code, exc.message), exc.code.value
    kind = kind_of(exc)
    if kind is None or kind.code not in _WIRE_CODES:
        error_id = uuid.uuid4().hex
        log.error("websocket error %s (request id %s)", error_id, id, exc_info=exc)
        message = (
            "an unexpected error occurred; nothing about it is your fault. "
            f"Report error id {error_id} to the operator"
        )
        return encode_error(id, ErrorCode.INTERNAL, message), ErrorCode.INTERNAL.value
    code = _WIRE_CODES[kind.code]
    return encode_error(id, code, str(exc)), code.value


class _Pending:
    """One request awaiting its turn to be answered: a finished reply or a running task."""

    __slots__ = ("op", "started", "reply", "task")

    def __init__(
        self, op: str, started: float, reply: Reply | None, task: asyncio.Task[Reply] | None
    ) -> None:
        self.op = op
        self.started = started
        self.reply = reply
        self.task = task


class Session:
    """One websocket connection, from accept to close."""

    def __init__(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        settings: Settings = runtime.settings
        self._runtime = runtime
        self._scope = scope
        self._receive = receive
        self._send = send
        self._limit = settings.ws_max_frame_bytes
        self._depth = settings.ws_pipeline_depth
        self._auth_timeout = settings.ws_auth_timeout_s
        self._dispatcher = runtime.dispatcher
        self._registry = runtime.registry
        self._busy_poll = runtime.busy_poll
        self._meter = WsMeter(getattr(scope["app"].state, "instruments", None))
        self._queue: deque[_Pending] = deque()
        self._wake = asyncio.Event()  # set when the queue gets an entry
        self._room = asyncio.Event()  # set when the queue drops below the depth
        self._idle = asyncio.Event()  # set when the queue becomes empty
        self._closed = False
        self._principal: Principal | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Accept, authenticate, serve frames until the client leaves or we close."""
        if (await self._receive())["type"] != "websocket.connect":
            return
        await self._send({"type": "websocket.accept"})
        self._meter.connected(1)
        writer: asyncio.Task[None] | None = None
        try:
            if not await self._authenticate():
                return
            try:
                await self._runtime.until_ready()
            except Unavailable as exc:
                await self._reply(error_reply(None, exc)[0])
                await self._close(CLOSE_INTERNAL, "server unavailable")
                return
            self._arm_expiry()
            writer = asyncio.get_running_loop().create_task(self._write_loop())
            await self._read_loop()
        finally:
            self._meter.connected(-1)
            self._runtime.sockets.discard(self)
            if self._expiry is not None:
                self._expiry.cancel()
            await self._drain(writer)

    async def _drain(self, writer: asyncio.Task[None] | None) -> None:
        """Let requests already started finish (never cancel work holding a cluster lock:
        its worker thread would go on), then stop the writer."""
        tasks = [p.task for p in self._queue if p.task is not None]
        if tasks:
            await asyncio.wait(tasks)
        if writer is not None:
            writer.cancel()
            try:
                await writer
            except asyncio.CancelledError:
                pass
        self._meter.dropped(len(self._queue))
        self._queue.clear()
        if self._closing is not None:
            await self._closing

    async def _close(self, code: int, reason: str) -> None:
        """Send the close frame once; later replies are dropped."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except (OSError, RuntimeError):
            pass  # already gone

    async def _reply(self, frame: bytes) -> None:
        """Send one frame unless closed; a vanished client just closes the session."""
        if self._closed:
            return
        try:
            await self._send({"type": "websocket.send", "bytes": frame})
        except (OSError, RuntimeError):  # the client left (uvicorn and starlette differ)
            self._closed = True
            return
        self._busy_poll.kick()  # the next request is likely a few tens of microseconds away

    # ---- authentication -------------------------------------------------------------------

    async def _authenticate(self) -> bool:
        """The token from the upgrade's header, else from a first auth frame within the
        deadline; closes with 4401 (after an `unauthorized` reply) when there is none."""
        header = _header(self._scope, b"authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                await self._refuse(None, "the Authorization header must be 'Bearer <token>'")
                return False
            return await self._accept_token(None, token.strip(), ack=False)
        try:
            message = await asyncio.wait_for(self._receive(), self._auth_timeout)
        except TimeoutError:
            await self._refuse(
                None,
                f"no token within {self._auth_timeout:g} s: send 'Authorization: Bearer <token>' "
                "on the upgrade or a first frame {op: auth, token}",
            )
            return False
        if message["type"] == "websocket.disconnect":
            return False
        frame = message.get("bytes")
        if frame is not None and len(frame) > self._limit:
            await self._close(CLOSE_TOO_BIG, f"frame over {self._limit} bytes")
            return False
        request: Request | None = None
        if frame is not None:
            try:
                request = decode_request(frame)
            except WireError as exc:
                await self._refuse(exc.id, f"the first frame must be an auth frame: {exc}")
                return False
        if not isinstance(request, AuthRequest):
            rid = getattr(request, "id", None)
            await self._refuse(rid, "the first frame must be {op: auth, token} (binary msgpack)")
            return False
        return await self._accept_token(request.id, request.token, ack=True)

    async def _accept_token(self, rid: int | None, token: str, ack: bool) -> bool:
        try:
            principal = await self._runtime.authenticate(token)
        except Unauthorized as exc:
            await self._refuse(rid, exc.message)
            return False
        except Exception as exc:  # e.g. the database failed: say so, and close
            await self._reply(error_reply(rid, exc)[0])
            await self._close(CLOSE_INTERNAL, "internal error")
            return False
        self._principal = principal
        self._runtime.sockets.add(self, principal.user_id, principal.project_id)
        if ack:
            await self._reply(encode_auth_ok(rid, principal.expires_at))
        return True

    async def _refuse(self, rid: int | None, message: str) -> None:
        """An `unauthorized` reply, then close 4401."""
        await self._reply(encode_error(rid, ErrorCode.UNAUTHORIZED, message))
        await self._close(CLOSE_UNAUTHORIZED, "unauthorized")

    def _arm_expiry(self) -> None:
        """Close with 4401 the moment the token expires (not only on the next frame)."""
        assert self._principal is not None
        if self._expiry is not None:
            self._expiry.cancel()
        delay = max(0.0, self._principal.expires_at - time.time())
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self.revoke(f"the token has expired; {_RENEW} and reconnect (or refresh before expiry)")

    def revoke(self, message: str) -> None:
        """Close with 4401 (after an `unauthorized` reply) now: the token expired, or an admin
        took the access away (api/sockets.py)."""
        if self._closing is None and not self._closed:
            self._closing = asyncio.get_running_loop().create_task(self._refuse(None, message))

    async def _refresh(self, request: AuthRequest) -> Reply | None:
        """A new token on an open connection: same user and project, or `forbidden`; an
        invalid one closes (None: nothing more to send)."""
        old = self._principal
        assert old is not None
        try:
            principal = await self._runtime.authenticate(request.token)
        except Unauthorized as exc:
            await self._flushed()  # replies to earlier requests (applied learns) go out first
            await self._refuse(request.id, exc.message)
            return None
        except Exception as exc:  # e.g. the database failed: the old token still holds
            return error_reply(request.id, exc)
        if (principal.user_id, principal.project_id) != (old.user_id, old.project_id):
            message = (
                "a refresh token must name the same user and project as the connection's; "
                "open a new connection for another"
            )
            return encode_error(request.id, ErrorCode.FORBIDDEN, message), "forbidden"
        self._principal = principal
        self._arm_expiry()
        return encode_auth_ok(request.id, principal.expires_at), "ok"

    # ---- requests -------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        """Receive, decode and start requests in arrival order until the connection ends."""
        receive, queue, meter = self._receive, self._queue, self._meter
        while not self._closed:
            if len(queue) >= self._depth:
                self._room.clear()
                await self._room.wait()  # backpressure: stop reading until replies went out
                continue
            message = await receive()
            if self._closed or message["type"] != "websocket.receive":
                return
            started = time.perf_counter()
            meter.received()
            frame = message.get("bytes")
            if frame is None:
                reply = (
                    encode_error(
                        None,
                        ErrorCode.INVALID_MESSAGE,
                        "text frames are not accepted: send one msgpack map per binary frame",
                    ),
                    ErrorCode.INVALID_MESSAGE.value,
                )
                await self._answer("invalid", started, reply)
                continue
            if len(frame) > self._limit:
                meter.dropped(1)
                await self._close(CLOSE_TOO_BIG, f"frame over {self._limit} bytes")
                return
            try:
                request = decode_request(frame)
            except WireError as exc:
                await self._answer("invalid", started, error_reply(exc.id, exc))
                continue
            if type(request) is LearnRequest or type(request) is InferRequest:
                await self._start(request, started)
            elif type(request) is PingRequest:
                await self._answer("ping", started, (encode_pong(request.id), "ok"))
            else:
                assert isinstance(request, AuthRequest)
                refreshed = await self._refresh(request)
                if refreshed is None:
                    meter.dropped(1)
                    return
                await self._answer("auth", started, refreshed)

    async def _start(self, request: LearnRequest | InferRequest, started: float) -> None:
        """Run a learn or infer inline when nothing else can be affected, else off the loop;
        either way its reply takes its place in the reply order."""
        op = "learn" if type(request) is LearnRequest else "infer"
        assert self._principal is not None
        try:
            cluster = live_cluster_for(self._runtime, self._principal, request.cluster)
        except Exception as exc:
            await self._answer(op, started, error_reply(request.id, exc))
            return
        # Inline needs no worker work anywhere and a free cluster lock: then every earlier
        # request to this cluster has finished, so arrival order holds; replies still leave in
        # request order through _answer. A pipelining client thus stays on the fast path.
        if self._dispatcher.can_inline(cluster, self):
            if isinstance(request, LearnRequest):
                ran = await self._learn_inline(request, cluster, started)
            else:
                ran = await self._infer_inline(request, cluster, started)
            if ran:
                if self._meter.enabled:  # after the reply: metering waits, the client does not
                    self._meter.routed("inline")
                return
        if self._meter.enabled:
            self._meter.routed(self._dispatcher.off_loop())
        inputs = request.inputs  # read-only views on the frame: Network copies them itself
        if type(request) is LearnRequest:
            work = self._dispatcher.learn(cluster, inputs, request.expected)
        else:
            work = self._dispatcher.infer(cluster, inputs)
        task = asyncio.get_running_loop().create_task(self._finish(request.id, work))
        self._enqueue(_Pending(op, started, None, task))

    async def _learn_inline(
        self, request: LearnRequest, cluster: LiveCluster, started: float
    ) -> bool:
        """An inline learn whose reply goes out between its forward and backward pass; False
        when the cluster's lock was taken after all (nothing done: send it off the loop)."""
        try:
            step = self._registry.learn_inline(cluster, request.inputs, request.expected)
        except Exception as exc:  # bad input: nothing changed
            await self._answer("learn", started, error_reply(request.id, exc))
            return True
        if step is None:
            return False
        outputs, finish = step
        sending: Started[None] | None = None
        try:
            # the send runs now, up to a wait for a client not reading, and is awaited only
            # after finish() applied the update and let go of the lock
            sending = Started(
                self._answer("learn", started, (encode_outputs(request.id, outputs), "ok"))
            )
        except Exception as exc:  # a server fault: the reply could not even start
            log.error("learn %s: its reply failed", request.id, exc_info=exc)
        finally:
            try:
                finish()
            except Exception as exc:  # a server fault after the reply began
                log.error("learn %s: the update failed", request.id, exc_info=exc)
        if sending is not None:
            try:
                await sending
            except Exception as exc:
                log.error("learn %s: its reply failed", request.id, exc_info=exc)
        return True

    async def _infer_inline(
        self, request: InferRequest, cluster: LiveCluster, started: float
    ) -> bool:
        """An inline infer; False when a learn took the cluster's lock after all."""
        try:
            outputs = self._registry.infer_inline(cluster, request.inputs)
        except Exception as exc:
            await self._answer("infer", started, error_reply(request.id, exc))
            return True
        if outputs is None:
            return False
        await self._answer("infer", started, (encode_outputs(request.id, outputs), "ok"))
        return True

    async def _finish(self, rid: int, work: Coroutine[Any, Any, Outputs]) -> Reply:
        """The reply frame for a learn or infer; every failure becomes an error reply."""
        try:
            return encode_outputs(rid, await work), "ok"
        except Exception as exc:
            return error_reply(rid, exc)

    async def _answer(self, op: str, started: float, reply: Reply) -> None:
        """Send a finished reply now when nothing is ahead of it, else queue it in order."""
        if self._queue:
            self._enqueue(_Pending(op, started, reply, None))
            return
        await self._reply(reply[0])
        self._meter.replied(op, reply[1], started)

    async def _flushed(self) -> None:
        """Wait until every queued reply has been sent (or dropped, once closed)."""
        while self._queue:
            self._idle.clear()
            await self._idle.wait()

    def _enqueue(self, pending: _Pending) -> None:
        self._queue.append(pending)
        self._wake.set()

    async def _write_loop(self) -> None:
        """Send queued replies strictly in request order."""
        queue, meter = self._queue, self._meter
        while True:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            head = queue[0]
            if head.task is not None:
                reply = await head.task
            else:
                assert head.reply is not None
                reply = head.reply
            await self._reply(reply[0])
            queue.popleft()
            meter.replied(head.op, reply[1], head.started)
            if len(queue) < self._depth:
                self._room.set()
                if not queue:
                    self._idle.set()


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, decoded as latin-1."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return cast(bytes, value).decode("latin-1")
    return None


class WsEndpoint:
    """The ASGI app behind the route: runs one Session per connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = cast("Runtime", scope["app"].state.runtime)
        await Session(runtime, scope, receive, send).run()


ROUTE = WebSocketRoute(PATH, WsEndpoint(), name="websocket")
"""The route `create_app` mounts next to the REST endpoints."""
