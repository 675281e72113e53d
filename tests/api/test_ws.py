"""The websocket endpoint through starlette's TestClient: auth, every error code, ordering."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from hanami_rt.api.ws import Session
from hanami_rt.auth import MEMBER, TokenIssuer
from hanami_rt.core import Network
from hanami_rt.telemetry.instruments import Instruments
from tests.api.support import (
    PASSWORD,
    TEMPLATE,
    ask,
    closed_with,
    create_user,
    login,
    make_settings,
    runtime_of,
    start,
)

WS = "/v1/ws"


class World:
    """Project A with member `ma` and a cluster of theirs; project B with member `mb`."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        admin = login(client)
        for project in ("A", "B"):
            client.post("/v1/projects", json={"id": project, "name": project}, headers=admin)
        create_user(client, admin, "ma", {"A": False})
        create_user(client, admin, "mb", {"B": False})
        self.ma = login(client, "ma", PASSWORD, project="A")
        self.mb = login(client, "mb", PASSWORD, project="B")
        reply = client.post(
            "/v1/clusters", json={"name": "c", "template": TEMPLATE}, headers=self.ma
        )
        assert reply.status_code == 201, reply.text
        self.cluster = str(reply.json()["id"])

    def token(self, headers: dict[str, str]) -> str:
        return headers["Authorization"].removeprefix("Bearer ")

    def issuer(self, clock_offset: float) -> TokenIssuer:
        key = runtime_of(self.client).settings.jwt_key_path.read_bytes().strip()
        return TokenIssuer(key, 60, clock=lambda: time.time() + clock_offset)

    def network_bytes(self) -> bytes:
        return runtime_of(self.client).registry.get(self.cluster).network.to_bytes()


def start_world(tmp_path: Path, **overrides: Any) -> tuple[TestClient, World]:
    client = start(make_settings(tmp_path / "data", **overrides))
    return client, World(client)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    client, world = start_world(tmp_path)
    try:
        yield world
    finally:
        client.__exit__(None, None, None)


def pack(message: dict[str, Any]) -> bytes:
    return msgpack.packb(message)  # type: ignore[no-any-return]


def f32(values: Any) -> bytes:
    return np.asarray(values, dtype="<f4").tobytes()


def image(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, 784).astype(np.float32)
    x[rng.random(784) < 0.8] = 0
    return f32(x)


def one_hot(digit: int) -> bytes:
    return f32(np.eye(10)[digit])


def learn(world: World, rid: int, **changes: Any) -> dict[str, Any]:
    message = {
        "op": "learn",
        "id": rid,
        "cluster": world.cluster,
        "inputs": {"test_input": image(rid)},
        "expected": {"test_output": one_hot(rid % 10)},
    }
    message.update(changes)
    return message


def code_of(reply: dict[str, Any]) -> str:
    assert reply["ok"] is False and reply["error"]["message"], reply
    return str(reply["error"]["code"])


# ---- authentication ---------------------------------------------------------------------


def test_header_auth_then_learn_infer_ping(world: World) -> None:
    with world.client.websocket_connect(WS, headers=world.ma) as ws:
        assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
        reply = ask(ws, learn(world, 2))
        assert list(reply) == ["id", "ok", "outputs"] and reply["id"] == 2
        out = np.frombuffer(reply["outputs"]["test_output"], dtype="<f4")
        assert out.shape == (10,) and np.isfinite(out).all()
        infer = {
            "op": "infer",
            "id": 3,
            "cluster": world.cluster,
            "inputs": {"test_input": image()},
        }
        reply = ask(ws, infer)
        assert reply["id"] == 3 and len(reply["outputs"]["test_output"]) == 40
    stats = runtime_of(world.client).registry.get(world.cluster).network.stats()
    assert stats["samples_learned"] == 1


