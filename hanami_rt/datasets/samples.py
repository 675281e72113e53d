"""A dataset seen through a cluster's bricks: which column group feeds which brick, and how.

IDX datasets have no names: their images feed the cluster's one input brick and their labels
its one output brick (padded with zeros when the brick has more neurons than there are
classes). CSV groups are matched by name: an N-wide group feeds an N-neuron brick row by row;
a 1-wide group feeding an N-neuron input brick is the time-series layout, a sliding window over
the last N rows, and every other brick then takes the row at the window's end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hanami_rt.errors import ValidationError

IDX = "idx"
CSV = "csv"


@dataclass(frozen=True)
class Source:
    """Where one brick's values come from: column group `group`, a window of `window` rows
    (0 = one row per sample), and `pad` zero columns appended."""

    group: int
    window: int = 0
    pad: int = 0


@dataclass(frozen=True)
class Plan:
    """How a dataset feeds a cluster: per-brick sources, the first usable row, sample count."""

    inputs: dict[str, Source]
    outputs: dict[str, Source]
    offset: int
    rows: int


def _idx_plan(
    columns: Sequence[tuple[str, int]],
    rows: int,
    inputs: Mapping[str, int],
    outputs: Mapping[str, int],
    need_outputs: bool,
) -> Plan:
    pixels, classes = columns[0][1], columns[1][1]
    if len(inputs) != 1 or next(iter(inputs.values())) != pixels:
        raise ValidationError(
            f"the dataset's images have {pixels} pixels, but the cluster's input bricks are "
            f"{dict(inputs)}; an IDX dataset needs exactly one input brick of {pixels} neurons"
        )
    plan_outputs: dict[str, Source] = {}
    if need_outputs:
        if len(outputs) != 1 or next(iter(outputs.values())) < classes:
            raise ValidationError(
                f"the dataset's labels have {classes} classes, but the cluster's output bricks "
                f"are {dict(outputs)}; an IDX dataset needs one output brick of at least "
                f"{classes} neurons"
            )
        name, width = next(iter(outputs.items()))
        plan_outputs[name] = Source(1, 0, width - classes)
    return Plan({next(iter(inputs)): Source(0)}, plan_outputs, 0, rows)


def _csv_source(
    name: str, neurons: int, kind: str, groups: dict[str, tuple[int, int]], windows: bool
) -> Source:
    if name not in groups:
        raise ValidationError(
            f"the dataset has no column for {kind} brick {name!r} (its column groups are "
            f"{', '.join(groups)}); name columns after the cluster's bricks"
        )
    index, width = groups[name]
    if width == neurons:
        return Source(index)
    if width == 1 and windows:
        return Source(index, window=neurons)
    raise ValidationError(
        f"column group {name!r} has {width} column(s) but {kind} brick {name!r} has {neurons} "
        f"neurons; give it columns {name}_0 .. {name}_{neurons - 1}"
        + (" or one column for a sliding window" if kind == "input" else "")
    )


def plan_for(
    kind: str,
    columns: Sequence[tuple[str, int]],
    rows: int,
    inputs: Mapping[str, int],
    outputs: Mapping[str, int],
    need_outputs: bool,
) -> Plan:
    """Match the dataset to the bricks; ValidationError naming the mismatch."""
    if kind == IDX:
        return _idx_plan(columns, rows, inputs, outputs, need_outputs)
    groups = {name: (i, width) for i, (name, width) in enumerate(columns)}
    plan_inputs = {n: _csv_source(n, w, "input", groups, True) for n, w in inputs.items()}
    plan_outputs = (
        {n: _csv_source(n, w, "output", groups, False) for n, w in outputs.items()}
        if need_outputs
        else {}
    )
    offset = max((s.window - 1 for s in plan_inputs.values() if s.window), default=0)
    if rows - offset <= 0:
        raise ValidationError(
            f"the dataset has {rows} rows; a sliding window of {offset + 1} rows needs more"
        )
    return Plan(plan_inputs, plan_outputs, offset, rows - offset)


class Samples:
    """Chunks of samples read from memory-mapped column arrays according to a Plan."""

    def __init__(self, plan: Plan, arrays: Sequence[np.ndarray]) -> None:
        self.plan = plan
        self._arrays = arrays

    @property
    def rows(self) -> int:
        """How many samples there are."""
        return self.plan.rows

    def _values(self, source: Source, start: int, stop: int) -> np.ndarray:
        column = self._arrays[source.group]
        first, last = start + self.plan.offset, stop + self.plan.offset
        if source.window:
            windows = np.lib.stride_tricks.sliding_window_view(column[:, 0], source.window)
            block = np.array(windows[first - source.window + 1 : last - source.window + 1])
        else:
            block = np.array(column[first:last])
        if source.pad:
            block = np.pad(block, ((0, 0), (0, source.pad)))
        return block

    def inputs(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Input values of samples [start, stop), per input brick."""
        return {n: self._values(s, start, stop) for n, s in self.plan.inputs.items()}

    def expected(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Expected values of samples [start, stop), per output brick."""
        return {n: self._values(s, start, stop) for n, s in self.plan.outputs.items()}
