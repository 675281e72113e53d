"""Checkpoints: snapshot a cluster, list/get/delete, restore, download and upload networks.

`POST /v1/clusters/{id}/checkpoints {name}` answers once the snapshot (taken between samples)
is on disk. `POST /v1/checkpoints?name=...` takes the bytes of a download as the body. Damaged
or truncated bytes are refused whole (400 invalid_checkpoint); nothing is half-loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.responses import Response

from hanami_rt.api.clusters import live_cluster_for, visible_cluster
from hanami_rt.api.endpoint import Call, Endpoint, read_body
from hanami_rt.api.schema import UNIQUE_NAME_RULE, rule
from hanami_rt.api.scope import acting_project, list_filter, visible
from hanami_rt.storage.checkpoints import CheckpointRecord


@dataclass(frozen=True)
class CreateCheckpoint:
    """A snapshot of the cluster's network under a name."""

    name: str = field(metadata=UNIQUE_NAME_RULE)


@dataclass(frozen=True)
class UploadQuery:
    """The name of an uploaded checkpoint."""

    name: str = field(metadata=UNIQUE_NAME_RULE)


@dataclass(frozen=True)
class RestoreCheckpoint:
    """The checkpoint whose network replaces the cluster's."""

    checkpoint_id: str = field(metadata=rule("a checkpoint id"))


@dataclass(frozen=True)
class CheckpointOut:
    """A checkpoint; `cluster_id` is where it was taken (None when uploaded)."""

    id: str
    name: str
    cluster_id: str | None
    bytes: int
    created: str
    project_id: str
    owner_id: str


@dataclass(frozen=True)
class CheckpointList:
    """The checkpoints visible to the caller."""

    items: list[CheckpointOut]


def _out(r: CheckpointRecord) -> CheckpointOut:
    return CheckpointOut(r.id, r.name, r.cluster_id, r.bytes, r.created, r.project_id, r.owner_id)


async def visible_checkpoint(call: Call, checkpoint_id: str) -> CheckpointRecord:
    """The checkpoint if the caller may see it; NotFound otherwise (no existence leak)."""
    record = await call.runtime.batch.checkpoints.repo.get(checkpoint_id)
    missing = f"no checkpoint with id {checkpoint_id!r}; list yours with GET /v1/checkpoints"
    return visible(call.caller, record, missing)


async def create_checkpoint(call: Call) -> CheckpointOut:
    """Snapshot the cluster between samples; answers when it is on disk."""
    body = call.body_as(CreateCheckpoint)
    await call.runtime.until_ready()
    cluster = await visible_cluster(call, call.path("cluster_id"))
    live = live_cluster_for(call.runtime, call.caller, cluster.id)
    record = await call.runtime.batch.checkpoints.take(
        live, cluster.project_id, call.caller.user_id, body.name
    )
    return _out(record)


async def restore_checkpoint(call: Call) -> None:
    """Replace the cluster's network with the checkpoint's (after running work finishes)."""
    body = call.body_as(RestoreCheckpoint)
    await call.runtime.until_ready()
    cluster = await visible_cluster(call, call.path("cluster_id"))
    live = live_cluster_for(call.runtime, call.caller, cluster.id)
    record = await visible_checkpoint(call, body.checkpoint_id)
    await call.runtime.batch.checkpoints.restore(live, record)


async def list_checkpoints(call: Call) -> CheckpointList:
    """The caller's visible checkpoints."""
    scope = list_filter(call)
    if scope is None:
        return CheckpointList([])
    return CheckpointList([_out(r) for r in await call.runtime.batch.checkpoints.repo.list(*scope)])


async def get_checkpoint(call: Call) -> CheckpointOut:
    """One checkpoint."""
    return _out(await visible_checkpoint(call, call.path("checkpoint_id")))


async def delete_checkpoint(call: Call) -> None:
    """Delete a checkpoint."""
    record = await visible_checkpoint(call, call.path("checkpoint_id"))
    await call.runtime.batch.checkpoints.delete(record)


async def download_checkpoint(call: Call) -> Response:
    """The checkpoint's bytes (the core's versioned, checksummed format)."""
    record = await visible_checkpoint(call, call.path("checkpoint_id"))
    data = await call.runtime.batch.checkpoints.read(record)
    disposition = f'attachment; filename="{record.id}.hnet"'
    return Response(
        data, media_type="application/octet-stream", headers={"Content-Disposition": disposition}
    )


async def upload_checkpoint(call: Call) -> CheckpointOut:
    """Store a downloaded checkpoint (the raw bytes as the body); 400 when not intact."""
    name = call.query_as(UploadQuery).name
    project_id = acting_project(call)
    data = await read_body(call.request, call.runtime.settings.max_upload_bytes)
    record = await call.runtime.batch.checkpoints.upload(
        project_id, call.caller.user_id, name, data
    )
    return _out(record)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/clusters/{cluster_id}/checkpoints",
        create_checkpoint,
        "Checkpoint a cluster",
        "checkpoints",
        body=CreateCheckpoint,
        response=CheckpointOut,
        status=201,
        errors=(404, 409),
    ),
    Endpoint(
        "POST",
        "/v1/clusters/{cluster_id}/restore",
        restore_checkpoint,
        "Restore a cluster from a checkpoint",
        "checkpoints",
        body=RestoreCheckpoint,
        status=204,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        "/v1/checkpoints",
        list_checkpoints,
        "List checkpoints",
        "checkpoints",
        response=CheckpointList,
    ),
    Endpoint(
        "POST",
        "/v1/checkpoints",
        upload_checkpoint,
        "Upload a checkpoint",
        "checkpoints",
        query=UploadQuery,
        response=CheckpointOut,
        status=201,
        errors=(409,),
        stream=True,
    ),
    Endpoint(
        "GET",
        "/v1/checkpoints/{checkpoint_id}",
        get_checkpoint,
        "Get a checkpoint",
        "checkpoints",
        response=CheckpointOut,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        "/v1/checkpoints/{checkpoint_id}",
        delete_checkpoint,
        "Delete a checkpoint",
        "checkpoints",
        status=204,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        "/v1/checkpoints/{checkpoint_id}/download",
        download_checkpoint,
        "Download a checkpoint",
        "checkpoints",
        errors=(404,),
        content_type="application/octet-stream",
    ),
]
