"""numba kernels over flat arrays; they never validate, the Network wrapper does that first."""

from hanami_rt.core.kernels.cycle import infer_rows, learn_rows
from hanami_rt.core.kernels.reduction import reduce
from hanami_rt.core.kernels.state import State

__all__ = ["State", "infer_rows", "learn_rows", "reduce"]
