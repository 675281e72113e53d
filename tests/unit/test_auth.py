"""Auth building blocks: scrypt hashes, the login throttle, JWTs, the policy file."""

from __future__ import annotations

import os
from pathlib import Path

import jwt
import pytest

from hanami_rt.auth import (
    ADMIN,
    MEMBER,
    PROJECT_ADMIN,
    LoginThrottle,
    Policy,
    PolicyError,
    ScryptCost,
    TokenIssuer,
    hash_password,
    load_or_create_key,
    role_for,
    verify_password,
)
from hanami_rt.errors import RateLimited, Unauthorized

CHEAP = ScryptCost(n=16, r=1, p=1)
KEY = b"k" * 64


def test_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("pw-1", CHEAP), hash_password("pw-1", CHEAP)
    assert first != second and "pw-1" not in first
    assert verify_password("pw-1", first, CHEAP)
    assert not verify_password("pw-2", first, CHEAP)
    assert not verify_password("pw-1", None, CHEAP)
    assert not verify_password("pw-1", "garbage", CHEAP)


def test_hash_keeps_its_own_cost() -> None:
    stored = hash_password("pw", ScryptCost(n=32, r=2, p=1))
    assert stored.startswith("scrypt$32$2$1$")
    assert verify_password("pw", stored, CHEAP)


def test_throttle_blocks_after_five_failures_within_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(5, 60, clock=lambda: now[0])
    for _ in range(5):
        throttle.check("ann")
        throttle.failed("ann")
    with pytest.raises(RateLimited) as info:
        throttle.check("ann")
    assert info.value.retry_after == 60
    throttle.check("bob")  # other users are unaffected
    now[0] += 60.5
    throttle.check("ann")  # the window has moved on


def test_throttle_forgets_on_success() -> None:
    throttle = LoginThrottle(2, 60, clock=lambda: 0.0)
    throttle.failed("ann")
    throttle.succeeded("ann")
    throttle.failed("ann")
    throttle.check("ann")


def test_token_round_trip_and_claims() -> None:
    issuer = TokenIssuer(KEY, 3600, clock=lambda: 1_000_000.0)
    token, principal = issuer.issue("ann", "p1", PROJECT_ADMIN, False)
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert set(claims) == {"sub", "project", "role", "is_admin", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] == 3600
    assert issuer.verify(token) == principal


def test_expired_tampered_and_foreign_tokens_are_refused() -> None:
    now = [1_000_000.0]
    issuer = TokenIssuer(KEY, 60, clock=lambda: now[0])
    token, _ = issuer.issue("ann", None, MEMBER, False)
    head, body, sig = token.split(".")
    tampered = f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    with pytest.raises(Unauthorized, match="signature"):
        issuer.verify(tampered)
    with pytest.raises(Unauthorized, match="signature"):
        TokenIssuer(b"x" * 64, 60, clock=lambda: now[0]).verify(token)
    with pytest.raises(Unauthorized, match="malformed"):
        issuer.verify("not-a-token")
    now[0] += 61
    with pytest.raises(Unauthorized, match="expired"):
        issuer.verify(token)


def test_unknown_role_claim_is_refused() -> None:
    forged = jwt.encode(
        {"sub": "a", "role": "root", "iat": 1, "exp": 2**40, "jti": "x"}, KEY, algorithm="HS256"
    )
    with pytest.raises(Unauthorized, match="claims"):
        TokenIssuer(KEY, 60).verify(forged)


def test_role_for_follows_admin_flag_project_and_membership() -> None:
    assert role_for(True, "p1", None) == ADMIN  # no membership needed (its project: storage)
    assert role_for(True, None, None) == ADMIN
    assert role_for(False, None, None) == MEMBER
    assert role_for(False, "p1", None) is None  # not (or no longer) a member
    assert role_for(False, "p1", False) == MEMBER
    assert role_for(False, "p1", True) == PROJECT_ADMIN


def test_key_file_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "jwt.key"
    key = load_or_create_key(path)
    assert len(key) >= 64
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_or_create_key(path) == key
    path.write_text("short")
    with pytest.raises(ValueError, match="at least 32"):
        load_or_create_key(path)


def test_packaged_policy_denies_what_it_does_not_list() -> None:
    policy = Policy.load()
    assert policy.is_public("/healthz", "GET")
    assert policy.allows("/v1/users", "POST", ADMIN)
    assert not policy.allows("/v1/users", "POST", PROJECT_ADMIN)
    assert policy.allows("/v1/clusters", "POST", MEMBER)
    assert not policy.allows("/v1/clusters", "PATCH", ADMIN)
    assert not policy.allows("/v1/nothing", "GET", ADMIN)


def test_policy_file_errors_name_the_entry(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="unknown method 'FETCH'"):
        Policy.parse('["/x"]\nFETCH = ["admin"]\n')
    with pytest.raises(PolicyError, match="roles among"):
        Policy.parse('["/x"]\nGET = ["root"]\n')
    path = tmp_path / "p.toml"
    path.write_text('["/x"]\nGET = ["member"]\n')
    assert Policy.load(path).allows("/x", "GET", MEMBER)
