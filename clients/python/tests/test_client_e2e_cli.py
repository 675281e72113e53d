"""The `hanami` command line against a real server, with its config dir in a temp folder."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import ADMIN, MNIST, PASSWORD, SMALL_TEMPLATE, TEMPLATE, LiveServer

from hanami_client.cli import main

pytestmark = pytest.mark.e2e


class Cli:
    """Runs `hanami ...` in-process and returns (exit status, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self._capsys.readouterr()
        status = main(list(argv))
        out, err = self._capsys.readouterr()
        return status, out, err

    def json(self, *argv: str) -> object:
        status, out, err = self(*argv, "--json")
        assert status == 0, err
        return json.loads(out)


@pytest.fixture
def cli(
    server: LiveServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("HANAMI_URL", raising=False)
    run = Cli(capsys)
    status, _, err = run("--url", server.url, "login", ADMIN, "--password", PASSWORD)
    assert status == 0, err
    yield run


def test_login_keeps_the_token_in_a_0600_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config" / "hanami" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["url"].startswith("http://127.0.0.1:") and saved["token"].count(".") == 2


def test_wrong_password_exits_1_with_the_code(cli: Cli, server: LiveServer) -> None:
    status, out, err = cli("--url", server.url, "login", ADMIN, "--password", "nope")
    assert status == 1 and out == "" and "unauthorized" in err


def test_project_and_user_verbs(cli: Cli) -> None:
    status, out, _ = cli("project", "create", "cli-p", "Cli project")
    assert status == 0 and out.split("\n")[0].split() == ["ID", "NAME", "CLUSTERS", "CREATED"]
    assert "cli-p" in out
    got = cli.json("project", "get", "cli-p")
    assert isinstance(got, dict) and got["created"]
    assert (got["id"], got["name"], got["clusters"]) == ("cli-p", "Cli project", 0)
    projects = cli.json("project", "list")
    assert isinstance(projects, list) and "cli-p" in [p["id"] for p in projects]
    assert cli("project", "create", "cli-p", "Again")[0] == 1

    status, _, _ = cli("user", "create", "cli-u", "Cli user", "--password", "password-1")
    assert status == 0
    assert cli("user", "add-project", "cli-u", "cli-p", "--project-admin")[0] == 0
    user = cli.json("user", "get", "cli-u")
    assert isinstance(user, dict) and user["projects"][0]["is_project_admin"] is True
    assert "cli-u" in cli("user", "list")[1]
    assert cli("user", "remove-project", "cli-u", "cli-p")[0] == 0
    assert cli("user", "delete", "cli-u")[0] == 0
    status, _, err = cli("user", "get", "cli-u")
    assert status == 1 and "not_found" in err
    assert cli("project", "delete", "cli-p")[0] == 0


def test_cluster_verbs_in_a_project(cli: Cli, tmp_path: Path) -> None:
    assert cli("project", "create", "cli-c", "Clusters")[0] == 0
    assert cli("switch", "cli-c")[0] == 0
    template = tmp_path / "small.txt"
    template.write_text(SMALL_TEMPLATE)
    created = cli.json("cluster", "create", "small", str(template), "--seed", "4")
    assert isinstance(created, dict) and created["seed"] == 4
    assert created["inputs"] == {"a": 3, "b": 2}
    got = cli.json("cluster", "get", created["id"])
    assert isinstance(got, dict) and got["stats"] is not None
    status, out, _ = cli("cluster", "list")
    assert status == 0 and created["id"] in out and "a:3,b:2" in out
    assert cli("cluster", "delete", created["id"])[0] == 0
    assert cli.json("cluster", "list") == []
    assert cli("switch", "-")[0] == 0
    assert cli("project", "delete", "cli-c")[0] == 0


def test_without_a_login_the_error_says_to_log_in(
    server: LiveServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    status, out, err = Cli(capsys)("--url", server.url, "project", "list")
    assert status == 1 and out == "" and "unauthorized" in err and "hanami login" in err


def test_the_console_script_runs(cli: Cli, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    script = Path(sys.executable).parent / "hanami"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "hanami_client.cli"]
    done = subprocess.run(
        [*command, "project", "list", "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)
    usage = subprocess.run([*command, "cluster"], env=env, capture_output=True, text=True)
    assert usage.returncode == 2 and "VERB" in usage.stderr


def test_dataset_task_and_checkpoint_verbs(cli: Cli, tmp_path: Path) -> None:

    assert cli("project", "create", "cli-b", "Batch")[0] == 0
    assert cli("switch", "cli-b")[0] == 0
    images, labels = MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz"
    dataset = cli.json("dataset", "upload-mnist", "digits", str(images), str(labels))
    assert isinstance(dataset, dict) and dataset["rows"] == 1000
    assert dataset["id"] in cli("dataset", "list")[1]
    assert cli.json("dataset", "get", dataset["id"]) == dataset
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("a_0,a_1,y\n1,2,3\n4,5,6\n")
    csv = cli.json("dataset", "upload-csv", "table", str(csv_file))
    assert isinstance(csv, dict) and csv["type"] == "csv"
    assert cli("dataset", "delete", csv["id"])[0] == 0

    template = tmp_path / "mnist.txt"
    template.write_text(TEMPLATE)
    cluster = cli.json("cluster", "create", "digits", str(template))
    assert isinstance(cluster, dict)
    task = cli.json("task", "train", cluster["id"], dataset["id"], "--wait")
    assert isinstance(task, dict) and task["state"] == "finished"
    assert cli.json("task", "get", task["id"]) == task
    status, out, _ = cli("task", "list", cluster["id"])
    assert status == 0 and task["id"] in out and "finished" in out
    request = cli.json("task", "request", cluster["id"], dataset["id"], "--wait")
    assert isinstance(request, dict)
    check = cli.json("task", "check", request["id"], dataset["id"])
    assert isinstance(check, dict) and check["metric"] == "accuracy"
    long = cli.json("task", "train", cluster["id"], dataset["id"], "--epochs", "1000")
    assert isinstance(long, dict) and long["state"] in ("queued", "running")
    assert cli("task", "cancel", long["id"])[0] == 0

    saved = cli.json("checkpoint", "save", cluster["id"], "snap")
    assert isinstance(saved, dict) and saved["cluster_id"] == cluster["id"]
    assert saved["id"] in cli("checkpoint", "list")[1]
    assert cli.json("checkpoint", "get", saved["id"]) == saved
    target = tmp_path / "snap.hnet"
    status, out, _ = cli("checkpoint", "download", saved["id"], str(target))
    assert status == 0 and out.strip() == str(target) and target.stat().st_size == saved["bytes"]
    moved = cli.json("checkpoint", "upload", str(target), "moved")
    assert isinstance(moved, dict) and moved["bytes"] == saved["bytes"]
    assert cli("checkpoint", "restore", cluster["id"], moved["id"])[0] == 0
    for k in (saved, moved):
        assert cli("checkpoint", "delete", k["id"])[0] == 0
    status, _, err = cli("checkpoint", "get", saved["id"])
    assert status == 1 and "not_found" in err

    assert cli("cluster", "delete", cluster["id"])[0] == 0
    assert cli("dataset", "delete", dataset["id"])[0] == 0
    assert cli("switch", "-")[0] == 0
    assert cli("project", "delete", "cli-b")[0] == 0
