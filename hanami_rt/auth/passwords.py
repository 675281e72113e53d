"""Password hashing with scrypt (memory-hard) and a random salt per user; constant-time checks.

Stored form: `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised later and
old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_SALT_BYTES = 16
_HASH_BYTES = 32


@dataclass(frozen=True)
class ScryptCost:
    """scrypt parameters: n (CPU/memory cost, a power of 2), r (block size), p (parallelism)."""

    n: int = 1 << 14
    r: int = 8
    p: int = 1


def _derive(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=256 * cost.n * cost.r + (1 << 20),
        dklen=_HASH_BYTES,
    )


def hash_password(password: str, cost: ScryptCost) -> str:
    """A fresh salted hash of `password` in the stored form."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(password, salt, cost)
    b64 = base64.b64encode
    return f"scrypt${cost.n}${cost.r}${cost.p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None, cost: ScryptCost) -> bool:
    """True when `password` matches `stored`; with no stored hash, burns the same work and fails.

    Burning the work for unknown users keeps login time from revealing which users exist.
    """
    if stored is None:
        _derive(password, b"\0" * _SALT_BYTES, cost)
        return False
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        stored_cost = ScryptCost(int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(_derive(password, salt, stored_cost), expected)


def generate_password() -> str:
    """A strong random password (about 190 bits) that is safe to print and paste."""
    return secrets.token_urlsafe(24)
