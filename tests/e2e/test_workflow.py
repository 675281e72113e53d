"""The batch side end to end on a real uvicorn and a real SQLite file: the original's own
acceptance workflow, an interrupted upload resumed over a raw socket, a websocket infer
answered while a long train task runs on the same cluster, and a kill -9 mid-task."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgpack
import numpy as np
import pytest
from websockets.asyncio.client import connect

from tests.api.batch import create_cluster, mnist_dataset, mnist_file, start_task, wait_task
from tests.api.support import ADMIN_PASSWORD, TEMPLATE, make_settings
from tests.e2e.support import LiveServer, bearer, free_port, wait_ready
from tests.mnist import subset

pytestmark = pytest.mark.e2e
LOGIN = {"user_id": "admin", "password": ADMIN_PASSWORD}


def _site(http: httpx.Client) -> dict[str, str]:
    admin = bearer(http.post("/v1/token", json=LOGIN))
    assert (
        http.post("/v1/projects", json={"id": "P", "name": "P"}, headers=admin).status_code == 201
    )
    return bearer(http.post("/v1/token", json={**LOGIN, "project_id": "P"}))


def test_the_original_acceptance_workflow(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        admin = bearer(http.post("/v1/token", json=LOGIN))
        project = {"id": "P", "name": "Project"}
        assert http.post("/v1/projects", json=project, headers=admin).status_code == 201
        assert http.post("/v1/projects", json=project, headers=admin).status_code == 409
        assert http.get("/v1/projects/unknown", headers=admin).status_code == 404
        user = {"id": "u", "name": "U", "password": "password-123"}
        assert http.post("/v1/users", json=user, headers=admin).status_code == 201
        assert http.post("/v1/users", json=user, headers=admin).status_code == 409
        assert http.get("/v1/users/unknown", headers=admin).status_code == 404
        assert http.delete("/v1/users/u", headers=admin).status_code == 204
        assert http.delete("/v1/users/u", headers=admin).status_code == 404
        headers = bearer(http.post("/v1/token", json={**LOGIN, "project_id": "P"}))

        train = mnist_dataset(http, headers, "mnist-train", "train")
        test = mnist_dataset(http, headers, "mnist-test", "t10k")
        cluster = create_cluster(http, headers, "cluster", TEMPLATE)
        task = start_task(http, headers, cluster, "train", train)
        finished = wait_task(http, headers, task["id"])
        assert finished["state"] == "finished" and finished["samples_done"] == 6000
        reply = http.post(
            f"/v1/clusters/{cluster}/checkpoints", json={"name": "cp"}, headers=headers
        )
        assert reply.status_code == 201
        checkpoint = reply.json()["id"]
        assert http.delete(f"/v1/clusters/{cluster}", headers=headers).status_code == 204
        fresh = create_cluster(http, headers, "cluster", TEMPLATE)
        body = {"checkpoint_id": checkpoint}
        assert (
            http.post(f"/v1/clusters/{fresh}/restore", json=body, headers=headers).status_code
            == 204
        )
        request = start_task(http, headers, fresh, "request", test)
        assert wait_task(http, headers, request["id"])["state"] == "finished"
        check = http.post(
            f"/v1/results/{request['id']}/check", json={"dataset_id": test}, headers=headers
        )
        assert check.status_code == 200
        assert check.json()["metric"] == "accuracy" and check.json()["value"] > 0.85
        assert http.delete(f"/v1/checkpoints/{checkpoint}", headers=headers).status_code == 204
        assert http.get(f"/v1/checkpoints/{checkpoint}", headers=headers).status_code == 404
        # everything above is in the audit log
        audit = http.get("/v1/audit-log?limit=1000", headers=admin).json()["items"]
        paths = {(a["method"], a["path"]) for a in audit}
        assert ("POST", f"/v1/clusters/{fresh}/restore") in paths
        assert ("POST", f"/v1/results/{request['id']}/check") in paths


def test_an_interrupted_upload_resumes(tmp_path: Path) -> None:
    data = mnist_file("train", "images")
    with (
        LiveServer(make_settings(tmp_path / "data")) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        headers = _site(http)
        upload_id = http.post("/v1/uploads", json={"size": len(data)}, headers=headers).json()["id"]
        sent = len(data) // 2
        with socket.create_connection(("127.0.0.1", server.port)) as raw:  # the body stops halfway
            head = (
                f"PUT /v1/uploads/{upload_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: {headers['Authorization']}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            )
            raw.sendall(head.encode() + data[:sent])
        end = time.monotonic() + 60  # guards against a hang only
        while (got := http.get(f"/v1/uploads/{upload_id}", headers=headers).json())[
            "received"
        ] < sent:
            assert time.monotonic() < end, got
            time.sleep(0.01)
        assert got["received"] == sent and not got["complete"]
        rest = http.put(
            f"/v1/uploads/{upload_id}",
            content=data[sent:],
            headers={**headers, "Content-Range": f"bytes {sent}-{len(data) - 1}/{len(data)}"},
        )
        assert rest.json()["complete"] is True
        labels = http.post(
            "/v1/uploads", json={"size": len(mnist_file("train", "labels"))}, headers=headers
        ).json()["id"]
        http.put(f"/v1/uploads/{labels}", content=mnist_file("train", "labels"), headers=headers)
        body = {
            "name": "resumed",
            "type": "idx",
            "uploads": {"images": upload_id, "labels": labels},
        }
        reply = http.post("/v1/datasets", json=body, headers=headers)
        assert reply.status_code == 201 and reply.json()["rows"] == 6000


def test_websocket_infer_is_answered_while_a_train_task_runs(tmp_path: Path) -> None:
    with (
        LiveServer(make_settings(tmp_path / "data")) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        headers = _site(http)
        data = mnist_dataset(http, headers, "t10k", "t10k")
        cluster = create_cluster(http, headers, "c", TEMPLATE)
        task = start_task(http, headers, cluster, "train", data, epochs=1000)
        wait_task(http, headers, task["id"], until=("running",))
        image = subset("t10k")[0][0]

        async def infer() -> dict[str, object]:
            url = f"ws://127.0.0.1:{server.port}/v1/ws"
            async with connect(url, additional_headers=headers, compression=None) as ws:
                frame = {"op": "infer", "id": 1, "cluster": cluster}
                await ws.send(
                    msgpack.packb(
                        {**frame, "inputs": {"test_input": image.astype("<f4").tobytes()}}
                    )
                )
                reply = msgpack.unpackb(await ws.recv())
                assert isinstance(reply, dict)
                return reply

        reply = asyncio.run(infer())
        during = http.get(f"/v1/tasks/{task['id']}", headers=headers).json()
        assert reply["ok"] is True and reply["id"] == 1
        outputs = np.frombuffer(reply["outputs"]["test_output"], dtype="<f4")  # type: ignore[index]
        assert outputs.shape == (10,)
        # answered while the task was still learning, not held back until it ended
        assert during["state"] == "running" and during["samples_done"] < during["samples_total"]
        assert (
            http.delete(f"/v1/tasks/{task['id']}", headers=headers).json()["state"] == "cancelled"
        )


def test_kill_mid_task_then_restart_fails_it_with_a_reason(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HANAMI_WARMUP": "false",
        "HANAMI_SCRYPT_N": "16",
        "HANAMI_SCRYPT_R": "1",
        "HANAMI_LOG_LEVEL": "warning",
        "HANAMI_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    cmd = [
        sys.executable,
        "-m",
        "hanami_rt",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
    ]

    def serve() -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        wait_ready(url)
        return proc

    proc = serve()
    try:
        with httpx.Client(base_url=url) as http:
            headers = _site(http)
            data = mnist_dataset(http, headers, "t10k", "t10k")
            cluster = create_cluster(http, headers, "c", TEMPLATE)
            task = start_task(http, headers, cluster, "train", data, epochs=1000)
            wait_task(http, headers, task["id"], until=("running",))
    finally:
        proc.kill()  # SIGKILL: no shutdown code runs
        proc.communicate(timeout=60)
    proc = serve()
    try:
        with httpx.Client(base_url=url) as http:
            headers = bearer(http.post("/v1/token", json={**LOGIN, "project_id": "P"}))
            body = http.get(f"/v1/tasks/{task['id']}", headers=headers).json()
            assert body["state"] == "failed" and body["ended"]
            assert "server stopped" in body["reason"] and "running" in body["reason"]
            # the cluster serves again: a new task runs
            again = start_task(http, headers, cluster, "request", data)
            assert wait_task(http, headers, again["id"])["state"] == "finished"
    finally:
        proc.terminate()
        proc.communicate(timeout=120)
