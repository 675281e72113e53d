"""The growing network: templates, the Network wrapper and its numba kernels.

Synchronous and pure numpy + numba: nothing here imports asyncio, starlette or sqlite.
"""

from hanami_rt.core.errors import CheckpointError, CoreError, InputError, TemplateError

__all__ = ["CheckpointError", "CoreError", "InputError", "TemplateError"]
