"""/v1/clusters: create networks from templates, list, inspect (with live stats), delete.

Visibility: admins see every cluster, project admins every cluster of their project, members
their own clusters in their project; anything else answers 404 as if it did not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import UNIQUE_NAME_RULE, rule
from hanami_rt.api.scope import acting_project, list_filter, visible
from hanami_rt.auth import Principal
from hanami_rt.errors import ValidationError
from hanami_rt.service.registry import LiveCluster
from hanami_rt.storage import ClusterRecord

if TYPE_CHECKING:
    from hanami_rt.api.runtime import Runtime


@dataclass(frozen=True)
class CreateCluster:
    """A new cluster: a name unique in the project and a template (text format or JSON), or
    a checkpoint to start from."""

    name: str = field(metadata=UNIQUE_NAME_RULE)
    template: str | dict[str, Any] | None = field(
        default=None,
        metadata=rule("the template: original text format, or JSON (as string or object)"),
    )
    seed: int = field(default=0, metadata=rule("random seed", minimum=0, maximum=2**63 - 1))
    checkpoint_id: str | None = field(
        default=None, metadata=rule("start from this checkpoint's network instead of a template")
    )


@dataclass(frozen=True)
class ClusterOut:
    """A cluster; `stats` (sizes, samples learned) only when fetched one by one."""

    id: str
    name: str
    project_id: str
    owner_id: str
    created: str
    saved: str | None
    seed: int
    inputs: dict[str, int] = field(metadata=rule("input brick -> number of neurons"))
    outputs: dict[str, int] = field(metadata=rule("output brick -> number of neurons"))
    stats: dict[str, Any] | None = None


@dataclass(frozen=True)
class ClusterList:
    """The clusters visible to the caller."""

    items: list[ClusterOut]


def _out(call: Call, record: ClusterRecord, stats: dict[str, Any] | None = None) -> ClusterOut:
    live = call.runtime.registry.find(record.id)
    inputs = dict(live.network.input_bricks) if live else {}
    outputs = dict(live.network.output_bricks) if live else {}
    return ClusterOut(
        record.id,
        record.name,
        record.project_id,
        record.owner_id,
        record.created,
        record.saved,
        record.seed,
        inputs,
        outputs,
        stats,
    )


async def visible_cluster(call: Call, cluster_id: str) -> ClusterRecord:
    """The cluster if the caller may see it; NotFound otherwise (no existence leak)."""
    record = await call.runtime.cluster_rows.get(cluster_id)
    return visible(call.caller, record, _missing_cluster(cluster_id))


def live_cluster_for(runtime: Runtime, caller: Principal, cluster_id: str) -> LiveCluster:
    """The live cluster if `caller` may use it, from memory (no database round trip: the
    websocket path calls this per request); NotFound otherwise, as if it did not exist."""
    return visible(caller, runtime.registry.find(cluster_id), _missing_cluster(cluster_id))


def _missing_cluster(cluster_id: str) -> str:
    return f"no cluster with id {cluster_id!r}; list yours with GET /v1/clusters"


async def create_cluster(call: Call) -> ClusterOut:
    """Build a network from the template; 400 with the line and reason when it is invalid."""
    body = call.body_as(CreateCluster)
    project_id = acting_project(call)
    await call.runtime.until_ready()
    if (body.template is None) == (body.checkpoint_id is None):
        raise ValidationError("send either a template or a checkpoint_id (exactly one)")
    network = None
    if body.checkpoint_id is not None:
        from hanami_rt.api.checkpoints import visible_checkpoint  # it imports this module

        checkpoint = await visible_checkpoint(call, body.checkpoint_id)
        network = await call.runtime.batch.checkpoints.network(checkpoint)
    template = body.template if isinstance(body.template, str) else json.dumps(body.template)
    record = await call.runtime.clusters.create(
        project_id, call.caller.user_id, body.name, template, body.seed, network
    )
    return _out(call, record)


async def list_clusters(call: Call) -> ClusterList:
    """The caller's visible clusters (an admin without a project sees all)."""
    await call.runtime.until_ready()
    scope = list_filter(call)
    records = [] if scope is None else await call.runtime.cluster_rows.list(*scope)
    return ClusterList([_out(call, r) for r in records])


async def get_cluster(call: Call) -> ClusterOut:
    """One cluster with the live network's stats."""
    await call.runtime.until_ready()
    record = await visible_cluster(call, call.path("cluster_id"))
    stats = await call.runtime.registry.stats(record.id)
    return _out(call, record, stats)


async def delete_cluster(call: Call) -> None:
    """Delete a cluster, after the work running on it has finished."""
    await call.runtime.until_ready()
    record = await visible_cluster(call, call.path("cluster_id"))
    await call.runtime.clusters.delete(record.id)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/clusters",
        create_cluster,
        "Create a cluster from a template",
        "clusters",
        body=CreateCluster,
        response=ClusterOut,
        status=201,
        errors=(404, 409),
    ),
    Endpoint(
        "GET", "/v1/clusters", list_clusters, "List clusters", "clusters", response=ClusterList
    ),
    Endpoint(
        "GET",
        "/v1/clusters/{cluster_id}",
        get_cluster,
        "Get a cluster with its stats",
        "clusters",
        response=ClusterOut,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        "/v1/clusters/{cluster_id}",
        delete_cluster,
        "Delete a cluster",
        "clusters",
        status=204,
        errors=(404,),
    ),
]
