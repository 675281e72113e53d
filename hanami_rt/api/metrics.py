"""GET /metrics: every metric in the Prometheus text format, for Prometheus to scrape.

Not an `Endpoint` and not in the JWT policy: scrapers hold no user account. With the setting
`metrics_token` set, the request must carry `Authorization: Bearer <metrics_token>`.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING, cast

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hanami_rt.api.endpoint import ROUTE_KEY, bearer_token
from hanami_rt.errors import Unauthorized
from hanami_rt.service.registry import LiveCluster
from hanami_rt.telemetry.hub import Telemetry
from hanami_rt.telemetry.work import ClusterSizes

if TYPE_CHECKING:
    from hanami_rt.api.runtime import Runtime

PATH = "/metrics"


def _sizes(clusters: list[LiveCluster]) -> dict[str, ClusterSizes]:
    """(neurons, synapses, bytes) of each cluster, read without its lock: a learn running
    meanwhile makes a gauge at most one sample stale."""
    sizes: dict[str, ClusterSizes] = {}
    for cluster in clusters:
        stats = cluster.network.stats()
        sizes[cluster.id] = (stats["neurons"], stats["synapses"], stats["bytes"])
    return sizes


async def metrics(request: Request) -> Response:
    """The exposition; 401 without the configured token."""
    request.scope[ROUTE_KEY] = PATH
    telemetry = cast(Telemetry, request.app.state.telemetry)
    expected = telemetry.settings.metrics_token
    if expected is not None:
        given = bearer_token(request)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("wrong metrics token; send the server's metrics_token setting")
    runtime = cast("Runtime", request.app.state.runtime)
    clusters = runtime.registry.all()  # on the loop, which alone adds and removes clusters

    def collect() -> bytes:
        return telemetry.exposition(_sizes(clusters))

    body = await asyncio.to_thread(collect)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


ROUTE = Route(PATH, metrics, methods=["GET"], name="metrics")
"""The route `create_app` mounts next to the REST endpoints."""
