"""JWT (HS256) issue and verify; claims: sub, project, role, is_admin, iat, exp, jti."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import jwt

from hanami_rt.auth.principal import ROLES, Principal
from hanami_rt.errors import Unauthorized

_ALGORITHM = "HS256"
_RENEW = "get a new token with POST /v1/token"


class TokenIssuer:
    """Signs and verifies tokens with one secret key; the clock is injectable for tests."""

    def __init__(self, key: bytes, lifetime_s: int, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._lifetime = lifetime_s
        self._clock = clock

    def issue(
        self, user_id: str, project_id: str | None, role: str, is_admin: bool
    ) -> tuple[str, Principal]:
        """A signed token and the principal it stands for."""
        now = int(self._clock())
        principal = Principal(
            user_id=user_id,
            project_id=project_id,
            role=role,
            is_admin=is_admin,
            token_id=uuid.uuid4().hex,
            expires_at=now + self._lifetime,
        )
        claims = {
            "sub": user_id,
            "project": project_id,
            "role": role,
            "is_admin": is_admin,
            "iat": now,
            "exp": principal.expires_at,
            "jti": principal.token_id,
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM), principal

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; Unauthorized saying why for any other."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                options={
                    "require": ["sub", "role", "iat", "exp", "jti"],
                    "verify_exp": False,  # checked below against our own clock
                    "verify_iat": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise Unauthorized(f"the token's signature is invalid; {_RENEW}") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"the token is malformed ({exc}); {_RENEW}") from None
        if not isinstance(claims["exp"], int) or claims["exp"] <= int(self._clock()):
            raise Unauthorized(f"the token has expired; {_RENEW}")
        project, role = claims.get("project"), claims["role"]
        if (
            not isinstance(claims["sub"], str)
            or role not in ROLES
            or not (project is None or isinstance(project, str))
        ):
            raise Unauthorized(f"the token's claims are malformed; {_RENEW}")
        return Principal(
            user_id=claims["sub"],
            project_id=project,
            role=role,
            is_admin=bool(claims.get("is_admin", False)),
            token_id=str(claims["jti"]),
            expires_at=int(claims["exp"]),
        )
