"""Network: one growing network. Owns the flat arrays, validates every input, calls the kernels.

Thread safety: concurrent `infer`/`infer_many` calls are safe (they read the arrays and work on
private copies of the neuron state). `learn`/`learn_many` mutate the network and must not run
concurrently with anything else on the same network; the service layer holds that lock.
Negative input values count as 0 (a silent neuron); NaN and infinity are rejected.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from hanami_rt.core.errors import InputError
from hanami_rt.core.kernels import State, first_invalid
from hanami_rt.core.kernels.cycle import EXPECTED_RANGE, INPUT_RANGE
from hanami_rt.core.kernels.direct import entry_point
from hanami_rt.core.kernels.state import (
    COOLDOWN,
    FREE_COUNT,
    HIDDEN,
    HIGH_WATER,
    INPUT,
    N_CONFIG,
    N_COUNTERS,
    OUTPUT,
    REDUCTION,
    REFRACTORY,
    RESERVE,
    SAMPLES_LEARNED,
    SECTION_FIELDS,
    SLOTS,
    SYNAPSES,
)
from hanami_rt.core.kernels.table import (
    checked_forward_at,
    infer_rows_at,
    learn_backward_at,
    learn_forward_at,
    learn_rows_at,
    new_table,
    write_row,
)
from hanami_rt.core.template import Template
from hanami_rt.files import write_atomic

Values = npt.ArrayLike | Mapping[str, npt.ArrayLike]
Outputs = dict[str, npt.NDArray[np.float32]]

_MAX_RESERVE = 1 << 16  # section rows kept free before each sample (see learn_rows)
_MIN_CAPACITY = 64
_F32 = np.dtype(np.float32)


class _Kernels(NamedTuple):
    """The one-sample kernels, bound to their argument types (kernels/direct.py): a table row
    (kernels/table.py) and float32 rows, as `Network` builds them."""

    forward: Callable[..., None]
    checked_forward: Callable[..., int]
    backward: Callable[..., None]
    learn_one: Callable[..., int]
    infer: Callable[..., None]
    check: Callable[..., int]


@functools.cache
def _kernels() -> _Kernels:
    """Bound once per process (compiled, or loaded from numba's cache, on first use)."""
    table, x = new_table(1), np.zeros(1, dtype=np.float32)
    row = x.reshape(1, -1)
    return _Kernels(
        forward=entry_point(learn_forward_at, table, x, x),
        checked_forward=entry_point(checked_forward_at, table, x, x, x),
        backward=entry_point(learn_backward_at, table, x),
        learn_one=entry_point(learn_rows_at, table, row, row, row, 0),
        infer=entry_point(infer_rows_at, table, row, row),
        check=entry_point(first_invalid, x, *INPUT_RANGE),
    )


class Network:
    """A growing network built from a template; the same seed and inputs give the same bytes."""

    def __init__(self, template: Template, state: State, seed: int) -> None:
        """Wrap existing arrays; use `from_template`, `from_bytes` or `load` instead."""
        self.template = template
        self.seed = seed
        self._state = state
        self.input_bricks: dict[str, int] = {
            b.input: b.number_of_neurons for b in template.bricks if b.input
        }
        self.output_bricks: dict[str, int] = {
            b.output: b.number_of_neurons for b in template.bricks if b.output
        }
        self._n_outputs = sum(self.output_bricks.values())
        self._pending: object | None = None  # the learn_split whose finish is still due
        # a State and the table row describing it, for the one-sample kernels (kernels/table.py)
        self._binding: tuple[State | None, np.ndarray] = (None, new_table(1))

    def __getstate__(self) -> dict[str, Any]:
        """For copy and pickle: a table row holds raw addresses of this object's arrays, so a
        copy starts without one (its first kernel call writes its own)."""
        state = self.__dict__.copy()
        state["_binding"] = (None, new_table(1))
        return state

    # ---- construction ---------------------------------------------------------------------

    @classmethod
    def from_template(cls, template: str | Template, *, seed: int = 0) -> Network:
        """A new, empty network: neurons only, no sections or synapses yet."""
        if isinstance(template, str):
            template = Template.parse(template)
        if not 0 <= seed < 2**64:
            raise ValueError("seed must be an integer in [0, 2**64)")
        return cls(template, _empty_state(template, seed, capacity=None), seed)

    @property
    def state(self) -> State:
        """The arrays (read them, don't write them); checkpoints and tests use this."""
        return self._state

    # ---- learning and inference -----------------------------------------------------------

    def learn(self, inputs: Values, expected: Values) -> Outputs:
        """Learn one sample; returns the outputs of its forward pass (before the update).

        One kernel call for both passes: on a worker thread that is one release of the GIL
        (`learn_split` needs two)."""
        x, y = self.prepare_learn(inputs, expected)
        out = np.empty((1, self._n_outputs), dtype=np.float32)
        st, table = self.binding()
        if not _kernels().learn_one(table, x.reshape(1, -1), y.reshape(1, -1), out, 0):
            raise RuntimeError("too few free section rows after making room")  # a bug
        return self._split(out[0], fresh=True)

    def learn_split(self, inputs: Values, expected: Values) -> tuple[Outputs, Callable[[], None]]:
        """`learn` in two halves: validate both, run the forward pass (growing), and return its
        outputs with `finish`, which applies the weight update. A server answers in between.

        Both halves together equal `learn` bit for bit. Between them the network is consistent
        (as after a sample it had already learned), but nothing else may run on it: whoever
        holds the lock calls `finish` before letting go. A stale or second `finish` raises.
        """
        out = np.empty(self._n_outputs, dtype=np.float32)
        x = self._plain_row(inputs, self.input_bricks)
        y = self._plain_row(expected, self.output_bricks)
        st, table = self.binding()
        kernels = _kernels()
        if x is None or y is None or kernels.checked_forward(table, x, y, out) != 0:
            # not the wire's shape, a bad value (prepare_learn raises the precise error) or
            # too little room (it makes room, which may give a new State)
            x, y = self.prepare_learn(inputs, expected)
            st, table = self.binding()
            kernels.forward(table, x, out)
        backward = kernels.backward
        self._pending = token = object()

        def finish() -> None:
            # holding `st` here also keeps alive the arrays that `table` points into
            if self._pending is not token or self._state is not st:
                raise RuntimeError("finish() of a learn_split that is stale or already done")
            self._pending = None
            backward(table, y)

        return self._split(out, fresh=True), finish

    def prepare_learn(self, inputs: Values, expected: Values) -> tuple[np.ndarray, np.ndarray]:
        """The validated rows of one sample, with room made for what it may grow (so
        `learn_rows` on `state` learns it at once); `learn`, `learn_split` (unless its one
        kernel call checked a wire-shaped sample itself) and the native threads
        (service/native.py) start here. Bad input raises before anything changed."""
        x = self._one(inputs, self.input_bricks, "input", INPUT_RANGE)
        y = self._one(expected, self.output_bricks, "expected", EXPECTED_RANGE)
        self._pending = None  # a learn_split's finish after this would update stale walks
        self._keep_reserve()
        return x, y

    def prepare_infer(self, inputs: Values) -> np.ndarray:
        """For an infer run elsewhere: the validated row for `infer_rows` on `state`."""
        return self._one(inputs, self.input_bricks, "input", INPUT_RANGE)

    @property
    def output_width(self) -> int:
        """Output values of one sample, all output bricks together."""
        return self._n_outputs

    def outputs_of(self, row: np.ndarray) -> Outputs:
        """A fresh output row (nobody else holds it) as outputs per brick."""
        return self._split(row, fresh=True)

    def learn_many(self, inputs: Values, expected: Values) -> None:
        """Learn 2-D rows one sample at a time in one kernel call; same as `learn` per row."""
        x = self._rows(inputs, self.input_bricks, "input", many=True)
        y = self._rows(expected, self.output_bricks, "expected", many=True)
        if x.shape[0] != y.shape[0]:
            raise InputError(f"inputs have {x.shape[0]} rows but expected has {y.shape[0]}")
        self._learn(x, y, np.empty((x.shape[0], self._n_outputs), dtype=np.float32))

    def infer(self, inputs: Values) -> Outputs:
        """Outputs for one sample; changes nothing in the network."""
        x = self._one(inputs, self.input_bricks, "input", INPUT_RANGE)
        out = np.empty((1, self._n_outputs), dtype=np.float32)
        st, table = self.binding()  # `st` keeps the row's arrays alive for the call
        _kernels().infer(table, x.reshape(1, -1), out)
        return self._split(out[0], fresh=True)

    def infer_many(self, inputs: Values) -> Outputs:
        """Outputs for 2-D rows, each output brick as an array of shape (rows, neurons)."""
        x = self._rows(inputs, self.input_bricks, "input", many=True)
        out = np.empty((x.shape[0], self._n_outputs), dtype=np.float32)
        st, table = self.binding()
        infer_rows_at(table, x, out)
        return self._split(out)

    def _learn(self, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
        self._pending = None  # a learn_split's finish after this would update stale walks
        done = 0
        while done < x.shape[0]:
            self._keep_reserve()
            st, table = self.binding()
            done = learn_rows_at(table, x, y, out, done)

    def _split(self, row: np.ndarray, fresh: bool = False) -> Outputs:
        """Outputs per brick; a `fresh` row (nobody else holds it) of one brick is not copied."""
        if fresh and len(self.output_bricks) == 1:
            return {next(iter(self.output_bricks)): row}
        result: Outputs = {}
        at = 0
        for name, size in self.output_bricks.items():
            result[name] = row[..., at : at + size].copy()
            at += size
        return result

    def binding(self) -> tuple[State, np.ndarray]:
        """The State and a table row describing it (kernels/table.py), written afresh when the
        State changed (grown, restored). Whoever runs a kernel on the row holds the State
        meanwhile, so its arrays cannot go away under it (the native threads keep both with
        their job)."""
        st = self._state
        bound, table = self._binding
        if bound is not st:
            table = new_table(1)  # a fresh row: a call still using the old one keeps it
            write_row(table[0], st)
            self._binding = (st, table)
        return st, table

    def _one(
        self, values: Values, layout: dict[str, int], what: str, bounds: tuple[Any, Any]
    ) -> np.ndarray:
        """One sample as a 1-D float32 row. A single brick's float32 array of the right length
        (the wire's case) costs one kernel pass, and a copy only when it is not contiguous and
        aligned; anything else, and every error, is `_rows`'s. Rows always have the layout of
        _bind's examples; a read-only view (a frame's) is passed as it is (kernels/direct.py)."""
        array = self._plain_row(values, layout)
        if array is not None and _kernels().check(array, *bounds) < 0:
            return array
        row: np.ndarray = self._rows(values, layout, what, many=False)[0]
        return row

    @staticmethod
    def _plain_row(values: Values, layout: dict[str, int]) -> np.ndarray | None:
        """The row itself when `values` already has the layout of _bind's examples (the wire's
        case: one brick, float32, the right length; a strided or unaligned one is copied),
        values not checked; None for anything else."""
        if len(layout) != 1:
            return None
        for name, size in layout.items():
            array: Any = values
            if type(values) is dict:
                array = values.get(name) if len(values) == 1 else None
            if type(array) is not np.ndarray or array.dtype is not _F32 or array.shape != (size,):
                return None
            flags = array.flags
            if not (flags.c_contiguous and flags.aligned):
                array = array.copy()
            row: np.ndarray = array
            return row
        return None

    def _rows(self, values: Values, layout: dict[str, int], what: str, many: bool) -> np.ndarray:
        """Validate and concatenate per-brick values into C-contiguous float32 rows.

        The result may share memory with the caller's array: kernels never write their inputs.
        """
        if not isinstance(values, Mapping):
            if len(layout) != 1:
                raise InputError(
                    f"this network has {len(layout)} {what} bricks "
                    f"({', '.join(layout)}): pass a mapping of brick name to values"
                )
            values = {next(iter(layout)): values}
        unknown = sorted(set(values) - set(layout))
        if unknown:
            raise InputError(
                f"unknown {what} brick {unknown[0]!r}; this network's {what} bricks are "
                f"{', '.join(repr(name) for name in layout)}"
            )
        parts = []
        for name, size in layout.items():
            if name not in values:
                raise InputError(f"missing {what} values for brick {name!r}")
            parts.append(_checked(values[name], name, size, what, many))
        rows = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
        if many and len({part.shape[0] for part in parts}) > 1:
            raise InputError(f"every {what} brick must have the same number of rows")
        matrix = np.ascontiguousarray(rows if many else rows.reshape(1, -1), dtype=np.float32)
        if not matrix.flags.writeable:
            # numba types read-only arrays apart and would compile (and cache) every kernel
            # a second time for them, outside the warm-up; a copy of one row is cheaper
            matrix = matrix.copy()
        return matrix

    def _keep_reserve(self) -> None:
        """Grow the section arrays (doubling) when fewer rows are free than a sample may need."""
        st = self._state
        capacity = st.sec_source.shape[0]
        free = capacity - int(st.counters[HIGH_WATER]) + int(st.counters[FREE_COUNT])
        reserve = int(st.config[RESERVE])
        if free < reserve:
            self._state = _with_capacity(st, max(2 * capacity, capacity + reserve - free))

    # ---- introspection and persistence -----------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Sizes a dashboard would draw: neurons, sections, synapses, bytes, samples learned."""
        st = self._state
        return {
            "bricks": len(self.template.bricks),
            "neurons": int(st.potential.shape[0]),
            "sections": int(st.counters[HIGH_WATER] - st.counters[FREE_COUNT]),
            "synapses": int(st.counters[SYNAPSES]),
            "section_capacity": int(st.sec_source.shape[0]),
            "bytes": int(sum(array.nbytes for array in st)),
            "samples_learned": int(st.counters[SAMPLES_LEARNED]),
        }

    def to_bytes(self) -> bytes:
        """The whole network in the versioned, checksummed checkpoint format."""
        from hanami_rt.core.checkpoint import dump

        return dump(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> Network:
        """Rebuild a network from `to_bytes`; raises CheckpointError for anything not intact."""
        from hanami_rt.core.checkpoint import parse

        return parse(data)

    def save(self, path: str | Path) -> None:
        """Write atomically: temp file, fsync, rename, fsync of the directory."""
        write_atomic(Path(path), self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by `save`."""
        return cls.from_bytes(Path(path).read_bytes())

    def __repr__(self) -> str:
        s = self.stats()
        return f"<Network neurons={s['neurons']} synapses={s['synapses']} seed={self.seed}>"


def _checked(value: npt.ArrayLike, name: str, size: int, what: str, many: bool) -> np.ndarray:
    """One brick's values as float32, shape-checked; NaN/infinity rejected with the index.

    The common case (a float32 array of finite values) costs two cheap passes: the sum in
    float64 is finite exactly when every value is (float32 values cannot overflow it).
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        array = value
    else:
        try:
            with np.errstate(over="ignore"):  # too large for float32 becomes inf, refused below
                array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError(f"{what} brick {name!r}: values must be numbers") from None
    if array.ndim != (2 if many else 1) or array.shape[-1] != size:
        shape = f"(rows, {size})" if many else f"({size},)"
        raise InputError(f"{what} brick {name!r} takes shape {shape}, got {tuple(array.shape)}")
    if what == "expected" and array.size:
        # expected values lie in [0, 1]: two reductions also catch NaN (it fails both tests)
        if 0 <= array.min() and array.max() <= 1:
            return array
    elif math.isfinite(np.add.reduce(array, axis=None, dtype=np.float64)):
        return array
    if not np.isfinite(array).all():
        index = np.unravel_index(int(np.argmin(np.isfinite(array))), array.shape)
        where = f"row {index[0]}, index {index[1]}" if many else f"index {index[0]}"
        raise InputError(
            f"{what} brick {name!r}: value at {where} is {array[index]} "
            "(values must be finite; negative inputs count as 0)"
        )
    if what == "expected":
        index = np.unravel_index(int(np.argmax((array < 0) | (array > 1))), array.shape)
        raise InputError(
            f"expected brick {name!r}: value {array[index]} at index "
            f"{index[-1]} is outside [0, 1] (outputs are sigmoids)"
        )
    return array


def _empty_state(template: Template, seed: int, capacity: int | None) -> State:
    """Fresh arrays for `template`: every neuron at rest, no sections."""
    bricks = template.bricks
    sizes = [b.number_of_neurons for b in bricks]
    start = np.zeros(len(bricks) + 1, dtype=np.int32)
    start[1:] = np.cumsum(sizes)
    kind = np.array(
        [INPUT if b.input else OUTPUT if b.output else HIDDEN for b in bricks], dtype=np.int8
    )
    io = np.zeros(len(bricks), dtype=np.int32)
    offsets = {INPUT: 0, OUTPUT: 0}
    for i, b in enumerate(bricks):
        if kind[i] != HIDDEN:
            io[i] = offsets[int(kind[i])]
            offsets[int(kind[i])] += b.number_of_neurons
    target_start = np.zeros(len(bricks) + 1, dtype=np.int32)
    target_start[1:] = np.cumsum([len(t) for t in template.targets])
    target_brick = np.array([t for ts in template.targets for t, _ in ts], dtype=np.int32)
    cumulative = np.concatenate(
        [np.cumsum([p for _, p in ts]) for ts in template.targets if ts] or [np.zeros(0)]
    )
    neurons = int(start[-1])
    reserve = min(template.source_neurons, _MAX_RESERVE)
    config = np.zeros(N_CONFIG, dtype=np.float64)
    config[COOLDOWN] = template.settings.neuron_cooldown
    config[REFRACTORY] = template.settings.refractory_time
    config[REDUCTION] = 1.0 if template.settings.enable_reduction else 0.0
    config[RESERVE] = reserve
    rng = np.array([seed], dtype=np.uint64)
    state = State(
        config=config,
        counters=np.zeros(N_COUNTERS, dtype=np.int64),
        rng=rng,
        brick_start=start,
        brick_kind=kind,
        brick_io=io,
        target_start=target_start,
        target_brick=target_brick,
        target_cumulative=cumulative.astype(np.float64),
        potential=np.zeros(neurons, dtype=np.float32),
        inflow=np.zeros(neurons, dtype=np.float32),
        refractory=np.ones(neurons, dtype=np.int32),
        delta=np.zeros(neurons, dtype=np.float32),
        first_section=np.full(neurons, -1, dtype=np.int32),
        section_count=np.zeros(neurons, dtype=np.int8),
        **_section_arrays(capacity if capacity is not None else max(_MIN_CAPACITY, 2 * reserve)),
    )
    return state


def _section_arrays(capacity: int) -> dict[str, np.ndarray]:
    """Empty section and synapse arrays with room for `capacity` sections."""
    return {
        "sec_source": np.full(capacity, -1, dtype=np.int32),
        "sec_brick": np.zeros(capacity, dtype=np.int32),
        "sec_block": np.zeros(capacity, dtype=np.int32),
        "sec_block_size": np.zeros(capacity, dtype=np.int32),
        "sec_offset": np.zeros(capacity, dtype=np.float32),
        "sec_next": np.full(capacity, -1, dtype=np.int32),
        "sec_length": np.zeros(capacity, dtype=np.int32),
        "sec_walked": np.zeros(capacity, dtype=np.int32),
        "free_sections": np.zeros(capacity, dtype=np.int32),
        "syn_reach": np.zeros((capacity, SLOTS), dtype=np.float32),
        "syn_weight": np.zeros((capacity, SLOTS), dtype=np.float32),
        "syn_target": np.zeros((capacity, SLOTS), dtype=np.uint8),
        "syn_counter": np.zeros((capacity, SLOTS), dtype=np.uint8),
    }


def _with_capacity(st: State, capacity: int) -> State:
    """A copy of `st` whose section arrays have room for `capacity` sections."""
    grown = _section_arrays(capacity)
    for name in SECTION_FIELDS:
        old = getattr(st, name)
        grown[name][: old.shape[0]] = old
    return st._replace(**grown)


_WARM_UP_TEMPLATE = """version: 1
settings:
    enable_reduction: true
bricks:
    1,1,1
        input: x
        number_of_neurons: 3
    2,1,1
        number_of_neurons: 3
    3,1,1
        output: y
        number_of_neurons: 2
"""


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel, so no user request pays the JIT."""
    net = Network.from_template(_WARM_UP_TEMPLATE, seed=1)
    x = np.array([[1.0, 200.0, 0.0]] * 2, dtype=np.float32)
    y = np.array([[1.0, 0.0]] * 2, dtype=np.float32)
    net.learn(x[0], y[0])
    net.learn_many(x, y)
    net.infer(x[0])
    net.infer_many(x)
    from hanami_rt.core.kernels import reduce

    reduce(net.state)
