"""The growing network: templates, the Network wrapper and its numba kernels.

Synchronous and pure numpy + numba: nothing here imports asyncio, starlette or sqlite.
"""

from hanami_rt.core.errors import CheckpointError, CoreError, InputError, TemplateError
from hanami_rt.core.network import Network, warm_up
from hanami_rt.core.template import Brick, NetworkSettings, Template

__all__ = [
    "Brick",
    "CheckpointError",
    "CoreError",
    "InputError",
    "Network",
    "NetworkSettings",
    "Template",
    "TemplateError",
    "warm_up",
]