def test_first_frame_auth_is_acknowledged_with_expiry(world: World) -> None:
    with world.client.websocket_connect(WS) as ws:
        reply = ask(ws, {"op": "auth", "id": 9, "token": world.token(world.ma)})
        assert reply["id"] == 9 and reply["ok"] is True and reply["expires_at"] > time.time()
        assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}


def test_first_frame_that_is_not_auth_closes_4401(world: World) -> None:
    with world.client.websocket_connect(WS) as ws:
        reply = ask(ws, {"op": "ping", "id": 4})
        assert code_of(reply) == "unauthorized" and reply["id"] == 4
        assert closed_with(ws) == 4401


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_invalid_token_closes_4401(world: World, token: str) -> None:
    with world.client.websocket_connect(WS, headers={"Authorization": f"Bearer {token}"}) as ws:
        assert code_of(msgpack.unpackb(ws.receive_bytes())) == "unauthorized"
        assert closed_with(ws) == 4401
    with world.client.websocket_connect(WS) as ws:
        assert code_of(ask(ws, {"op": "auth", "token": token})) == "unauthorized"
        assert closed_with(ws) == 4401


def test_expired_token_closes_4401(world: World) -> None:
    expired, _ = world.issuer(-3600).issue("ma", "A", MEMBER, False)
    with world.client.websocket_connect(WS, headers={"Authorization": f"Bearer {expired}"}) as ws:
        reply = msgpack.unpackb(ws.receive_bytes())
        assert code_of(reply) == "unauthorized" and "expired" in reply["error"]["message"]
        assert closed_with(ws) == 4401


