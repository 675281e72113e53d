"""/v1/users: user management and project memberships (admin only)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import ID_RULE, NAME_RULE, rule
from hanami_rt.auth import hash_password
from hanami_rt.errors import Conflict, NotFound
from hanami_rt.storage import Membership, User

if TYPE_CHECKING:
    from hanami_rt.api.runtime import Runtime


@dataclass(frozen=True)
class CreateUser:
    """A new user; the password is stored only as a salted scrypt hash."""

    id: str = field(metadata=ID_RULE)
    name: str = field(metadata=NAME_RULE)
    password: str = field(metadata=rule("at least 8 characters", min_length=8, max_length=1024))
    is_admin: bool = False


@dataclass(frozen=True)
class AddMembership:
    """Put the user into a project."""

    project_id: str = field(metadata=ID_RULE)
    role: str = field(
        default="member", metadata=rule("a label for the role", pattern=r"^\w{1,64}$")
    )
    is_project_admin: bool = field(
        default=False, metadata=rule("may manage every resource of the project")
    )


@dataclass(frozen=True)
class MembershipOut:
    """A user's place in a project."""

    project_id: str
    role: str
    is_project_admin: bool
    created: str


@dataclass(frozen=True)
class UserOut:
    """A user as the API shows it (never with a password or hash)."""

    id: str
    name: str
    is_admin: bool
    created: str
    projects: list[MembershipOut]


@dataclass(frozen=True)
class UserList:
    """All users."""

    items: list[UserOut]


def _membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(m.project_id, m.role, m.is_project_admin, m.created)


async def user_out(runtime: Runtime, user: User) -> UserOut:
    """The public view of a user, with its memberships."""
    memberships = await runtime.memberships.of_user(user.id)
    return UserOut(
        user.id, user.name, user.is_admin, user.created, [_membership_out(m) for m in memberships]
    )


async def _user(call: Call) -> User:
    user = await call.runtime.users.get(call.path("user_id"))
    if user is None:
        raise NotFound(f"no user with id {call.path('user_id')!r}; list them with GET /v1/users")
    return user


async def create_user(call: Call) -> UserOut:
    """Create a user."""
    body = call.body_as(CreateUser)
    runtime = call.runtime
    if await runtime.users.get(body.id) is not None:
        raise Conflict(f"a user with id {body.id!r} already exists; pick another id")
    hashed = await asyncio.to_thread(hash_password, body.password, runtime.scrypt)
    user = await runtime.users.create(body.id, body.name, hashed, body.is_admin)
    return await user_out(runtime, user)


async def list_users(call: Call) -> UserList:
    """Every user."""
    runtime = call.runtime
    return UserList([await user_out(runtime, u) for u in await runtime.users.list()])


async def get_user(call: Call) -> UserOut:
    """One user with its projects."""
    return await user_out(call.runtime, await _user(call))


async def delete_user(call: Call) -> None:
    """Delete a user (not yourself); their open websockets close with 4401."""
    user = await _user(call)
    if user.id == call.caller.user_id:
        raise Conflict("you cannot delete yourself; ask another admin")
    await call.runtime.users.delete(user.id)
    call.runtime.sockets.revoke(f"user {user.id!r} was deleted", user_id=user.id)


async def add_membership(call: Call) -> MembershipOut:
    """Add the user to a project."""
    body = call.body_as(AddMembership)
    user = await _user(call)
    if await call.runtime.projects.get(body.project_id) is None:
        raise NotFound(f"no project with id {body.project_id!r}; create it with POST /v1/projects")
    membership = await call.runtime.memberships.add(
        user.id, body.project_id, body.role, body.is_project_admin
    )
    return _membership_out(membership)


async def remove_membership(call: Call) -> None:
    """Remove the user from a project; their open websockets in it close with 4401."""
    user = await _user(call)
    project_id = call.path("project_id")
    if not await call.runtime.memberships.remove(user.id, project_id):
        raise NotFound(f"user {user.id!r} is not in project {project_id!r}")
    call.runtime.sockets.revoke(
        f"user {user.id!r} was removed from project {project_id!r}; "
        "get a new token with POST /v1/token",
        user_id=user.id,
        project_id=project_id,
    )


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/users",
        create_user,
        "Create a user",
        "users",
        body=CreateUser,
        response=UserOut,
        status=201,
        errors=(409,),
    ),
    Endpoint("GET", "/v1/users", list_users, "List users", "users", response=UserList),
    Endpoint(
        "GET",
        "/v1/users/{user_id}",
        get_user,
        "Get a user",
        "users",
        response=UserOut,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        "/v1/users/{user_id}",
        delete_user,
        "Delete a user",
        "users",
        status=204,
        errors=(404, 409),
    ),
    Endpoint(
        "POST",
        "/v1/users/{user_id}/projects",
        add_membership,
        "Add a user to a project",
        "users",
        body=AddMembership,
        response=MembershipOut,
        status=201,
        errors=(404, 409),
    ),
    Endpoint(
        "DELETE",
        "/v1/users/{user_id}/projects/{project_id}",
        remove_membership,
        "Remove a user from a project",
        "users",
        status=204,
        errors=(404,),
    ),
]
