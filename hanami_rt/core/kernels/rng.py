"""A splitmix64 generator whose whole state is one uint64 owned by the network.

Keeping the state in the network's arrays (not numba's global generator) makes a network
reproducible bit for bit whichever thread runs it, and lets checkpoints carry the state.
"""

from __future__ import annotations

import numpy as np

from hanami_rt.core.kernels.flags import jit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@jit
def next_u64(rng: np.ndarray) -> np.uint64:
    """Advance the state in rng[0] and return 64 random bits."""
    state = rng[0] + _GAMMA
    rng[0] = state
    z = (state ^ (state >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    result: np.uint64 = z ^ (z >> _S31)
    return result


@jit
def next_float(rng: np.ndarray) -> float:
    """A float64 uniform in [0, 1)."""
    return float(next_u64(rng) >> _S11) * _UNIT


@jit
def next_below(rng: np.ndarray, n: int) -> int:
    """An integer uniform in [0, n)."""
    return int(next_float(rng) * n)
