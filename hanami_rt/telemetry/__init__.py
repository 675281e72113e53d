"""Prometheus instruments (defined once) and host collectors read at scrape time.

The server builds `Instruments(registry)`, calls `install_host_telemetry(registry, ...)` and
starts `run_sampler(host.sampler)` in its lifespan. sysfs/procfs roots are parameters so tests
use the fixture trees under tests/fixtures/.
"""

from hanami_rt.telemetry.energy import DEFAULT_WATTS_PER_CORE, EnergyAttributor, HostCpuTime
from hanami_rt.telemetry.host import HostTelemetry, install_host_telemetry
from hanami_rt.telemetry.instruments import Instruments
from hanami_rt.telemetry.rings import MeasurementRings
from hanami_rt.telemetry.sampler import HostSampler, run_sampler
from hanami_rt.telemetry.system import read_system_info

__all__ = [
    "DEFAULT_WATTS_PER_CORE",
    "EnergyAttributor",
    "HostCpuTime",
    "HostSampler",
    "HostTelemetry",
    "Instruments",
    "MeasurementRings",
    "install_host_telemetry",
    "read_system_info",
    "run_sampler",
]
