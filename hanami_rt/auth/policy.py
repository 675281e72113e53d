"""The access policy: (route path, method) -> roles allowed; anything not listed is denied.

The default file ships in the package (`policy.toml`); `Settings.policy_file` replaces it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hanami_rt.auth.principal import ANYONE, ROLES

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


class PolicyError(ValueError):
    """The policy file is unreadable or names an unknown method or role."""


@dataclass(frozen=True)
class Policy:
    """An immutable lookup table of who may call which route with which method."""

    rules: dict[tuple[str, str], frozenset[str]]

    @classmethod
    def parse(cls, text: str, source: str = "policy") -> Policy:
        """Parse policy TOML, refusing unknown methods and roles with the offending entry."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{source} is not valid TOML: {exc}") from None
        rules: dict[tuple[str, str], frozenset[str]] = {}
        for path, methods in data.items():
            if not path.startswith("/") or not isinstance(methods, dict):
                raise PolicyError(f"{source}: [{path!r}] must be a route path with a method table")
            for method, roles in methods.items():
                if method not in _METHODS:
                    raise PolicyError(f"{source}: [{path!r}] unknown method {method!r}")
                if not isinstance(roles, list) or not all(r in ROLES for r in roles):
                    raise PolicyError(
                        f"{source}: [{path!r}] {method} must list roles among {sorted(ROLES)}"
                    )
                rules[(path, method)] = frozenset(roles)
        return cls(rules)

    @classmethod
    def load(cls, path: Path | None = None) -> Policy:
        """The policy in `path`, or the one shipped with the package."""
        if path is None:
            text = resources.files("hanami_rt.auth").joinpath("policy.toml").read_text("utf-8")
            return cls.parse(text, "the packaged policy.toml")
        try:
            return cls.parse(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None

    def roles(self, path: str, method: str) -> frozenset[str]:
        """The roles allowed to call `method` on `path`; empty when not listed (denied)."""
        return self.rules.get((path, method), frozenset())

    def is_public(self, path: str, method: str) -> bool:
        """True when no token is needed."""
        return ANYONE in self.roles(path, method)

    def allows(self, path: str, method: str, role: str) -> bool:
        """True when `role` may call `method` on `path`."""
        roles = self.roles(path, method)
        return ANYONE in roles or role in roles
