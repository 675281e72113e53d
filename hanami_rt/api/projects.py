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


async def delete_project(call: Call) -> None:
    """Delete an empty project (409 while it holds clusters or datasets)."""
    project = await _project(call)
    count = await call.runtime.cluster_rows.count_in_project(project.id)
    if count:
        raise Conflict(f"project {project.id!r} still holds {count} cluster(s); delete them first")
    datasets = await call.runtime.batch.datasets.repo.count_in_project(project.id)
    if datasets:
        raise Conflict(
            f"project {project.id!r} still holds {datasets} dataset(s); delete them first"
        )
    await call.runtime.projects.delete(project.id)


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
