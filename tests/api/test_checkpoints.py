"""Checkpoints: snapshot, list/get/delete, restore, new cluster from one, download/upload,
damaged bytes refused whole, unknown ids 404."""

from __future__ import annotations

import io

import numpy as np
from starlette.testclient import TestClient

from hanami_rt.core import Network
from tests.api.batch import create_cluster, mnist_dataset, start_task, wait_task
from tests.api.support import TEMPLATE, build_world, error_code

H = dict[str, str]


def _answer(client: TestClient, headers: H, cluster: str, data: str) -> np.ndarray:
    task = start_task(client, headers, cluster, "request", data)
    assert wait_task(client, headers, task["id"])["state"] == "finished"
    reply = client.get(f"/v1/results/{task['id']}/outputs", headers=headers)
    return np.load(io.BytesIO(reply.content))


def _train(client: TestClient, headers: H, cluster: str, data: str, epochs: int = 1) -> None:
    task = start_task(client, headers, cluster, "train", data, epochs)
    assert wait_task(client, headers, task["id"])["state"] == "finished"


def test_checkpoint_restore_new_cluster_download_upload(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    _train(client, admin, cluster, data)
    before = _answer(client, admin, cluster, data)
    reply = client.post(f"/v1/clusters/{cluster}/checkpoints", json={"name": "one"}, headers=admin)
    assert reply.status_code == 201, reply.text
    checkpoint = reply.json()
    assert checkpoint["cluster_id"] == cluster and checkpoint["bytes"] > 0
    assert client.get(f"/v1/checkpoints/{checkpoint['id']}", headers=admin).json() == checkpoint
    items = client.get("/v1/checkpoints", headers=admin).json()["items"]
    assert [c["id"] for c in items] == [checkpoint["id"]]
    duplicate = client.post(
        f"/v1/clusters/{cluster}/checkpoints", json={"name": "one"}, headers=admin
    )
    assert duplicate.status_code == 409
    # learn more, then restore: the answers are those of the checkpoint again
    _train(client, admin, cluster, data)
    assert not np.array_equal(_answer(client, admin, cluster, data), before)
    body = {"checkpoint_id": checkpoint["id"]}
    assert (
        client.post(f"/v1/clusters/{cluster}/restore", json=body, headers=admin).status_code == 204
    )
    assert np.array_equal(_answer(client, admin, cluster, data), before)
    # a new cluster from the checkpoint answers the same
    reply = client.post(
        "/v1/clusters", json={"name": "copy", "checkpoint_id": checkpoint["id"]}, headers=admin
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["inputs"] == {"test_input": 784}
    assert np.array_equal(_answer(client, admin, reply.json()["id"], data), before)
    # download -> upload moves the network; the bytes are the core's checkpoint format
    download = client.get(f"/v1/checkpoints/{checkpoint['id']}/download", headers=admin)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    assert Network.from_bytes(download.content).stats()["samples_learned"] == 1000
    uploaded = client.post("/v1/checkpoints?name=moved", content=download.content, headers=admin)
    assert uploaded.status_code == 201 and uploaded.json()["cluster_id"] is None
    reply = client.post(
        "/v1/clusters",
        json={"name": "moved", "checkpoint_id": uploaded.json()["id"]},
        headers=admin,
    )
    assert np.array_equal(_answer(client, admin, reply.json()["id"], data), before)
    # delete
    assert client.delete(f"/v1/checkpoints/{checkpoint['id']}", headers=admin).status_code == 204
    assert client.get(f"/v1/checkpoints/{checkpoint['id']}", headers=admin).status_code == 404
    assert client.delete(f"/v1/checkpoints/{checkpoint['id']}", headers=admin).status_code == 404


def test_damaged_checkpoints_are_refused_whole(client: TestClient, admin: H) -> None:
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    cp = client.post(
        f"/v1/clusters/{cluster}/checkpoints", json={"name": "x"}, headers=admin
    ).json()
    good = client.get(f"/v1/checkpoints/{cp['id']}/download", headers=admin).content
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    for name, bad in [
        ("cut", good[: len(good) // 2]),
        ("flip", bytes(flipped)),
        ("junk", b"hello"),
        ("empty", b""),
    ]:
        reply = client.post(f"/v1/checkpoints?name={name}", content=bad, headers=admin)
        assert reply.status_code == 400 and error_code(reply) == "invalid_checkpoint", name
    assert [c["name"] for c in client.get("/v1/checkpoints", headers=admin).json()["items"]] == [
        "x"
    ]
    assert client.post("/v1/checkpoints", content=good, headers=admin).status_code == 400  # no name


def test_unknown_ids_are_404(client: TestClient, admin: H) -> None:
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    missing = [
        ("POST", f"/v1/clusters/{cluster}/restore", {"checkpoint_id": "nope"}),
        ("POST", "/v1/clusters/nope/restore", {"checkpoint_id": "nope"}),
        ("POST", "/v1/clusters/nope/checkpoints", {"name": "x"}),
        ("POST", "/v1/clusters", {"name": "n", "checkpoint_id": "nope"}),
        ("GET", "/v1/checkpoints/nope", None),
        ("GET", "/v1/checkpoints/nope/download", None),
        ("DELETE", "/v1/checkpoints/nope", None),
    ]
    for method, path, body in missing:
        reply = client.request(method, path, json=body, headers=admin)
        assert reply.status_code == 404 and error_code(reply) == "not_found", path
    both = {"name": "n", "template": TEMPLATE, "checkpoint_id": "x"}
    assert client.post("/v1/clusters", json=both, headers=admin).status_code == 400
    assert client.post("/v1/clusters", json={"name": "n"}, headers=admin).status_code == 400


def test_someone_elses_checkpoint_is_404(client: TestClient) -> None:
    world = build_world(client)
    cluster = create_cluster(client, world["member_a"], "c", TEMPLATE)
    reply = client.post(
        f"/v1/clusters/{cluster}/checkpoints", json={"name": "x"}, headers=world["member_a"]
    )
    checkpoint = reply.json()["id"]
    assert client.get(f"/v1/checkpoints/{checkpoint}", headers=world["member_b"]).status_code == 404
    assert client.get("/v1/checkpoints", headers=world["member_b"]).json()["items"] == []
    mine = create_cluster(client, world["member_b"], "mine", TEMPLATE)
    body = {"checkpoint_id": checkpoint}
    restore = client.post(f"/v1/clusters/{mine}/restore", json=body, headers=world["member_b"])
    assert restore.status_code == 404
    copy = {"name": "copy", "checkpoint_id": checkpoint}
    assert client.post("/v1/clusters", json=copy, headers=world["member_b"]).status_code == 404
    assert (
        client.get(f"/v1/checkpoints/{checkpoint}", headers=world["project_admin_a"]).status_code
        == 200
    )


def test_a_checkpoint_taken_during_a_train_task_is_whole(client: TestClient, admin: H) -> None:
    data = mnist_dataset(client, admin, "t10k", "t10k")
    cluster = create_cluster(client, admin, "c", TEMPLATE)
    task = start_task(client, admin, cluster, "train", data, epochs=1000)
    wait_task(client, admin, task["id"], until=("running",))
    cp = client.post(f"/v1/clusters/{cluster}/checkpoints", json={"name": "mid"}, headers=admin)
    assert cp.status_code == 201
    client.delete(f"/v1/tasks/{task['id']}", headers=admin)
    raw = client.get(f"/v1/checkpoints/{cp.json()['id']}/download", headers=admin).content
    network = Network.from_bytes(raw)  # between samples: intact, loads
    assert network.stats()["samples_learned"] > 0
