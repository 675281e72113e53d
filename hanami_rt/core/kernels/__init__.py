"""numba kernels over flat arrays; they never validate, the Network wrapper does that first."""

from hanami_rt.core.kernels.cycle import (
    checked_forward,
    first_invalid,
    infer_rows,
    learn_backward,
    learn_forward,
    learn_rows,
)
from hanami_rt.core.kernels.reduction import reduce
from hanami_rt.core.kernels.state import State

__all__ = [
    "State",
    "checked_forward",
    "first_invalid",
    "infer_rows",
    "learn_backward",
    "learn_forward",
    "learn_rows",
    "reduce",
]
