"""Slows down password guessing: after N failed logins for one user within a window, 429.

Kept in memory per process; with several replicas each counts its own failures (acceptable:
the limit per replica still bounds guessing), a shared store can replace it later.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from hanami_rt.errors import RateLimited

_PRUNE_AT = 10_000


class LoginThrottle:
    """Counts failed logins per user id over a sliding window; the clock is injectable."""

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, user_id: str) -> deque[float]:
        failures = self._failures.get(user_id)
        if failures is None:
            return deque()
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[user_id]
        return failures

    def check(self, user_id: str) -> None:
        """Raise RateLimited when the user has used up its failures in the current window."""
        failures = self._recent(user_id)
        if len(failures) >= self._max:
            wait = max(1, math.ceil(failures[0] + self._window - self._clock()))
            raise RateLimited(
                f"too many failed logins for user {user_id!r}; try again in {wait} s",
                retry_after=wait,
            )

    def failed(self, user_id: str) -> None:
        """Record one failed login (and now and then forget expired ones of every user, so
        guesses at many made-up user ids cannot grow memory without bound)."""
        if len(self._failures) >= _PRUNE_AT:
            for other in list(self._failures):
                self._recent(other)
        self._recent(user_id)
        self._failures.setdefault(user_id, deque()).append(self._clock())

    def succeeded(self, user_id: str) -> None:
        """Forget the user's failures after a successful login."""
        self._failures.pop(user_id, None)
