"""The REST transport: one httpx.AsyncClient, the bearer token, and errors mapped to the tree."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from hanami_client.errors import AuthError, ConnectionLost, HanamiError, error_for


@dataclass(frozen=True)
class Credentials:
    """What `login` was given, kept in memory so a dropped session can log in again."""

    user_id: str
    password: str
    project_id: str | None


def claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read but not verified (the server verifies); {} when unreadable."""
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def token_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, or None."""
    exp = claims(token).get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def raise_for(reply: httpx.Response) -> None:
    """Raise the tree's exception for a non-2xx reply, with the server's code and message."""
    if reply.is_success:
        return
    code, message = "", reply.reason_phrase or f"HTTP {reply.status_code}"
    try:
        error = reply.json().get("error")
        if isinstance(error, dict):
            code = str(error.get("code", ""))
            message = str(error.get("message", message))
    except (ValueError, AttributeError):
        pass
    retry = reply.headers.get("retry-after")
    raise error_for(
        code or f"http_{reply.status_code}",
        message,
        status=reply.status_code,
        retry_after=int(retry) if retry and retry.isdigit() else None,
    )


class Api:
    """Sends REST requests with the current token; answers decoded JSON or raises."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token = token
        self.credentials: Credentials | None = None
        self.http = httpx.AsyncClient(base_url=self.url, timeout=timeout, transport=transport)

    @property
    def expires_at(self) -> float | None:
        """When the current token expires (Unix seconds), if known."""
        return token_expiry(self.token) if self.token else None

    def headers(self) -> dict[str, str]:
        """The Authorization header for the current token (none without a token)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        authorized: bool = True,
    ) -> httpx.Response:
        """One request; the reply when 2xx, else the matching HanamiError."""
        merged = {**(self.headers() if authorized else {}), **(headers or {})}
        try:
            reply = await self.http.request(
                method, path, json=json, params=params, content=content, headers=merged
            )
        except httpx.TransportError as exc:
            raise ConnectionLost(
                f"could not reach {self.url} ({type(exc).__name__}: {exc}); is the server up?"
            ) from exc
        raise_for(reply)
        return reply

    async def call(self, method: str, path: str, **options: Any) -> Any:
        """`send`, then the decoded JSON body (None for an empty body)."""
        reply = await self.send(method, path, **options)
        return reply.json() if reply.content else None

    async def login(self, credentials: Credentials) -> dict[str, Any]:
        """POST /v1/token; keeps the token (and the credentials, to log in again later)."""
        body: dict[str, Any] = {"user_id": credentials.user_id, "password": credentials.password}
        if credentials.project_id is not None:
            body["project_id"] = credentials.project_id
        data = await self.call("POST", "/v1/token", json=body, authorized=False)
        self.token = str(data["token"])
        self.credentials = credentials
        return dict(data)

    async def switch(self, project_id: str | None) -> dict[str, Any]:
        """PUT /v1/token: a fresh token acting in `project_id` (renews it too)."""
        data = await self.call("PUT", "/v1/token", json={"project_id": project_id})
        self.token = str(data["token"])
        if self.credentials is not None:
            c = self.credentials
            self.credentials = Credentials(c.user_id, c.password, data.get("project_id"))
        return dict(data)

    async def fresh_token(self, margin_s: float) -> str:
        """A token valid for at least `margin_s` more seconds: renewed or re-logged-in if due."""
        expires = self.expires_at
        if self.token is not None and (expires is None or expires - time.time() > margin_s):
            return self.token
        if self.token is not None and expires is not None and expires > time.time() + 1:
            project = claims(self.token).get("project")
            await self.switch(project if isinstance(project, str) else None)
        elif self.credentials is not None:
            await self.login(self.credentials)
        else:
            raise AuthError("unauthorized", "the token has expired; log in again")
        assert self.token is not None
        return self.token

    async def relogin(self) -> bool:
        """Log in again with the kept credentials; False when there are none."""
        if self.credentials is None:
            return False
        try:
            await self.login(self.credentials)
        except HanamiError:
            return False
        return True

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()
