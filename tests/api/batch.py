"""Helpers for the batch-side tests: uploads, datasets, tasks (TestClient or httpx alike)."""

from __future__ import annotations

import gzip
import struct
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tests.mnist import FOLDER

Headers = dict[str, str]
SMALL_TEMPLATE = """version: 1
settings:
    neuron_cooldown: 100000000000.0
    refractory_time: 1
    max_connection_distance: 1
    enable_reduction: false
bricks:
    1,1,1
        input: x
        number_of_neurons: 3
    2,1,1
        number_of_neurons: 10
    3,1,1
        output: y
        number_of_neurons: 1
"""


class Http(Protocol):
    """What the helpers need of a client: starlette's TestClient and httpx.Client both fit."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...
    def get(self, url: str, **kwargs: Any) -> Any: ...
    def post(self, url: str, **kwargs: Any) -> Any: ...
    def put(self, url: str, **kwargs: Any) -> Any: ...


def mnist_file(part: str, kind: str) -> bytes:
    """Bytes of a committed MNIST subset file (gzip): part train|t10k, kind images|labels."""
    suffix = "idx3" if kind == "images" else "idx1"
    return (FOLDER / f"{part}-{kind}-{suffix}-ubyte.gz").read_bytes()


def idx_images(images: np.ndarray) -> bytes:
    """Plain IDX bytes of uint8 images (n, rows, cols)."""
    return struct.pack(">IIII", 2051, *images.shape) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """Plain IDX bytes of uint8 labels (n,)."""
    return struct.pack(">II", 2049, labels.shape[0]) + labels.astype(np.uint8).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def upload(client: Http, headers: Headers, data: bytes) -> str:
    """A finished upload of `data` in one PUT; returns its id."""
    reply = client.post("/v1/uploads", json={"size": len(data)}, headers=headers)
    assert reply.status_code == 201, reply.text
    upload_id = str(reply.json()["id"])
    reply = client.put(f"/v1/uploads/{upload_id}", content=data, headers=headers)
    assert reply.status_code == 200 and reply.json()["complete"], reply.text
    return upload_id


def create_dataset(
    client: Http, headers: Headers, name: str, kind: str, parts: dict[str, bytes]
) -> Any:
    """POST /v1/datasets from freshly uploaded parts; returns the reply."""
    ids = {part: upload(client, headers, data) for part, data in parts.items()}
    return client.post(
        "/v1/datasets", json={"name": name, "type": kind, "uploads": ids}, headers=headers
    )


def mnist_dataset(client: Http, headers: Headers, name: str, part: str) -> str:
    """The committed MNIST subset `part` as a dataset; returns its id."""
    parts = {"images": mnist_file(part, "images"), "labels": mnist_file(part, "labels")}
    reply = create_dataset(client, headers, name, "idx", parts)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def csv_dataset(client: Http, headers: Headers, name: str, text: str) -> Any:
    """POST /v1/datasets of one CSV text; returns the reply."""
    return create_dataset(client, headers, name, "csv", {"data": text.encode()})


def create_cluster(client: Http, headers: Headers, name: str, template: str) -> str:
    reply = client.post("/v1/clusters", json={"name": name, "template": template}, headers=headers)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def start_task(
    client: Http, headers: Headers, cluster: str, kind: str, dataset: str, epochs: int = 1
) -> dict[str, Any]:
    body = {"type": kind, "dataset_id": dataset, "epochs": epochs}
    reply = client.post(f"/v1/clusters/{cluster}/tasks", json=body, headers=headers)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def wait_task(
    client: Http,
    headers: Headers,
    task: str,
    until: tuple[str, ...] = ("finished", "failed", "cancelled"),
) -> dict[str, Any]:
    """Poll a task until its state is in `until` (the deadline only guards against a hang)."""
    end = time.monotonic() + 300
    while True:
        ended = set(until) <= {"finished", "failed", "cancelled"}
        query = "?wait_ms=10000" if ended else ""  # long polling when waiting for the end
        reply = client.get(f"/v1/tasks/{task}{query}", headers=headers)
        assert reply.status_code == 200, reply.text
        body = dict(reply.json())
        if body["state"] in until:
            return body
        assert time.monotonic() < end, f"task never reached {until}: {body}"
        time.sleep(0.01)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
