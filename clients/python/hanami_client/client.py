"""Client: the blocking SDK. Each call runs the AsyncClient's coroutine on a portal thread."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import httpx
import numpy as np
from numpy.typing import NDArray

from hanami_client.async_client import AsyncClient
from hanami_client.models import (
    Check,
    Checkpoint,
    Cluster,
    Dataset,
    Membership,
    Project,
    Result,
    Series,
    System,
    Task,
    Token,
    User,
)
from hanami_client.portal import Portal
from hanami_client.sync_session import Session


class _Group:
    def __init__(self, portal: Portal, inner: AsyncClient) -> None:
        self._run = portal.run
        self._a = inner


class Projects(_Group):
    """Projects: the tenants (admin only)."""

    def create(self, id: str, name: str) -> Project:
        """Create a project."""
        return self._run(self._a.projects.create(id, name))

    def get(self, id: str) -> Project:
        """One project."""
        return self._run(self._a.projects.get(id))

    def list(self) -> list[Project]:
        """Every project."""
        return self._run(self._a.projects.list())

    def delete(self, id: str) -> None:
        """Delete an empty project."""
        self._run(self._a.projects.delete(id))


class Users(_Group):
    """Users and memberships (admin only)."""

    def create(self, id: str, name: str, password: str, is_admin: bool = False) -> User:
        """Create a user."""
        return self._run(self._a.users.create(id, name, password, is_admin))

    def get(self, id: str) -> User:
        """One user with its projects."""
        return self._run(self._a.users.get(id))

    def list(self) -> list[User]:
        """Every user."""
        return self._run(self._a.users.list())

    def delete(self, id: str) -> None:
        """Delete a user."""
        self._run(self._a.users.delete(id))

    def add_project(
        self, user_id: str, project_id: str, role: str = "member", is_project_admin: bool = False
    ) -> Membership:
        """Put a user into a project."""
        return self._run(self._a.users.add_project(user_id, project_id, role, is_project_admin))

    def remove_project(self, user_id: str, project_id: str) -> None:
        """Take a user out of a project."""
        self._run(self._a.users.remove_project(user_id, project_id))


class Clusters(_Group):
    """Clusters of the current project."""

    def create(
        self,
        name: str,
        template: str | Path | None = None,
        seed: int | None = None,
        *,
        checkpoint_id: str | None = None,
    ) -> Cluster:
        """Build a cluster from a template (text or Path), or from a checkpoint."""
        return self._run(self._a.clusters.create(name, template, seed, checkpoint_id=checkpoint_id))

    def get(self, id: str) -> Cluster:
        """One cluster with live stats."""
        return self._run(self._a.clusters.get(id))

    def list(self) -> list[Cluster]:
        """The visible clusters."""
        return self._run(self._a.clusters.list())

    def delete(self, id: str) -> None:
        """Delete a cluster."""
        self._run(self._a.clusters.delete(id))


class Datasets(_Group):
    """Datasets of the current project."""

    def upload_mnist(
        self, name: str, images_path: str | Path, labels_path: str | Path, progress: bool = True
    ) -> Dataset:
        """Upload an IDX images + labels pair."""
        return self._run(self._a.datasets.upload_mnist(name, images_path, labels_path, progress))

    def upload_csv(self, name: str, path: str | Path, progress: bool = True) -> Dataset:
        """Upload a CSV file."""
        return self._run(self._a.datasets.upload_csv(name, path, progress))

    def get(self, id: str) -> Dataset:
        """One dataset."""
        return self._run(self._a.datasets.get(id))

    def upload_file(
        self, path: str | Path, upload_id: str | None = None, *, stop_at: int | None = None
    ) -> str:
        """A resumable upload of one file (resume with `upload_id`); the upload id."""
        return self._run(self._a.datasets.upload_file(path, None, upload_id, stop_at=stop_at))

    def received(self, upload_id: str) -> int:
        """How many bytes of an upload the server has."""
        return self._run(self._a.datasets.received(upload_id))

    def list(self) -> list[Dataset]:
        """The visible datasets."""
        return self._run(self._a.datasets.list())

    def delete(self, id: str) -> None:
        """Delete a dataset."""
        self._run(self._a.datasets.delete(id))


class Tasks(_Group):
    """Train and request tasks."""

    def train(
        self,
        cluster_id: str,
        dataset_id: str,
        epochs: int = 1,
        wait: bool = True,
        progress: bool = True,
    ) -> Task:
        """Let the cluster learn a dataset."""
        return self._run(self._a.tasks.train(cluster_id, dataset_id, epochs, wait, progress))

    def request(
        self, cluster_id: str, dataset_id: str, wait: bool = True, progress: bool = True
    ) -> Task:
        """Run a dataset's inputs through the cluster."""
        return self._run(self._a.tasks.request(cluster_id, dataset_id, wait, progress))

    def get(self, task_id: str) -> Task:
        """One task."""
        return self._run(self._a.tasks.get(task_id))

    def list(self, cluster_id: str) -> list[Task]:
        """A cluster's tasks."""
        return self._run(self._a.tasks.list(cluster_id))

    def cancel(self, task_id: str) -> Task:
        """Cancel a task."""
        return self._run(self._a.tasks.cancel(task_id))

    def wait(self, task_id: str, *, progress: bool = True) -> Task:
        """Wait until a task ends."""
        return self._run(self._a.tasks.wait(task_id, progress=progress))