def test_token_expiring_while_open_closes_4401_without_a_frame(world: World) -> None:
    # issued 59 s ago with a 60 s lifetime: it expires within a second or two
    token, _ = world.issuer(-59).issue("ma", "A", MEMBER, False)
    with world.client.websocket_connect(WS, headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
        reply = msgpack.unpackb(ws.receive_bytes())  # no frame sent: the timer closes
        assert code_of(reply) == "unauthorized" and "expired" in reply["error"]["message"]
        assert closed_with(ws) == 4401


def test_no_auth_within_the_deadline_closes_4401(tmp_path: Path) -> None:
    client, world = start_world(tmp_path, ws_auth_timeout_s=0.2)
    try:
        with client.websocket_connect(WS) as ws:
            assert code_of(msgpack.unpackb(ws.receive_bytes())) == "unauthorized"
            assert closed_with(ws) == 4401
    finally:
        client.__exit__(None, None, None)


def test_refresh_same_user_ok_other_user_forbidden_invalid_closes(world: World) -> None:
    with world.client.websocket_connect(WS, headers=world.ma) as ws:
        fresh = login(world.client, "ma", PASSWORD, project="A")
        reply = ask(ws, {"op": "auth", "id": 1, "token": world.token(fresh)})
        assert reply["ok"] is True and reply["id"] == 1
        reply = ask(ws, {"op": "auth", "id": 2, "token": world.token(world.mb)})
        assert code_of(reply) == "forbidden" and reply["id"] == 2
        assert ask(ws, {"op": "ping", "id": 3}) == {"id": 3, "ok": True}  # still open
        assert code_of(ask(ws, {"op": "auth", "id": 4, "token": "nope"})) == "unauthorized"
        assert closed_with(ws) == 4401


# ---- bad input: an error reply, the connection stays, the network is unchanged ---------


def test_every_bad_request_gets_its_code_and_changes_nothing(world: World) -> None:
    before = world.network_bytes()
    nan = f32([np.nan] + [0.0] * 783)
    cases: list[tuple[dict[str, Any] | bytes, str, int | None]] = [
        (b"\xc1", "invalid_message", None),  # never-used msgpack byte
        (b"\x93\x01\x02\x03", "invalid_message", None),  # an array, not a map
        (pack({"op": "learn", "id": 5}), "invalid_message", 5),
        (pack({"op": "fly", "id": 6}), "unknown_op", 6),
        (pack({"op": "ping"}), "invalid_message", None),
        (pack({"op": "ping", "id": -1}), "invalid_message", None),
        (learn(world, 7, inputs={"test_input": b"\x00\x00\x00"}), "invalid_message", 7),
        (learn(world, 8, inputs={"test_input": f32([1.0] * 783)}), "invalid_input", 8),
        (learn(world, 9, inputs={"test_input": nan}), "invalid_input", 9),
        (learn(world, 10, inputs={"test_input": [float("inf")] * 784}), "invalid_input", 10),
        (learn(world, 11, inputs={"nope": image()}), "invalid_input", 11),
        (learn(world, 12, inputs={}), "invalid_input", 12),
        (learn(world, 13, expected={"test_output": f32([2.0] * 10)}), "invalid_input", 13),
        (learn(world, 14, inputs={"test_input": [True] * 784}), "invalid_message", 14),
        (learn(world, 15, cluster="no-such-cluster"), "not_found", 15),
        (
            {"op": "infer", "id": 16, "cluster": world.cluster, "inputs": {}, "expected": {}},
            "invalid_message",
            16,
        ),
    ]
    with world.client.websocket_connect(WS, headers=world.ma) as ws:
        for frame, code, rid in cases:
            reply = ask(ws, frame)
            assert (code_of(reply), reply["id"]) == (code, rid), frame
        ws.send_text('{"op": "ping", "id": 1}')
        reply = msgpack.unpackb(ws.receive_bytes())
        assert (code_of(reply), reply["id"]) == ("invalid_message", None)
        assert ask(ws, {"op": "ping", "id": 99}) == {"id": 99, "ok": True}
    assert world.network_bytes() == before


def test_cluster_of_another_project_is_not_found(world: World) -> None:
    before = world.network_bytes()
    with world.client.websocket_connect(WS, headers=world.mb) as ws:
        foreign = ask(ws, learn(world, 1))
        missing = ask(ws, learn(world, 2, cluster="0" * 36))
        assert code_of(foreign) == code_of(missing) == "not_found"
    assert world.network_bytes() == before


def test_frame_over_the_limit_closes_1009(tmp_path: Path) -> None:
    client, world = start_world(tmp_path, ws_max_frame_bytes=4096)
    try:
        with client.websocket_connect(WS, headers=world.ma) as ws:
            assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
            ws.send_bytes(pack({"op": "ping", "id": 2, "pad": b"x" * 4096}))
            assert closed_with(ws) == 1009
        with client.websocket_connect(WS) as ws:  # also before authentication
            ws.send_bytes(b"\x00" * 4097)
            assert closed_with(ws) == 1009
    finally:
        client.__exit__(None, None, None)


# ---- ordering and telemetry ---------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(world: World) -> None:
    ops: list[dict[str, Any] | bytes] = []
    for rid in range(40):
        if rid % 5 == 4:
            ops.append({"op": "ping", "id": rid})
        elif rid % 7 == 6:
            ops.append(learn(world, rid, cluster="missing"))
        elif rid % 3 == 2:
            infer = {"op": "infer", "id": rid, "cluster": world.cluster}
            ops.append({**infer, "inputs": {"test_input": image(rid)}})
        else:
            ops.append(learn(world, rid))
    with world.client.websocket_connect(WS, headers=world.ma) as ws:
        for op in ops:
            ws.send_bytes(pack(op) if isinstance(op, dict) else op)
        replies = [msgpack.unpackb(ws.receive_bytes()) for _ in ops]
    assert [r["id"] for r in replies] == list(range(40))
    learns = sum(
        1
        for op in ops
        if isinstance(op, dict) and op.get("op") == "learn" and op.get("cluster") == world.cluster
    )
    stats = runtime_of(world.client).registry.get(world.cluster).network.stats()
    assert stats["samples_learned"] == learns


def test_requests_and_latency_are_counted_per_op(tmp_path: Path) -> None:
    client, world = start_world(tmp_path)
    registry = CollectorRegistry()
    client.app.state.instruments = Instruments(registry)  # type: ignore[attr-defined]
    try:
        with client.websocket_connect(WS, headers=world.ma) as ws:
            ask(ws, {"op": "ping", "id": 1})
            ask(ws, learn(world, 2))
            ask(ws, learn(world, 3, cluster="missing"))
            ask(ws, b"\xc1")
            assert registry.get_sample_value("hanami_ws_connections") == 1
        value = registry.get_sample_value
        assert (
            value(
                "hanami_requests_total", {"transport": "ws", "route_or_op": "ping", "status": "ok"}
            )
            == 1
        )
        assert (
            value(
                "hanami_requests_total", {"transport": "ws", "route_or_op": "learn", "status": "ok"}
            )
            == 1
        )
        assert (
            value(
                "hanami_requests_total",
                {"transport": "ws", "route_or_op": "learn", "status": "not_found"},
            )
            == 1
        )
        assert (
            value(
                "hanami_requests_total",
                {"transport": "ws", "route_or_op": "invalid", "status": "invalid_message"},
            )
            == 1
        )
        assert (
            value(
                "hanami_request_duration_seconds_count", {"transport": "ws", "route_or_op": "learn"}
            )
            == 2
        )
        assert value("hanami_ws_inflight") == 0
        assert value("hanami_ws_connections") == 0
        # the learn to a missing cluster was refused before it was routed anywhere
        assert value("hanami_ws_routes_total", {"route": "inline"}) == 1
    finally:
        client.__exit__(None, None, None)


def test_a_client_not_reading_its_reply_never_holds_the_cluster(world: World) -> None:
    """An inline learn whose reply cannot leave (the client does not read, so the ASGI send
    waits) still applies its update and lets go of the cluster: other work goes on."""
    runtime = runtime_of(world.client)
    cluster = runtime.registry.get(world.cluster)
    header = world.ma["Authorization"].encode()
    scope = {"type": "websocket", "headers": [(b"authorization", header)], "app": world.client.app}

    async def scenario() -> tuple[bool, int, int]:
        incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in ({"type": "websocket.connect"}, {"bytes": pack(learn(world, 1))}):
            incoming.put_nowait({"type": "websocket.receive", **message})
        sending, drained = asyncio.Event(), asyncio.Event()
        replies: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                sending.set()
                await drained.wait()  # a client not reading: uvicorn waits for the buffer
                replies.append(message["bytes"])

        session = asyncio.create_task(Session(runtime, scope, incoming.get, send).run())
        await asyncio.wait_for(sending.wait(), 10)
        held = cluster.lock.writer  # the reply waits; the update is applied and the lock free
        learned = cluster.network.stats()["samples_learned"]
        x = np.frombuffer(image(2), np.float32)
        await asyncio.wait_for(runtime.registry.learn(world.cluster, x, np.eye(10)[2]), 10)
        drained.set()
        incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(session, 10)
        return held, learned, len(replies)

    held, learned, replies = world.client.portal.call(scenario)  # type: ignore[union-attr]
    assert not held and learned == 1 and replies == 1
    assert cluster.network.stats()["samples_learned"] == 2


@pytest.mark.parametrize("inline_max_us", [0.0, 300.0], ids=["workers", "inline"])
def test_two_clusters_pipelined_apply_in_arrival_order(
    tmp_path: Path, inline_max_us: float
) -> None:
    """Each learn's outputs match a local replay of the same sequence, bit for bit."""
    client, world = start_world(tmp_path, ws_inline_max_us=inline_max_us)
    try:
        reply = client.post(
            "/v1/clusters", json={"name": "d", "template": TEMPLATE, "seed": 7}, headers=world.ma
        )
        other = str(reply.json()["id"])
        plan = [(world.cluster if rid % 3 else other, rid) for rid in range(60)]
        with client.websocket_connect(WS, headers=world.ma) as ws:
            for cluster, rid in plan:
                ws.send_bytes(pack(learn(world, rid, cluster=cluster)))
            replies = [msgpack.unpackb(ws.receive_bytes()) for _ in plan]
    finally:
        client.__exit__(None, None, None)
    assert [r["id"] for r in replies] == [rid for _, rid in plan]
    local = {
        world.cluster: Network.from_template(TEMPLATE, seed=0),
        other: Network.from_template(TEMPLATE, seed=7),
    }
    for (cluster, rid), reply in zip(plan, replies, strict=True):
        x = np.frombuffer(image(rid), dtype="<f4")
        expected = local[cluster].learn(x, np.eye(10, dtype=np.float32)[rid % 10])["test_output"]
        assert reply["outputs"]["test_output"] == expected.astype("<f4").tobytes(), rid


def test_invalid_refresh_closes_after_the_replies_to_earlier_requests(tmp_path: Path) -> None:
    client, world = start_world(tmp_path, ws_inline_max_us=0)  # learns queue on the workers
    try:
        with client.websocket_connect(WS, headers=world.ma) as ws:
            for rid in range(5):
                ws.send_bytes(pack(learn(world, rid)))
            ws.send_bytes(pack({"op": "auth", "id": 5, "token": "invalid"}))
            replies = [msgpack.unpackb(ws.receive_bytes()) for _ in range(6)]
            assert closed_with(ws) == 4401
    finally:
        client.__exit__(None, None, None)
    assert [r["id"] for r in replies] == list(range(6))
    assert all(r["ok"] for r in replies[:5]) and code_of(replies[5]) == "unauthorized"


def _revoked(ws: Any, reason: str) -> None:
    """The next frame is an `unauthorized` error naming `reason`, then the close is 4401
    (a ping sent now would get its pong first if the socket had not been closed)."""
    ws.send_bytes(pack({"op": "ping", "id": 99}))
    reply = msgpack.unpackb(ws.receive_bytes())
    assert code_of(reply) == "unauthorized" and reason in reply["error"]["message"]
    assert closed_with(ws) == 4401


def test_removing_a_membership_closes_that_users_sockets_in_the_project(world: World) -> None:
    admin = login(world.client)
    with world.client.websocket_connect(WS, headers=world.ma) as ws_a:
        with world.client.websocket_connect(WS, headers=world.mb) as ws_b:
            assert ask(ws_a, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
            reply = world.client.delete("/v1/users/ma/projects/A", headers=admin)
            assert reply.status_code == 204, reply.text
            _revoked(ws_a, "removed from project 'A'")
            assert ask(ws_b, {"op": "ping", "id": 2}) == {"id": 2, "ok": True}  # untouched
    assert len(runtime_of(world.client).sockets) == 0


def test_deleting_a_user_closes_their_sockets(world: World) -> None:
    with world.client.websocket_connect(WS, headers=world.mb) as ws:
        assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
        reply = world.client.delete("/v1/users/mb", headers=login(world.client))
        assert reply.status_code == 204, reply.text
        _revoked(ws, "user 'mb' was deleted")


def test_deleting_a_project_closes_its_sockets_before_it_can_be_recreated(world: World) -> None:
    admin = login(world.client)
    as_admin = {"Authorization": f"Bearer {world.issuer(0).issue('admin', 'B', MEMBER, True)[0]}"}
    with world.client.websocket_connect(WS, headers=world.mb) as member:
        with world.client.websocket_connect(WS, headers=as_admin) as ws_admin:
            with world.client.websocket_connect(WS, headers=world.ma) as other:
                for ws in (member, ws_admin, other):
                    assert ask(ws, {"op": "ping", "id": 1}) == {"id": 1, "ok": True}
                assert world.client.delete("/v1/projects/B", headers=admin).status_code == 204
                _revoked(member, "project 'B' was deleted")
                _revoked(ws_admin, "project 'B' was deleted")
                assert ask(other, {"op": "ping", "id": 2}) == {"id": 2, "ok": True}
