"""AsyncClient: the REST resource groups and realtime sessions, for asyncio code."""

from __future__ import annotations

from types import TracebackType

import httpx

from hanami_client.errors import HanamiError
from hanami_client.models import Token, token
from hanami_client.resources.accounts import AsyncProjects, AsyncUsers
from hanami_client.resources.checkpoints import AsyncCheckpoints
from hanami_client.resources.clusters import AsyncClusters
from hanami_client.resources.datasets import AsyncDatasets
from hanami_client.resources.measurements import AsyncMeasurements
from hanami_client.resources.tasks import AsyncResults, AsyncTasks
from hanami_client.session import AsyncSession
from hanami_client.transport import Api, Credentials


class AsyncClient:
    """`async with AsyncClient(url) as client: await client.login(...)`."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self._api = Api(url, token=token, timeout=timeout, transport=transport)
        self.projects = AsyncProjects(self._api)
        self.users = AsyncUsers(self._api)
        self.clusters = AsyncClusters(self._api)
        self.datasets = AsyncDatasets(self._api)
        self.tasks = AsyncTasks(self._api, poll_interval)
        self.results = AsyncResults(self._api)
        self.checkpoints = AsyncCheckpoints(self._api)
        self.measurements = AsyncMeasurements(self._api)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self._api.url

    @property
    def token(self) -> str | None:
        """The current bearer token (None before login)."""
        return self._api.token

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._api.aclose()

    async def login(self, user_id: str, password: str, project_id: str | None = None) -> Token:
        """Log in; the token is used for every later call (and renewed by sessions)."""
        return token(await self._api.login(Credentials(user_id, password, project_id)))

    async def switch_project(self, project_id: str | None) -> Token:
        """Act in another project from now on (a fresh token)."""
        return token(await self._api.switch(project_id))

    async def ready(self) -> bool:
        """True when the server answers /readyz with 200."""
        try:
            await self._api.send("GET", "/readyz", authorized=False)
        except HanamiError:
            return False
        return True

    def session(
        self, cluster_id: str, *, window: int = 32, refresh_margin_s: float = 30.0
    ) -> AsyncSession:
        """A realtime session on one websocket: `async with client.session(id) as s`."""
        return AsyncSession(self._api, cluster_id, window=window, refresh_margin_s=refresh_margin_s)
