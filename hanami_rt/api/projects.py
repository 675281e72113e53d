"""/v1/projects: the tenants (admin only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import ID_RULE, NAME_RULE
from hanami_rt.errors import Conflict, NotFound
from hanami_rt.storage import Project


@dataclass(frozen=True)
class CreateProject:
    """A new project."""

    id: str = field(metadata=ID_RULE)
    name: str = field(metadata=NAME_RULE)


@dataclass(frozen=True)
class ProjectOut:
    """A project."""

    id: str
    name: str
    created: str
    clusters: int


@dataclass(frozen=True)
class ProjectList:
    """All projects."""

    items: list[ProjectOut]


async def _out(call: Call, project: Project) -> ProjectOut:
    count = await call.runtime.cluster_rows.count_in_project(project.id)
    return ProjectOut(project.id, project.name, project.created, count)


async def _project(call: Call) -> Project:
    project = await call.runtime.projects.get(call.path("project_id"))
    if project is None:
        raise NotFound(
            f"no project with id {call.path('project_id')!r}; list them with GET /v1/projects"
        )
    return project


async def create_project(call: Call) -> ProjectOut:
    """Create a project."""
    body = call.body_as(CreateProject)
    return await _out(call, await call.runtime.projects.create(body.id, body.name))


async def list_projects(call: Call) -> ProjectList:
    """Every project."""
    return ProjectList([await _out(call, p) for p in await call.runtime.projects.list()])


async def get_project(call: Call) -> ProjectOut:
    """One project."""
    return await _out(call, await _project(call))


async def _refuse_while_in_use(call: Call, project_id: str) -> None:
    """Conflict naming what keeps the project from being deleted: queued or running tasks,
    clusters and datasets (live work and the users' own data, never removed as a side
    effect)."""
    counts = (
        (call.runtime.batch.tasks.active_in_project(project_id), "queued or running task(s)"),
        (await call.runtime.cluster_rows.count_in_project(project_id), "cluster(s)"),
        (await call.runtime.batch.datasets.repo.count_in_project(project_id), "dataset(s)"),
    )
    held = [f"{n} {what}" for n, what in counts if n]
    if held:
        raise Conflict(
            f"project {project_id!r} still holds {', '.join(held)}; let its tasks end (or "
            "cancel them with DELETE /v1/tasks/{id}) and delete its clusters and datasets first"
        )


async def delete_project(call: Call) -> None:
    """Delete a project and what is left of it: its ended tasks with their results, its
    checkpoints and its uploads (rows and files). 409 while it holds clusters or datasets or
    a task of it is queued or running.

    Rows go before their files, and the project's own row last: a crash part way leaves the
    project in place (deleting it again finishes the job) and at worst files no row names,
    never a row whose file is gone, nor rows a project re-created under this id would see.
    Rows are only ever added while the project's row exists (storage/scoped.py), so one more
    sweep after it is gone removes what was added while the first ran. Open websockets of the
    project close with 4401 (a project re-created under this id must not be reachable
    through them)."""
    project = await _project(call)
    await _refuse_while_in_use(call, project.id)
    await call.runtime.batch.delete_project_data(project.id)
    await call.runtime.projects.delete(project.id)
    await call.runtime.batch.delete_project_data(project.id)
    call.runtime.sockets.revoke(
        f"project {project.id!r} was deleted; get a new token with POST /v1/token",
        project_id=project.id,
    )


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/projects",
        create_project,
        "Create a project",
        "projects",
        body=CreateProject,
        response=ProjectOut,
        status=201,
        errors=(409,),
    ),
    Endpoint(
        "GET", "/v1/projects", list_projects, "List projects", "projects", response=ProjectList
    ),
    Endpoint(
        "GET",
        "/v1/projects/{project_id}",
        get_project,
        "Get a project",
        "projects",
        response=ProjectOut,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        "/v1/projects/{project_id}",
        delete_project,
        "Delete a project",
        "projects",
        status=204,
        errors=(404, 409),
    ),
]
