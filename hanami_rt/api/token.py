"""POST /v1/token (log in) and PUT /v1/token (switch project / renew)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import ID_RULE, rule
from hanami_rt.api.users import UserOut, user_out
from hanami_rt.auth import ADMIN, verify_password
from hanami_rt.errors import NotFound, Unauthorized, ValidationError
from hanami_rt.storage import User


@dataclass(frozen=True)
class Login:
    """Credentials, and optionally the project to act in."""

    user_id: str = field(metadata=ID_RULE)
    password: str = field(metadata=rule("the user's password", min_length=1, max_length=1024))
    project_id: str | None = field(default=None, metadata=rule("project to act in"))


@dataclass(frozen=True)
class SwitchProject:
    """The project to act in from now on (also renews the token)."""

    project_id: str | None = field(metadata=rule("project to act in; null for none"))


@dataclass(frozen=True)
class TokenOut:
    """A bearer token for `Authorization: Bearer <token>`."""

    token: str
    expires_at: str = field(metadata=rule("UTC ISO-8601"))
    project_id: str | None
    role: str
    user: UserOut


async def _project_for(call: Call, user: User, requested: str | None) -> str | None:
    """The project the token will carry; NotFound when the user may not act in it."""
    runtime = call.runtime
    if requested is not None:
        if user.is_admin:
            if await runtime.projects.get(requested) is None:
                raise NotFound(f"no project with id {requested!r}")
            return requested
        if await runtime.memberships.get(user.id, requested) is None:
            raise NotFound(f"no project {requested!r} among yours; see your projects in 'user'")
        return requested
    if user.is_admin:
        return None
    memberships = await runtime.memberships.of_user(user.id)
    if len(memberships) > 1:
        names = ", ".join(m.project_id for m in memberships)
        raise ValidationError(f"you belong to several projects ({names}); pass project_id")
    return memberships[0].project_id if memberships else None


async def _token_for(call: Call, user: User, project_id: str | None) -> TokenOut:
    role = await call.runtime.role_in(user.id, user.is_admin, project_id)
    assert role is not None
    token, principal = call.runtime.issuer.issue(user.id, project_id, role, user.is_admin)
    expires = dt.datetime.fromtimestamp(principal.expires_at, dt.UTC)
    return TokenOut(
        token=token,
        expires_at=expires.isoformat().replace("+00:00", "Z"),
        project_id=project_id,
        role=ADMIN if user.is_admin else role,
        user=await user_out(call.runtime, user),
    )


async def create_token(call: Call) -> TokenOut:
    """Log in with user id and password."""
    login = call.body_as(Login)
    runtime = call.runtime
    call.audit(login.user_id, login.project_id)
    runtime.throttle.check(login.user_id)
    user = await runtime.users.get(login.user_id)
    stored = user.password_hash if user is not None else None
    ok = await asyncio.to_thread(verify_password, login.password, stored, runtime.scrypt)
    if user is None or not ok:
        runtime.throttle.failed(login.user_id)
        raise Unauthorized("wrong user id or password; check both and try again")
    runtime.throttle.succeeded(login.user_id)
    return await _token_for(call, user, await _project_for(call, user, login.project_id))


async def renew_token(call: Call) -> TokenOut:
    """A fresh token for the caller, acting in another (or the same) project."""
    switch = call.body_as(SwitchProject)
    user = await call.runtime.users.get(call.caller.user_id)
    if user is None:
        raise Unauthorized("your user no longer exists")
    if switch.project_id is None and not user.is_admin:
        return await _token_for(call, user, None)
    return await _token_for(call, user, await _project_for(call, user, switch.project_id))


ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/token",
        create_token,
        "Log in: get a token",
        "token",
        body=Login,
        response=TokenOut,
        errors=(401, 404, 429),
    ),
    Endpoint(
        "PUT",
        "/v1/token",
        renew_token,
        "Switch project or renew the token",
        "token",
        body=SwitchProject,
        response=TokenOut,
        errors=(404,),
    ),
]
