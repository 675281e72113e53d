"""Tasks: train and request through the REST path, progress, order, cancel, restart, results."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from hanami_rt.core import Network
from tests.api.batch import (
    SMALL_TEMPLATE,
    create_cluster,
    csv_dataset,
    mnist_dataset,
    start_task,
    wait_task,
)
from tests.api.support import TEMPLATE, create_project, error_code, login, make_settings, start
from tests.mnist import one_hot, subset

H = dict[str, str]


def _outputs(client: TestClient, headers: H, task: str) -> np.ndarray:
    reply = client.get(f"/v1/results/{task}/outputs", headers=headers)
    assert reply.status_code == 200
    return np.load(io.BytesIO(reply.content))


def test_train_then_request_match_a_local_replay(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    train = start_task(client, admin, cluster, "train", data, epochs=2)
    request = start_task(client, admin, cluster, "request", data)  # queued behind the train
    trained = wait_task(client, admin, train["id"])
    answered = wait_task(client, admin, request["id"])
    assert trained["state"] == answered["state"] == "finished"
    assert trained["samples_done"] == trained["samples_total"] == 2000
    assert trained["samples_per_s"] > 0 and trained["reason"] is None
    assert answered["started"] >= trained["ended"]  # one cluster's tasks run in order
    listed = client.get(f"/v1/clusters/{cluster}/tasks", headers=admin).json()["items"]
    assert [t["id"] for t in listed] == [train["id"], request["id"]]
    # chunking changes nothing: the same network as learning everything in one call
    images, labels = subset("t10k")
    local = Network.from_template(TEMPLATE, seed=0)
    for _ in range(2):
        local.learn_many(images, one_hot(labels))
    expected = local.infer_many(images)["test_output"]
    outputs = _outputs(client, admin, request["id"])
    assert outputs.dtype == np.float32 and np.array_equal(outputs, expected)
    page = client.get(f"/v1/results/{request['id']}?offset=10&limit=5", headers=admin).json()
    assert page["classes"] == expected[10:15].argmax(axis=1).tolist()
    assert (page["rows"], page["next_offset"]) == (1000, 15)
    check = client.post(
        f"/v1/results/{request['id']}/check", json={"dataset_id": data}, headers=admin
    ).json()
    assert check["metric"] == "accuracy"
    assert check["correct"] == int((expected.argmax(axis=1) == labels).sum())
    assert check["value"] == pytest.approx(check["correct"] / 1000)
    metrics = client.get("/metrics").text  # what telemetry shows of the tasks
    assert 'hanami_task_samples_total{type="train"} 2000.0' in metrics
    assert 'hanami_task_samples_total{type="request"} 1000.0' in metrics
    assert 'hanami_tasks{state="finished"} 2.0' in metrics


def test_csv_rows_and_time_series(client: TestClient, admin: H) -> None:
    cluster = create_cluster(client, admin, "small", SMALL_TEMPLATE)
    rows = "x_0,x_1,x_2,y\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(40))
    per_row = csv_dataset(client, admin, "rows", rows).json()["id"]
    series_text = "x,y\n" + "".join(f"{i % 7},{i % 2}\n" for i in range(30))
    series = csv_dataset(client, admin, "series", series_text).json()["id"]
    for data, samples in [(per_row, 40), (series, 28)]:  # a window of 3 rows: 30 - 2 samples
        train = wait_task(client, admin, start_task(client, admin, cluster, "train", data)["id"])
        assert (train["state"], train["samples_total"]) == ("finished", samples)
        request = start_task(client, admin, cluster, "request", data)
        assert wait_task(client, admin, request["id"])["state"] == "finished"
        page = client.get(f"/v1/results/{request['id']}", headers=admin).json()
        assert page["classes"] is None and len(page["values"]) == samples
        check = client.post(
            f"/v1/results/{request['id']}/check", json={"dataset_id": data}, headers=admin
        ).json()
        got = np.array(page["values"], dtype=np.float32)[:, 0]
        truth = np.arange(40) % 2 if data == per_row else (np.arange(2, 30) % 2)
        assert check["metric"] == "mse"
        assert check["value"] == pytest.approx(float(np.mean((got - truth) ** 2)), rel=1e-5)


def test_columns_must_match_the_bricks(client: TestClient, admin: H) -> None:
    small = create_cluster(client, admin, "small", SMALL_TEMPLATE)
    mnist = create_cluster(client, admin, "mnist", TEMPLATE)
    images = mnist_dataset(client, admin, "t10k", "t10k")
    cases = [
        (small, images, "train", "needs exactly one input brick of 784 neurons"),
        (
            small,
            csv_dataset(client, admin, "z", "z,y\n1,0\n").json()["id"],
            "train",
            "no column for input brick 'x'",
        ),
        (
            small,
            csv_dataset(client, admin, "w", "x_0,x_1,y\n1,2,0\n").json()["id"],
            "train",
            "column group 'x' has 2 column(s)",
        ),
        (
            small,
            csv_dataset(client, admin, "nolabel", "x\n1\n2\n3\n").json()["id"],
            "train",
            "no column for output brick 'y'",
        ),
        (
            small,
            csv_dataset(client, admin, "short", "x,y\n1,0\n2,1\n").json()["id"],
            "request",
            "a sliding window of 3 rows",
        ),
        (
            mnist,
            csv_dataset(client, admin, "m", "x,y\n1,0\n").json()["id"],
            "train",
            "'test_input'",
        ),
    ]
    for cluster, data, kind, message in cases:
        body = {"type": kind, "dataset_id": data}
        reply = client.post(f"/v1/clusters/{cluster}/tasks", json=body, headers=admin)
        assert reply.status_code == 400 and error_code(reply) == "validation_error"
        assert message in reply.json()["error"]["message"], reply.text
    # a request needs no expected column
    ok = csv_dataset(client, admin, "inputs-only", "x\n1\n2\n3\n4\n").json()["id"]
    assert start_task(client, admin, small, "request", ok)["samples_total"] == 2
    bad = [
        ({"type": "fit", "dataset_id": ok}, 400),
        ({"type": "train", "dataset_id": ok, "epochs": 0}, 400),
    ]
    bad.append(({"type": "train", "dataset_id": "nope"}, 404))
    for body, status in bad:
        assert (
            client.post(f"/v1/clusters/{small}/tasks", json=body, headers=admin).status_code
            == status
        )
    assert (
        client.post(
            "/v1/clusters/nope/tasks", json={"type": "train", "dataset_id": ok}, headers=admin
        ).status_code
        == 404
    )


def test_cancel_running_and_queued(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    long = start_task(client, admin, cluster, "train", data, epochs=1000)
    queued = start_task(client, admin, cluster, "request", data)
    running = wait_task(client, admin, long["id"], until=("running",))
    assert running["samples_per_s"] is None or running["samples_per_s"] > 0
    reply = client.delete(f"/v1/tasks/{queued['id']}", headers=admin)
    assert reply.status_code == 200 and reply.json()["state"] == "cancelled"
    assert reply.json()["samples_done"] == 0 and reply.json()["started"] is None
    assert client.get(f"/v1/tasks/{long['id']}", headers=admin).json()["state"] == "running"
    reply = client.delete(f"/v1/tasks/{long['id']}", headers=admin)
    body = reply.json()
    assert reply.status_code == 200 and body["state"] == "cancelled"
    assert 0 < body["samples_done"] < body["samples_total"] and body["ended"]
    assert client.get(f"/v1/tasks/{long['id']}", headers=admin).json() == body
    again = client.delete(f"/v1/tasks/{long['id']}", headers=admin)
    assert again.status_code == 409 and error_code(again) == "conflict"
    results = client.get(f"/v1/results/{queued['id']}", headers=admin)
    assert results.status_code == 409  # cancelled: no results
    # the cluster takes new work right after
    after = start_task(client, admin, cluster, "request", data)
    assert wait_task(client, admin, after["id"])["state"] == "finished"


def test_results_errors_and_dataset_in_use(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    train = start_task(client, admin, cluster, "train", data, epochs=1000)
    in_use = client.delete(f"/v1/datasets/{data}", headers=admin)
    assert in_use.status_code == 409 and "cancel it first" in in_use.json()["error"]["message"]
    client.delete(f"/v1/tasks/{train['id']}", headers=admin)
    reply = client.get(f"/v1/results/{train['id']}", headers=admin)
    assert reply.status_code == 409 and "train task" in reply.json()["error"]["message"]
    assert client.get("/v1/results/nope", headers=admin).status_code == 404
    assert client.get("/v1/tasks/nope", headers=admin).status_code == 404
    request = start_task(client, admin, cluster, "request", data)
    wait_task(client, admin, request["id"])
    other = csv_dataset(client, admin, "other", "test_input,test_output\n1,0\n").json()["id"]
    mismatch = client.post(
        f"/v1/results/{request['id']}/check", json={"dataset_id": other}, headers=admin
    )
    assert mismatch.status_code == 400


def test_deleting_the_cluster_fails_its_task(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    task = start_task(client, admin, cluster, "train", data, epochs=1000)
    wait_task(client, admin, task["id"], until=("running",))
    assert client.delete(f"/v1/clusters/{cluster}", headers=admin).status_code == 204
    ended = wait_task(client, admin, task["id"])
    assert ended["state"] == "failed" and "was deleted" in ended["reason"]


def test_a_restart_fails_the_running_task_with_a_reason(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    client = start(settings)
    admin = create_project(client, "A")
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    task = start_task(client, admin, cluster, "train", data, epochs=1000)
    queued = start_task(client, admin, cluster, "train", data)
    wait_task(client, admin, task["id"], until=("running",))
    client.__exit__(None, None, None)
    client = start(settings)
    try:
        admin = login(client, project="A")
        for task_id, was in [(task["id"], "running"), (queued["id"], "queued")]:
            body = client.get(f"/v1/tasks/{task_id}", headers=admin).json()
            assert body["state"] == "failed" and body["ended"]
            assert "server stopped" in body["reason"] and was in body["reason"]
    finally:
        client.__exit__(None, None, None)


def test_different_clusters_run_their_tasks_side_by_side(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    first = create_cluster(client, admin, "first", TEMPLATE)
    second = create_cluster(client, admin, "second", TEMPLATE)
    a = start_task(client, admin, first, "train", data, epochs=1000)
    b = start_task(client, admin, second, "train", data, epochs=1000)
    wait_task(client, admin, a["id"], until=("running",))
    wait_task(client, admin, b["id"], until=("running",))  # not queued behind the other cluster
    assert client.get(f"/v1/tasks/{a['id']}", headers=admin).json()["state"] == "running"
    for task in (a, b):
        assert (
            client.delete(f"/v1/tasks/{task['id']}", headers=admin).json()["state"] == "cancelled"
        )
