"""A lean websocket client for load generation: RFC 6455 over an asyncio Protocol.

On a 2-core machine the client shares the CPU with the server it measures, so what the client
spends a round trip lowers what the benchmark can show of the server. The `websockets`
library's client is complete and general, and costs ~30-40 us a round trip here. This one
does only what a benchmark needs: the opening handshake (checked), masked binary frames out
(a fresh random mask per frame, as the RFC requires), whole frames in, pong for ping, close.
It reads what any server sends, fragmented messages included.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from collections import deque
from urllib.parse import urlsplit

from websockets.speedups import apply_mask

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    mask = os.urandom(4)
    return head + mask + apply_mask(payload, mask)


class LeanSocket(asyncio.Protocol):
    """One client connection; `send` a binary message, `await recv()` the next message."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._handshake: asyncio.Future[bytes] | None = None
        self._messages: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._parts: list[bytes] = []  # a fragmented message so far
        self._closed: Exception | None = None

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str] | None = None) -> LeanSocket:
        """Open `ws://host:port/path` and finish the opening handshake."""
        parts = urlsplit(url)
        if parts.scheme != "ws" or parts.hostname is None or parts.port is None:
            raise ValueError(f"need ws://host:port/path, got {url!r}")
        loop = asyncio.get_running_loop()
        _, sock = await loop.create_connection(cls, parts.hostname, parts.port)
        key = base64.b64encode(os.urandom(16))
        lines = [
            f"GET {parts.path or '/'} HTTP/1.1",
            f"Host: {parts.hostname}:{parts.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key.decode()}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        sock._handshake = loop.create_future()
        assert sock._transport is not None
        sock._transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await sock._handshake
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())  # noqa: S324 - the RFC's
        status, *fields = head.decode("latin-1").split("\r\n")
        values = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
        if " 101 " not in f"{status} " or values.get("sec-websocket-accept") != accept.decode():
            sock._transport.close()
            raise ConnectionError(f"websocket handshake refused: {status}")
        return sock

    async def send(self, message: bytes) -> None:
        """Send one binary message (the transport writes at once when the socket takes it)."""
        if self._closed is not None:
            raise self._closed
        assert self._transport is not None
        self._transport.write(_frame(_BINARY, message))

    async def recv(self) -> bytes:
        """The next whole message from the server."""
        while not self._messages:
            if self._closed is not None:
                raise self._closed
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._messages.popleft()

    async def close(self) -> None:
        """Send a normal close and drop the connection."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_frame(_CLOSE, struct.pack("!H", 1000)))
            self._transport.close()

    # ---- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("connection closed"))

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._handshake is not None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self._handshake.set_result(bytes(buffer[:end]))
            self._handshake = None
            del buffer[: end + 4]
        woke = False
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            size, at = second & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    break
                size, at = struct.unpack_from("!H", buffer, 2)[0], 4
            elif size == 127:
                if len(buffer) < 10:
                    break
                size, at = struct.unpack_from("!Q", buffer, 2)[0], 10
            if second & 0x80:  # servers never mask (RFC 6455 5.1)
                self._fail(ConnectionError("the server sent a masked frame"))
                return
            if len(buffer) < at + size:
                break
            payload = bytes(buffer[at : at + size])
            del buffer[: at + size]
            woke |= self._frame_in(first & 0x80 != 0, first & 0x0F, payload)
        if woke and self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _frame_in(self, final: bool, opcode: int, payload: bytes) -> bool:
        """Handle one frame; True when a whole message became ready."""
        if opcode in (_TEXT, _BINARY, 0x0):
            self._parts.append(payload)
            if not final:
                return False
            message = payload if len(self._parts) == 1 else b"".join(self._parts)
            self._parts.clear()
            self._messages.append(message)
            return True
        assert self._transport is not None
        if opcode == _PING:
            self._transport.write(_frame(_PONG, payload))
        elif opcode == _CLOSE:
            code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
            self._transport.write(_frame(_CLOSE, payload[:2]))  # the closing handshake's reply
            self._transport.close()
            self._fail(ConnectionError(f"closed by the server with code {code}"))
        return False

    def _fail(self, exc: Exception) -> None:
        if self._closed is None:
            self._closed = exc
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_exception(exc)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
