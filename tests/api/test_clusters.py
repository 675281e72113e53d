"""Clusters over REST, their live networks, and persistence across restarts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from starlette.testclient import TestClient

from hanami_rt.core import Template
from hanami_rt.service.persistence import blob_key
from hanami_rt.settings import Settings
from tests.api.support import TEMPLATE, build_world, error_code, login, runtime_of, start


def _digit(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.random(784) * 255 * (rng.random(784) < 0.2)).astype(np.float32)
    y = np.zeros(10, dtype=np.float32)
    y[seed % 10] = 1
    return x, y


def _create(client: TestClient, headers: dict[str, str], name: str, **extra: object) -> str:
    reply = client.post(
        "/v1/clusters", json={"name": name, "template": TEMPLATE, **extra}, headers=headers
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def test_create_get_list_delete(client: TestClient) -> None:
    world = build_world(client)
    ma = world["member_a"]
    reply = client.post(
        "/v1/clusters", json={"name": "net", "template": TEMPLATE, "seed": 7}, headers=ma
    )
    assert reply.status_code == 201
    cluster = reply.json()
    assert (cluster["name"], cluster["project_id"], cluster["owner_id"], cluster["seed"]) == (
        "net",
        "A",
        "ma",
        7,
    )
    assert cluster["inputs"] == {"test_input": 784} and cluster["outputs"] == {"test_output": 10}
    assert len(cluster["id"]) == 36  # a UUID
    dup = client.post("/v1/clusters", json={"name": "net", "template": TEMPLATE}, headers=ma)
    assert dup.status_code == 409 and error_code(dup) == "conflict"
    # the same name in another project is fine
    _create(client, world["member_b"], "net")
    got = client.get(f"/v1/clusters/{cluster['id']}", headers=ma).json()
    assert got["stats"]["neurons"] == 784 + 400 + 10
    assert got["stats"]["samples_learned"] == 0
    assert [c["id"] for c in client.get("/v1/clusters", headers=ma).json()["items"]] == [
        cluster["id"]
    ]
    assert client.get("/v1/clusters", headers=world["project_admin_a"]).json()["items"]
    admin_all = login(client)  # an admin with no project selected sees every project
    assert len(client.get("/v1/clusters", headers=admin_all).json()["items"]) == 2
    assert client.delete(f"/v1/clusters/{cluster['id']}", headers=ma).status_code == 204
    assert client.get(f"/v1/clusters/{cluster['id']}", headers=ma).status_code == 404
    assert runtime_of(client).registry.find(cluster["id"]) is None


def test_template_as_json_object_and_string(client: TestClient) -> None:
    world = build_world(client)
    document = Template.parse(TEMPLATE).to_dict()
    _create_json = client.post(
        "/v1/clusters", json={"name": "obj", "template": document}, headers=world["member_a"]
    )
    assert _create_json.status_code == 201
    as_string = client.post(
        "/v1/clusters",
        json={"name": "str", "template": json.dumps(document)},
        headers=world["member_a"],
    )
    assert as_string.status_code == 201


def test_bad_templates_name_the_line_and_write_nothing(client: TestClient) -> None:
    world = build_world(client)
    bad = TEMPLATE.replace("number_of_neurons: 400", "number_of_neurons: many")
    reply = client.post(
        "/v1/clusters", json={"name": "bad", "template": bad}, headers=world["member_a"]
    )
    assert reply.status_code == 400 and error_code(reply) == "invalid_template"
    error = reply.json()["error"]
    line = bad.splitlines().index("        number_of_neurons: many") + 1
    assert error["line"] == line and f"line {line}" in error["message"]
    for body in (
        {"name": "x", "template": 5},
        {"name": "x", "template": TEMPLATE, "seed": -1},
        {"name": "", "template": TEMPLATE},
        {"name": "x"},
    ):
        reply = client.post("/v1/clusters", json=body, headers=world["member_a"])
        assert reply.status_code == 400 and error_code(reply) == "validation_error", body
    assert client.get("/v1/clusters", headers=world["member_a"]).json()["items"] == []


def test_a_project_holding_clusters_cannot_be_deleted(client: TestClient) -> None:
    world = build_world(client)
    cluster = _create(client, world["member_a"], "net")
    admin = login(client)
    reply = client.delete("/v1/projects/A", headers=admin)
    assert reply.status_code == 409 and "1 cluster" in reply.json()["error"]["message"]
    client.delete(f"/v1/clusters/{cluster}", headers=world["member_a"])
    assert client.delete("/v1/projects/A", headers=admin).status_code == 204


def test_no_project_selected_is_explained(client: TestClient) -> None:
    reply = client.post(
        "/v1/clusters", json={"name": "x", "template": TEMPLATE}, headers=login(client)
    )
    assert reply.status_code == 400 and "PUT /v1/token" in reply.json()["error"]["message"]


def test_bad_learn_input_changes_nothing(client: TestClient) -> None:
    world = build_world(client)
    cluster = _create(client, world["member_a"], "net")
    runtime = runtime_of(client)
    x, y = _digit(1)
    x[3] = np.nan
    try:
        client.portal.call(runtime.registry.learn, cluster, x, y)  # type: ignore[union-attr]
    except ValueError as exc:
        assert type(exc).__name__ == "InputError"
    else:
        raise AssertionError("NaN input was accepted")
    assert not runtime.registry.get(cluster).dirty


def test_restart_restores_every_cluster_with_the_same_outputs(settings: Settings) -> None:
    client = start(settings)
    world = build_world(client)
    ids = [_create(client, world["member_a"], f"net{i}", seed=i) for i in range(2)]
    runtime = runtime_of(client)
    portal = client.portal
    assert portal is not None
    for i in range(30):
        x, y = _digit(i)
        portal.call(runtime.registry.learn, ids[i % 2], x, y)
    probes = [_digit(100 + i)[0] for i in range(3)]
    before = [[portal.call(runtime.registry.infer, cid, p) for p in probes] for cid in ids]
    stats = [
        client.get(f"/v1/clusters/{cid}", headers=world["member_a"]).json()["stats"] for cid in ids
    ]
    client.__exit__(None, None, None)  # graceful shutdown persists the changed clusters

    client = start(settings)
    try:
        runtime = runtime_of(client)
        portal = client.portal
        assert portal is not None
        ma = login(client, "ma", "password-123")
        for cid, outputs, old in zip(ids, before, stats, strict=True):
            assert client.get(f"/v1/clusters/{cid}", headers=ma).json()["stats"] == old
            for probe, expected in zip(probes, outputs, strict=True):
                got = portal.call(runtime.registry.infer, cid, probe)
                assert got.keys() == expected.keys()
                for brick in got:
                    np.testing.assert_array_equal(got[brick], expected[brick])
    finally:
        client.__exit__(None, None, None)


def test_periodic_persistence_saves_only_changed_clusters(
    client: TestClient, settings: Settings
) -> None:
    world = build_world(client)
    first, second = (_create(client, world["member_a"], n) for n in ("a", "b"))
    runtime = runtime_of(client)
    portal = client.portal
    assert portal is not None
    assert portal.call(runtime.persister.save_dirty) == 0  # creation already persisted them
    x, y = _digit(3)
    portal.call(runtime.registry.learn, first, x, y)
    assert runtime.registry.get(first).dirty and not runtime.registry.get(second).dirty
    assert portal.call(runtime.persister.save_dirty) == 1
    assert not runtime.registry.get(first).dirty
    blob = settings.data_dir / "blobs" / blob_key(first)
    assert blob.stat().st_size > 0


def test_a_corrupt_stored_network_is_rebuilt_and_logged(settings: Settings) -> None:
    client = start(settings)
    world = build_world(client)
    cluster = _create(client, world["member_a"], "net")
    client.__exit__(None, None, None)
    blob = settings.data_dir / "blobs" / blob_key(cluster)
    blob.write_bytes(blob.read_bytes()[:50])
    client = start(settings)
    try:
        ma = login(client, "ma", "password-123")
        assert client.get(f"/v1/clusters/{cluster}", headers=ma).status_code == 200
        errors = client.get("/v1/error-log", headers=login(client)).json()["items"]
        assert [e["error_type"] for e in errors] == ["CheckpointError"]
    finally:
        client.__exit__(None, None, None)


def test_missing_blob_rebuilds_from_template(tmp_path: Path, settings: Settings) -> None:
    client = start(settings)
    world = build_world(client)
    cluster = _create(client, world["member_a"], "net", seed=3)
    client.__exit__(None, None, None)
    (settings.data_dir / "blobs" / blob_key(cluster)).unlink()
    client = start(settings)
    try:
        runtime = runtime_of(client)
        assert runtime.registry.get(cluster).network.seed == 3
    finally:
        client.__exit__(None, None, None)


def test_an_unrestorable_cluster_is_skipped_and_logged(settings: Settings) -> None:
    client = start(settings)
    world = build_world(client)
    good = _create(client, world["member_a"], "good")
    runtime = runtime_of(client)
    portal = client.portal
    assert portal is not None
    portal.call(runtime.cluster_rows.create, "broken", "A", "ma", "broken", "not a template", 0)
    client.__exit__(None, None, None)
    client = start(settings)
    try:
        assert client.get("/readyz").status_code == 200
        ma = login(client, "ma", "password-123")
        assert client.get(f"/v1/clusters/{good}", headers=ma).status_code == 200
        errors = client.get("/v1/error-log", headers=login(client)).json()["items"]
        assert [e["error_type"] for e in errors] == ["TemplateError"]
        assert "not restored" in errors[0]["message"]
    finally:
        client.__exit__(None, None, None)


def test_a_member_without_a_project_sees_no_clusters(client: TestClient) -> None:
    world = build_world(client)
    _create(client, world["member_a"], "mine")
    admin = login(client)
    client.delete("/v1/users/ma/projects/A", headers=admin)
    ma = login(client, "ma", "password-123")  # no membership left: no project selected
    assert client.get("/v1/clusters", headers=ma).json()["items"] == []
