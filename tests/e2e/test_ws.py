"""The websocket path end to end: the `websockets` client against a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from hanami_rt.core import Network
from tests.api.support import ADMIN_PASSWORD, TEMPLATE, make_settings
from tests.e2e.support import LiveServer, bearer
from tests.mnist import subset

pytestmark = pytest.mark.e2e


class Site:
    """A live server with project A, an admin token for it and one MNIST-sized cluster."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.ws_url = f"ws://127.0.0.1:{server.port}/v1/ws"
        with httpx.Client(base_url=server.url) as http:
            login = {"user_id": "admin", "password": ADMIN_PASSWORD}
            admin = bearer(http.post("/v1/token", json=login))
            http.post("/v1/projects", json={"id": "A", "name": "A"}, headers=admin)
            self.headers = bearer(http.post("/v1/token", json={**login, "project_id": "A"}))
            reply = http.post(
                "/v1/clusters", json={"name": "c", "template": TEMPLATE}, headers=self.headers
            )
            assert reply.status_code == 201, reply.text
            self.cluster = str(reply.json()["id"])

    async def open(self, **options: Any) -> ClientConnection:
        return await connect(
            self.ws_url, additional_headers=self.headers, compression=None, **options
        )


def _site(tmp_path: Path, **overrides: Any) -> Iterator[Site]:
    with LiveServer(make_settings(tmp_path / "data", **overrides)) as server:
        yield Site(server)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from _site(tmp_path)


def digit_five() -> np.ndarray:
    """The first 5 of the MNIST training subset in tests/fixtures/mnist (784 pixels, 0-255)."""
    images, labels = subset("train")
    return images[int(np.argmax(labels == 5))]


def learn_frame(cluster: str, rid: int, image: np.ndarray, digit: int) -> bytes:
    expected = np.eye(10, dtype="<f4")[digit]
    message = {
        "op": "learn",
        "id": rid,
        "cluster": cluster,
        "inputs": {"test_input": image.astype("<f4").ravel().tobytes()},
        "expected": {"test_output": expected.tobytes()},
    }
    return msgpack.packb(message)  # type: ignore[no-any-return]


def random_image(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, 784).astype(np.float32)
    x[rng.random(784) < 0.8] = 0
    return x


def unpack(reply: bytes | str) -> dict[str, Any]:
    message = msgpack.unpackb(reply)
    assert isinstance(message, dict)
    return message


def test_pipelined_learns_come_back_in_order_with_their_ids(site: Site) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with await site.open() as ws:
            for rid in range(100):  # all sent before any reply is read
                await ws.send(learn_frame(site.cluster, 1000 + rid, random_image(rid), rid % 10))
            return [unpack(await ws.recv()) for _ in range(100)]

    replies = asyncio.run(scenario())
    assert [r["id"] for r in replies] == [1000 + rid for rid in range(100)]
    assert all(r["ok"] is True and len(r["outputs"]["test_output"]) == 40 for r in replies)


def test_hundred_learns_of_a_five_make_infer_answer_five(site: Site) -> None:
    five = digit_five()

    async def scenario() -> np.ndarray:
        async with await site.open() as ws:
            for rid in range(100):
                await ws.send(learn_frame(site.cluster, rid, five, 5))
                assert unpack(await ws.recv())["ok"] is True
            pixels = [float(v) for v in five.ravel()]  # the array-of-numbers encoding
            infer = {"op": "infer", "id": 100, "cluster": site.cluster}
            await ws.send(msgpack.packb({**infer, "inputs": {"test_input": pixels}}))
            reply = unpack(await ws.recv())
            return np.frombuffer(reply["outputs"]["test_output"], dtype="<f4")

    outputs = asyncio.run(scenario())
    assert int(np.argmax(outputs)) == 5, outputs


def test_backpressure_drops_nothing(tmp_path: Path) -> None:
    for site in _site(tmp_path, ws_pipeline_depth=4):

        async def scenario(site: Site) -> list[int]:
            async with await site.open() as ws:
                frames = [
                    learn_frame(site.cluster, rid, random_image(rid), rid % 10)
                    for rid in range(400)
                ]

                async def send_all() -> None:
                    for frame in frames:
                        await ws.send(frame)

                sender = asyncio.create_task(send_all())
                await asyncio.sleep(0.2)  # the server stalls reading at 4 in flight meanwhile
                ids = [int(unpack(await ws.recv())["id"]) for _ in frames]
                await sender
                return ids

        assert asyncio.run(scenario(site)) == list(range(400))


