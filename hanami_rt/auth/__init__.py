"""Authentication and authorization: password hashing, login throttling, JWT, roles, policy.

Pure and synchronous: nothing here touches the database; the api layer wires it to storage.
"""

from hanami_rt.auth.keys import load_or_create_key, write_private
from hanami_rt.auth.passwords import ScryptCost, generate_password, hash_password, verify_password
from hanami_rt.auth.policy import Policy, PolicyError
from hanami_rt.auth.principal import (
    ADMIN,
    ANYONE,
    MEMBER,
    PROJECT_ADMIN,
    ROLES,
    Principal,
    role_for,
)
from hanami_rt.auth.throttle import LoginThrottle
from hanami_rt.auth.tokens import TokenIssuer

__all__ = [
    "ADMIN",
    "ANYONE",
    "MEMBER",
    "PROJECT_ADMIN",
    "ROLES",
    "LoginThrottle",
    "Policy",
    "PolicyError",
    "Principal",
    "ScryptCost",
    "TokenIssuer",
    "generate_password",
    "hash_password",
    "load_or_create_key",
    "role_for",
    "verify_password",
    "write_private",
]
