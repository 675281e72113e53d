"""Small parts without a server: the CLI's token file, tables, URLs, brick arguments."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import numpy as np
import pytest

from hanami_client import (
    AuthError,
    ConnectionLost,
    NotFoundError,
    Project,
    Token,
    User,
    ValidationError,
    config,
)
from hanami_client.cli import _parser
from hanami_client.errors import error_for
from hanami_client.models import Membership
from hanami_client.session import AsyncSession, _as_bricks, ws_url
from hanami_client.table import render


def test_the_token_file_honours_xdg_and_is_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("HANAMI_URL", raising=False)
    assert config.load() == config.Saved(config.DEFAULT_URL, None)
    path = config.save(config.Saved("http://h:1", "t.o.k"))
    assert path == tmp_path / "hanami" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load() == config.Saved("http://h:1", "t.o.k")
    monkeypatch.setenv("HANAMI_URL", "http://other:2")
    assert config.load().url == "http://other:2"


def test_tables_and_json() -> None:
    projects = [Project("a", "Alpha", "t1", 2), Project("bb", "Beta", "t2", 0)]
    assert render(projects, False).splitlines() == [
        "ID  NAME   CLUSTERS  CREATED",
        "a   Alpha  2         t1",
        "bb  Beta   0         t2",
    ]
    user = User("u", "U", False, "t", (Membership("a"), Membership("bb")))
    assert "a,bb" in render(user, False)
    assert json.loads(render(user, True))["projects"][1]["project_id"] == "bb"
    assert render([], False) == "(none)" and render(None, False) == ""
    token = Token("t.o.k", "2030", "a", "member", user)
    assert render(token, False).splitlines() == [
        "USER  PROJECT_ID  ROLE    EXPIRES_AT",
        "u     a           member  2030",
    ]


def test_websocket_urls() -> None:
    assert ws_url("http://127.0.0.1:8000/") == "ws://127.0.0.1:8000/v1/ws"
    assert ws_url("https://example.org") == "wss://example.org/v1/ws"


def test_bare_arrays_go_to_the_only_brick_and_are_float32() -> None:
    bricks = _as_bricks([[1, 2], [3, 4]], {"in": 4}, "input")
    assert list(bricks) == ["in"] and bricks["in"].dtype == np.float32
    assert bricks["in"].tolist() == [1, 2, 3, 4]
    assert _as_bricks({"a": 1.5}, {"a": 1, "b": 1}, "input")["a"].tolist() == [1.5]
    with pytest.raises(ValidationError) as info:
        _as_bricks([1, 2], {"a": 1, "b": 1}, "output")
    assert "2 output bricks (a, b)" in info.value.message


def test_error_for_unknown_codes_and_connection_lost() -> None:
    assert type(error_for("brand_new", "m")).__name__ == "ServerError"
    assert type(error_for("brand_new", "m", status=404)).__name__ == "NotFoundError"
    lost = ConnectionLost("gone", may_have_been_applied=True)
    assert lost.code == "connection_lost" and lost.may_have_been_applied


@pytest.mark.parametrize(
    ("argv", "method", "called_with"),
    [
        (["dataset", "create", "n", "i", "l"], "datasets.upload_mnist", ("n", "i", "l")),
        (["task", "create", "c", "d"], "tasks.train", ("c", "d", 1, False)),
        (["task", "delete", "t"], "tasks.cancel", ("t",)),
        (["checkpoint", "create", "c", "k"], "checkpoints.save", ("c", "k")),
    ],
)
def test_every_cli_group_has_create_and_delete(
    argv: list[str], method: str, called_with: tuple[object, ...]
) -> None:
    """The README's `list | get | create | delete` for every group: the aliases' targets."""
    args = _parser().parse_args(argv)
    client = MagicMock()
    args.action(client, args)
    group, name = method.split(".")
    getattr(getattr(client, group), name).assert_called_once_with(*called_with)


@pytest.mark.parametrize(("status", "kind"), [(401, AuthError), (404, NotFoundError)])
def test_a_refused_websocket_upgrade_raises_by_its_status(status: int, kind: type) -> None:
    """A proxy or server that refuses the upgrade with an HTTP status gets that status's
    exception, as a REST reply would, not a generic ServerError."""
    from http import HTTPStatus

    from websockets.asyncio.server import serve

    from hanami_client.transport import Api

    def answer(connection: Any, request: Any) -> Any:
        if request.path.startswith("/v1/clusters/"):  # the session's look-up of the bricks
            return connection.respond(HTTPStatus.OK, '{"inputs": {"x": 1}, "outputs": {"y": 1}}')
        return connection.respond(HTTPStatus(status), "refused\n")

    async def scenario() -> None:
        async with serve(lambda ws: ws.close(), "127.0.0.1", 0, process_request=answer) as srv:
            port = next(iter(srv.sockets)).getsockname()[1]
            api = Api(f"http://127.0.0.1:{port}", token="t", timeout=5)
            try:
                with pytest.raises(kind) as refused:
                    async with AsyncSession(api, "c"):
                        pass
                assert refused.value.status == status
            finally:
                await api.http.aclose()

    asyncio.run(scenario())