class Results(_Group):
    """Results of request tasks."""

    def get(self, task_id: str) -> Result:
        """The predicted classes."""
        return self._run(self._a.results.get(task_id))

    def outputs(self, task_id: str) -> NDArray[np.float32]:
        """Every sample's outputs."""
        return self._run(self._a.results.outputs(task_id))

    def check(self, task_id: str, dataset_id: str) -> Check:
        """Accuracy (0..1) or mse against a dataset."""
        return self._run(self._a.results.check(task_id, dataset_id))


class Checkpoints(_Group):
    """Saved networks."""

    def save(self, cluster_id: str, name: str) -> Checkpoint:
        """Snapshot a cluster."""
        return self._run(self._a.checkpoints.save(cluster_id, name))

    def restore(self, cluster_id: str, checkpoint_id: str) -> None:
        """Put a checkpoint's network into a cluster."""
        self._run(self._a.checkpoints.restore(cluster_id, checkpoint_id))

    def get(self, id: str) -> Checkpoint:
        """One checkpoint."""
        return self._run(self._a.checkpoints.get(id))

    def list(self) -> list[Checkpoint]:
        """The visible checkpoints."""
        return self._run(self._a.checkpoints.list())

    def delete(self, id: str) -> None:
        """Delete a checkpoint."""
        self._run(self._a.checkpoints.delete(id))

    def download(self, id: str, path: str | Path) -> Path:
        """Save a checkpoint's file."""
        return self._run(self._a.checkpoints.download(id, path))

    def upload(self, path: str | Path, name: str) -> Checkpoint:
        """Upload a checkpoint file."""
        return self._run(self._a.checkpoints.upload(path, name))


class Measurements(_Group):
    """The host as the server measures it."""

    def power(self) -> Series:
        """CPU package power in watts."""
        return self._run(self._a.measurements.power())

    def cpu_frequency(self) -> Series:
        """Mean CPU frequency in hertz."""
        return self._run(self._a.measurements.cpu_frequency())

    def temperature(self) -> Series:
        """Hottest CPU sensor in degrees Celsius."""
        return self._run(self._a.measurements.temperature())

    def system(self) -> System:
        """Host, CPU topology, memory, versions."""
        return self._run(self._a.measurements.system())


class Client:
    """`with Client(url) as client: client.login(...)`; the same methods as AsyncClient."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self._portal = Portal()
        self._a = AsyncClient(
            url, token=token, timeout=timeout, transport=transport, poll_interval=poll_interval
        )
        self.projects = Projects(self._portal, self._a)
        self.users = Users(self._portal, self._a)
        self.clusters = Clusters(self._portal, self._a)
        self.datasets = Datasets(self._portal, self._a)
        self.tasks = Tasks(self._portal, self._a)
        self.results = Results(self._portal, self._a)
        self.checkpoints = Checkpoints(self._portal, self._a)
        self.measurements = Measurements(self._portal, self._a)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self._a.url

    @property
    def token(self) -> str | None:
        """The current bearer token."""
        return self._a.token

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close connections and the portal thread."""
        try:
            self._portal.run(self._a.aclose())
        finally:
            self._portal.close()

    def login(self, user_id: str, password: str, project_id: str | None = None) -> Token:
        """Log in (optionally acting in a project)."""
        return self._portal.run(self._a.login(user_id, password, project_id))

    def switch_project(self, project_id: str | None) -> Token:
        """Act in another project from now on."""
        return self._portal.run(self._a.switch_project(project_id))

    def ready(self) -> bool:
        """True when the server is ready."""
        return self._portal.run(self._a.ready())

    def session(
        self, cluster_id: str, *, window: int = 32, refresh_margin_s: float = 30.0
    ) -> Session:
        """A realtime session on one websocket: `with client.session(id) as s`."""
        inner = self._a.session(cluster_id, window=window, refresh_margin_s=refresh_margin_s)
        return Session(self._portal, inner)
