"""The REST side without a server: httpx.MockTransport answers as the API documents."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from hanami_client import (
    AsyncClient,
    AuthError,
    Client,
    ConflictError,
    ConnectionLost,
    HanamiError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from hanami_client.transport import token_expiry

URL = "http://hanami.test"
Handler = Callable[[httpx.Request], httpx.Response]


def _error(status: int, code: str, message: str = "what went wrong") -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def _client(handler: Handler, **options: Any) -> Client:
    return Client(URL, transport=httpx.MockTransport(handler), **options)


class Recorder:
    """A handler that records requests and answers from a list (or one reply for all)."""

    def __init__(self, *replies: httpx.Response) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


TOKEN_BODY = {
    "token": "aaa.eyJleHAiOiAxODkzNDU2MDAwLCAicHJvamVjdCI6ICJwIn0.sig",
    "expires_at": "2030-01-01T00:00:00Z",
    "project_id": "p",
    "role": "admin",
    "user": {"id": "admin", "name": "Admin", "is_admin": True, "created": "t", "projects": []},
}


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "unauthorized", AuthError),
        (403, "forbidden", AuthError),
        (404, "not_found", NotFoundError),
        (409, "conflict", ConflictError),
        (400, "validation_error", ValidationError),
        (400, "invalid_template", ValidationError),
        (400, "invalid_checkpoint", ValidationError),
        (413, "too_large", ValidationError),
        (500, "internal", ServerError),
        (503, "unavailable", ServerError),
        (429, "rate_limited", ServerError),
        (418, "a_code_from_the_future", ServerError),
    ],
)
def test_error_replies_become_the_tree_with_code_and_message(
    status: int, code: str, kind: type[HanamiError]
) -> None:
    with _client(Recorder(_error(status, code, "do this instead"))) as client:
        with pytest.raises(kind) as info:
            client.projects.get("x")
    assert (info.value.code, info.value.message, info.value.status) == (
        code,
        "do this instead",
        status,
    )
    assert isinstance(info.value, HanamiError)


def test_a_non_json_error_still_maps_by_status_and_retry_after_is_kept() -> None:
    reply = httpx.Response(429, text="slow down", headers={"Retry-After": "7"})
    with _client(Recorder(reply)) as client, pytest.raises(ServerError) as info:
        client.users.list()
    assert info.value.code == "http_429" and info.value.retry_after == 7
    with _client(Recorder(httpx.Response(404, text="?"))) as client:
        with pytest.raises(NotFoundError):
            client.users.get("u")


def test_an_unreachable_server_is_connection_lost() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with _client(refuse) as client, pytest.raises(ConnectionLost) as info:
        client.projects.list()
    assert "is the server up" in info.value.message


def test_login_keeps_the_token_and_sends_it_as_bearer() -> None:
    recorder = Recorder(
        httpx.Response(200, json=TOKEN_BODY), httpx.Response(200, json={"items": []})
    )
    with _client(recorder) as client:
        token = client.login("admin", "secret", project_id="p")
        assert (token.id, token.project_id, token.role, token.user.id) == (
            TOKEN_BODY["token"],
            "p",
            "admin",
            "admin",
        )
        assert client.token == token.id
        assert client.projects.list() == []
    login, listing = recorder.requests
    assert (login.method, login.url.path) == ("POST", "/v1/token")
    assert "authorization" not in login.headers
    assert json.loads(login.content) == {
        "user_id": "admin",
        "password": "secret",
        "project_id": "p",
    }
    assert listing.headers["authorization"] == f"Bearer {token.id}"
    assert token_expiry(token.id) == 1893456000


def test_switch_project_puts_the_token() -> None:
    recorder = Recorder(httpx.Response(200, json=TOKEN_BODY))
    with _client(recorder, token="old") as client:
        assert client.switch_project("p").project_id == "p"
        assert client.token == TOKEN_BODY["token"]
    request = recorder.requests[0]
    assert (request.method, request.url.path) == ("PUT", "/v1/token")
    assert request.headers["authorization"] == "Bearer old"
    assert json.loads(request.content) == {"project_id": "p"}


PROJECT = {"id": "p", "name": "P", "created": "t", "clusters": 0}
USER = {"id": "u", "name": "U", "is_admin": False, "created": "t", "projects": []}
MEMBERSHIP = {"project_id": "p", "role": "member", "is_project_admin": True, "created": "t"}
CLUSTER = {
    "id": "c",
    "name": "C",
    "project_id": "p",
    "owner_id": "u",
    "created": "t",
    "saved": None,
    "seed": 0,
    "inputs": {"in": 2},
    "outputs": {"out": 1},
    "stats": None,
}
DATASET = {
    "id": "d",
    "name": "D",
    "type": "csv",
    "rows": 2,
    "inputs": 2,
    "outputs": 1,
    "columns": {"in": 2, "out": 1},
    "bytes": 24,
    "created": "t",
    "project_id": "p",
    "owner_id": "u",
}
TASK = {
    "id": "t",
    "cluster_id": "c",
    "dataset_id": "d",
    "type": "train",
    "epochs": 1,
    "state": "queued",
    "samples_done": 0,
    "samples_total": 2,
    "samples_per_s": None,
    "eta_seconds": None,
    "reason": None,
    "created": "t",
    "started": None,
    "ended": None,
}
CHECKPOINT = {
    "id": "k",
    "name": "K",
    "cluster_id": "c",
    "bytes": 10,
    "created": "t",
    "project_id": "p",
    "owner_id": "u",
}
SERIES = {"seconds": [1.0, None], "minutes": [], "hours": [], "days": []}

CASES: list[tuple[str, Callable[[Client], Any], Any, str, str, Any]] = [
    (
        "projects.create",
        lambda c: c.projects.create("p", "P"),
        PROJECT,
        "POST",
        "/v1/projects",
        {"id": "p", "name": "P"},
    ),
    ("projects.get", lambda c: c.projects.get("p"), PROJECT, "GET", "/v1/projects/p", None),
    (
        "projects.list",
        lambda c: c.projects.list(),
        {"items": [PROJECT]},
        "GET",
        "/v1/projects",
        None,
    ),
    ("projects.delete", lambda c: c.projects.delete("p"), None, "DELETE", "/v1/projects/p", None),
    (
        "users.create",
        lambda c: c.users.create("u", "U", "password", True),
        USER,
        "POST",
        "/v1/users",
        {"id": "u", "name": "U", "password": "password", "is_admin": True},
    ),
    ("users.get", lambda c: c.users.get("u"), USER, "GET", "/v1/users/u", None),
    ("users.list", lambda c: c.users.list(), {"items": [USER]}, "GET", "/v1/users", None),
    ("users.delete", lambda c: c.users.delete("u"), None, "DELETE", "/v1/users/u", None),
    (
        "users.add_project",
        lambda c: c.users.add_project("u", "p", is_project_admin=True),
        MEMBERSHIP,
        "POST",
        "/v1/users/u/projects",
        {"project_id": "p", "role": "member", "is_project_admin": True},
    ),
    (
        "users.remove_project",
        lambda c: c.users.remove_project("u", "p"),
        None,
        "DELETE",
        "/v1/users/u/projects/p",
        None,
    ),
    (
        "clusters.create",
        lambda c: c.clusters.create("C", "version: 1", seed=5),
        CLUSTER,
        "POST",
        "/v1/clusters",
        {"name": "C", "template": "version: 1", "seed": 5},
    ),
    (
        "clusters.create(checkpoint)",
        lambda c: c.clusters.create("C", checkpoint_id="k"),
        CLUSTER,
        "POST",
        "/v1/clusters",
        {"name": "C", "checkpoint_id": "k"},
    ),
    ("clusters.get", lambda c: c.clusters.get("c"), CLUSTER, "GET", "/v1/clusters/c", None),
    (
        "clusters.list",
        lambda c: c.clusters.list(),
        {"items": [CLUSTER]},
        "GET",
        "/v1/clusters",
        None,
    ),
    ("clusters.delete", lambda c: c.clusters.delete("c"), None, "DELETE", "/v1/clusters/c", None),
    ("datasets.get", lambda c: c.datasets.get("d"), DATASET, "GET", "/v1/datasets/d", None),
    (
        "datasets.list",
        lambda c: c.datasets.list(),
        {"items": [DATASET]},
        "GET",
        "/v1/datasets",
        None,
    ),
    ("datasets.delete", lambda c: c.datasets.delete("d"), None, "DELETE", "/v1/datasets/d", None),
    (
        "tasks.train",
        lambda c: c.tasks.train("c", "d", epochs=3, wait=False),
        TASK,
        "POST",
        "/v1/clusters/c/tasks",
        {"type": "train", "dataset_id": "d", "epochs": 3},
    ),
    (
        "tasks.request",
        lambda c: c.tasks.request("c", "d", wait=False),
        TASK,
        "POST",
        "/v1/clusters/c/tasks",
        {"type": "request", "dataset_id": "d"},
    ),
    ("tasks.get", lambda c: c.tasks.get("t"), TASK, "GET", "/v1/tasks/t", None),
    (
        "tasks.list",
        lambda c: c.tasks.list("c"),
        {"items": [TASK]},
        "GET",
        "/v1/clusters/c/tasks",
        None,
    ),
    ("tasks.cancel", lambda c: c.tasks.cancel("t"), TASK, "DELETE", "/v1/tasks/t", None),
    (
        "results.check",
        lambda c: c.results.check("t", "d"),
        {
            "task_id": "t",
            "dataset_id": "d",
            "rows": 2,
            "metric": "accuracy",
            "value": 0.5,
            "correct": 1,
        },
        "POST",
        "/v1/results/t/check",
        {"dataset_id": "d"},
    ),
    (
        "checkpoints.save",
        lambda c: c.checkpoints.save("c", "K"),
        CHECKPOINT,
        "POST",
        "/v1/clusters/c/checkpoints",
        {"name": "K"},
    ),
    (
        "checkpoints.restore",
        lambda c: c.checkpoints.restore("c", "k"),
        None,
        "POST",
        "/v1/clusters/c/restore",
        {"checkpoint_id": "k"},
    ),
    (
        "checkpoints.get",
        lambda c: c.checkpoints.get("k"),
        CHECKPOINT,
        "GET",
        "/v1/checkpoints/k",
        None,
    ),
    (
        "checkpoints.list",
        lambda c: c.checkpoints.list(),
        {"items": [CHECKPOINT]},
        "GET",
        "/v1/checkpoints",
        None,
    ),
    (
        "checkpoints.delete",
        lambda c: c.checkpoints.delete("k"),
        None,
        "DELETE",
        "/v1/checkpoints/k",
        None,
    ),
    (
        "measurements.power",
        lambda c: c.measurements.power(),
        SERIES,
        "GET",
        "/v1/measurements/power",
        None,
    ),
    (
        "measurements.cpu_frequency",
        lambda c: c.measurements.cpu_frequency(),
        SERIES,
        "GET",
        "/v1/measurements/cpu-frequency",
        None,
    ),
    (
        "measurements.temperature",
        lambda c: c.measurements.temperature(),
        SERIES,
        "GET",
        "/v1/measurements/temperature",
        None,
    ),
    (
        "measurements.system",
        lambda c: c.measurements.system(),
        {"hostname": "h"},
        "GET",
        "/v1/system",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "reply", "method", "path", "body"), CASES, ids=[c[0] for c in CASES]
)
def test_each_method_sends_its_request_and_returns_a_frozen_dataclass_with_an_id(
    name: str, call: Callable[[Client], Any], reply: Any, method: str, path: str, body: Any
) -> None:
    recorder = Recorder(httpx.Response(204) if reply is None else httpx.Response(200, json=reply))
    with _client(recorder, token="tok") as client:
        result = call(client)
    request = recorder.requests[0]
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["authorization"] == "Bearer tok"
    assert (json.loads(request.content) if request.content else None) == body
    if reply is None:
        assert result is None
        return
    for item in result if isinstance(result, list) else [result]:
        assert isinstance(item.id, str) and item.id
        with pytest.raises(dataclasses.FrozenInstanceError):  # not just a read-only property
            item.id = "changed"


def test_results_get_reads_every_page() -> None:
    pages = [
        {
            "task_id": "t",
            "rows": 3,
            "outputs": {"o": 4},
            "offset": 0,
            "classes": [1, 2],
            "values": None,
            "next_offset": 2,
        },
        {
            "task_id": "t",
            "rows": 3,
            "outputs": {"o": 4},
            "offset": 2,
            "classes": [3],
            "values": None,
            "next_offset": None,
        },
    ]
    recorder = Recorder(*(httpx.Response(200, json=p) for p in pages))
    with _client(recorder, token="tok") as client:
        result = client.results.get("t")
    assert (result.id, result.rows, result.classes, result.values) == ("t", 3, (1, 2, 3), None)
    assert [r.url.params["offset"] for r in recorder.requests] == ["0", "2"]


def test_results_outputs_reads_the_npy() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(6, dtype=np.float32).reshape(3, 2))
    recorder = Recorder(httpx.Response(200, content=buffer.getvalue()))
    with _client(recorder, token="tok") as client:
        outputs = client.results.outputs("t")
    assert outputs.tolist() == [[0, 1], [2, 3], [4, 5]] and outputs.dtype == np.float32
    assert recorder.requests[0].url.path == "/v1/results/t/outputs"


def test_a_waited_task_polls_until_it_ends() -> None:
    running = {**TASK, "state": "running", "samples_done": 1}
    finished = {**TASK, "state": "finished", "samples_done": 2}
    recorder = Recorder(*(httpx.Response(200, json=t) for t in (TASK, TASK, running, finished)))
    with _client(recorder, token="tok", poll_interval=0.5) as client:
        task = client.tasks.train("c", "d")
    assert task.state == "finished" and task.samples_done == 2
    # the start's reply is the first state: no GET before the long polls
    assert [r.url.params.get("wait_ms") for r in recorder.requests] == [None, "500", "500", "500"]
    assert [r.url.path for r in recorder.requests] == ["/v1/clusters/c/tasks"] + 3 * ["/v1/tasks/t"]


def test_a_failed_task_raises_with_its_reason() -> None:
    failed = {**TASK, "state": "failed", "reason": "the server restarted"}
    recorder = Recorder(httpx.Response(200, json=TASK), httpx.Response(200, json=failed))
    with _client(recorder, token="tok", poll_interval=0) as client:
        with pytest.raises(ServerError) as info:
            client.tasks.request("c", "d")
    assert info.value.code == "task_failed" and "the server restarted" in info.value.message


def test_uploads_send_content_ranges_and_resume_after_a_refusal(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10  # 2,560 bytes
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    stored = bytearray()
    seen: list[str] = []
    refused = False

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal refused
        if request.method == "POST" and request.url.path == "/v1/uploads":
            return httpx.Response(201, json={"id": "up", "size": len(data), "received": 0})
        if request.method == "GET" and request.url.path == "/v1/uploads/up":
            return httpx.Response(200, json={"id": "up", "received": len(stored)})
        if request.method == "PUT":
            seen.append(request.headers["content-range"])
            if len(stored) == 1024 and not refused:  # the server lost the connection's bytes
                refused = True
                stored.extend(request.content[:100])
                return _error(409, "conflict", "resume at the byte the server has")
            first = int(request.headers["content-range"].split()[1].split("-")[0])
            assert first == len(stored)
            stored.extend(request.content)
            return httpx.Response(200, json={"id": "up", "received": len(stored)})
        assert request.url.path == "/v1/datasets"
        assert json.loads(request.content) == {
            "name": "n",
            "type": "csv",
            "uploads": {"data": "up"},
        }
        return httpx.Response(201, json=DATASET)

    async def scenario() -> None:
        async with AsyncClient(URL, token="tok", transport=httpx.MockTransport(handler)) as client:
            client.datasets.chunk_bytes = 512
            dataset = await client.datasets.upload_csv("n", path)
            assert dataset.id == "d"

    asyncio.run(scenario())
    assert bytes(stored) == data
    assert seen[:3] == ["bytes 0-511/2560", "bytes 512-1023/2560", "bytes 1024-1535/2560"]
    assert seen[3] == "bytes 1124-1635/2560"


def test_progress_bars_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hanami_client.progress import progress_bar

    silent = progress_bar(True, 10, "quiet")
    silent.update(10)
    silent.close()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert type(progress_bar(False, 10, "off")).__name__ == "_Silent"
    bar = progress_bar(True, 10, "shown")
    assert type(bar).__name__ == "tqdm"
    bar.close()
