"""A TCP relay on 127.0.0.1 that a test can hold and cut: a dropped connection, on demand."""

from __future__ import annotations

import asyncio
import contextlib


class CutProxy:
    """Relays bytes to `port`; `hold()` stops forwarding replies, `cut()` drops every link."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.port = 0
        self.upstream_bytes = 0
        self.sent_while_held = asyncio.Event()
        self._held = False
        self._cut_at: int | None = None
        self.cuts = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> CutProxy:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def hold(self) -> None:
        """From now on, replies are swallowed; note when the client sends something."""
        self._held = True
        self.sent_while_held.clear()

    def cut(self) -> None:
        """Drop every connection at once (no close handshake), then relay normally again."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        self._held = False
        self.cuts += 1

    def cut_after(self, upstream_bytes: int) -> None:
        """Cut once, when this many more bytes have gone to the server."""
        self._cut_at = self.upstream_bytes + upstream_bytes

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self._writers += [writer, up_writer]
        await asyncio.gather(
            self._pump(reader, up_writer, upstream=True),
            self._pump(up_reader, writer, upstream=False),
            return_exceptions=True,
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if upstream:
                    self.upstream_bytes += len(data)
                    if self._cut_at is not None and self.upstream_bytes >= self._cut_at:
                        self._cut_at = None
                        writer.write(data[: len(data) // 2])
                        self.cut()
                        return
                    if self._held:
                        writer.write(data)
                        await writer.drain()
                        self.sent_while_held.set()
                        continue
                elif self._held:
                    continue
                writer.write(data)
                await writer.drain()
        writer.close()
