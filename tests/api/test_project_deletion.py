"""Deleting a project takes what it owns with it: checkpoints, uploads, tasks, result files.

A project re-created under the same id must start empty: nothing of the old one is listed or
fetchable. A queued or running task blocks the deletion (409) and then nothing is removed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hanami_rt.api.runtime import Runtime
from hanami_rt.core import Network
from hanami_rt.service.checkpoints import checkpoint_key
from hanami_rt.service.tasks import result_key
from hanami_rt.service.uploads import upload_key
from hanami_rt.settings import Settings
from tests.api.batch import SMALL_TEMPLATE, create_cluster, csv_dataset, start_task, wait_task
from tests.api.support import (
    PASSWORD,
    create_project,
    create_user,
    error_code,
    login,
    project_rows,
    runtime_of,
)

H = dict[str, str]
CSV = "x_0,x_1,x_2,y\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(40))
OWNED = ("checkpoints", "uploads", "tasks")


def _blob(settings: Settings, key: str) -> Path:
    return settings.data_dir / "blobs" / key


def _partial_upload(client: TestClient, headers: H) -> str:
    """An upload of 10 bytes of which 3 arrived."""
    reply = client.post("/v1/uploads", json={"size": 10}, headers=headers)
    assert reply.status_code == 201, reply.text
    upload_id = str(reply.json()["id"])
    part = {**headers, "Content-Range": "bytes 0-2/10"}
    reply = client.put(f"/v1/uploads/{upload_id}", content=b"abc", headers=part)
    assert reply.status_code == 200 and reply.json()["received"] == 3, reply.text
    return upload_id


def _checkpoint(client: TestClient, headers: H, cluster: str, name: str) -> str:
    reply = client.post(f"/v1/clusters/{cluster}/checkpoints", json={"name": name}, headers=headers)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def _fill(client: TestClient, headers: H) -> dict[str, Any]:
    """A project with a cluster, a dataset, a finished train and request task (with its result
    file), a taken and an uploaded checkpoint, and an unfinished upload."""
    cluster = create_cluster(client, headers, "net", SMALL_TEMPLATE)
    dataset = csv_dataset(client, headers, "rows", CSV).json()["id"]
    tasks = []
    for kind in ("train", "request"):
        task = start_task(client, headers, cluster, kind, dataset)
        assert wait_task(client, headers, task["id"])["state"] == "finished"
        tasks.append(task["id"])
    taken = _checkpoint(client, headers, cluster, "taken")
    download = client.get(f"/v1/checkpoints/{taken}/download", headers=headers)
    uploaded = client.post("/v1/checkpoints?name=moved", content=download.content, headers=headers)
    assert uploaded.status_code == 201, uploaded.text
    return {
        "cluster": cluster,
        "dataset": dataset,
        "tasks": tasks,
        "checkpoints": [taken, uploaded.json()["id"]],
        "upload": _partial_upload(client, headers),
    }


def _files(settings: Settings, made: dict[str, Any]) -> list[Path]:
    """The blob files of what `_fill` made (the request task's result among them)."""
    return [
        *(_blob(settings, checkpoint_key(c)) for c in made["checkpoints"]),
        _blob(settings, upload_key(made["upload"])),
        _blob(settings, result_key(made["tasks"][1])),
    ]


def _gone_for(client: TestClient, headers: H, made: dict[str, Any]) -> None:
    """None of `made`'s checkpoints, tasks, results or uploads can be fetched (404)."""
    urls = [
        *(f"/v1/checkpoints/{c}" for c in made["checkpoints"]),
        *(f"/v1/checkpoints/{c}/download" for c in made["checkpoints"]),
        *(f"/v1/tasks/{t}" for t in made["tasks"]),
        f"/v1/results/{made['tasks'][1]}",
        f"/v1/results/{made['tasks'][1]}/outputs",
        f"/v1/uploads/{made['upload']}",
    ]
    for url in urls:
        reply = client.get(url, headers=headers)
        assert reply.status_code == 404 and error_code(reply) == "not_found", (url, reply.text)


def _empty(client: TestClient, headers: H) -> None:
    """The project's lists hold nothing."""
    for url in ("/v1/checkpoints", "/v1/datasets", "/v1/clusters"):
        reply = client.get(url, headers=headers)
        assert reply.status_code == 200 and reply.json()["items"] == [], (url, reply.text)


def _delete_cluster_and_dataset(client: TestClient, headers: H, made: dict[str, Any]) -> None:
    assert client.delete(f"/v1/clusters/{made['cluster']}", headers=headers).status_code == 204
    assert client.delete(f"/v1/datasets/{made['dataset']}", headers=headers).status_code == 204


def test_deleting_a_project_removes_its_checkpoints_uploads_tasks_and_files(
    client: TestClient, settings: Settings
) -> None:
    admin_a = create_project(client, "A")
    admin_b = create_project(client, "B")
    made = _fill(client, admin_a)
    kept = _fill(client, admin_b)  # another project's things must survive
    for path in _files(settings, made):
        assert path.is_file(), path
    assert [project_rows(client, table, "A") for table in OWNED] == [2, 1, 2]
    _delete_cluster_and_dataset(client, admin_a, made)

    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204

    assert [project_rows(client, table, "A") for table in OWNED] == [0, 0, 0]
    for path in _files(settings, made):
        assert not path.exists(), path
    _gone_for(client, login(client), made)  # an admin sees every project: nothing is left
    assert [project_rows(client, table, "B") for table in OWNED] == [2, 1, 2]
    for path in _files(settings, kept):
        assert path.is_file(), path
    reply = client.get(f"/v1/checkpoints/{kept['checkpoints'][0]}/download", headers=admin_b)
    assert reply.status_code == 200 and reply.content
    assert client.get(f"/v1/uploads/{kept['upload']}", headers=admin_b).json()["received"] == 3
    result = client.get(f"/v1/results/{kept['tasks'][1]}", headers=admin_b)
    assert result.status_code == 200 and result.json()["rows"] == 40


def test_a_project_recreated_with_the_same_id_sees_nothing_of_the_old_one(
    client: TestClient,
) -> None:
    admin_a = create_project(client, "A")
    made = _fill(client, admin_a)
    _delete_cluster_and_dataset(client, admin_a, made)
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204

    create_project(client, "A")
    create_user(client, login(client), "pa", {"A": True})  # sees all of the new project A
    project_admin = login(client, "pa", PASSWORD)
    _empty(client, project_admin)
    _gone_for(client, project_admin, made)
    _empty(client, login(client, project="A"))
    _gone_for(client, login(client, project="A"), made)
    # the new project's own things work as usual, under the old names too
    cluster = create_cluster(client, project_admin, "net", SMALL_TEMPLATE)
    fresh = _checkpoint(client, project_admin, cluster, "taken")
    items = client.get("/v1/checkpoints", headers=project_admin).json()["items"]
    assert [c["id"] for c in items] == [fresh]


@pytest.fixture
def gate(client: TestClient) -> Iterator[threading.Event]:
    """Opened at the end of the test whatever happens, so a held cluster never hangs it."""
    event = threading.Event()
    try:
        yield event
    finally:
        event.set()


def _hold(client: TestClient, runtime: Runtime, cluster: str, gate: threading.Event) -> None:
    """Hold the cluster's exclusive lock on a worker until `gate` opens: a task started then
    is `running` and waits for its first chunk. Returns once the lock is held."""
    portal = client.portal
    assert portal is not None
    held = threading.Event()

    def wait(_network: Network) -> None:
        held.set()
        gate.wait()

    portal.start_task_soon(functools.partial(runtime.registry.exclusive, cluster, wait, op=None))
    assert held.wait(60), "the cluster's lock was never taken"  # a guard against a hang only


def test_a_running_task_blocks_the_deletion_and_nothing_is_removed(
    client: TestClient, settings: Settings, gate: threading.Event
) -> None:
    admin_a = create_project(client, "A")
    made = _fill(client, admin_a)
    _hold(client, runtime_of(client), made["cluster"], gate)
    running = start_task(client, admin_a, made["cluster"], "train", made["dataset"], epochs=3)
    assert wait_task(client, admin_a, running["id"], until=("running",))["state"] == "running"

    refused = client.delete("/v1/projects/A", headers=login(client))

    assert refused.status_code == 409 and error_code(refused) == "conflict"
    assert "1 queued or running task(s)" in refused.json()["error"]["message"]
    assert client.get("/v1/projects/A", headers=login(client)).status_code == 200
    assert [project_rows(client, table, "A") for table in OWNED] == [2, 1, 3]
    for path in _files(settings, made):
        assert path.is_file(), path
    for checkpoint in made["checkpoints"]:
        assert client.get(f"/v1/checkpoints/{checkpoint}", headers=admin_a).status_code == 200
    assert client.get(f"/v1/uploads/{made['upload']}", headers=admin_a).json()["received"] == 3
    assert client.get(f"/v1/results/{made['tasks'][1]}", headers=admin_a).status_code == 200

    gate.set()
    assert wait_task(client, admin_a, running["id"])["state"] == "finished"
    _delete_cluster_and_dataset(client, admin_a, made)
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204
    assert [project_rows(client, table, "A") for table in OWNED] == [0, 0, 0]


def test_a_row_added_while_the_project_is_deleted_goes_with_it(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_project(client, "A")
    runtime = runtime_of(client)
    delete_row = runtime.projects.delete
    added: list[str] = []

    async def racing_delete(project_id: str) -> bool:
        # an upload created after the first sweep, just before the project's row goes
        added.append((await runtime.batch.uploads.create(project_id, "admin", 10)).id)
        return await delete_row(project_id)

    monkeypatch.setattr(runtime.projects, "delete", racing_delete)
    assert client.delete("/v1/projects/A", headers=login(client)).status_code == 204
    assert project_rows(client, "uploads", "A") == 0
    assert added and not _blob(settings, upload_key(added[0])).exists()
