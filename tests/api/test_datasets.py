"""Datasets: uploads (whole, resumed, expired), IDX and CSV imports, every validation error."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from hanami_rt.idx import read_idx
from tests.api.batch import (
    create_dataset,
    csv_dataset,
    gz,
    idx_images,
    idx_labels,
    mnist_dataset,
    mnist_file,
    upload,
)
from tests.api.support import (
    build_world,
    create_project,
    error_code,
    login,
    make_settings,
    running,
    runtime_of,
)
from tests.mnist import FOLDER


def test_mnist_subset_upload_get_list_delete(client: TestClient, admin: dict[str, str]) -> None:
    dataset_id = mnist_dataset(client, admin, "mnist-test", "t10k")
    got = client.get(f"/v1/datasets/{dataset_id}", headers=admin).json()
    assert got["name"] == "mnist-test" and got["type"] == "idx"
    assert (got["rows"], got["inputs"], got["outputs"]) == (1000, 784, 10)
    assert got["columns"] == {"images": 784, "labels": 10}
    assert got["bytes"] >= 1000 * (784 + 10) * 4 and got["created"].endswith("Z")
    assert [d["id"] for d in client.get("/v1/datasets", headers=admin).json()["items"]] == [
        dataset_id
    ]
    # stored as float32 .npy, raw pixels 0-255 and one-hot labels
    blobs = runtime_of(client).settings.data_dir / "blobs" / "datasets" / dataset_id
    images = np.load(blobs / "0.npy", mmap_mode="r")
    labels = np.load(blobs / "1.npy", mmap_mode="r")
    assert images.dtype == np.float32 and labels.dtype == np.float32
    expected = read_idx(FOLDER / "t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    assert np.array_equal(images, expected.astype(np.float32))
    assert np.array_equal(labels.argmax(axis=1), read_idx(FOLDER / "t10k-labels-idx1-ubyte.gz"))
    assert client.delete(f"/v1/datasets/{dataset_id}", headers=admin).status_code == 204
    assert client.get(f"/v1/datasets/{dataset_id}", headers=admin).status_code == 404
    assert client.delete(f"/v1/datasets/{dataset_id}", headers=admin).status_code == 404
    assert not blobs.exists() or not any(blobs.iterdir())


def test_plain_idx_and_duplicate_name(client: TestClient, admin: dict[str, str]) -> None:
    images = np.arange(3 * 4, dtype=np.uint8).reshape(3, 2, 2)
    parts = {"images": idx_images(images), "labels": idx_labels(np.array([0, 2, 1]))}
    reply = create_dataset(client, admin, "tiny", "idx", parts)
    assert reply.status_code == 201, reply.text
    assert (reply.json()["rows"], reply.json()["inputs"], reply.json()["outputs"]) == (3, 4, 3)
    again = create_dataset(client, admin, "tiny", "idx", parts)
    assert again.status_code == 409 and error_code(again) == "conflict"


def test_resume_an_interrupted_upload(client: TestClient, admin: dict[str, str]) -> None:
    data = mnist_file("t10k", "images")
    upload_id = client.post("/v1/uploads", json={"size": len(data)}, headers=admin).json()["id"]
    cut = len(data) // 3
    first = client.put(
        f"/v1/uploads/{upload_id}",
        content=data[:cut],
        headers={**admin, "Content-Range": f"bytes 0-{cut - 1}/{len(data)}"},
    )
    assert first.status_code == 200 and first.json()["received"] == cut
    assert not first.json()["complete"]
    status = client.get(f"/v1/uploads/{upload_id}", headers=admin).json()
    assert status["received"] == cut
    # a dataset from an unfinished upload says how to finish it
    labels = upload(client, admin, mnist_file("t10k", "labels"))
    body = {"name": "m", "type": "idx", "uploads": {"images": upload_id, "labels": labels}}
    early = client.post("/v1/datasets", json=body, headers=admin)
    assert early.status_code == 400 and f"bytes {cut}-" in early.json()["error"]["message"]
    # a part past what the server has is refused with the offset to resume at
    gap = client.put(
        f"/v1/uploads/{upload_id}",
        content=data[cut + 10 :],
        headers={**admin, "Content-Range": f"bytes {cut + 10}-{len(data) - 1}/{len(data)}"},
    )
    assert gap.status_code == 409 and f"resume at byte {cut}" in gap.json()["error"]["message"]
    rest = client.put(
        f"/v1/uploads/{upload_id}",
        content=data[cut:],
        headers={**admin, "Content-Range": f"bytes {cut}-{len(data) - 1}/{len(data)}"},
    )
    assert rest.json()["complete"] is True
    done = client.post("/v1/datasets", json=body, headers=admin)
    assert done.status_code == 201 and done.json()["rows"] == 1000
    # the uploads are gone once used
    assert client.get(f"/v1/uploads/{upload_id}", headers=admin).status_code == 404


def test_upload_limits_and_ranges(tmp_path: Path) -> None:
    with running(make_settings(tmp_path / "data", max_upload_bytes=100)) as client:
        admin = create_project(client, "A")
        big = client.post("/v1/uploads", json={"size": 101}, headers=admin)
        assert big.status_code == 413 and error_code(big) == "too_large"
        upload_id = client.post("/v1/uploads", json={"size": 10}, headers=admin).json()["id"]
        over = client.put(f"/v1/uploads/{upload_id}", content=b"x" * 11, headers=admin)
        assert over.status_code == 413
        for bad in ("bytes 0-9/11", "bytes 5-2/10", "items 0-1/10", "bytes 0-10/10"):
            reply = client.put(
                f"/v1/uploads/{upload_id}", content=b"x", headers={**admin, "Content-Range": bad}
            )
            assert reply.status_code == 400 and error_code(reply) == "validation_error", bad
        assert client.delete(f"/v1/uploads/{upload_id}", headers=admin).status_code == 204
        assert client.get(f"/v1/uploads/{upload_id}", headers=admin).status_code == 404


def test_unfinished_uploads_expire(tmp_path: Path) -> None:
    with running(make_settings(tmp_path / "data", upload_expiry_s=0.001)) as client:
        admin = create_project(client, "A")
        upload_id = client.post("/v1/uploads", json={"size": 10}, headers=admin).json()["id"]
        assert client.get(f"/v1/uploads/{upload_id}", headers=admin).status_code == 404
        runtime = runtime_of(client)
        client.portal.call(runtime.batch.uploads.sweep)  # type: ignore[union-attr]
        assert not (runtime.settings.data_dir / "blobs" / "uploads" / upload_id).exists()


IMAGES = np.zeros((2, 2, 2), dtype=np.uint8)
GOOD_IMAGES = idx_images(IMAGES)
GOOD_LABELS = idx_labels(np.array([1, 0]))
IDX_ERRORS = [
    ("images magic", GOOD_LABELS, GOOD_LABELS, "expected images (2051)"),
    ("labels magic", GOOD_IMAGES, GOOD_IMAGES, "expected labels (2049)"),
    ("truncated images", GOOD_IMAGES[:-3], GOOD_LABELS, "ends after 1 of the 2 images"),
    ("truncated labels", GOOD_IMAGES, GOOD_LABELS[:-1], "ends after 1 of the 2 labels"),
    ("extra bytes", GOOD_IMAGES + b"\0", GOOD_LABELS, "more bytes than its header's 2 items"),
    (
        "counts differ",
        GOOD_IMAGES,
        idx_labels(np.array([1, 0, 1])),
        "holds 2 images but the labels file 3",
    ),
    ("short header", b"\0\0", GOOD_LABELS, "too short for an IDX header"),
    ("broken gzip", gz(GOOD_IMAGES)[:-8], GOOD_LABELS, "gzip"),
    ("empty", idx_images(np.zeros((0, 2, 2))), idx_labels(np.zeros(0)), "no images"),
]


@pytest.mark.parametrize("case", IDX_ERRORS, ids=[c[0] for c in IDX_ERRORS])
def test_idx_validation_errors(
    client: TestClient, admin: dict[str, str], case: tuple[str, bytes, bytes, str]
) -> None:
    _, images, labels, message = case
    reply = create_dataset(client, admin, "bad", "idx", {"images": images, "labels": labels})
    assert reply.status_code == 400 and error_code(reply) == "validation_error"
    assert message in reply.json()["error"]["message"]
    assert client.get("/v1/datasets", headers=admin).json()["items"] == []


CSV_ERRORS = [
    ("empty file", "", "empty"),
    ("bad name", "x_0,1y\n1,2\n", "line 1, column 2: '1y' is not a column name"),
    ("gap", "x_0,x_2,y\n1,2,3\n", "no x_1"),
    ("clash", "x,x_0\n1,2\n", "clashes"),
    ("duplicate", "x,x\n1,2\n", "clashes"),
    ("cells", "x,y\n1,2\n3,4\n5\n", "line 4: 1 cells, but the header names 2 columns"),
    ("not a number", "x,y\n1,2\n3,abc\n", "line 3, column 'y': 'abc' is not a number"),
    ("nan", "x,y\n1,2\n3,4\n5,nan\n", "line 4, column 'y': 'nan' is not a finite number"),
    ("infinity", "x,y\n" + "1,2\n" * 3000 + "inf,1\n", "line 3002, column 'x'"),
    ("no rows", "x,y\n", "no data rows"),
]


@pytest.mark.parametrize("case", CSV_ERRORS, ids=[c[0] for c in CSV_ERRORS])
def test_csv_validation_errors(
    client: TestClient, admin: dict[str, str], case: tuple[str, str, str]
) -> None:
    _, text, message = case
    if not text:
        reply = client.post(
            "/v1/datasets",
            json={"name": "bad", "type": "csv", "uploads": {"data": _empty_upload(client, admin)}},
            headers=admin,
        )
    else:
        reply = csv_dataset(client, admin, "bad", text)
    assert reply.status_code == 400 and error_code(reply) == "validation_error", reply.text
    assert message in reply.json()["error"]["message"]


def _empty_upload(client: TestClient, admin: dict[str, str]) -> str:
    """An upload holding just a newline (uploads have at least one byte)."""
    return upload(client, admin, b"\n")


def test_csv_layouts_and_gzip(client: TestClient, admin: dict[str, str]) -> None:
    rows = "\n".join(f"{i},{i + 1},{i + 2},{i % 2}" for i in range(5))
    reply = csv_dataset(client, admin, "rows", "x_0,x_1,x_2,y\n" + rows + "\n")
    assert reply.status_code == 201, reply.text
    got = reply.json()
    assert (got["rows"], got["inputs"], got["outputs"]) == (5, 3, 1)
    assert got["columns"] == {"x": 3, "y": 1}
    series = gzip.compress(b"x,y\n" + b"".join(b"%d,%d\n" % (i, i % 2) for i in range(9)))
    reply = create_dataset(client, admin, "series", "csv", {"data": series})
    assert reply.status_code == 201 and reply.json()["columns"] == {"x": 1, "y": 1}


def test_bad_requests_for_datasets(client: TestClient, admin: dict[str, str]) -> None:
    labels = upload(client, admin, GOOD_LABELS)
    wrong_parts = {"name": "d", "type": "idx", "uploads": {"data": labels}}
    reply = client.post("/v1/datasets", json=wrong_parts, headers=admin)
    assert reply.status_code == 400 and "images, labels" in reply.json()["error"]["message"]
    wrong_type = {"name": "d", "type": "parquet", "uploads": {"data": labels}}
    assert client.post("/v1/datasets", json=wrong_type, headers=admin).status_code == 400
    unknown = {"name": "d", "type": "csv", "uploads": {"data": "nope"}}
    assert client.post("/v1/datasets", json=unknown, headers=admin).status_code == 404


def test_visibility_and_project_deletion(client: TestClient) -> None:
    world = build_world(client)
    dataset_id = mnist_dataset(client, world["member_a"], "mine", "t10k")
    for who, status in [
        ("member_a", 200),
        ("project_admin_a", 200),
        ("member_b", 404),
        ("admin", 200),
    ]:
        assert client.get(f"/v1/datasets/{dataset_id}", headers=world[who]).status_code == status
    assert client.get("/v1/datasets", headers=world["member_b"]).json()["items"] == []
    upload_id = client.post("/v1/uploads", json={"size": 5}, headers=world["member_a"]).json()["id"]
    assert client.get(f"/v1/uploads/{upload_id}", headers=world["member_b"]).status_code == 404
    admin = login(client)
    refused = client.delete("/v1/projects/A", headers=admin)
    assert refused.status_code == 409 and "dataset" in refused.json()["error"]["message"]
    assert client.delete(f"/v1/datasets/{dataset_id}", headers=world["member_b"]).status_code == 404
    assert client.delete(f"/v1/datasets/{dataset_id}", headers=world["member_a"]).status_code == 204
