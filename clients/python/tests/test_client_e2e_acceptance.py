"""The original's acceptance workflow, written with the SDK, against a real server; plus the
dataset, task, result and checkpoint methods it does not reach."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cut_proxy import CutProxy
from live_server import ADMIN, MNIST, PASSWORD, TEMPLATE, LiveServer, first_training_image

from hanami_client import (
    AsyncClient,
    AuthError,
    Client,
    ConflictError,
    NotFoundError,
    ServerError,
    ValidationError,
)

pytestmark = pytest.mark.e2e

TRAIN = (MNIST / "train-images-idx3-ubyte.gz", MNIST / "train-labels-idx1-ubyte.gz")
TEST = (MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz")
CSV_TEMPLATE = """version: 1
bricks:
    1,1,1
        input: a
        number_of_neurons: 3
    2,1,1
        number_of_neurons: 20
    3,1,1
        output: y
        number_of_neurons: 1
"""


@pytest.fixture
def workspace(server: LiveServer) -> Iterator[Client]:
    """An admin client acting in project `acceptance`."""
    with Client(server.url, poll_interval=0.05) as client:
        client.login(ADMIN, PASSWORD)
        client.projects.create("acceptance", "Acceptance")
        client.switch_project("acceptance")
        yield client


def test_acceptance_workflow(workspace: Client, server: LiveServer) -> None:
    client = workspace
    # accounts: create, again -> 409, unknown -> 404, delete twice -> 404 the second time
    with pytest.raises(ConflictError):
        client.projects.create("acceptance", "Again")
    with pytest.raises(NotFoundError):
        client.projects.get("no-such-project")
    client.users.create("acc-user", "Acceptance user", "password-1")
    with pytest.raises(ConflictError):
        client.users.create("acc-user", "Acceptance user", "password-1")
    client.users.delete("acc-user")
    with pytest.raises(NotFoundError):
        client.users.delete("acc-user")

    # the MNIST subset: 6,000 to learn, 1,000 held out
    train = client.datasets.upload_mnist("mnist-train", *TRAIN)
    test = client.datasets.upload_mnist("mnist-test", *TEST, progress=False)
    assert (train.type, train.rows, train.inputs, train.outputs) == ("idx", 6000, 784, 10)
    assert client.datasets.get(test.id) == test and test.rows == 1000
    assert {d.id for d in client.datasets.list()} == {train.id, test.id}

    cluster = client.clusters.create("mnist", TEMPLATE)
    trained = client.tasks.train(cluster.id, train.id, epochs=1)
    assert trained.state == "finished" and trained.samples_done == trained.samples_total == 6000
    assert client.tasks.get(trained.id) == trained
    assert [t.id for t in client.tasks.list(cluster.id)] == [trained.id]

    checkpoint = client.checkpoints.save(cluster.id, "after-training")
    assert checkpoint.cluster_id == cluster.id and checkpoint.bytes > 0
    client.clusters.delete(cluster.id)
    fresh = client.clusters.create("mnist-again", TEMPLATE)
    client.checkpoints.restore(fresh.id, checkpoint.id)

    requested = client.tasks.request(fresh.id, test.id)
    assert requested.state == "finished"
    check = client.results.check(requested.id, test.id)
    assert check.metric == "accuracy" and check.accuracy is not None and check.mse is None
    assert check.accuracy > 0.85, check
    result = client.results.get(requested.id)
    assert result.rows == 1000 and result.classes is not None and len(result.classes) == 1000
    outputs = client.results.outputs(requested.id)
    assert outputs.shape == (1000, 10) and outputs.dtype == np.float32
    assert list(np.argmax(outputs, axis=1)) == list(result.classes)
    client.checkpoints.delete(checkpoint.id)
    with pytest.raises(NotFoundError):
        client.checkpoints.get(checkpoint.id)

    # 100 live learns of a 5 from the subset, then infer says 5
    five = first_training_image(5)
    with client.session(fresh.id) as session:
        for _ in range(100):
            session.learn(five, np.eye(10)[5])
        assert int(np.argmax(session.infer(five))) == 5

    client.clusters.delete(fresh.id)
    for dataset in (train, test):
        client.datasets.delete(dataset.id)
    with pytest.raises(NotFoundError):
        client.datasets.get(train.id)
    client.switch_project(None)
    client.projects.delete("acceptance")


def test_csv_resume_cancel_and_checkpoint_files(server: LiveServer, tmp_path: Path) -> None:
    with Client(server.url, poll_interval=0.05) as client:
        client.login(ADMIN, PASSWORD)
        client.projects.create("batch", "Batch")
        client.switch_project("batch")

        rows = np.random.default_rng(0).random((200, 3)).astype(np.float32) * 100
        csv_file = tmp_path / "sensor.csv"
        lines = ["a_0,a_1,a_2,y"] + [f"{a},{b},{c},{(a + b) / 200:.4f}" for a, b, c in rows]
        csv_file.write_text("\n".join(lines) + "\n")
        data = client.datasets.upload_csv("sensor", csv_file, progress=False)
        assert (data.type, data.rows, data.columns) == ("csv", 200, {"a": 3, "y": 1})
        bad = tmp_path / "bad.csv"
        bad.write_text("a_0,a_1,a_2,y\n1,2,3,4\n1,x,3,4\n")
        with pytest.raises(ValidationError) as refused:
            client.datasets.upload_csv("bad", bad, progress=False)
        assert "line 3" in refused.value.message

        cluster = client.clusters.create("sensor", CSV_TEMPLATE, seed=1)
        client.tasks.train(cluster.id, data.id, epochs=2, progress=False)
        requested = client.tasks.request(cluster.id, data.id, progress=False)
        check = client.results.check(requested.id, data.id)
        assert check.metric == "mse" and check.mse is not None and check.accuracy is None
        values = client.results.get(requested.id).values
        assert values is not None and len(values) == 200 and len(values[0]) == 1

        # cancel a long task; waiting on it says it was cancelled
        long = client.tasks.train(cluster.id, data.id, epochs=1000, wait=False)
        assert long.state in ("queued", "running")
        client.tasks.cancel(long.id)
        with pytest.raises(ServerError) as cancelled:
            client.tasks.wait(long.id, progress=False)
        assert cancelled.value.code == "task_cancelled"
        assert client.tasks.get(long.id).state == "cancelled"
        with pytest.raises(ConflictError):
            client.tasks.cancel(long.id)

        # checkpoint files move between servers: download, upload, build a cluster from one
        saved = client.checkpoints.save(cluster.id, "sensor-net")
        assert saved in client.checkpoints.list()
        path = client.checkpoints.download(saved.id, tmp_path / "sensor.hnet")
        assert path.stat().st_size == saved.bytes
        uploaded = client.checkpoints.upload(path, "moved")
        assert (uploaded.name, uploaded.cluster_id, uploaded.bytes) == ("moved", None, saved.bytes)
        copy = client.clusters.create("copy", checkpoint_id=uploaded.id)
        with client.session(cluster.id) as a, client.session(copy.id) as b:
            sample = rows[0]
            assert np.array_equal(a.infer(sample), b.infer(sample))
        broken = tmp_path / "broken.hnet"
        broken.write_bytes(path.read_bytes()[:100])
        with pytest.raises(ValidationError) as damaged:
            client.checkpoints.upload(broken, "broken")
        assert damaged.value.code == "invalid_checkpoint"

        for c in (cluster, copy):
            client.clusters.delete(c.id)
        for k in client.checkpoints.list():
            client.checkpoints.delete(k.id)
        client.datasets.delete(data.id)
        client.switch_project(None)
        client.projects.delete("batch")


def test_an_upload_cut_midway_resumes_where_the_server_stopped(server: LiveServer) -> None:
    async def scenario() -> None:
        proxy = await CutProxy(server.port).start()
        async with AsyncClient(f"http://127.0.0.1:{proxy.port}") as client:
            await client.login(ADMIN, PASSWORD)
            await client.projects.create("resume", "Resume")
            await client.switch_project("resume")
            client.datasets.chunk_bytes = 256 * 1024
            proxy.cut_after(600 * 1024)  # in the middle of the third chunk
            dataset = await client.datasets.upload_mnist("resumed", *TRAIN, progress=False)
            assert proxy.cuts == 1 and dataset.rows == 6000
            await client.datasets.delete(dataset.id)
            await client.switch_project(None)
            await client.projects.delete("resume")
        await proxy.stop()

    asyncio.run(scenario())


def test_an_unfinished_upload_is_resumed_by_id(admin: Client) -> None:
    admin.projects.create("by-id", "By id")
    admin.switch_project("by-id")
    images = TEST[0]
    size = images.stat().st_size
    upload_id = admin.datasets.upload_file(images, stop_at=size // 3)
    assert admin.datasets.received(upload_id) == size // 3
    assert admin.datasets.upload_file(images, upload_id=upload_id) == upload_id
    assert admin.datasets.received(upload_id) == size
    admin.switch_project(None)
    admin.projects.delete("by-id")


def test_measurements(admin: Client) -> None:
    for series in (
        admin.measurements.power(),
        admin.measurements.cpu_frequency(),
        admin.measurements.temperature(),
    ):
        assert len(series.seconds) <= 60 and len(series.minutes) <= 60
        assert len(series.hours) <= 24 and len(series.days) <= 365
    system = admin.measurements.system()
    assert system.id and system.cpu["logical_cpus"] >= 1 and "numpy" in system.versions


def test_a_member_may_not_read_the_system(admin: Client, server: LiveServer) -> None:
    admin.projects.create("m-proj", "M")
    admin.users.create("m-user", "M", "password-1")
    admin.users.add_project("m-user", "m-proj")
    with Client(server.url) as member:
        member.login("m-user", "password-1")
        assert member.measurements.power().id == "power"
        with pytest.raises(AuthError):
            member.measurements.system()
    admin.users.delete("m-user")
    admin.projects.delete("m-proj")