def test_first_frame_auth_and_missing_auth_over_real_sockets(site: Site) -> None:
    token = site.headers["Authorization"].removeprefix("Bearer ")

    async def scenario() -> tuple[dict[str, Any], int | None]:
        async with connect(site.ws_url, compression=None) as ws:
            await ws.send(msgpack.packb({"op": "auth", "id": 1, "token": token}))
            ack = unpack(await ws.recv())
        async with connect(site.ws_url, compression=None) as ws:
            await ws.send(msgpack.packb({"op": "ping", "id": 2}))
            assert unpack(await ws.recv())["error"]["code"] == "unauthorized"
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd is not None
            return ack, info.value.rcvd.code

    ack, code = asyncio.run(scenario())
    assert ack["ok"] is True and ack["id"] == 1 and isinstance(ack["expires_at"], int)
    assert code == 4401


def test_frame_over_the_limit_closes_1009_on_uvicorn(tmp_path: Path) -> None:
    for site in _site(tmp_path, ws_max_frame_bytes=65536):

        async def scenario(site: Site) -> int | None:
            async with await site.open() as ws:
                await ws.send(msgpack.packb({"op": "ping", "id": 1}))
                assert unpack(await ws.recv()) == {"id": 1, "ok": True}
                await ws.send(msgpack.packb({"op": "ping", "id": 2, "pad": b"x" * 65536}))
                with pytest.raises(ConnectionClosed) as info:
                    await ws.recv()
                assert info.value.rcvd is not None
                return info.value.rcvd.code

        assert asyncio.run(scenario(site)) == 1009


def test_crowding_connections_learn_on_native_threads_exactly_as_a_network_would(
    tmp_path: Path,
) -> None:
    """Four connections, one cluster each (seeds 0-3), learning and inferring one request at a
    time, all at once: requests from several connections crowd in, so they run on the native
    threads; every reply equals what a local Network with the same template and seed gives."""
    with LiveServer(make_settings(tmp_path / "data", native_threads=1)) as server:
        site = Site(server)
        with httpx.Client(base_url=server.url) as http:
            clusters = []
            for seed in range(4):
                body = {"name": f"n{seed}", "template": TEMPLATE, "seed": seed}
                reply = http.post("/v1/clusters", json=body, headers=site.headers)
                assert reply.status_code == 201, reply.text
                clusters.append(str(reply.json()["id"]))

        async def client(seed: int) -> list[np.ndarray]:
            got = []
            async with await site.open() as ws:
                for rid in range(60):
                    image = random_image(rid + 100 * seed)
                    frame = learn_frame(clusters[seed], rid, image, rid % 10)
                    if rid % 4 == 3:  # an infer of the same image
                        message = unpack(frame)
                        del message["expected"]
                        frame = msgpack.packb({**message, "op": "infer"})
                    await ws.send(frame)
                    reply = unpack(await ws.recv())
                    assert reply["ok"] is True and reply["id"] == rid, reply
                    got.append(np.frombuffer(reply["outputs"]["test_output"], dtype="<f4"))
            return got

        async def scenario() -> list[list[np.ndarray]]:
            return await asyncio.gather(*(client(seed) for seed in range(4)))

        results = asyncio.run(scenario())
        native = server.runtime.registry.native
        assert native is not None and native.jobs_done > 0
        samples = [
            sample
            for family in text_string_to_metric_families(httpx.get(f"{server.url}/metrics").text)
            for sample in family.samples
        ]
        routed = {s.labels["route"]: s.value for s in samples if s.name == "hanami_ws_routes_total"}
        assert routed.get("native", 0) + routed.get("inline", 0) == 240  # 4 clients x 60
        assert routed["native"] == native.jobs_done
        # between requests the event loop polled instead of sleeping (ws_busy_poll_us)
        polled = [s.value for s in samples if s.name == "hanami_ws_busy_poll_seconds_total"]
        assert polled and polled[0] > 0, polled
    for seed, got in enumerate(results):
        twin = Network.from_template(TEMPLATE, seed=seed)
        for rid, outputs in enumerate(got):
            image = random_image(rid + 100 * seed)
            if rid % 4 == 3:
                want = twin.infer({"test_input": image})
            else:
                expected = np.eye(10, dtype=np.float32)[rid % 10]
                want = twin.learn({"test_input": image}, {"test_output": expected})
            assert np.array_equal(outputs, want["test_output"]), (seed, rid)
