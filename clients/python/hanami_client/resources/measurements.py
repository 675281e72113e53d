"""/v1/measurements/* and /v1/system: the host, as the server measures it."""

from __future__ import annotations

from hanami_client.models import Series, System, series, system
from hanami_client.transport import Api


class AsyncMeasurements:
    """Power, CPU frequency and temperature over time; the host's description."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def _series(self, name: str) -> Series:
        return series(name, await self._api.call("GET", f"/v1/measurements/{name}"))

    async def power(self) -> Series:
        """CPU package power in watts."""
        return await self._series("power")

    async def cpu_frequency(self) -> Series:
        """Mean CPU frequency in hertz."""
        return await self._series("cpu-frequency")

    async def temperature(self) -> Series:
        """Hottest CPU sensor in degrees Celsius."""
        return await self._series("temperature")

    async def system(self) -> System:
        """Host name, CPU topology, memory, versions (admin only)."""
        return system(await self._api.call("GET", "/v1/system"))
