"""`hanami`: the command line of hanami-rt (login, then one resource verb at a time).

    hanami login USER [--password P] [--project P] [--url URL]
    hanami project|user|cluster|dataset|task|checkpoint list|get|create|delete ...
    hanami dataset upload-mnist NAME IMAGES LABELS;  hanami task train CLUSTER DATASET --wait

Output is a table, or JSON with --json. The token lives in $XDG_CONFIG_HOME/hanami (mode 0600).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hanami_client import config
from hanami_client.client import Client
from hanami_client.errors import HanamiError
from hanami_client.table import render

Action = Callable[[Client, argparse.Namespace], Any]


def _verb(
    group: Any, name: str, action: Action, help: str, *args: tuple[str, dict[str, Any]]
) -> None:
    parser = group.add_parser(name, help=help)
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON")
    for flag, options in args:
        parser.add_argument(flag, **options)
    parser.set_defaults(action=action)


def _arg(name: str, **options: Any) -> tuple[str, dict[str, Any]]:
    return name, options


def _password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return str(args.password)
    if os.environ.get("HANAMI_PASSWORD"):
        return os.environ["HANAMI_PASSWORD"]
    return getpass.getpass(f"password for {args.user}: ")


def _login(client: Client, args: argparse.Namespace) -> Any:
    token = client.login(args.user, _password(args), args.project)
    path = config.save(config.Saved(client.url, token.id))
    print(f"logged in as {token.user.id} ({token.role}); token saved in {path}", file=sys.stderr)
    return token


def _switch(client: Client, args: argparse.Namespace) -> Any:
    token = client.switch_project(None if args.project == "-" else args.project)
    config.save(config.Saved(client.url, token.id))
    return token


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hanami", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="server URL (default: the last login's, or HANAMI_URL)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = top.add_parser("login", help="log in and keep the token")
    login.add_argument("user")
    login.add_argument("--password", help="default: HANAMI_PASSWORD, else a prompt")
    login.add_argument("--project", help="project to act in")
    login.set_defaults(action=_login)

    switch = top.add_parser("switch", help="act in another project ('-' for none)")
    switch.add_argument("project")
    switch.set_defaults(action=_switch)

    def group(name: str, help: str) -> Any:
        sub = top.add_parser(name, help=help)
        return sub.add_subparsers(dest="verb", required=True, metavar="VERB")

    ident = _arg("id")
    projects = group("project", "projects (admin)")
    _verb(projects, "list", lambda c, a: c.projects.list(), "list projects")
    _verb(projects, "get", lambda c, a: c.projects.get(a.id), "show a project", ident)
    _verb(
        projects,
        "create",
        lambda c, a: c.projects.create(a.id, a.name),
        "create a project",
        ident,
        _arg("name"),
    )
    _verb(projects, "delete", lambda c, a: c.projects.delete(a.id), "delete a project", ident)

    users = group("user", "users (admin)")
    _verb(users, "list", lambda c, a: c.users.list(), "list users")
    _verb(users, "get", lambda c, a: c.users.get(a.id), "show a user", ident)
    _verb(
        users,
        "create",
        lambda c, a: c.users.create(a.id, a.name, a.password, a.admin),
        "create a user",
        ident,
        _arg("name"),
        _arg("--password", required=True),
        _arg("--admin", action="store_true"),
    )
    _verb(users, "delete", lambda c, a: c.users.delete(a.id), "delete a user", ident)
    _verb(
        users,
        "add-project",
        lambda c, a: c.users.add_project(a.id, a.project, a.role, a.project_admin),
        "put a user into a project",
        ident,
        _arg("project"),
        _arg("--role", default="member"),
        _arg("--project-admin", action="store_true"),
    )
    _verb(
        users,
        "remove-project",
        lambda c, a: c.users.remove_project(a.id, a.project),
        "take a user out of a project",
        ident,
        _arg("project"),
    )

    clusters = group("cluster", "clusters of the current project")
    _verb(clusters, "list", lambda c, a: c.clusters.list(), "list clusters")
    _verb(clusters, "get", lambda c, a: c.clusters.get(a.id), "show a cluster (with stats)", ident)
    _verb(
        clusters,
        "create",
        lambda c, a: c.clusters.create(
            a.name, Path(a.template) if a.template else None, a.seed, checkpoint_id=a.checkpoint
        ),
        "create a cluster from a template file (or --checkpoint)",
        _arg("name"),
        _arg("template", nargs="?", help="template file"),
        _arg("--seed", type=int),
        _arg("--checkpoint", help="build from this checkpoint instead"),
    )
    _verb(clusters, "delete", lambda c, a: c.clusters.delete(a.id), "delete a cluster", ident)

    datasets = group("dataset", "datasets of the current project")
    _verb(datasets, "list", lambda c, a: c.datasets.list(), "list datasets")
    _verb(datasets, "get", lambda c, a: c.datasets.get(a.id), "show a dataset", ident)
    _verb(datasets, "delete", lambda c, a: c.datasets.delete(a.id), "delete a dataset", ident)
    upload_mnist = (
        "upload an IDX images + labels pair",
        _arg("name"),
        _arg("images"),
        _arg("labels"),
    )
    for verb in ("upload-mnist", "create"):
        _verb(
            datasets,
            verb,
            lambda c, a: c.datasets.upload_mnist(a.name, a.images, a.labels),
            *upload_mnist,
        )
    _verb(
        datasets,
        "upload-csv",
        lambda c, a: c.datasets.upload_csv(a.name, a.path),
        "upload a CSV file",
        _arg("name"),
        _arg("path"),
    )

    tasks = group("task", "train and request tasks")
    wait = _arg("--wait", action="store_true", help="wait until it ends (progress on a terminal)")
    for verb in ("train", "create"):
        _verb(
            tasks,
            verb,
            lambda c, a: c.tasks.train(a.cluster, a.dataset, a.epochs, a.wait),
            "let a cluster learn a dataset",
            _arg("cluster"),
            _arg("dataset"),
            _arg("--epochs", type=int, default=1),
            wait,
        )
    _verb(
        tasks,
        "request",
        lambda c, a: c.tasks.request(a.cluster, a.dataset, a.wait),
        "run a dataset through a cluster",
        _arg("cluster"),
        _arg("dataset"),
        wait,
    )
    _verb(tasks, "list", lambda c, a: c.tasks.list(a.cluster), "a cluster's tasks", _arg("cluster"))
    _verb(tasks, "get", lambda c, a: c.tasks.get(a.id), "show a task", ident)
    for verb in ("cancel", "delete"):
        _verb(tasks, verb, lambda c, a: c.tasks.cancel(a.id), "cancel a task", ident)
    _verb(
        tasks,
        "check",
        lambda c, a: c.results.check(a.id, a.dataset),
        "accuracy (or mse) of a request task against a dataset",
        ident,
        _arg("dataset"),
    )

    checkpoints = group("checkpoint", "saved networks")
    _verb(checkpoints, "list", lambda c, a: c.checkpoints.list(), "list checkpoints")
    _verb(checkpoints, "get", lambda c, a: c.checkpoints.get(a.id), "show a checkpoint", ident)
    for verb in ("save", "create"):
        _verb(
            checkpoints,
            verb,
            lambda c, a: c.checkpoints.save(a.cluster, a.name),
            "snapshot a cluster",
            _arg("cluster"),
            _arg("name"),
        )
    _verb(
        checkpoints, "delete", lambda c, a: c.checkpoints.delete(a.id), "delete a checkpoint", ident
    )
    _verb(
        checkpoints,
        "restore",
        lambda c, a: c.checkpoints.restore(a.cluster, a.id),
        "put a checkpoint's network into a cluster",
        _arg("cluster"),
        ident,
    )
    _verb(
        checkpoints,
        "download",
        lambda c, a: str(c.checkpoints.download(a.id, a.path)),
        "save a checkpoint's file",
        ident,
        _arg("path"),
    )
    _verb(
        checkpoints,
        "upload",
        lambda c, a: c.checkpoints.upload(a.path, a.name),
        "upload a checkpoint file",
        _arg("path"),
        _arg("name"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 when the server refused, 2 on a usage error."""
    args = _parser().parse_args(argv)
    saved = config.load()
    url = args.url or saved.url
    token = saved.token if args.command != "login" else None
    try:
        with Client(url, token=token, timeout=args.timeout) as client:
            result = args.action(client, args)
    except HanamiError as exc:
        hint = " (run 'hanami login' first)" if token is None and exc.code == "unauthorized" else ""
        print(f"hanami: {exc.code}: {exc.message}{hint}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hanami: {exc}", file=sys.stderr)
        return 1
    text = render(result, args.json) if not isinstance(result, str) else result
    if text:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
