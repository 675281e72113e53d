"""Clusters and the realtime session (sync and async) against a real server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from cut_proxy import CutProxy
from live_server import (
    ADMIN,
    PASSWORD,
    SMALL_TEMPLATE,
    TEMPLATE,
    LiveServer,
    first_training_image,
)

from hanami_client import (
    AsyncClient,
    AuthError,
    Client,
    Cluster,
    ConnectionLost,
    NotFoundError,
    ValidationError,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def project(admin: Client) -> Iterator[Client]:
    """The admin acting in a fresh project, which is emptied and deleted afterwards."""
    name = f"s{id(admin) % 100000}"
    admin.projects.create(name, name)
    admin.switch_project(name)
    yield admin
    for cluster in admin.clusters.list():
        admin.clusters.delete(cluster.id)
    admin.switch_project(None)
    admin.projects.delete(name)


@asynccontextmanager
async def _cluster_in(client: AsyncClient, project: str) -> AsyncIterator[Cluster]:
    """A TEMPLATE cluster in a fresh project that `client` acts in; both deleted afterwards."""
    await client.projects.create(project, project)
    await client.switch_project(project)
    cluster = await client.clusters.create(project, TEMPLATE)
    yield cluster
    await client.clusters.delete(cluster.id)
    await client.switch_project(None)
    await client.projects.delete(project)


def _images(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 784)).astype(np.float32)
    images[rng.random((n, 784)) < 0.8] = 0
    return images


def test_clusters_create_get_list_delete(project: Client, tmp_path: Path) -> None:
    from_text = project.clusters.create("text", TEMPLATE, seed=3)
    assert isinstance(from_text, Cluster) and from_text.seed == 3
    assert (from_text.inputs, from_text.outputs) == ({"pixels": 784}, {"digit": 10})
    path = tmp_path / "small.txt"
    path.write_text(SMALL_TEMPLATE)
    from_path = project.clusters.create("path", path)
    assert from_path.inputs == {"a": 3, "b": 2}
    got = project.clusters.get(from_text.id)
    assert got.id == from_text.id and got.stats is not None
    assert {c.id for c in project.clusters.list()} == {from_text.id, from_path.id}
    with pytest.raises(ValidationError) as bad:
        project.clusters.create("bad", "version: 1\nbricks:\n    nonsense\n")
    assert bad.value.code == "invalid_template"
    project.clusters.delete(from_path.id)
    with pytest.raises(NotFoundError):
        project.clusters.get(from_path.id)
    with pytest.raises(NotFoundError):
        project.clusters.delete(from_path.id)


def test_session_learn_and_infer_with_bare_arrays(project: Client) -> None:
    cluster = project.clusters.create("bare", TEMPLATE)
    image = _images(1, 0)[0]
    with project.session(cluster.id) as session:
        assert (session.inputs, session.outputs) == ({"pixels": 784}, {"digit": 10})
        before = session.learn(image, np.eye(10)[3])
        assert isinstance(before, np.ndarray) and before.shape == (10,)
        assert before.dtype == np.float32
        after = session.infer(image)
        assert isinstance(after, np.ndarray) and after.shape == (10,)
        assert session.infer({"pixels": image.tolist()}).tolist() == after.tolist()
        assert session.ping() >= 0
        with pytest.raises(ValidationError) as wrong:
            session.infer(image[:5])
        assert wrong.value.code == "invalid_input"
    stats = project.clusters.get(cluster.id).stats
    assert stats is not None


def test_session_with_several_bricks_takes_and_returns_dicts(project: Client) -> None:
    cluster = project.clusters.create("multi", SMALL_TEMPLATE)
    with project.session(cluster.id) as session:
        out = session.learn({"a": [1, 2, 3], "b": [4, 5]}, {"x": [1, 0], "y": [0.5]})
        assert isinstance(out, dict) and sorted(out) == ["x", "y"]
        assert out["x"].shape == (2,) and out["y"].shape == (1,)
        with pytest.raises(ValidationError) as bare:
            session.infer([1, 2, 3])
        assert "a, b" in bare.value.message


def test_streams_match_one_by_one_requests_in_order(project: Client) -> None:
    images = _images(40, 1)
    targets = np.eye(10, dtype=np.float32)[np.arange(40) % 10]
    one = project.clusters.create("one", TEMPLATE, seed=7)
    many = project.clusters.create("many", TEMPLATE, seed=7)
    with project.session(one.id) as session:
        expected = [session.learn(x, y) for x, y in zip(images, targets, strict=True)]
        expected_infer = [session.infer(x) for x in images]
    with project.session(many.id, window=8) as session:
        streamed = list(session.learn_stream(zip(images, targets, strict=True)))
        streamed_infer = list(session.infer_stream(iter(images)))
    assert len(streamed) == 40
    for a, b in zip(expected + expected_infer, streamed + streamed_infer, strict=True):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
        assert a.tolist() == b.tolist()


def test_a_stream_reads_its_iterable_in_the_callers_thread_and_may_be_left_early(
    project: Client,
) -> None:
    cluster = project.clusters.create("early", TEMPLATE)
    images = _images(20, 6)
    threads: set[int] = set()

    def rows() -> Iterator[np.ndarray]:
        for image in images:
            threads.add(threading.get_ident())
            yield image

    with project.session(cluster.id, window=8) as session:
        for count, _ in enumerate(session.infer_stream(rows()), start=1):
            if count == 3:
                break  # up to 8 replies still in flight are dropped quietly
        assert threads == {threading.get_ident()}
        again = session.infer(images[0])
        assert isinstance(again, np.ndarray) and again.shape == (10,)


def test_session_on_an_unknown_cluster_is_not_found(project: Client) -> None:
    with pytest.raises(NotFoundError):
        with project.session("no-such-cluster"):
            pass


def test_hundred_learns_of_a_five_then_infer_says_five(project: Client) -> None:
    five = first_training_image(5)
    cluster = project.clusters.create("five", TEMPLATE)
    with project.session(cluster.id) as session:
        for _ in range(100):
            session.learn(five, np.eye(10)[5])
        assert int(np.argmax(session.infer(five))) == 5


def test_async_client_and_session(server: LiveServer) -> None:
    async def scenario() -> None:
        async with AsyncClient(server.url) as client:
            await client.login(ADMIN, PASSWORD)
            assert await client.ready()
            image = _images(1, 2)[0]
            async with (
                _cluster_in(client, "async-p") as cluster,
                client.session(cluster.id) as session,
            ):
                out = await session.learn(image, np.eye(10)[1])
                assert isinstance(out, np.ndarray) and out.shape == (10,)
                assert await session.ping() >= 0

                async def pairs() -> AsyncIterator[tuple[np.ndarray, np.ndarray]]:
                    for digit in range(10):
                        yield image, np.eye(10, dtype=np.float32)[digit]

                learned = [o async for o in session.learn_stream(pairs())]
                assert len(learned) == 10
                rows = [image] * 5
                outs = [o async for o in session.infer_stream(rows)]
                assert len(outs) == 5 and all(
                    isinstance(o, np.ndarray) and o.tolist() == outs[0].tolist() for o in outs
                )

    asyncio.run(scenario())


def test_a_dropped_socket_fails_the_learn_in_flight_and_reconnects(server: LiveServer) -> None:
    async def scenario() -> None:
        proxy = await CutProxy(server.port).start()
        image = _images(1, 3)[0]
        async with (
            AsyncClient(server.url) as direct,
            AsyncClient(f"http://127.0.0.1:{proxy.port}") as client,
        ):
            await direct.login(ADMIN, PASSWORD)
            async with _cluster_in(direct, "drop-p") as cluster:
                await client.login(ADMIN, PASSWORD, project_id="drop-p")
                async with client.session(cluster.id) as session:
                    await session.learn(image, np.eye(10)[2])
                    proxy.hold()
                    learn = asyncio.ensure_future(session.learn(image, np.eye(10)[2]))
                    await proxy.sent_while_held.wait()
                    proxy.cut()
                    with pytest.raises(ConnectionLost) as lost:
                        await learn
                    assert lost.value.may_have_been_applied is True
                    assert "may or may not have been applied" in lost.value.message
                    assert session.reconnects == 0
                    sent = proxy.upstream_bytes
                    out = await session.infer(image)  # reconnects and re-authenticates
                    assert isinstance(out, np.ndarray) and session.reconnects == 1
                    assert proxy.upstream_bytes - sent < 2 * 784 * 4  # the learn was not re-sent
        await proxy.stop()

    asyncio.run(scenario())


def test_the_token_is_refreshed_on_an_open_socket(project: Client) -> None:
    cluster = project.clusters.create("refresh", TEMPLATE)
    image = _images(1, 4)[0]
    first = project.token
    # a margin longer than the token's life: every request renews it first (auth frame)
    with project.session(cluster.id, refresh_margin_s=10**6) as session:
        session.infer(image)
        session.infer(image)
        assert session.reconnects == 0
    assert project.token != first


def test_a_refused_token_closes_4401_and_the_next_request_logs_in_again(
    server: LiveServer,
) -> None:
    async def scenario() -> None:
        image = _images(1, 5)[0]
        async with AsyncClient(server.url) as client:
            await client.login(ADMIN, PASSWORD)
            async with (
                _cluster_in(client, "refused-p") as cluster,
                client.session(cluster.id, refresh_margin_s=10**6) as session,
            ):
                await session.infer(image)
                client._api.token = "not-a-valid-token"  # as if the server had revoked it
                with pytest.raises(AuthError) as refused:
                    await session.infer(image)  # refreshes first: the server closes 4401
                assert refused.value.code == "unauthorized"
                session.refresh_margin_s = 30
                out = await session.infer(image)  # logs in again with the kept credentials
                assert isinstance(out, np.ndarray) and session.reconnects == 1
                assert client.token != "not-a-valid-token"

    asyncio.run(scenario())
