"""Full MNIST through the REST path of a real server; prints one JSON line.

Starts `python -m hanami_rt serve` (own process, temp data dir, kernels warmed before ready),
then as a client: uploads the four IDX .gz files and makes the two datasets (upload_seconds:
first byte to dataset stored, train and test), creates the 784-400-10 cluster of
benchmarks/mnist.py, runs a train task over the 60,000 images and a request task over the
10,000 test images (seconds from POST to `finished` as the client sees it, long-polling
GET /v1/tasks/{id}?wait_ms; `*_server_seconds` from the task's started/ended), then checks
the accuracy.
Compare train_task_seconds with `python benchmarks/mnist.py`'s train_seconds.

    python benchmarks/tasks.py [--data ../shared/datasets/mnist] [--chunk-ms 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from servers import PASSWORD, free_port, project_token, wait_ready

from hanami_rt.bench import DEFAULT_DATA, TEMPLATE, idx_file


def _upload(http: httpx.Client, headers: dict[str, str], path: Path) -> str:
    size = path.stat().st_size
    upload_id = str(http.post("/v1/uploads", json={"size": size}, headers=headers).json()["id"])
    with open(path, "rb") as handle:
        reply = http.put(f"/v1/uploads/{upload_id}", content=handle, headers=headers)
    assert reply.json()["complete"], reply.text
    return upload_id


def _dataset(http: httpx.Client, headers: dict[str, str], data: Path, part: str) -> str:
    uploads = {
        "images": _upload(http, headers, idx_file(data, f"{part}-images-idx3-ubyte")),
        "labels": _upload(http, headers, idx_file(data, f"{part}-labels-idx1-ubyte")),
    }
    body = {"name": part, "type": "idx", "uploads": uploads}
    reply = http.post("/v1/datasets", json=body, headers=headers)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def _seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _task(
    http: httpx.Client, headers: dict[str, str], cluster: str, body: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    task = http.post(f"/v1/clusters/{cluster}/tasks", json=body, headers=headers).json()
    while True:  # long polling: the reply comes as soon as the task ends
        state = http.get(f"/v1/tasks/{task['id']}?wait_ms=60000", headers=headers).json()
        if state["state"] not in ("queued", "running"):
            break
    took = time.perf_counter() - started
    assert state["state"] == "finished", state
    return took, state


def run(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "HANAMI_ADMIN_PASSWORD": PASSWORD,
            "HANAMI_LOG_LEVEL": "warning",
            "HANAMI_TASK_CHUNK_MS": str(args.chunk_ms),
        }
        cmd = [sys.executable, "-m", "hanami_rt", "serve", "--port", str(port), "--data-dir", tmp]
        server = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_ready(url, deadline_s=300)
            with httpx.Client(base_url=url, timeout=600) as http:
                headers = {"Authorization": f"Bearer {project_token(http)}"}
                t0 = time.perf_counter()
                train = _dataset(http, headers, args.data, "train")
                upload_train = time.perf_counter() - t0
                t0 = time.perf_counter()
                test = _dataset(http, headers, args.data, "t10k")
                upload_test = time.perf_counter() - t0
                template = TEMPLATE.format(cooldown=1e7, hidden=400, reduction="false")
                body = {"name": "mnist", "template": template, "seed": 0}
                cluster = http.post("/v1/clusters", json=body, headers=headers).json()["id"]
                train_s, trained = _task(
                    http, headers, cluster, {"type": "train", "dataset_id": train}
                )
                request_s, answered = _task(
                    http, headers, cluster, {"type": "request", "dataset_id": test}
                )
                check = http.post(
                    f"/v1/results/{answered['id']}/check",
                    json={"dataset_id": test},
                    headers=headers,
                ).json()
        finally:
            server.terminate()
            server.wait(timeout=120)
    return {
        "benchmark": "tasks",
        "task_chunk_ms": args.chunk_ms,
        "upload_seconds": round(upload_train, 3),
        "upload_test_seconds": round(upload_test, 3),
        "train_samples": trained["samples_done"],
        "train_task_seconds": round(train_s, 4),
        "train_server_seconds": round(_seconds(trained["ended"]) - _seconds(trained["started"]), 4),
        "request_samples": answered["samples_done"],
        "request_task_seconds": round(request_s, 4),
        "request_server_seconds": round(
            _seconds(answered["ended"]) - _seconds(answered["started"]), 4
        ),
        "accuracy": round(check["value"], 4),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="MNIST IDX folder (default: %(default)s)"
    )
    parser.add_argument("--chunk-ms", type=float, default=10.0, help="task_chunk_ms of the server")
    print(json.dumps(run(parser.parse_args())))
