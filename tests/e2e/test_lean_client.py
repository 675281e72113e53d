"""The benchmarks' lean websocket client speaks RFC 6455 with a real uvicorn: if it did not,
`benchmarks/ws.py` would measure something else than round trips."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgpack
import numpy as np
import pytest

from benchmarks.wsclient import LeanSocket
from tests.e2e.test_ws import Site, _site, learn_frame, random_image, unpack

pytestmark = pytest.mark.e2e


def test_pipelined_learns_come_back_in_order_and_big_frames_pass(tmp_path: Path) -> None:
    async def scenario(site: Site) -> None:
        ws = await LeanSocket.connect(site.ws_url, site.headers)
        for rid in range(20):  # a 3,136-byte input: the 16-bit length form
            await ws.send(learn_frame(site.cluster, rid, random_image(rid), rid % 10))
        for rid in range(20):
            reply = unpack(await ws.recv())
            assert reply["id"] == rid and reply["ok"] is True
            assert len(np.frombuffer(reply["outputs"]["test_output"], "<f4")) == 10
        await ws.send(msgpack.packb({"op": "ping", "id": 7}))
        assert unpack(await ws.recv()) == {"id": 7, "ok": True}
        # over 65,535 bytes: the 64-bit length form, answered (wrong length), not dropped
        big = {
            "op": "infer",
            "id": 8,
            "cluster": site.cluster,
            "inputs": {"test_input": bytes(80_000)},
        }
        await ws.send(msgpack.packb(big))
        reply = unpack(await ws.recv())
        assert reply["id"] == 8 and reply["ok"] is False
        await ws.close()

    for site in _site(tmp_path):
        asyncio.run(scenario(site))


def test_a_server_close_reaches_the_caller_with_its_code(tmp_path: Path) -> None:
    async def scenario(site: Site) -> str:
        ws = await LeanSocket.connect(site.ws_url, site.headers)
        await ws.send(bytes(70_000))  # over the limit set below
        with pytest.raises(ConnectionError) as closed:
            await ws.recv()
        return str(closed.value)

    for site in _site(tmp_path, ws_max_frame_bytes=65536):
        assert "1009" in asyncio.run(scenario(site))


def test_a_refused_handshake_raises(tmp_path: Path) -> None:
    async def scenario(site: Site) -> None:
        with pytest.raises(ConnectionError, match="handshake"):
            await LeanSocket.connect(site.ws_url.replace("/v1/ws", "/v1/nowhere"))

    for site in _site(tmp_path):
        asyncio.run(scenario(site))
