"""Progress bars: tqdm on stderr when it is a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from typing import Any, Protocol


class Bar(Protocol):
    """What the client needs from a progress bar."""

    def update(self, n: float) -> Any:
        """Advance by `n`."""

    def close(self) -> Any:
        """Finish the bar."""


class _Silent:
    """A bar that shows nothing."""

    def update(self, n: float) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(wanted: bool, total: float | None, desc: str, unit: str = "it") -> Bar:
    """A tqdm bar when `wanted` and stderr is a terminal, else a silent one."""
    if not (wanted and sys.stderr.isatty()):
        return _Silent()
    from tqdm import tqdm

    scale = unit == "B"
    bar: Bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=scale, leave=False)
    return bar
